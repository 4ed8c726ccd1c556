"""`schedule`: the files each OS's scheduler reads, generated on any OS, and the commands in them.

Nothing here touches a real scheduler: `--print` runs nothing, and the stand-ins on PATH (see
tests/schedule/scheduling.py) record any call. The Task Scheduler job and the crontab line run for real here:
a check against the fixture site, through the same quoting the scheduler undoes.
"""

from __future__ import annotations

import json
import os
import plistlib
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker.fixture_site import Account, FixtureSite
from checker.schedule import launch
from checker.schedule.formats import cron_command, systemd_word
from checker.schedule.job import CARRIED_ENV, Every, Job
from checker.store.accounts import AccountList
from checker.store.home import prepare_home
from tests.conftest import Cli
from tests.schedule.scheduling import (
    EMAIL,
    NS,
    Tools,
    cron_job_command,
    cron_split,
    history_rows,
    sections,
    systemd_words,
    unit_dir,
    unit_setting,
    windows_argv,
)

# --- what is generated, on any OS -------------------------------------------------------------


def test_print_shows_the_units_and_the_crontab_fallback_and_writes_and_runs_nothing(
    cli: Cli, tools: Tools, configured: str, tmp_path: Path, isolated_home: Path
) -> None:
    before = sorted(p.name for p in isolated_home.iterdir())
    result = cli(
        "schedule",
        "install",
        "--every",
        "weekly",
        "--at",
        "07:45",
        "--apply",
        "--print",
        "--platform",
        "linux",
    )
    assert result.exit_code == 0, result.stderr
    shown = sections(result.stdout)
    service = shown[str(unit_dir(tmp_path) / "linkedin-ai-optout.service")]
    timer = shown[str(unit_dir(tmp_path) / "linkedin-ai-optout.timer")]
    assert service.splitlines()[1:] == [
        "[Unit]",
        "Description=Check LinkedIn's generative-AI training setting (linkedin-ai-optout)",
        "",
        "[Service]",
        "Type=oneshot",
        f"ExecStart={sys.executable} -m checker check --quiet --apply",
        f"Environment=LINKEDIN_AI_OPTOUT_HOME={isolated_home}",
        "KillMode=mixed",
        "TimeoutStopSec=120",
        "SyslogIdentifier=linkedin-ai-optout",
    ]
    assert timer.splitlines()[1:] == [
        "[Unit]",
        "Description=Run linkedin-ai-optout check weekly on Monday at 07:45",
        "",
        "[Timer]",
        "OnCalendar=Mon *-*-* 07:45:00",
        "Persistent=true",
        "RandomizedDelaySec=30min",
        "Unit=linkedin-ai-optout.service",
        "",
        "[Install]",
        "WantedBy=timers.target",
    ]
    assert shown["then it runs"].splitlines()[:3] == [
        "systemctl --user daemon-reload",
        "systemctl --user enable linkedin-ai-optout.timer",
        "systemctl --user restart linkedin-ai-optout.timer",
    ]
    cron = next(content for where, content in shown.items() if where.startswith("the crontab"))
    assert f"{sys.executable} -m checker check --quiet --apply" in cron_job_command(cron)
    # Nothing was written and nothing ran: no config directory, no call to any scheduler.
    assert not (tmp_path / "config").exists()
    assert tools.calls() == []
    assert sorted(p.name for p in isolated_home.iterdir()) == before


@pytest.mark.parametrize(
    ("every", "calendar", "cron_days", "launchd_day", "windows_schedule"),
    [
        ("daily", "*-*-* 21:05:00", "* * *", {}, "ScheduleByDay"),
        ("weekly", "Mon *-*-* 21:05:00", "* * 1", {"Weekday": 1}, "ScheduleByWeek"),
        ("monthly", "*-*-01 21:05:00", "1 * *", {"Day": 1}, "ScheduleByMonth"),
    ],
)
def test_the_period_and_time_become_each_schedulers_own_calendar(
    cli: Cli,
    tools: Tools,
    configured: str,
    every: str,
    calendar: str,
    cron_days: str,
    launchd_day: dict[str, int],
    windows_schedule: str,
) -> None:
    def printed(platform: str) -> dict[str, str]:
        result = cli(
            "schedule", "install", "--every", every, "--at", "21:05", "--print", "--platform", platform
        )
        assert result.exit_code == 0, result.stderr
        return sections(result.stdout)

    linux = printed("linux")
    timer = next(content for where, content in linux.items() if where.endswith(".timer"))
    assert unit_setting(timer, "OnCalendar") == [calendar]
    cron = next(content for where, content in linux.items() if where.startswith("the crontab"))
    [line] = [line for line in cron.splitlines() if not line.startswith("#")]
    minute, hour, *days = line.split()[:5]
    # The fleet's spread: a minute fixed for this machine, within 30 minutes after the time asked for.
    assert (int(hour), " ".join(days)) == (21, cron_days)
    assert 5 <= int(minute) < 35

    [plist] = [content for where, content in printed("macos").items() if where.endswith(".plist")]
    interval = plistlib.loads(plist.encode())["StartCalendarInterval"]
    assert interval == {"Hour": 21, "Minute": int(minute), **launchd_day}

    [task] = [content for where, content in printed("windows").items() if where.startswith("Task Scheduler")]
    trigger = ET.fromstring(task.split("\n", 1)[1]).find(  # noqa: S314 (the tool's own output)
        "t:Triggers/t:CalendarTrigger", NS
    )
    assert trigger is not None
    assert trigger.findtext("t:StartBoundary", namespaces=NS, default="").endswith("T21:05:00")
    assert trigger.findtext("t:RandomDelay", namespaces=NS) == "PT30M"
    schedule = trigger.find(f"t:{windows_schedule}", NS)
    assert schedule is not None
    if every == "weekly":
        assert schedule.find("t:DaysOfWeek/t:Monday", NS) is not None
    if every == "monthly":
        assert schedule.findtext("t:DaysOfMonth/t:Day", namespaces=NS) == "1"
        assert len(schedule.findall("t:Months/*", NS)) == 12


