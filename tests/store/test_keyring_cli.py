"""The keyring as a user meets it through the real CLI, in real processes: no keyring at all, a frozen
one, the time bound on every call, and `doctor` reporting each broken part instead of crashing."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checker.core.outcome import Outcome
from checker.fixture_site import Account, FixtureSite
from checker.linkedin.rules import SELECTORS_ENV
from checker.run.doctor import FIXES
from checker.store.credentials import TIMEOUT_ENV, CredentialStore
from checker.store.history import History
from checker.store.quarantine import Quarantine
from tests.conftest import Cli, add_account, check_args, run_cli
from tests.store.test_config import run_where_read_only
from tests.store.test_credentials import run_with_frozen

EMAIL = "a@example.com"
PASSWORD = "correct horse battery staple"


def findings_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {finding["name"]: finding for finding in document["findings"]}


# --- no keyring at all ------------------------------------------------------------------------


@pytest.fixture
def without_a_session_bus(tmp_path: Path) -> dict[str, str]:
    """The environment of a cron job or an ssh login: no D-Bus session, so no Secret Service."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DBUS_SESSION_BUS_ADDRESS", "PYTHON_KEYRING_BACKEND", TIMEOUT_ENV, "SSH_CONNECTION"}
    }
    # No keyringrc.cfg of the user's may name a backend either.
    (tmp_path / "config").mkdir()
    return env | {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "config")}


NO_BACKEND = (
    "error: no keyring backend is available: install and unlock one (e.g. gnome-keyring); "
    "passwords are never stored in plain text"
)


def test_without_a_keyring_accounts_add_fails_every_time_and_adds_nothing(
    without_a_session_bus: dict[str, str], isolated_home: Path
) -> None:
    # The demo's keyring once won keyring's discovery on some runs only: one run proves little.
    for _ in range(10):
        result = run_cli(
            "accounts", "add", EMAIL, "--password-stdin", env=without_a_session_bus, stdin=PASSWORD
        )
        assert (result.returncode, result.stdout, result.stderr.splitlines()) == (4, "", [NO_BACKEND])
        assert not (isolated_home / "accounts.json").exists()


def test_over_ssh_without_a_session_bus_doctor_and_check_say_how_to_reach_a_keyring_there(
    without_a_session_bus: dict[str, str], isolated_home: Path
) -> None:
    env = without_a_session_bus | {"SSH_CONNECTION": "192.0.2.7 51022 192.0.2.1 22"}
    keyring = findings_of(json.loads(run_cli("doctor", "--json", env=env).stdout))["keyring"]
    assert keyring["detail"].endswith(
        "as in an SSH login without a desktop session, so no keyring can be reached"
    )
    assert "dbus-run-session -- bash, then gnome-keyring-daemon --unlock" in keyring["fix"]
    isolated_home.mkdir(mode=0o700)
    (isolated_home / "accounts.json").write_text('{"accounts": ["a@example.com"]}')
    check = run_cli("check", env=env)
    assert (check.returncode, check.stdout) == (4, "")
    assert check.stderr.splitlines() == [f"error: {keyring['detail']}; {keyring['fix']}"]


def test_without_a_keyring_doctor_fails_the_keyring_with_a_fix(without_a_session_bus: dict[str, str]) -> None:
    result = run_cli("doctor", "--json", env=without_a_session_bus)
    keyring = findings_of(json.loads(result.stdout))["keyring"]
    assert result.returncode == 4
    assert (keyring["name"], keyring["ok"]) == ("keyring", False)
    # As under cron: the Secret Service may be running, but nothing says where its bus is.
    assert keyring["detail"] == (
        NO_BACKEND.removeprefix("error: ") + ": there is no D-Bus session here (DBUS_SESSION_BUS_ADDRESS is "
        "not set), as in a cron job, so the Secret Service cannot be reached"
    )
    assert keyring["fix"].startswith("schedule the check as a systemd user timer")

    human = run_cli("doctor", env=without_a_session_bus)
    assert human.returncode == 4
    lines = human.stdout.splitlines()
    failed = lines.index(f"FAIL keyring: {keyring['detail']}")
    assert lines[failed + 1] == f"     fix: {keyring['fix']}"


# --- a frozen Secret Service --------------------------------------------------------------------

