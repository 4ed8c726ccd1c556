"""Linux: a systemd user timer and service, or, where no systemd user manager answers, the user's crontab.

Installing one removes what an earlier install left in the other, so only one schedule runs.
"""

from __future__ import annotations

import getpass
import os
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path

from checker.core.errors import CheckerError
from checker.schedule.formats import (
    SERVICE,
    TIMER,
    cron_block,
    crontab_with,
    split_crontab,
    systemd_service,
    systemd_timer,
)
from checker.schedule.job import Job
from checker.schedule.system import (
    Plan,
    Written,
    keyring_problem,
    remove_file,
    run,
    run_ok,
    write_config_file,
)

Say = Callable[[str], None]

CRON_PATH = "/usr/bin:/bin"
"""The PATH cron gives a job (Debian's, Vixie cron's and cronie's default)."""


def unit_dir() -> Path:
    """Where systemd looks for the user's own units: `$XDG_CONFIG_HOME/systemd/user`, else ~/.config."""
    config = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(config) if os.path.isabs(config) else Path.home() / ".config"
    return base / "systemd" / "user"


def _unit_files() -> list[Path]:
    directory = unit_dir()
    return [directory / SERVICE, directory / TIMER]


def _wants_link() -> Path:
    return unit_dir() / "timers.target.wants" / TIMER


def _systemd_commands() -> list[list[str]]:
    return [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", TIMER],
        ["systemctl", "--user", "restart", TIMER],  # a timer already running takes the new time
    ]


def plan(job: Job, *, cron: bool) -> Plan:
    """What `install` would write and run, computed without running anything."""
    block = Written(
        "the crontab: this block added to `crontab -l`, replacing an earlier one", cron_block(job)
    )
    if cron:
        return Plan([block], [["crontab", "-"]])
    service, timer = _unit_files()
    return Plan(
        [Written(str(service), systemd_service(job)), Written(str(timer), systemd_timer(job))],
        _systemd_commands(),
        [
            f"where no systemd user manager answers, install writes this instead:\n==> {block.where} <==\n"
            f"{block.content}"
        ],
    )


def user_manager_environment() -> dict[str, str] | None:
    """The environment the systemd user manager gives its services, or None when it does not answer
    (no systemd, a container, a session without XDG_RUNTIME_DIR...)."""
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return None
    try:
        result = run([systemctl, "--user", "show-environment"], timeout=30)
    except CheckerError:
        return None
    if result.returncode != 0:
        return None
    environment = {}
    for line in result.stdout.splitlines():
        name, equals, value = line.partition("=")
        if equals and not value.startswith("$'"):  # values shown in $'...' form are not needed here
            environment[name] = value
    return environment


def cron_environment() -> dict[str, str]:
    """The environment cron gives a job: no D-Bus session, no display, a short PATH."""
    return {"HOME": str(Path.home()), "LOGNAME": _user(), "PATH": CRON_PATH, "SHELL": "/bin/sh"}


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no name in the environment or the password database
        return ""


def install(job: Job, *, cron: bool, say: Say, warn: Say) -> None:
    """Install the systemd timer where the user manager answers (unless `cron`), else the crontab block."""
    manager = None if cron else user_manager_environment()
    if manager is not None:
        _install_systemd(job, manager, say, warn)
    else:
        _install_cron(job, say, warn, asked=cron)


def _install_systemd(job: Job, manager: dict[str, str], say: Say, warn: Say) -> None:
    service, timer = _unit_files()
    write_config_file(service, systemd_service(job).encode())
    write_config_file(timer, systemd_timer(job).encode())
    for command in _systemd_commands():
        run_ok(command)
    say(f"installed the systemd user timer {TIMER}: {job.when()}, within 30 minutes after")
    say(f"  {service}")
    say(f"  {timer}")
    if _crontab_program() is not None and _remove_cron_block():
        say("removed the crontab block of an earlier install")
    problem = keyring_problem(job, manager)
    if problem is not None:
        warn(
            f"the keyring does not answer in the systemd user manager's environment ({problem}): "
            "each scheduled check will stop (exit 4) before it signs in, since the keyring holds the "
            "passwords and the saved sessions' key. Make the Secret Service reachable there (Debian, "
            "Ubuntu: install dbus-user-session and log in again), then try it: "
            f"systemctl --user start {SERVICE}; journalctl --user -u {SERVICE}"
        )
    if not (Path("/var/lib/systemd/linger") / _user()).is_file():
        say(
            "note: a user timer runs while you are logged in. `loginctl enable-linger` runs it when you "
            "are not, but your keyring is then usually locked, and the check ends in `error`"
        )


