"""macOS: a launchd agent in ~/Library/LaunchAgents, loaded into the user's GUI session, where the
login Keychain is open."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import platformdirs.macos

from checker.core.console import notice
from checker.schedule.formats import LAUNCHD_LABEL, launchd_plist
from checker.schedule.job import Job
from checker.schedule.system import Plan, Written, remove_file, run, run_ok, write_config_file
from checker.store.home import APP_NAME, HOME_ENV, ensure_private_dir, home_path, prepare_home

Say = Callable[[str], None]


def agent_path() -> Path:
    """The agent's plist."""
    return Path.home() / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"


def logs_dir(*, here: bool) -> Path:
    """Where the agent's output goes: `logs` in the data directory. Previewed on another OS (`here`
    false), the data directory is the one macOS would use."""
    if here or os.environ.get(HOME_ENV):
        return home_path() / "logs"
    return platformdirs.macos.MacOS(APP_NAME).user_data_path / "logs"


def _domain() -> str:
    return f"gui/{os.getuid()}"


def plan(job: Job, *, here: bool) -> Plan:
    """What `install` would write and run, computed without running anything."""
    path = agent_path()
    domain = _domain() if here else "gui/$UID"
    return Plan(
        [Written(str(path), launchd_plist(job, logs_dir(here=here)).decode())],
        [
            ["launchctl", "bootout", f"{domain}/{LAUNCHD_LABEL}"],
            ["launchctl", "bootstrap", domain, str(path)],
        ],
    )


def install(job: Job, *, say: Say) -> None:
    """Write the agent, create its log directory, and load it (again) into the GUI session."""
    prepare_home(notice)
    logs = logs_dir(here=True)
    ensure_private_dir(logs)
    path = agent_path()
    write_config_file(path, launchd_plist(job, logs))
    run(["launchctl", "bootout", f"{_domain()}/{LAUNCHD_LABEL}"])  # an earlier one; none is fine
    run_ok(["launchctl", "bootstrap", _domain(), str(path)])
    hour, minute = job.spread_time()
    say(f"installed the launchd agent {LAUNCHD_LABEL}: {job.when(hour, minute)}")
    say(f"  {path}")


def installed() -> list[Written]:
    """The agent's plist, and whether launchd has it loaded."""
    path = agent_path()
    if not path.is_file():
        return []
    loaded = run(["launchctl", "print", f"{_domain()}/{LAUNCHD_LABEL}"]).returncode == 0
    state = "loaded" if loaded else "not loaded: log out and in, or install again"
    return [Written(f"{path} ({state})", path.read_text())]


def hints() -> list[str]:
    """How to run the installed job now, and where its output goes."""
    logs = logs_dir(here=True)
    return [
        f"run it now: launchctl kickstart {_domain()}/{LAUNCHD_LABEL}",
        f"its output: {logs / 'schedule.out.log'} and {logs / 'schedule.err.log'}",
    ]


def remove(say: Say) -> bool:
    """Unload the agent and delete its plist; False when there was none."""
    path = agent_path()
    if not path.is_file():
        return False
    run(["launchctl", "bootout", f"{_domain()}/{LAUNCHD_LABEL}"])
    if remove_file(path):
        say(f"unloaded and removed {path}")
    return True