# Runs inside run_with_frozen's private keyring: the CLI commands of PLAN["before"] while the
# Secret Service answers, then, once it is frozen, those of PLAN["frozen"] with a 2 s keyring bound.
# Each command is bounded too, so a hang is reported rather than waited out.
CLI_ON_A_FROZEN_SECRET_SERVICE = """
import json, os, signal, subprocess, sys
PLAN = json.loads(PLAN_JSON)

def run(step, timeout=None):
    env = dict(os.environ)
    if timeout:
        env["LINKEDIN_AI_OPTOUT_KEYRING_TIMEOUT"] = timeout
    try:
        done = subprocess.run(
            [sys.executable, "-m", "checker", *step["args"]], input=step.get("stdin", ""),
            capture_output=True, text=True, env=env, timeout=40,
        )
    except subprocess.TimeoutExpired:
        return {"exit": "did not end within 40 s"}
    return {"exit": done.returncode, "stdout": done.stdout, "stderr": done.stderr}

before = [run(step) for step in PLAN["before"]]
os.kill(int(sys.argv[1]), signal.SIGSTOP)
frozen = [run(step, timeout="2") for step in PLAN["frozen"]]
print(json.dumps({"before": before, "frozen": frozen}))
"""


def frozen_run(*, before: list[list[str]], frozen: list[str], stdin: str = "") -> dict[str, Any]:
    """Run `before` (commands adding accounts, fed PASSWORD), freeze the Secret Service, run `frozen`
    with a 2 s keyring bound and `stdin`; return how `frozen` went. The daemon is thawed afterwards
    whatever happened (run_with_frozen's `finally`)."""
    plan = {
        "before": [{"args": args, "stdin": PASSWORD + "\n"} for args in before],
        "frozen": [{"args": frozen, "stdin": stdin}],
    }
    code = f"PLAN_JSON = {json.dumps(plan)!r}\n" + CLI_ON_A_FROZEN_SECRET_SERVICE
    report = run_with_frozen("org.freedesktop.secrets", code)
    for earlier in report["before"]:
        assert earlier["exit"] == 0, earlier
    [result] = report["frozen"]
    assert isinstance(result["exit"], int), result  # the command ended by itself, hang or not
    return result


UNANSWERED = "the keyring did not answer in 2 s: unlock it (or start it) and try again"


def test_accounts_add_on_a_frozen_keyring_fails_in_time_and_adds_nothing(isolated_home: Path) -> None:
    result = frozen_run(before=[], frozen=["accounts", "add", EMAIL, "--password-stdin"], stdin=PASSWORD)
    assert (result["exit"], result["stdout"], result["stderr"]) == (4, "", f"error: {UNANSWERED}\n")
    assert not (isolated_home / "accounts.json").exists()


def test_accounts_remove_on_a_frozen_keyring_fails_in_time_and_the_account_stays(cli: Cli) -> None:
    result = frozen_run(
        before=[["accounts", "add", EMAIL, "--password-stdin"]], frozen=["accounts", "remove", EMAIL]
    )
    assert (result["exit"], result["stderr"]) == (4, f"error: {UNANSWERED}\n")
    code, listed = cli.json("accounts", "list")
    assert (code, listed) == (0, {"accounts": [{"email": EMAIL, "session_saved": False}]})


def test_doctor_on_a_frozen_keyring_fails_the_keyring_in_time_and_looks_at_the_rest() -> None:
    result = frozen_run(before=[], frozen=["doctor"])
    assert result["exit"] == 4
    lines = result["stdout"].splitlines()
    assert f"FAIL keyring: {UNANSWERED}" in lines
    assert [line.split(":")[0] for line in lines if line.startswith("FAIL")] == ["FAIL keyring"]
    assert any(line.startswith("ok   browser: ") for line in lines)  # it went on after the keyring


def test_check_on_a_frozen_keyring_stops_in_time_before_the_browser_and_records_nothing(
    cli: Cli, site: FixtureSite
) -> None:
    site.add_account(Account(email=EMAIL, password=PASSWORD))
    result = frozen_run(
        before=[["accounts", "add", EMAIL, "--password-stdin"]], frozen=[*check_args(site, "--json")]
    )
    assert result["exit"] == 4
    message = json.loads(result["stdout"])["error"]["message"]
    assert message == f"{UNANSWERED}; {FIXES['keyring']}"
    assert site.received == []
    code, history = cli.json("history")
    assert (code, history["entries"]) == (0, [])