def test_the_launchd_agent_is_a_plist_whose_arguments_need_no_quoting(
    cli: Cli, tools: Tools, odd_paths: Path, configured: str
) -> None:
    result = cli("schedule", "install", "--every", "weekly", "--print", "--platform", "macos", EMAIL)
    assert result.exit_code == 0, result.stderr
    [(where, plist)] = [(w, c) for w, c in sections(result.stdout).items() if w != "then it runs"]
    assert where == str(Path.home() / "Library/LaunchAgents/com.linkedin-ai-optout.check.plist")
    agent = plistlib.loads(plist.encode())
    home = os.environ["LINKEDIN_AI_OPTOUT_HOME"]
    assert agent["Label"] == "com.linkedin-ai-optout.check"
    assert agent["ProgramArguments"] == [str(odd_paths), "-m", "checker", "check", "--quiet", "--", EMAIL]
    assert agent["EnvironmentVariables"] == {"LINKEDIN_AI_OPTOUT_HOME": home}
    assert agent["StandardOutPath"] == f"{home}/logs/schedule.out.log"
    assert agent["StandardErrorPath"] == f"{home}/logs/schedule.err.log"
    assert (agent["RunAtLoad"], agent["ExitTimeOut"]) == (False, 120)
    assert plistlib.loads(plistlib.dumps(agent)) == agent
    assert tools.calls() == []


