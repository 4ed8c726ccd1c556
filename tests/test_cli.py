"""The command line's contract: usage errors, --version, --quiet, the module entry point, demo, doctor."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from checker import __version__
from checker.fixture_site import Account, FixtureSite
from checker.rules import rules_path
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
    # Rules that no longer know the switch: check must now say ui_changed, not non_compliant.
    patched = tmp_path / "linkedin.toml"
    text = rules_path().read_text()
    text = text.replace("allowDataForGenerativeAI", "renamedByLinkedIn")
    text = text.replace('switch_label = "Use my data', 'switch_label = "Not my data')
    patched.write_text(text)
    monkeypatch.setenv("LINKEDIN_AI_OPTOUT_SELECTORS", str(patched))
    code, document = cli.json(*check_args(site))
    assert (code, document["results"][0]["outcome"]) == (4, "ui_changed")