# Also inside run_with_frozen: a check with a long keyring bound, sent SIGTERM once it is waiting
# for the frozen keyring, which it is when it holds a D-Bus connection of its own (nothing else in
# the check's process talks to the bus).
SIGTERM_WHILE_THE_KEYRING_IS_ASKED = """
import json, os, signal, subprocess, sys, time
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import Proxy, open_dbus_connection
from jeepney.wrappers import DBusErrorResponse

def connected(pid, bus):
    for name in bus.ListNames()[0]:
        try:
            if name.startswith(":") and bus.GetConnectionUnixProcessID(name)[0] == pid:
                return True
        except DBusErrorResponse:
            pass  # that connection closed meanwhile
    return False

add = [sys.executable, "-m", "checker", "accounts", "add", EMAIL, "--password-stdin"]
subprocess.run(add, input="a password\\n", capture_output=True, check=True, text=True)
os.kill(int(sys.argv[1]), signal.SIGSTOP)
env = {**os.environ, "LINKEDIN_AI_OPTOUT_KEYRING_TIMEOUT": "50"}
check = subprocess.Popen(
    [sys.executable, "-m", "checker", *ARGS],
    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
)
with open_dbus_connection(bus="SESSION") as connection:
    bus = Proxy(message_bus, connection, timeout=10)
    while check.poll() is None and not connected(check.pid, bus):
        time.sleep(0.05)
check.send_signal(signal.SIGTERM)
try:
    stdout, stderr = check.communicate(timeout=20)
    report = {"exit": check.returncode, "stdout": stdout, "stderr": stderr}
except subprocess.TimeoutExpired:
    check.kill()
    report = {"exit": "did not end within 20 s of SIGTERM"}
print(json.dumps(report))
"""


# Stopped while the keyring is asked, before the run: nothing to record, and the document says so.
STOPPED_BEFORE_THE_RUN = {"error": {"message": "interrupted by SIGTERM", "exit_code": 143}, "exit_code": 143}


def test_a_check_stopped_while_waiting_for_a_frozen_keyring_exits_at_once(site: FixtureSite) -> None:
    site.add_account(Account(email=EMAIL, password=PASSWORD))
    code = f"EMAIL, ARGS = {EMAIL!r}, {check_args(site, '--json')!r}\n" + SIGTERM_WHILE_THE_KEYRING_IS_ASKED
    result = run_with_frozen("org.freedesktop.secrets", code)
    # It does not sit out the 50 s bound of the read it abandoned; the browser never started.
    assert (result["exit"], result["stderr"]) == (143, "error: interrupted by SIGTERM\n"), result
    assert json.loads(result["stdout"]) == STOPPED_BEFORE_THE_RUN
    assert site.received == []


def test_a_check_with_a_saved_session_stopped_while_the_frozen_keyring_is_asked_for_its_key_exits_at_once(
    site: FixtureSite,
) -> None:
    site.add_account(Account(email=EMAIL, password="a password"))  # the script's `accounts add` stores it
    args = check_args(site, "--json")
    # Before the keyring freezes, a first check saves the session, whose key the next check asks for.
    first_check = (
        "subprocess.run([sys.executable, '-m', 'checker', *ARGS], capture_output=True, check=False)\n"
    )
    script = SIGTERM_WHILE_THE_KEYRING_IS_ASKED.replace("os.kill(", first_check + "os.kill(", 1)
    result = run_with_frozen("org.freedesktop.secrets", f"EMAIL, ARGS = {EMAIL!r}, {args!r}\n" + script)
    assert (result["exit"], json.loads(result["stdout"])) == (143, STOPPED_BEFORE_THE_RUN), result
    assert site.password_submissions(EMAIL) == 1  # the first check's


# --- the time bound -----------------------------------------------------------------------------


def test_every_keyring_call_of_the_cli_is_bounded_at_30_seconds_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The store as the CLI builds it; building it touches no keyring.
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    assert CredentialStore().timeout == 30


@pytest.mark.parametrize(
    "args", [["doctor"], ["accounts", "add", EMAIL, "--password-stdin"]], ids=["doctor", "accounts-add"]
)
def test_a_keyring_bound_that_is_not_a_number_is_a_one_line_usage_error(
    args: list[str], cli: Cli, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, "soon")
    result = cli(*args, input=PASSWORD + "\n")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"error: {TIMEOUT_ENV} must be a positive number of seconds, not 'soon'"
    ]
    assert not (isolated_home / "accounts.json").exists()


# --- doctor looks at every part a check needs -----------------------------------------------------


def random_bytes() -> bytes:
    return random.Random(7).randbytes(4096)


def damaged_history(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "history.sqlite3").write_bytes(random_bytes())


def malformed_accounts_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "accounts.json").write_text('{"accounts": ["a@example.com", ')


def binary_selector_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home.parent / "selectors.toml").write_bytes(random_bytes())
    monkeypatch.setenv(SELECTORS_ENV, str(home.parent / "selectors.toml"))


def sessions_not_a_directory(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "sessions").write_text("not a directory")


def config_with_a_word_for_a_number(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "config.toml").write_text('pace = "fast"\n')


def config_that_is_not_toml(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "config.toml").write_text("pace = \n")