def test_the_windows_task_starts_the_check_through_the_launcher_which_sets_its_environment(
    cli: Cli, tools: Tools, odd_paths: Path, site: FixtureSite, member: Account, tmp_path: Path
) -> None:
    result = cli(
        "schedule", "install", "--every", "daily", "--print", "--platform", "windows",
        "--base-url", site.base_url, "--pace", "0", "--timeout", "5", member.email,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    [task] = [
        content for where, content in sections(result.stdout).items() if where.startswith("Task Scheduler")
    ]
    assert task.startswith('<?xml version="1.0" encoding="UTF-16"?>\n')
    root = ET.fromstring(task.split("\n", 1)[1])  # noqa: S314 (the tool's own output)
    assert root.findtext("t:Principals/t:Principal/t:LogonType", namespaces=NS) == "InteractiveToken"
    assert root.findtext("t:Settings/t:StartWhenAvailable", namespaces=NS) == "true"
    command = root.findtext("t:Actions/t:Exec/t:Command", namespaces=NS, default="")
    arguments = windows_argv(root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=NS, default=""))
    assert command == f'"{odd_paths}"'
    home = os.environ["LINKEDIN_AI_OPTOUT_HOME"]
    assert arguments == [
        "-m", "checker.schedule.launch", f"LINKEDIN_AI_OPTOUT_HOME={home}", "--",
        "check", "--quiet", "--base-url", site.base_url, "--timeout", "5", "--pace", "0", "--", member.email,
    ]  # fmt: skip
    assert tools.calls() == []

    # The task's command line, run here as Task Scheduler would run it there: from nowhere in
    # particular, with an environment that does not name the data directory.
    env = {k: v for k, v in os.environ.items() if k != "LINKEDIN_AI_OPTOUT_HOME"}
    job = subprocess.run(
        [command.strip('"'), *arguments], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert job.returncode == 1, job.stderr  # non_compliant: the documented code
    assert job.stdout.count(member.email) == 1  # --quiet speaks only when something needs you
    assert history_rows(Path(home)) == [(member.email, "non_compliant")]
    assert member.ai_training is True


def test_the_launcher_accepts_only_the_variables_a_scheduled_run_carries() -> None:
    assert set(CARRIED_ENV) == launch._ACCEPTED
    result = subprocess.run(
        [sys.executable, "-m", "checker.schedule.launch", "PATH=/tmp", "--", "--version"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "not a variable a scheduled run carries: 'PATH=/tmp'" in result.stderr


def test_a_value_task_scheduler_would_expand_is_refused_for_windows(
    cli: Cli, tools: Tools, configured: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKEDIN_AI_OPTOUT_HOME", str(tmp_path / "%USERNAME%"))
    configured_again = AccountList.in_home(prepare_home(lambda _: None)).add(EMAIL)
    assert configured_again
    result = cli("schedule", "install", "--every", "daily", "--print", "--platform", "windows")
    assert result.exit_code == 2
    assert "Task Scheduler would read '%USERNAME%'" in result.stderr
    # systemd and cron quote it, so they take it.
    assert cli("schedule", "install", "--every", "daily", "--print", "--platform", "linux").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "25:00"], "--at takes a 24-hour time HH:MM, such as 09:30, not '25:00'"),
        (
            ["other@example.com"],
            "unknown account: other@example.com (add it with: linkedin-ai-optout accounts add",
        ),
        (["--platform", "windows"], "--platform windows works only with --print"),
        (["--base-url", "http://example.com"], "--base-url"),
    ],
)
def test_a_schedule_that_could_not_run_is_refused_before_anything_is_written(
    cli: Cli, tools: Tools, configured: str, tmp_path: Path, args: list[str], message: str
) -> None:
    platform_args = [] if "--platform" in args else ["--platform", "linux", "--print"]
    result = cli("schedule", "install", "--every", "weekly", *platform_args, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert tools.calls() == []
    assert not (tmp_path / "config").exists()


def test_with_no_account_configured_there_is_nothing_to_schedule(cli: Cli, tools: Tools) -> None:
    result = cli("schedule", "install", "--every", "weekly", "--print")
    assert result.exit_code == 2
    assert (
        "no accounts configured: add one first with: linkedin-ai-optout accounts add EMAIL" in result.stderr
    )


# --- quoting, word by word -------------------------------------------------------------------

AWKWARD_WORDS = [
    "plain",
    "two words",
    "100%",
    "%n",
    "$HOME",
    "${HOME}",
    "it's",
    'say "hi"',
    "back\\slash",
    "back\\%slash",
    "%",
    "50%%",
    "ends\\",
    ";",
    "",
]


def awkward_job(program: Path) -> Job:
    return Job(
        every=Every.DAILY,
        hour=9,
        minute=0,
        interpreter=str(program),
        arguments=tuple(AWKWARD_WORDS),
        environment=(("LINKEDIN_AI_OPTOUT_HOME", "/a b/100% $x 'q' \"d\" \\z"),),
        spread_minutes=0,
    )


def test_each_word_reaches_the_program_unchanged_through_systemd_quoting(tmp_path: Path) -> None:
    job = awkward_job(tmp_path / "dir 100% $x" / "python")
    line = " ".join(systemd_word(word, expanded=i > 0) for i, word in enumerate(job.argv))
    assert systemd_words(line, program_first=True) == job.argv
    [(name, value)] = job.environment
    assert systemd_words(systemd_word(f"{name}={value}", expanded=False), program_first=False) == [
        f"{name}={value}"
    ]


def test_each_word_reaches_the_program_unchanged_through_cron_and_sh(tmp_path: Path) -> None:
    program = tmp_path / "it's 100% $HOME" / "python"
    program.parent.mkdir()
    program.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "print(json.dumps([sys.argv[1:], os.environ.get('LINKEDIN_AI_OPTOUT_HOME')]))\n"
    )
    program.chmod(0o755)
    job = awkward_job(program)
    command, stdin = cron_split(cron_command(job))  # what cron hands to sh, and the job's input
    assert stdin == ""
    result = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, check=True, env={})
    assert json.loads(result.stdout) == [["-m", "checker", *AWKWARD_WORDS], job.environment[0][1]]


def test_a_program_path_systemd_would_refuse_is_named_and_cron_takes_it(
    cli: Cli, tools: Tools, configured: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "it's here" / "python"))
    result = cli("schedule", "install", "--every", "weekly", "--print", "--platform", "linux")
    assert result.exit_code == 2
    assert "systemd does not run a program whose path holds ': " in result.stderr
    assert "use --cron" in result.stderr
    printed = cli("schedule", "install", "--every", "weekly", "--print", "--platform", "linux", "--cron")
    assert printed.exit_code == 0
    assert shlex.quote(sys.executable) in printed.stdout
