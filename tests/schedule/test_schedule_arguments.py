"""The accounts in a scheduled job's command line stay accounts: `--` ends the options before them
in every format the tool writes, and an email with `%` reaches the tool whole through cron.

Each format is read back as its scheduler reads it (tests/schedule/scheduling.py), and the crontab line runs
through cron's `%` rule and `sh -c` into a program that records the arguments it was given.
"""

from __future__ import annotations

import json
import plistlib
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker.schedule import launch
from checker.store.accounts import AccountList
from checker.store.home import prepare_home
from tests.conftest import Cli
from tests.schedule.scheduling import (
    NS,
    Tools,
    cron_job_command,
    sections,
    systemd_words,
    unit_setting,
    windows_argv,
)

ACCOUNTS = ["member@example.com", "100%sure@example.org"]


@pytest.fixture
def recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tool's interpreter, as the schedulers will start it: a program that prints its arguments."""
    program = tmp_path / "bin dir" / "python"
    program.parent.mkdir()
    program.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    program.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(program))
    return program


def printed(cli: Cli, platform: str, *extra: str) -> dict[str, str]:
    result = cli(
        "schedule", "install", "--every", "daily", "--print", "--platform", platform,
        "--base-url", "http://127.0.0.1:9", *extra, *ACCOUNTS,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return sections(result.stdout)


def tool_arguments(argv: list[str]) -> list[str]:
    """The tool's own arguments in an interpreter's argv: after `-m checker`."""
    assert argv[:2] == ["-m", "checker"], argv
    return argv[2:]


EXPECTED = ["check", "--quiet", "--base-url", "http://127.0.0.1:9", "--", *ACCOUNTS]


@pytest.fixture
def configured(tools: Tools, recorder: Path) -> None:
    accounts = AccountList.in_home(prepare_home(lambda _: None))
    for email in ACCOUNTS:
        accounts.add(email)


@pytest.mark.usefixtures("configured")
def test_systemd_ends_the_options_before_the_accounts(cli: Cli, recorder: Path) -> None:
    service = next(content for where, content in printed(cli, "linux").items() if where.endswith(".service"))
    [exec_start] = unit_setting(service, "ExecStart")
    program, *argv = systemd_words(exec_start, program_first=True)
    assert program == str(recorder)
    assert tool_arguments(argv) == EXPECTED


@pytest.mark.usefixtures("configured")
def test_the_crontab_line_hands_the_tool_the_accounts_whole_after_the_options(
    cli: Cli, recorder: Path
) -> None:
    cron = next(content for where, content in printed(cli, "linux", "--cron").items() if "crontab" in where)
    run = subprocess.run(
        ["/bin/sh", "-c", cron_job_command(cron)], capture_output=True, text=True, check=True, env={}
    )
    assert tool_arguments(json.loads(run.stdout)) == EXPECTED


@pytest.mark.usefixtures("configured")
def test_the_launchd_agent_ends_the_options_before_the_accounts(cli: Cli, recorder: Path) -> None:
    [plist] = [content for where, content in printed(cli, "macos").items() if where.endswith(".plist")]
    program, *argv = plistlib.loads(plist.encode())["ProgramArguments"]
    assert program == str(recorder)
    assert tool_arguments(argv) == EXPECTED


@pytest.mark.usefixtures("configured")
def test_the_windows_task_ends_the_options_before_the_accounts(cli: Cli, recorder: Path) -> None:
    [task] = [
        content for where, content in printed(cli, "windows").items() if where.startswith("Task Scheduler")
    ]
    root = ET.fromstring(task.split("\n", 1)[1])  # noqa: S314 (the tool's own output)
    argv = windows_argv(root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=NS, default=""))
    assert argv[:2] == ["-m", "checker.schedule.launch"]
    _variables, arguments = launch.split_arguments(argv[2:])
    assert arguments == EXPECTED