@pytest.mark.parametrize(
    ("damage", "part"),
    [
        (damaged_history, "history database"),
        (malformed_accounts_file, "accounts file"),
        (binary_selector_file, "selector files"),
        (sessions_not_a_directory, "saved sessions"),
        (config_with_a_word_for_a_number, "config file"),
        (config_that_is_not_toml, "config file"),
    ],
)
def test_doctor_reports_a_broken_part_as_one_failure_with_its_fix(
    damage: Callable[[Path, pytest.MonkeyPatch], None],
    part: str,
    cli: Cli,
    real_keyring: CredentialStore,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    isolated_home.mkdir(mode=0o700)
    damage(isolated_home, monkeypatch)
    code, document = cli.json("doctor")
    assert (code, document["ok"]) == (4, False)
    failed = {name: finding for name, finding in findings_of(document).items() if not finding["ok"]}
    assert list(failed) == [part]  # reported once, where it is, with that part's fix
    assert failed[part]["fix"] == FIXES[part]
    assert not failed[part]["detail"].startswith("unexpected")

    human = cli("doctor")
    assert human.exit_code == 4
    assert "internal error" not in human.stderr
    assert "Traceback" not in human.stdout + human.stderr
    lines = human.stdout.splitlines()
    failed_at = lines.index(f"FAIL {part}: {failed[part]['detail']}")
    assert lines[failed_at + 1] == f"     fix: {FIXES[part]}"


@pytest.mark.parametrize("damage", [config_with_a_word_for_a_number, config_that_is_not_toml])
def test_doctor_fails_the_config_file_in_the_words_check_stops_on(
    damage: Callable[[Path, pytest.MonkeyPatch], None],
    cli: Cli,
    site: FixtureSite,
    member: Account,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    damage(isolated_home, monkeypatch)
    checked = cli(*check_args(site))
    code, document = cli.json("doctor")
    assert (checked.exit_code, code) == (4, 4)
    assert checked.stderr == f"error: {findings_of(document)['config file']['detail']}\n"
    assert site.received == []


def test_doctor_names_each_account_held_back_with_the_command_that_lifts_its_hold(
    cli: Cli, real_keyring: CredentialStore, isolated_home: Path
) -> None:
    for email in ("refused@example.com", "challenged@example.com"):
        add_account(cli, email, PASSWORD)
    quarantine = Quarantine.in_home(isolated_home)
    quarantine.hold("challenged@example.com", Outcome.NEEDS_ATTENTION, "a CAPTCHA")
    quarantine.hold("refused@example.com", Outcome.AUTH_FAILED, "LinkedIn refused the password")
    code, document = cli.json("doctor")
    assert code == 4
    held = findings_of(document)["quarantine"]
    assert held["ok"] is False
    assert "refused@example.com since " in held["detail"]
    assert "after auth_failed" in held["detail"]
    assert held["fix"] == (  # oldest first (within one second, by account: the same order)
        "linkedin-ai-optout accounts login challenged@example.com (sign in yourself); "
        "linkedin-ai-optout accounts add refused@example.com (with its new password)"
    )
    quarantine.release("refused@example.com")
    quarantine.release("challenged@example.com")
    code, document = cli.json("doctor")
    assert (code, findings_of(document)["quarantine"]["ok"]) == (0, True)


def test_doctor_fails_a_history_file_check_could_not_write(
    real_keyring: CredentialStore, isolated_home: Path
) -> None:
    isolated_home.mkdir(mode=0o700)
    history = History.in_home(isolated_home)
    history.prepare()
    # Root ignores permission bits: the file is made read-only by a read-only mount of it alone.
    doctor = """
import json, subprocess, sys
done = subprocess.run([sys.executable, "-m", "checker", "doctor", "--json"], capture_output=True, text=True)
print(json.dumps({"exit": done.returncode, "document": json.loads(done.stdout)}))
"""
    report = json.loads(run_where_read_only(history.path, doctor))
    failed = [finding for finding in report["document"]["findings"] if not finding["ok"]]
    assert report["exit"] == 4
    assert failed == [
        {
            "name": "history database",
            "ok": False,
            "detail": f"{history.path} is not writable (read-only file system): a check could not record",
            "fix": FIXES["history database"],
        }
    ]


def test_doctor_passes_a_home_with_an_account_a_history_and_a_session(
    cli: Cli, site: FixtureSite, real_keyring: CredentialStore
) -> None:
    site.add_account(Account(email=EMAIL, password=PASSWORD, ai_training=False))
    add_account(cli, EMAIL, PASSWORD)
    assert cli(*check_args(site)).exit_code == 0  # writes the history and saves a session
    code, document = cli.json("doctor")
    assert (code, document["ok"]) == (0, True), document
    found = findings_of(document)
    assert found["accounts file"]["detail"] == "1 account"
    assert found["saved sessions"]["detail"] == "1 account with a saved session"
