"""The command line's contract: usage errors, --version, --quiet, the module entry point, demo, doctor."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from checker import __version__
from checker.fixture_site import Account, FixtureSite
from tests.conftest import Cli, check_args


def test_the_tool_runs_as_a_module_and_prints_its_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "checker", "--version"], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout.strip()) == (0, f"linkedin-ai-optout {__version__}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--base-url", "http://example.com"], "plain http is accepted only for loopback hosts"),
        (["check", "--base-url", "https://x/y"], "give only the scheme, host and port"),
        (["check", "someone@example.com"], "unknown account: someone@example.com"),
        (["check"], "no accounts configured"),
        (["history", "--account", "nope"], "not an email address"),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_exit_2(cli: Cli, args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert message in line


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
    result = subprocess.run(
        [sys.executable, "-m", "checker", "doctor", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    document = json.loads(result.stdout)
    assert result.returncode == 4
    assert [f["name"] for f in document["findings"] if not f["ok"]] == ["keyring"]


def test_a_missing_browser_path_is_a_one_line_error_with_exit_4(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    result = cli(*check_args(site, "--browser-path", "/nonexistent/chrome"))
    assert result.exit_code == 4
    assert result.stderr == "error: browser not found or not executable: /nonexistent/chrome\n"
