"""`schedule install/show/remove` on Linux: the systemd units (verified by the real `systemd-analyze`)
where a user manager answers, else the crontab; and the job they hold, run as the scheduler runs it.

The schedulers' programs are stand-ins on PATH (see tests/schedule/scheduling.py); everything else is real.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker.fixture_site import Account, FixtureSite
from tests.conftest import Cli
from tests.schedule.scheduling import (
    Tools,
    cron_job_command,
    history_rows,
    manager_environment,
    sections,
    systemd_words,
    unit_dir,
    unit_setting,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="installs for Linux's schedulers"
)


# --- installing on Linux ----------------------------------------------------------------------


def test_install_writes_the_units_and_enables_the_timer_where_the_user_manager_answers(
    cli: Cli, tools: Tools, odd_paths: Path, configured: str, tmp_path: Path, real_keyring: object
) -> None:
    tools.start_user_manager(manager_environment())
    tools.crontab_file.write_text("MAILTO=me@example.com\n")
    result = cli("schedule", "install", "--every", "daily", "--at", "06:30")
    assert result.exit_code == 0, result.stderr
    assert "installed the systemd user timer linkedin-ai-optout.timer: daily at 06:30" in result.stdout
    assert "warning" not in result.stderr  # the keyring answers in the user manager's environment
    units = unit_dir(tmp_path)
    assert sorted(p.name for p in units.iterdir()) == [
        "linkedin-ai-optout.service",
        "linkedin-ai-optout.timer",
    ]
    assert [call for call in tools.calls() if call[0] == "systemctl"] == [
        ["systemctl", "--user", "show-environment"],
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", "linkedin-ai-optout.timer"],
        ["systemctl", "--user", "restart", "linkedin-ai-optout.timer"],
    ]
    assert tools.crontab_file.read_text() == "MAILTO=me@example.com\n"  # no crontab block to replace


def test_a_user_manager_without_the_session_bus_gets_a_warning_that_names_the_keyring(
    cli: Cli, tools: Tools, configured: str, real_keyring: object
) -> None:
    # Without dbus-user-session, the user manager's services have no session bus to reach the keyring.
    tools.start_user_manager(
        {k: v for k, v in manager_environment().items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    )
    result = cli("schedule", "install", "--every", "weekly")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(
        "warning: the keyring does not answer in the systemd user manager's environment ("
    )
    assert "each scheduled check will stop (exit 4) before it signs in" in result.stderr
    assert "systemctl --user start linkedin-ai-optout.service" in result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_installed_units(
    cli: Cli, tools: Tools, odd_paths: Path, configured: str, tmp_path: Path, real_keyring: object
) -> None:
    tools.start_user_manager(manager_environment())
    assert cli("schedule", "install", "--every", "monthly", "--apply").exit_code == 0
    units = unit_dir(tmp_path)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_RUNTIME_DIR": str(runtime)}
    verified = subprocess.run(
        ["systemd-analyze", "--user", "verify", str(units / "linkedin-ai-optout.service"),
         str(units / "linkedin-ai-optout.timer")],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
    # verify also checks that ExecStart's program exists: the odd path was read back as written.
    assert verified.returncode == 0, verified.stderr
    assert "linkedin-ai-optout" not in verified.stderr + verified.stdout, verified.stderr


def test_the_installed_service_runs_a_check_that_is_recorded_with_the_documented_exit_code(
    cli: Cli, tools: Tools, odd_paths: Path, site: FixtureSite, member: Account, tmp_path: Path
) -> None:
    tools.start_user_manager(manager_environment())
    result = cli(
        "schedule", "install", "--every", "weekly", "--apply",
        "--base-url", site.base_url, "--pace", "0", "--timeout", "5",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    service = (unit_dir(tmp_path) / "linkedin-ai-optout.service").read_text()
    [exec_start] = unit_setting(service, "ExecStart")
    argv = systemd_words(exec_start, program_first=True)
    variables = dict(
        word.split("=", 1)
        for setting in unit_setting(service, "Environment")
        for word in systemd_words(setting, program_first=False)
    )
    assert variables == {"LINKEDIN_AI_OPTOUT_HOME": os.environ["LINKEDIN_AI_OPTOUT_HOME"]}
    # As systemd starts it: the manager's environment and the unit's, from the root directory.
    job = subprocess.run(
        argv, env={**manager_environment(), **variables}, cwd="/", capture_output=True, text=True, timeout=120
    )
    assert job.returncode == 0, job.stderr  # fixed
    assert job.stdout == ""  # --quiet: nothing to say when all is well
    assert history_rows(Path(variables["LINKEDIN_AI_OPTOUT_HOME"])) == [(member.email, "fixed")]
    assert member.ai_training is False


def test_without_a_user_manager_the_job_goes_in_the_crontab_and_a_keyring_cron_cannot_reach_is_named(
    cli: Cli, tools: Tools, odd_paths: Path, site: FixtureSite, member: Account, tmp_path: Path
) -> None:
    tools.crontab_file.write_text("# my own jobs\nMAILTO=me@example.com\n0 * * * * /usr/bin/true\n")
    result = cli("schedule", "install", "--every", "weekly", "--base-url", site.base_url, "--timeout", "5")
    assert result.exit_code == 0, result.stderr
    assert "installed in your crontab (no systemd user manager answers): weekly on Monday" in result.stdout
    warning = result.stderr.strip()
    assert warning.startswith("warning: the keyring is not reachable from cron (")
    assert "each scheduled check will stop (exit 4) before it signs in" in warning
    assert not (tmp_path / "config").exists()
    table = tools.crontab_file.read_text()
    assert table.startswith(
        "# my own jobs\nMAILTO=me@example.com\n0 * * * * /usr/bin/true\n# linkedin-ai-optout begin"
    )
    assert table.endswith("# linkedin-ai-optout end\n")

    # The line runs through sh with cron's environment: no D-Bus session, so no keyring. The run stops
    # before the browser starts, in doctor's words, with the code documented for a keyring that does
    # not answer; the site sees nothing.
    home = Path(os.environ["LINKEDIN_AI_OPTOUT_HOME"])
    cron_env = {"HOME": str(Path.home()), "LOGNAME": "root", "PATH": "/usr/bin:/bin", "SHELL": "/bin/sh"}
    job = subprocess.run(
        ["/bin/sh", "-c", cron_job_command(table)], env=cron_env, cwd=Path.home(),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert job.returncode == 4, job.stderr
    [said] = job.stderr.splitlines()
    assert said.startswith("error: no keyring backend is available")
    assert "as in a cron job" in said
    assert history_rows(home) == []
    assert site.received == []

    # The command the warning gives shows the same, in doctor's words.
    doctor = warning.split("See what the job sees: ", 1)[1]
    seen = subprocess.run(shlex.split(doctor), capture_output=True, text=True, timeout=120, check=False)
    assert seen.returncode == 4
    assert re.search(r"^FAIL keyring: ", seen.stdout, re.MULTILINE), seen.stdout


def test_installing_again_replaces_the_block_and_remove_leaves_the_other_lines_alone(
    cli: Cli, tools: Tools, configured: str
) -> None:
    mine = "# my own jobs\nMAILTO=me@example.com\n0 * * * * /usr/bin/true\n"
    tools.crontab_file.write_text(mine)
    assert cli("schedule", "install", "--every", "weekly", "--cron").exit_code == 0
    assert cli("schedule", "install", "--every", "monthly", "--at", "22:00", "--cron").exit_code == 0
    table = tools.crontab_file.read_text()
    assert table.count("# linkedin-ai-optout begin") == 1
    assert "monthly on the 1st at 22:00" in table
    assert "weekly" not in table

    shown = cli("schedule", "show")
    assert shown.exit_code == 0
    assert sections(shown.stdout)["the crontab (crontab -l)"].startswith("# linkedin-ai-optout begin")

    removed = cli("schedule", "remove")
    assert removed.exit_code == 0
    assert "removed the linkedin-ai-optout block from your crontab" in removed.stdout
    assert tools.crontab_file.read_text() == mine
    assert "no schedule is installed" in cli("schedule", "show").stdout
    assert "nothing to remove" in cli("schedule", "remove").stdout


def test_a_crontab_block_without_its_end_line_is_refused_and_left_as_it_is(
    cli: Cli, tools: Tools, configured: str
) -> None:
    broken = "0 * * * * /usr/bin/true\n# linkedin-ai-optout begin: edited by hand\n5 9 * * 1 something\n"
    tools.crontab_file.write_text(broken)
    result = cli("schedule", "install", "--every", "weekly", "--cron")
    assert result.exit_code == 2
    assert "without its single '# linkedin-ai-optout end' line: fix or delete the block" in result.stderr
    assert tools.crontab_file.read_text() == broken


def test_the_timer_replaces_a_crontab_block_and_remove_takes_the_units_away(
    cli: Cli, tools: Tools, configured: str, tmp_path: Path, real_keyring: object
) -> None:
    tools.crontab_file.write_text("0 * * * * /usr/bin/true\n")
    assert cli("schedule", "install", "--every", "weekly", "--cron").exit_code == 0
    tools.start_user_manager(manager_environment())
    result = cli("schedule", "install", "--every", "weekly")
    assert result.exit_code == 0, result.stderr
    assert "removed the crontab block of an earlier install" in result.stdout
    assert tools.crontab_file.read_text() == "0 * * * * /usr/bin/true\n"

    shown = cli("schedule", "show").stdout
    assert str(unit_dir(tmp_path) / "linkedin-ai-optout.timer") in sections(shown)
    assert "run it now: systemctl --user start linkedin-ai-optout.service" in shown

    removed = cli("schedule", "remove")
    assert removed.exit_code == 0
    assert f"removed {unit_dir(tmp_path) / 'linkedin-ai-optout.service'}" in removed.stdout
    assert list(unit_dir(tmp_path).iterdir()) == []
    assert ["systemctl", "--user", "disable", "--now", "linkedin-ai-optout.timer"] in tools.calls()
    assert [call for call in tools.calls() if call[0] == "systemctl"][-1] == [
        "systemctl",
        "--user",
        "daemon-reload",
    ]