def _install_cron(job: Job, say: Say, warn: Say, *, asked: bool) -> None:
    crontab = _crontab_program()
    if crontab is None:
        raise CheckerError(
            "no systemd user manager answers and there is no crontab command: install cron, or run "
            f"`{job.shell_command()}` from another scheduler"
        )
    others, _earlier = split_crontab(_read_crontab(crontab))
    block = cron_block(job)
    run_ok([crontab, "-"], input=crontab_with(others, block))
    if block not in _read_crontab(crontab):
        raise CheckerError("the crontab did not keep the new block: check it with `crontab -l`")
    why = "as asked" if asked else "no systemd user manager answers"
    say(f"installed in your crontab ({why}): {job.when()}, plus this machine's {job.spread_minutes} min")
    removed = [path for path in [*_unit_files(), _wants_link()] if remove_file(path)]
    if removed:
        say(f"removed the systemd units of an earlier install: {', '.join(map(str, removed))}")
    environment = cron_environment()
    problem = keyring_problem(job, environment)
    if problem is not None:
        warn(
            f"the keyring is not reachable from cron ({problem}): cron jobs have no D-Bus session, so "
            "each scheduled check will stop (exit 4) before it signs in, since the keyring holds the "
            "passwords and the saved sessions' key. Use the systemd user timer where you can. See what "
            "the job sees: "
            f"{doctor_in_cron(job.interpreter, job.environment)}"
        )


def doctor_in_cron(interpreter: str, carried: tuple[tuple[str, str], ...]) -> str:
    """`doctor` as a cron job would run it, with only cron's variables and the job's."""
    variables = {**cron_environment(), **dict(carried)}
    words = ["env", "-i", *(f"{name}={value}" for name, value in variables.items())]
    return shlex.join([*words, interpreter, "-m", "checker", "doctor"])


def _crontab_program() -> str | None:
    return shutil.which("crontab")


def _read_crontab(crontab: str) -> str:
    result = run([crontab, "-l"])
    if result.returncode == 0:
        return result.stdout
    if "no crontab for" in result.stderr:
        return ""
    said = result.stderr.strip().splitlines()
    raise CheckerError(f"`crontab -l` failed: {said[-1] if said else f'exit {result.returncode}'}")


def _remove_cron_block() -> bool:
    crontab = _crontab_program()
    if crontab is None:
        return False
    others, block = split_crontab(_read_crontab(crontab))
    if block is None:
        return False
    run_ok([crontab, "-"], input=crontab_with(others, None))
    return True


def installed() -> list[Written]:
    """What is installed now: the unit files, the timer's next run, the crontab block."""
    found = [Written(str(path), path.read_text()) for path in _unit_files() if path.is_file()]
    if found and user_manager_environment() is not None:
        timers = run(["systemctl", "--user", "list-timers", "--all", "--no-pager", TIMER])
        if (timers.stdout or timers.stderr).strip():
            found.append(Written(f"systemctl --user list-timers {TIMER}", timers.stdout or timers.stderr))
    crontab = _crontab_program()
    if crontab is not None:
        _others, block = split_crontab(_read_crontab(crontab))
        if block is not None:
            found.append(Written("the crontab (crontab -l)", block + "\n"))
    return found


def hints(interpreter: str, carried: tuple[tuple[str, str], ...]) -> list[str]:
    """How to run the installed job now, and where its output goes."""
    if any(path.is_file() for path in _unit_files()):
        return [
            f"run it now: systemctl --user start {SERVICE}",
            f"its output: journalctl --user -u {SERVICE}",
        ]
    return [
        "its output: mailed by cron where mail is set up",
        f"what a cron job sees (the keyring, above all): {doctor_in_cron(interpreter, carried)}",
    ]


def remove(say: Say) -> bool:
    """Remove the timer and service, and the crontab block; say what went. False when there was none."""
    removed = False
    if any(path.is_file() or path.is_symlink() for path in [*_unit_files(), _wants_link()]):
        reachable = user_manager_environment() is not None
        if reachable:
            run(["systemctl", "--user", "disable", "--now", TIMER])
        for path in [*_unit_files(), _wants_link()]:
            if remove_file(path):
                say(f"removed {path}")
        if reachable:
            run(["systemctl", "--user", "daemon-reload"])
        removed = True
    if _remove_cron_block():
        say("removed the linkedin-ai-optout block from your crontab; its other lines are as they were")
        removed = True
    return removed
