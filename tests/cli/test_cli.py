"""The command line's contract: usage errors, --version, --quiet, the module entry point, demo, doctor."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.core import TyperGroup
from typer.main import get_command
from typer.testing import CliRunner

from checker import __version__
from checker.cli.app import app
from checker.fixture_site import Account, FixtureSite
from checker.linkedin.rules import rules_path
from checker.store.credentials import CredentialStore
from tests.conftest import SHORT_TIMEOUT, Cli, add_account, check_args, run_cli


def test_the_tool_runs_as_a_module_and_prints_its_version() -> None:
    result = run_cli("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"linkedin-ai-optout {__version__}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--base-url", "http://example.com"], "plain http is accepted only for loopback hosts"),
        (["check", "--base-url", "https://x/y"], "give only the scheme, host and port"),
        (["check", "someone@example.com"], "unknown account: someone@example.com"),
        (["check"], "no accounts configured"),
        (["history", "--account", "nope"], "not an email address"),
        (["check", "--timeout", "0"], "Invalid value for '--timeout'"),
        (["history", "--limit", "0"], "Invalid value for '--limit'"),
        (["check", "--no-such-option"], "No such option: --no-such-option"),
        (["no-such-command"], "No such command 'no-such-command'"),
        (
            ["report", "--format", "pdf"],
            "Invalid value for '--format': 'pdf' is not one of 'csv', 'json', 'jsonl', 'ocsf', 'html'.",
        ),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_exit_2(cli: Cli, args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert message in line
    assert "Value error" not in line  # pydantic's words, which Typer's checks pass on


def test_quiet_prints_nothing_when_all_is_well(cli: Cli, site: FixtureSite, member: Account) -> None:
    member.ai_training = False
    result = cli(*check_args(site, "--quiet"))
    assert (result.exit_code, result.stdout) == (0, "")


def test_quiet_still_speaks_when_something_needs_the_user(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    result = cli(*check_args(site, "--quiet"))
    assert result.exit_code == 1
    assert "non_compliant" in result.stdout


def test_the_human_report_is_a_table_and_logs_stay_on_stderr(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    result = cli("--log-level", "info", *check_args(site))
    assert "member@example.com" in result.stdout
    assert "non_compliant" in result.stdout
    assert '"event": "account checked"' in result.stderr
    assert '"event"' not in result.stdout


def test_demo_goes_from_non_compliant_to_fixed_to_compliant(cli: Cli) -> None:
    result = cli("demo")
    assert result.exit_code == 0, result.stderr
    outcomes = re.findall(r"\b(non_compliant|fixed|compliant)\b", result.stdout)
    assert outcomes == ["non_compliant", "fixed", "compliant"]
    # It ends with what to run next, each a command of the tool, within 80 columns.
    steps = [line.split("#")[0].split() for line in result.stdout.splitlines()[-4:]]
    assert [step[:3] for step in steps] == [
        ["linkedin-ai-optout", "accounts", "add"],
        ["linkedin-ai-optout", "check"],
        ["linkedin-ai-optout", "check", "--apply"],
        ["linkedin-ai-optout", "schedule", "install"],
    ]
    assert max(len(line) for line in result.stdout.splitlines()[-5:]) <= 80
    for step in steps:
        command, *words = step[1:]
        found = get_command(app).commands[command]  # type: ignore[attr-defined]
        while words and not words[0].startswith("-") and hasattr(found, "commands"):
            found = found.commands[words.pop(0)]
        options = {name for param in found.params for name in [*param.opts, *param.secondary_opts]}
        assert {word for word in words if word.startswith("--")} <= options, step


def test_doctor_reports_browser_keyring_data_and_selectors(cli: Cli, real_keyring: object) -> None:
    code, document = cli.json("doctor")
    findings = {f["name"]: f for f in document["findings"]}
    assert code == 0
    assert document["ok"] is True
    assert "Chromium" in findings["browser"]["detail"]
    assert "SecretService" in findings["keyring"]["detail"]
    assert findings["selector files"]["ok"]


def test_doctor_fails_with_exit_4_when_the_keyring_is_unusable(isolated_home: object) -> None:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = run_cli("doctor", "--json", env=env)
    document = json.loads(result.stdout)
    assert result.returncode == 4
    assert [f["name"] for f in document["findings"] if not f["ok"]] == ["keyring"]


def test_a_missing_browser_path_is_a_one_line_error_with_exit_4(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    result = cli(*check_args(site, "--browser-path", "/nonexistent/chrome"))
    assert result.exit_code == 4
    assert result.stderr == "error: browser not found or not executable: /nonexistent/chrome\n"


def test_a_malformed_selector_file_stops_check_with_exit_4_naming_file_and_key(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patched = tmp_path / "linkedin.toml"
    patched.write_text(
        rules_path().read_text().replace("[targets.me_menu]\n", "[targets.me_menu]\nwho = 1\n")
    )
    monkeypatch.setenv("LINKEDIN_AI_OPTOUT_SELECTORS", str(patched))
    result = cli(*check_args(site))
    assert result.exit_code == 4
    assert result.stderr == f"error: {patched}: targets.me_menu.who: unknown key\n"
    assert site.received == []
    code, document = cli.json("doctor")
    assert code == 4
    assert [f["name"] for f in document["findings"] if not f["ok"]] == ["selector files"]


def test_check_uses_the_selector_file_named_by_the_environment(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rules that no longer know the switch: check must now say ui_changed, not non_compliant. The
    # catalog beside a patched rules file is the one used with it.
    patched = tmp_path / "linkedin.toml"
    patched.write_text(rules_path().read_text())
    text = (rules_path().parent / "settings.toml").read_text()
    text = text.replace("allowDataForGenerativeAI", "renamedByLinkedIn")
    text = text.replace('en = "Use my data for training', 'en = "Not my data for training')
    (tmp_path / "settings.toml").write_text(text)
    monkeypatch.setenv("LINKEDIN_AI_OPTOUT_SELECTORS", str(patched))
    code, document = cli.json(*check_args(site, timeout=SHORT_TIMEOUT))
    assert (code, document["results"][0]["outcome"]) == (4, "ui_changed")


# --- what users of gh, httpie and shot-scraper expect ---------------------------------------

COMMAND = str(Path(sys.executable).parent / "linkedin-ai-optout")
"""The installed command, as a user runs it (completion and help name it)."""


def test_a_usage_error_with_json_also_prints_a_json_document(cli: Cli) -> None:
    result = cli("history", "--json", "--limit", "0")
    document = json.loads(result.stdout)
    assert result.exit_code == document["exit_code"] == document["error"]["exit_code"] == 2
    assert "--limit" in document["error"]["message"]


def test_dash_h_is_help_and_dash_capital_v_the_version(cli: Cli) -> None:
    assert cli("-V").stdout.strip() == f"linkedin-ai-optout {__version__}"
    for args in (["-h"], ["check", "-h"], ["accounts", "add", "-h"]):
        result = cli(*args)
        assert result.exit_code == 0
        assert result.stdout.startswith("Usage: linkedin-ai-optout")


def test_help_names_values_by_words_and_shows_every_default_at_80_columns() -> None:
    env = {**os.environ, "COLUMNS": "80"}
    result = subprocess.run(
        [COMMAND, "check", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0
    text = result.stdout
    assert "Usage: linkedin-ai-optout check [OPTIONS] [EMAIL]..." in text
    for words in ("--timeout SECONDS", "--pace SECONDS", "--base-url URL", "--browser-path PATH"):
        assert words in text
    assert not re.search(r"<\w", text)  # no <bool>, <list[str]>, <float range>
    flat = " ".join(text.split())
    for default in (
        "[default: 20.0; 1<=x<=600]",
        "[default: 5.0; 0<=x<=3600]",
        "[default: https://www.linkedin.com]",
    ):
        assert default in flat
    assert max(len(line) for line in text.splitlines()) <= 80


def test_shell_completion_is_offered() -> None:
    result = subprocess.run(
        [COMMAND, "--show-completion", "bash"],
        capture_output=True,
        text=True,
        env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.rstrip().endswith(
        "complete -o default -F _linkedin_ai_optout_completion linkedin-ai-optout"
    )


def test_json_and_quiet_together_print_the_json_as_asked(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    member.ai_training = False
    result = cli(*check_args(site, "--quiet", "--json"))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["results"][0]["outcome"] == "compliant"


def test_history_for_an_account_without_entries_names_it(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    cli(*check_args(site))
    add_account(cli, "someone.else@example.com", "another password")  # configured, never checked
    result = cli("history", "--account", "someone.else@example.com")
    assert (result.exit_code, result.stdout.strip()) == (
        0,
        "No checks recorded for someone.else@example.com.",
    )


# --- text from the site is not markup -------------------------------------------------------

SITE_TEXT = "That's [bold]not[/bold] the [/x] password \x1b[31mred\x1b[0m \x1b]0;title\x07"


def test_site_text_with_markup_and_escapes_is_shown_as_plain_text(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    member.password = "changed on the site"
    site.login_error_text = SITE_TEXT
    check = cli(*check_args(site))
    table = cli("history")
    code, document = cli.json("history")
    assert check.exit_code == 3
    assert table.exit_code == code == 0
    for output in (check.stdout, table.stdout, check.stderr):
        assert "\x1b" not in output
        assert "\x07" not in output
    assert "[bold]not[/bold] the [/x] password \\x1b[31mred" in " ".join(table.stdout.split())
    assert (
        "[bold]not[/bold] the [/x] password \\x1b[31mred\\x1b[0m \\x1b]0;title\\x07"
        in document["entries"][0]["detail"]
    )


def test_a_short_password_never_corrupts_what_the_site_said(
    cli: Cli, site: FixtureSite, real_keyring: object
) -> None:
    site.add_account(Account(email="short@example.com", password="the-right-one"))
    add_account(cli, "short@example.com", "pa")
    code, document = cli.json(*check_args(site))
    [result] = document["results"]
    assert (code, result["outcome"]) == (3, "auth_failed")
    assert "That's not the right password. Try again or sign in with a one-time link." in result["detail"]


# --- TOTP secrets ---------------------------------------------------------------------------


def test_a_totp_secret_too_short_for_pyotp_is_refused_saying_why(cli: Cli, real_keyring: object) -> None:
    result = cli(
        "accounts", "add", "a@example.com", "--password-stdin", "--totp", input="pw\nJBSWY3DPEHPK3PXP\n"
    )
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: the TOTP secret is too short: 80 bits, and pyotp refuses it (")
    assert "bits" in line.partition("pyotp refuses it")[2]
    assert line.endswith("nothing was stored")


# --- the browser ----------------------------------------------------------------------------


def test_a_binary_that_is_not_a_browser_is_named_with_what_happened(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    result = cli(*check_args(site, "--browser-path", "/bin/true"))
    assert result.exit_code == 4
    assert result.stderr == (
        "error: the browser /bin/true exited as soon as it started, saying nothing:"
        " is it Chromium or Chrome?\n"
    )
    assert site.received == []


def test_headed_without_a_display_is_one_line_saying_so(
    cli: Cli, site: FixtureSite, member: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    result = cli(*check_args(site, "--headed"))
    assert result.exit_code == 4
    [line] = result.stderr.splitlines()
    assert line.startswith("error: --headed needs a display")
    assert site.received == []


def test_no_browser_at_all_says_how_to_install_one_for_this_installation(
    isolated_home: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "PATH": str(tmp_path), "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path)}
    env.pop("LINKEDIN_AI_OPTOUT_BROWSER", None)
    result = run_cli("doctor", "--json", env=env)
    findings = {finding["name"]: finding for finding in json.loads(result.stdout)["findings"]}
    assert result.returncode == 4
    assert f"{sys.executable} -m playwright install chromium" in findings["browser"]["detail"]


def test_a_binary_selector_file_is_one_line_naming_it(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = tmp_path / "linkedin.toml"
    binary.write_bytes(bytes(range(256)))
    monkeypatch.setenv("LINKEDIN_AI_OPTOUT_SELECTORS", str(binary))
    result = cli(*check_args(site))
    assert result.exit_code == 4
    assert result.stderr.startswith(f"error: {binary}: not UTF-8 text")
    assert len(result.stderr.splitlines()) == 1
    assert site.received == []


# --- progress -------------------------------------------------------------------------------


def run_with_stderr(
    site: FixtureSite, *, terminal: bool, extra: tuple[str, ...] = (), columns: int = 100
) -> tuple[int, str]:
    """Run `check` as a process whose stderr is a terminal (a pseudo-terminal) or a pipe."""
    args = [COMMAND, *check_args(site, *extra)]
    env = {**os.environ, "TERM": "xterm", "COLUMNS": str(columns)}
    if not terminal:
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, check=False)
        return done.returncode, done.stderr
    reader, writer = pty.openpty()
    with subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=writer, env=env) as process:
        os.close(writer)
        chunks = []
        with contextlib.suppress(OSError):  # EIO once the process has closed its end
            while chunk := os.read(reader, 4096):
                chunks.append(chunk)
        code = process.wait(timeout=120)
    os.close(reader)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_progress_shows_each_step_on_a_terminal(site: FixtureSite, member: Account) -> None:
    # Each step lasts long enough for the display to draw it: a line shows a step, not every state.
    member.render_delay_ms = 600
    code, shown = run_with_stderr(site, terminal=True)
    assert code == 1
    for step in ("signing in", "opening Generative-AI training", "reading Generative-AI training"):
        assert f"{member.email}: {step}" in shown


def test_no_progress_when_stderr_is_not_a_terminal_or_with_quiet(site: FixtureSite, member: Account) -> None:
    piped = run_with_stderr(site, terminal=False)
    quiet = run_with_stderr(site, terminal=True, extra=("--quiet",))
    assert (piped[0], quiet[0]) == (1, 1)
    assert "signing in" not in piped[1]
    assert "signing in" not in quiet[1]


def test_ctrl_c_while_the_command_line_is_parsed_is_said_in_one_line_with_130(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, real_keyring: CredentialStore
) -> None:
    # Outside any command Typer turns a KeyboardInterrupt into a silent 130: the boundary says it.
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    # A command that ended with its own code first: what the boundary knew of it was that run's.
    (tmp_path / "one.csv").write_text("email\nada@example.com\n")
    imported = cli(
        "accounts", "import", str(tmp_path / "one.csv"), "--passwords-stdin", input="ada@example.com\tpw\n"
    )
    assert imported.exit_code == 0, imported.stderr
    monkeypatch.setattr(TyperGroup, "make_context", interrupted)
    result = cli("history")
    assert (result.exit_code, result.stderr) == (130, "error: interrupted by SIGINT\n")
    result = cli("history", "--json")
    assert (result.exit_code, json.loads(result.stdout)["error"]["message"]) == (130, "interrupted by SIGINT")


@pytest.mark.parametrize("group", [[], ["accounts"], ["schedule"], ["config"], ["settings"]])
def test_a_group_given_no_command_shows_its_help_formatted_and_exits_2(group: list[str]) -> None:
    process = run_cli(*group, env={**os.environ, "COLUMNS": "80"})
    lines = process.stderr.splitlines()
    assert process.returncode == 2
    # `python -m checker` names itself so, as Python's own modules do.
    assert lines[0] == " ".join(["Usage: python -m checker", *group, "[OPTIONS] COMMAND [ARGS]..."])
    assert "Commands:" in lines
    assert max(map(len, lines)) <= 80
    assert "error" not in process.stderr


def command_paths(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group of the tool, as the words that name it."""
    found = [path]
    for name, command in getattr(group, "commands", {}).items():
        found += command_paths(command, (*path, name))
    return found


@pytest.mark.parametrize("path", command_paths(get_command(app)), ids=" ".join)
def test_every_help_fits_80_columns_breaking_lines_between_words_only(
    cli: Cli, path: tuple[str, ...]
) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    broken = [line for line in lines if re.search(r"[A-Za-z]-$", line)]  # `--base-` then `url`
    assert broken == []
    assert "{" not in lines[0]  # usage names a required argument as EMAIL, an optional one [EMAIL]
