"""What a scheduled run is: when it runs, the command it runs, and the environment it carries."""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import shlex
import socket
import sys
from dataclasses import dataclass
from enum import StrEnum

from checker.core.errors import UsageError
from checker.store.accounts import AccountList
from checker.store.emails import validate_email
from checker.store.home import HOME_ENV, home_path

NAME = "linkedin-ai-optout"

CARRIED_ENV = (
    HOME_ENV,
    "LINKEDIN_AI_OPTOUT_BROWSER",
    "LINKEDIN_AI_OPTOUT_SELECTORS",
    "LINKEDIN_AI_OPTOUT_KEYRING_TIMEOUT",
    "PLAYWRIGHT_BROWSERS_PATH",
)
"""Variables a scheduled run needs as the user set them. None holds a secret; the scheduler's own
environment has none of them, and the log level is left out on purpose (debug lines every week)."""

_PATH_VARIABLES = frozenset(CARRIED_ENV) - {"LINKEDIN_AI_OPTOUT_KEYRING_TIMEOUT"}

FLEET_SPREAD_MINUTES = 30
"""Runs of many machines set to the same time are spread over this many minutes, so a fleet of
laptops does not reach LinkedIn in the same second."""


class Every(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class Platform(StrEnum):
    LINUX = "linux"
    MACOS = "macos"
    WINDOWS = "windows"


def current_platform() -> Platform:
    """The platform this process runs on; anything not macOS or Windows schedules like Linux (cron)."""
    if sys.platform == "darwin":
        return Platform.MACOS
    if sys.platform == "win32":
        return Platform.WINDOWS
    return Platform.LINUX


@dataclass(frozen=True)
class Job:
    """One scheduled check: its period, its local time, its command line and its environment."""

    every: Every
    hour: int
    minute: int
    interpreter: str
    arguments: tuple[str, ...]
    """The tool's own arguments, starting with `check`."""
    environment: tuple[tuple[str, str], ...]
    spread_minutes: int
    """This machine's own delay, below FLEET_SPREAD_MINUTES, for schedulers without a random one."""

    @property
    def argv(self) -> list[str]:
        """The whole command line the scheduler runs."""
        return [self.interpreter, "-m", "checker", *self.arguments]

    def shell_command(self) -> str:
        """The job as one sh command line, its environment first."""
        words = [f"{name}={shlex.quote(value)}" for name, value in self.environment]
        return " ".join([*words, shlex.join(self.argv)])

    def spread_time(self) -> tuple[int, int]:
        """The hour and minute delayed by this machine's spread, staying within the same day."""
        at = self.hour * 60 + self.minute
        spread = at + self.spread_minutes if at + self.spread_minutes < 24 * 60 else at - self.spread_minutes
        return divmod(spread, 60)

    def when(self, hour: int | None = None, minute: int | None = None) -> str:
        """The period in words: 'weekly on Monday at 09:00'."""
        shown = f"{self.hour if hour is None else hour:02d}:{self.minute if minute is None else minute:02d}"
        day = {Every.DAILY: "", Every.WEEKLY: " on Monday", Every.MONTHLY: " on the 1st"}[self.every]
        return f"{self.every.value}{day} at {shown}"


def build_job(
    *,
    every: Every,
    at: str,
    apply: bool,
    emails: list[str],
    check_options: list[str],
    interpreter: str | None = None,
) -> Job:
    """The job `schedule install` asked for; raises UsageError for a bad time, an unknown account or a
    value that no scheduler could carry."""
    hour, minute = parse_time(at)
    accounts = _scheduled_accounts(emails)
    # `--` ends the options: an account is a positional word whatever it looks like (validate_email
    # refuses a leading `-` too; this holds even for an accounts file written by another tool).
    positional = ["--", *accounts] if accounts else []
    arguments = ("check", "--quiet", *(["--apply"] if apply else []), *check_options, *positional)
    job = Job(
        every=every,
        hour=hour,
        minute=minute,
        interpreter=interpreter or sys.executable,
        arguments=arguments,
        environment=carried_environment(),
        spread_minutes=machine_spread(),
    )
    if not job.interpreter:
        raise UsageError("cannot tell which Python runs this tool (sys.executable is empty): run it directly")
    for word in [*job.argv, *(value for _, value in job.environment)]:
        if any(ord(char) < 32 or ord(char) == 127 for char in word):
            raise UsageError(f"{word!r} holds a control character, which no scheduler can carry: avoid it")
    return job


def parse_time(at: str) -> tuple[int, int]:
    """`HH:MM`, 24-hour, as an hour and a minute; raises UsageError."""
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", at.strip())
    if match is None:
        raise UsageError(f"--at takes a 24-hour time HH:MM, such as 09:30, not {at!r}")
    return int(match[1]), int(match[2])


def _scheduled_accounts(emails: list[str]) -> list[str]:
    """The accounts named, as configured; none means every account at the time of each run. A job that
    would only ever exit 2 (an unknown account, no account at all) is refused now, not every week."""
    accounts = AccountList.in_home(home_path())
    if not emails:
        if not accounts.emails():
            raise UsageError(
                "no accounts configured: add one first with: linkedin-ai-optout accounts add EMAIL"
            )
        return []
    return list(dict.fromkeys(accounts.require(email) for email in map(validate_email, emails)))


def carried_environment() -> tuple[tuple[str, str], ...]:
    """The variables of CARRIED_ENV that are set here, paths made absolute: the job starts elsewhere."""
    carried = []
    for name in CARRIED_ENV:
        value = os.environ.get(name)
        if not value:
            continue
        if name == HOME_ENV:
            value = str(home_path())
        elif name in _PATH_VARIABLES:
            value = os.path.abspath(os.path.expanduser(value))
        carried.append((name, value))
    return tuple(carried)


def machine_spread() -> int:
    """Minutes, below FLEET_SPREAD_MINUTES, fixed for this machine and user: installing again keeps the
    time, and two laptops of a fleet most likely differ."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment or the password database
        user = ""
    digest = hashlib.sha256(f"{socket.gethostname()}\0{user}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % FLEET_SPREAD_MINUTES
