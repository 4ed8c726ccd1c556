"""Files in the home fail safe, through the real CLI: nothing touches the site before every file the run
writes is known to be usable, links are never followed, and a failure after a click still reports it."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from checker.core.urls import normalize_base_url
from checker.fixture_site import Account, FixtureSite
from checker.fixture_site.model import SaveGate
from checker.store.accounts import AccountList
from checker.store.credentials import SERVICE, CredentialStore
from checker.store.emails import account_digest
from checker.store.history import SCHEMA_VERSION, History
from checker.store.sessions import SessionStore
from tests.conftest import Cli, add_account, check_args
from tests.store.test_config import run_where_read_only
from tests.store.test_history import previous_release_database, record

GARBAGE = b"not a database, just bytes\n" * 200


def one_error_line(stderr: str) -> str:
    """The only line on stderr, which must be an error without Python's internals."""
    [line] = stderr.splitlines()
    assert line.startswith("error: ")
    for internal in ("Traceback", "internal error", "Error:", "Exception", "errno"):
        assert internal not in line
    return line


def assert_site_untouched(site: FixtureSite) -> None:
    assert (site.received, site.login_attempts, site.setting_changes) == ([], [], [])


def password_of(real_keyring: CredentialStore, email: str) -> str | None:
    return real_keyring.backend.get_password(SERVICE, email)  # the exact spelling, as stored


# --- the history database -------------------------------------------------------------------


def test_a_damaged_history_stops_check_apply_before_the_site_and_keeps_its_bytes(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    database = isolated_home / "history.sqlite3"
    database.write_bytes(GARBAGE)
    result = cli(*check_args(site, "--apply"))
    assert result.exit_code == 4
    assert result.stdout == ""
    line = one_error_line(result.stderr)
    assert line.startswith(f"error: {database}: not a readable history database")
    assert line.endswith("move it aside and run again")
    code, document = cli.json(*check_args(site, "--apply"))
    message = line.removeprefix("error: ")
    assert (code, document) == (4, {"error": {"message": message, "exit_code": 4}, "exit_code": 4})
    assert_site_untouched(site)
    assert member.ai_training is True
    assert database.read_bytes() == GARBAGE


def test_a_history_from_a_newer_version_is_refused_by_check_and_by_history(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    database = isolated_home / "history.sqlite3"
    previous_release_database(database, "old@example.com")
    with closing(sqlite3.connect(database)) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = database.read_bytes()
    for args in (check_args(site, "--apply"), ["history"]):
        result = cli(*args)
        assert result.exit_code == 4
        line = one_error_line(result.stderr)
        assert line.startswith(f"error: {database}: written by a newer version")
        assert "upgrade the tool" in line
    assert_site_untouched(site)
    assert database.read_bytes() == before


def test_check_migrates_a_previous_release_history_and_keeps_its_rows(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    database = isolated_home / "history.sqlite3"
    previous_release_database(database, "old@example.com")
    code, _ = cli.json(*check_args(site))
    assert code == 1
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    code, document = cli.json("history")
    assert code == 0
    assert [(e["account"], e["outcome"]) for e in document["entries"]] == [
        (member.email, "non_compliant"),
        ("old@example.com", "non_compliant"),
    ]
    assert site.password_submissions(member.email) == 1


def test_a_history_linked_to_a_database_outside_the_home_is_refused_and_the_target_untouched(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.sqlite3"
    previous_release_database(outside, "old@example.com")
    before = outside.read_bytes()
    (isolated_home / "history.sqlite3").symlink_to(outside)
    result = cli(*check_args(site, "--apply"))
    assert result.exit_code == 4
    assert "is a symbolic link" in one_error_line(result.stderr)
    assert_site_untouched(site)
    assert outside.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere.sqlite3", "home"]


# --- a failure after the click --------------------------------------------------------------


@contextmanager
def history_damaged_during_the_save(site: FixtureSite, database: Path) -> Iterator[None]:
    """While the site holds its answer to the click, garbage replaces the history database."""
    gate = SaveGate()
    site.save_gate = gate

    def damage_then_release() -> None:
        # `released` is set first only when the run ended without reaching the save.
        if gate.arrived.wait(60) and not gate.released.is_set():
            database.write_bytes(GARBAGE)
        gate.released.set()

    helper = threading.Thread(target=damage_then_release)
    helper.start()
    try:
        yield
    finally:
        gate.released.set()
        gate.arrived.set()
        helper.join()


@pytest.mark.parametrize("json_output", [True, False], ids=["json", "table"])
def test_a_record_that_fails_after_the_click_still_reports_the_fix_and_checks_no_other_account(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path, json_output: bool
) -> None:
    site.add_account(Account(email="second@example.com", password="pw-second"))
    add_account(cli, "second@example.com", "pw-second")
    database = isolated_home / "history.sqlite3"
    with history_damaged_during_the_save(site, database):
        result = cli(*check_args(site, "--apply", *(["--json"] if json_output else [])))
    assert result.exit_code == 4
    # The run's log has a line about it too: the line for the person is the one starting "error:".
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert line.startswith(f"error: could not record the check of {member.email}: {database}:")
    assert line.endswith("the results above were not all recorded")
    if json_output:
        document = json.loads(result.stdout)
        assert [(r["account"], r["outcome"]) for r in document["results"]] == [(member.email, "fixed")]
        assert document["error"] == {"message": line.removeprefix("error: "), "exit_code": 4}
        assert document["exit_code"] == 4
    else:
        [row] = [row for row in result.stdout.splitlines() if member.email in row]
        assert "fixed" in row
    assert member.ai_training is False
    assert [(c.email, c.enabled) for c in site.setting_changes] == [(member.email, False)]
    assert site.password_submissions("second@example.com") == 0
    assert site.account("second@example.com").ai_training is True
    assert database.read_bytes() == GARBAGE


# --- the home directory ---------------------------------------------------------------------


def test_check_tightens_a_home_open_to_others_to_0700_and_says_so(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    os.chmod(isolated_home, 0o755)  # noqa: S103 -- the mode under test
    result = cli(*check_args(site))
    assert result.exit_code == 1
    assert f"note: tightened {isolated_home} to mode 0700 (it was 0755)" in result.stderr.splitlines()
    assert stat.S_IMODE(isolated_home.stat().st_mode) == 0o700
    assert site.password_submissions(member.email) == 1


@pytest.mark.parametrize("json_output", [False, True], ids=["text", "json"])
def test_a_home_that_is_a_regular_file_stops_every_command_with_one_line_naming_it(
    cli: Cli, site: FixtureSite, real_keyring: CredentialStore, isolated_home: Path, json_output: bool
) -> None:
    isolated_home.write_text("not a directory")
    expected = (
        f"{isolated_home} exists and is not a directory: move it away, "
        "or set LINKEDIN_AI_OPTOUT_HOME to a directory"
    )
    for args in (
        check_args(site, "--apply"),
        ["accounts", "add", "a@example.com", "--password-stdin"],
        ["accounts", "list"],
        ["history"],
    ):
        json_flag = ["--json"] if json_output and args[0] != "accounts" else []
        result = cli(*args, *json_flag, input="pw-a\n")
        assert (result.exit_code, one_error_line(result.stderr)) == (4, f"error: {expected}"), args
        if json_flag:
            error = {"message": expected, "exit_code": 4}
            assert json.loads(result.stdout) == {"error": error, "exit_code": 4}
    assert isolated_home.read_text() == "not a directory"
    assert password_of(real_keyring, "a@example.com") is None
    assert_site_untouched(site)


def test_a_check_that_cannot_start_prints_the_error_document_with_json(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    result = cli(*check_args(site, "--browser-path", "/nonexistent/chrome", "--json"))
    message = "browser not found or not executable: /nonexistent/chrome"
    assert (result.exit_code, one_error_line(result.stderr)) == (4, f"error: {message}")
    assert json.loads(result.stdout) == {"error": {"message": message, "exit_code": 4}, "exit_code": 4}
    assert_site_untouched(site)


RUN_THE_CLI = """
import json, subprocess, sys
done = subprocess.run(
    [sys.executable, "-m", "checker", *{args!r}], input={stdin!r}, capture_output=True, text=True, timeout=60
)
print(json.dumps([done.returncode, done.stdout, done.stderr]))
"""


def cli_where_read_only(home: Path, *args: str, stdin: str = "") -> tuple[int, str, str]:
    """The CLI in its own process, with `home` a read-only mount; the site and keyring stay reachable."""
    printed = run_where_read_only(home, RUN_THE_CLI.format(args=list(args), stdin=stdin))
    code, stdout, stderr = json.loads(printed)
    return code, stdout, stderr


def read_only_refusal(home: Path) -> str:
    return (
        f"error: {home} is not writable (read-only file system): make it writable by you, "
        "or set LINKEDIN_AI_OPTOUT_HOME to another directory"
    )


def test_a_read_only_home_stops_check_before_any_request_reaches_the_site(
    site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    code, stdout, stderr = cli_where_read_only(isolated_home, *check_args(site, "--apply"))
    assert (code, stdout, one_error_line(stderr)) == (4, "", read_only_refusal(isolated_home))
    assert_site_untouched(site)


def test_accounts_add_on_a_read_only_home_stores_no_password(
    real_keyring: CredentialStore, isolated_home: Path
) -> None:
    isolated_home.mkdir(mode=0o700)
    code, _, stderr = cli_where_read_only(
        isolated_home, "accounts", "add", "a@example.com", "--password-stdin", stdin="pw-a\n"
    )
    assert (code, one_error_line(stderr)) == (4, read_only_refusal(isolated_home))
    assert password_of(real_keyring, "a@example.com") is None
    assert list(isolated_home.iterdir()) == []


def test_accounts_remove_on_a_read_only_home_keeps_the_password_and_the_account(
    cli: Cli, real_keyring: CredentialStore, isolated_home: Path
) -> None:
    add_account(cli, "a@example.com", "pw-a")
    code, _, stderr = cli_where_read_only(isolated_home, "accounts", "remove", "a@example.com")
    assert (code, one_error_line(stderr)) == (4, read_only_refusal(isolated_home))
    assert password_of(real_keyring, "a@example.com") == "pw-a"
    listed = cli.json("accounts", "list")[1]
    assert listed == {"accounts": [{"email": "a@example.com", "session_saved": False}]}


def test_history_and_accounts_list_read_a_read_only_home(isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o700)
    record(History.in_home(isolated_home), "a@example.com")
    AccountList.in_home(isolated_home).add("a@example.com")
    before = sorted(isolated_home.iterdir())
    code, stdout, stderr = cli_where_read_only(isolated_home, "history", "--json")
    assert (code, stderr) == (0, "")
    assert [entry["account"] for entry in json.loads(stdout)["entries"]] == ["a@example.com"]
    code, stdout, stderr = cli_where_read_only(isolated_home, "accounts", "list", "--json")
    assert (code, stderr) == (0, "")
    assert json.loads(stdout) == {"accounts": [{"email": "a@example.com", "session_saved": False}]}
    assert sorted(isolated_home.iterdir()) == before


ADD_AN_ACCOUNT = """
from pathlib import Path
from checker.store.accounts import AccountList
from checker.core.errors import ConfigError
try:
    AccountList(Path({path!r})).add("a@example.com")
except ConfigError as exc:
    print(exc)
"""


def test_an_accounts_file_that_cannot_be_locked_is_one_line_naming_the_lock(tmp_path: Path) -> None:
    # `accounts add` checks the home first; this is the line if it becomes read-only just after.
    output = run_where_read_only(tmp_path, ADD_AN_ACCOUNT.format(path=str(tmp_path / "accounts.json")))
    lock = tmp_path / "accounts.json.lock"
    assert output == f"cannot lock {lock} (read-only file system): check that {tmp_path} is writable"
    assert list(tmp_path.iterdir()) == []


# --- saved sessions -------------------------------------------------------------------------


def test_a_linked_session_folder_stops_accounts_remove_before_the_keyring_changes(
    cli: Cli, real_keyring: CredentialStore, isolated_home: Path, tmp_path: Path
) -> None:
    add_account(cli, "a@example.com", "pw-a")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.json").write_text("{}")
    (isolated_home / "sessions").mkdir(mode=0o700)
    folder = isolated_home / "sessions" / account_digest("a@example.com")
    folder.symlink_to(outside, target_is_directory=True)
    result = cli("accounts", "remove", "a@example.com")
    assert result.exit_code == 4
    assert one_error_line(result.stderr) == (
        f"error: {folder} is a symbolic link: the tool does not follow links inside its data directory; "
        "replace it with a regular file or directory"
    )
    assert password_of(real_keyring, "a@example.com") == "pw-a"
    assert AccountList.in_home(isolated_home).emails() == ["a@example.com"]
    assert [p.name for p in outside.iterdir()] == ["keep.json"]


def test_a_saved_session_that_is_not_a_storage_state_is_discarded_and_signed_in_again_once(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    path = SessionStore.in_home(isolated_home, CredentialStore()).path(
        member.email, normalize_base_url(site.base_url)
    )
    path.parent.mkdir(mode=0o700, parents=True)
    path.write_text('{"cookies": 5}')
    listed = cli.json("accounts", "list")[1]
    assert listed == {"accounts": [{"email": member.email, "session_saved": False}]}
    assert path.read_text() == '{"cookies": 5}'  # listing reads only
    result = cli(*check_args(site, "--json"))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["results"][0]["outcome"] == "non_compliant"
    [warning] = [line for line in result.stderr.splitlines() if "was unusable" in line]
    assert str(path) in warning
    assert "signing in again" in warning
    assert site.password_submissions(member.email) == 1
    assert cli.json("accounts", "list")[1]["accounts"][0]["session_saved"] is True


# --- the accounts file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "entry"),
    [
        (b"[1,2,3]", 'expected {"accounts": [...]}, found a list'),
        (b"{}", 'expected {"accounts": [...]}, found an object without "accounts"'),
        (b"null", 'expected {"accounts": [...]}, found null'),
        (b'{"accounts": ["bob"]}', "accounts[0]: not an email address: 'bob'"),
        (b"\x00\xff\xfe\x80 binary", "not UTF-8 text"),
    ],
    ids=["a list", "no accounts key", "null", "not an email", "binary"],
)
def test_a_malformed_accounts_file_stops_check_and_list_naming_the_file_and_the_entry(
    cli: Cli, site: FixtureSite, isolated_home: Path, content: bytes, entry: str
) -> None:
    isolated_home.mkdir(mode=0o700)
    accounts = isolated_home / "accounts.json"
    accounts.write_bytes(content)
    for args in (check_args(site), ["accounts", "list"]):
        result = cli(*args)
        assert (result.exit_code, result.stdout) == (4, "")
        assert one_error_line(result.stderr) == f"error: {accounts}: {entry}"
    assert_site_untouched(site)
    assert accounts.read_bytes() == content


# --- emails in any letter case --------------------------------------------------------------


def test_an_email_in_any_letter_case_is_the_account_it_was_added_as(
    cli: Cli, site: FixtureSite, real_keyring: CredentialStore
) -> None:
    site.add_account(Account(email="demo@example.com", password="pw-demo"))
    add_account(cli, "demo@example.com", "pw-demo")
    code, document = cli.json(*check_args(site, "DEMO@Example.com"))
    assert code == 1
    results = [(r["account"], r["outcome"]) for r in document["results"]]
    assert results == [("demo@example.com", "non_compliant")]
    assert [(a.email, a.correct) for a in site.login_attempts] == [("demo@example.com", True)]
    updated = cli("accounts", "add", "DEMO@example.com", "--password-stdin", input="pw-new\n")
    assert updated.stderr == "Updated demo@example.com; the password is in the keyring.\n"
    assert password_of(real_keyring, "demo@example.com") == "pw-new"
    assert password_of(real_keyring, "DEMO@example.com") is None
    assert cli("accounts", "remove", "DEMO@EXAMPLE.COM").exit_code == 0
    assert password_of(real_keyring, "demo@example.com") is None
    assert cli.json("accounts", "list")[1] == {"accounts": []}


# --- reading writes nothing -----------------------------------------------------------------


def test_history_and_accounts_list_on_a_missing_home_create_nothing(cli: Cli, isolated_home: Path) -> None:
    for args in (["history"], ["history", "--json"], ["accounts", "list"], ["accounts", "list", "--json"]):
        assert cli(*args).exit_code == 0
    assert not isolated_home.exists()
    assert list(isolated_home.parent.iterdir()) == []
