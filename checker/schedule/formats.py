"""The files a scheduler reads, written from a Job: systemd units, a crontab block, a launchd plist and
a Task Scheduler task. Each quotes the command line by its own format's rules."""

from __future__ import annotations

import plistlib
import re
import shlex
import subprocess
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import PurePath

from checker.core.errors import UsageError
from checker.schedule.job import FLEET_SPREAD_MINUTES, NAME, Every, Job

SERVICE = f"{NAME}.service"
TIMER = f"{NAME}.timer"
STOP_TIMEOUT_SECONDS = 120
"""How long a stopped run has to record the account in progress and close its browser."""

CRON_BEGIN = f"# {NAME} begin"
CRON_END = f"# {NAME} end"

LAUNCHD_LABEL = "com.linkedin-ai-optout.check"
TASK_NAME = NAME
TASK_NAMESPACE = "http://schemas.microsoft.com/windows/2004/02/mit/task"


def _written_by(job: Job) -> str:
    return f"Written by `{NAME} schedule install`: {job.when()}. Remove it with `{NAME} schedule remove`."


# --- systemd --------------------------------------------------------------------------------

_SYSTEMD_ESCAPES = {"\\": "\\\\", '"': '\\"'}


def systemd_word(word: str, *, expanded: bool) -> str:
    """`word` as one item of a systemd setting: `%` doubled (specifiers), `$` doubled where systemd
    expands variables (`expanded`: the arguments of an Exec line, not its program), and double quotes
    with C escapes when it holds a space, a quote or a backslash. A lone `;` would end the command: it
    is written `\\;`."""
    text = word.replace("%", "%%")
    if expanded:
        text = text.replace("$", "$$")
    if text == ";":
        return "\\;"
    if text and not any(char.isspace() or char in "\"'\\" for char in text):
        return text
    return '"' + "".join(_SYSTEMD_ESCAPES.get(char, char) for char in text) + '"'


def systemd_service(job: Job) -> str:
    """The oneshot service that runs one check. KillMode=mixed: a stop sends SIGTERM to the tool alone,
    which records the account in progress while its browser still runs. Raises UsageError for a
    program path systemd refuses to run, whatever the quoting."""
    unsafe = sorted(set(job.interpreter) & set("\"'\\"))
    if unsafe:
        raise UsageError(
            f"systemd does not run a program whose path holds {' or '.join(unsafe)}: {job.interpreter}; "
            "install the tool at another path, or use --cron"
        )
    lines = [
        f"# {_written_by(job)}",
        "[Unit]",
        "Description=Check LinkedIn's generative-AI training setting (linkedin-ai-optout)",
        "",
        "[Service]",
        "Type=oneshot",
        "ExecStart=" + " ".join(systemd_word(word, expanded=i > 0) for i, word in enumerate(job.argv)),
        *(
            "Environment=" + systemd_word(f"{name}={value}", expanded=False)
            for name, value in job.environment
        ),
        "KillMode=mixed",
        f"TimeoutStopSec={STOP_TIMEOUT_SECONDS}",
        f"SyslogIdentifier={NAME}",
    ]
    return "\n".join(lines) + "\n"


def on_calendar(job: Job) -> str:
    """The timer's OnCalendar= expression: Mondays for weekly, the 1st for monthly."""
    day = {Every.DAILY: "*-*-*", Every.WEEKLY: "Mon *-*-*", Every.MONTHLY: "*-*-01"}[job.every]
    return f"{day} {job.hour:02d}:{job.minute:02d}:00"


def systemd_timer(job: Job) -> str:
    """The timer: Persistent= runs a run missed while the machine was off at the next boot, and a random
    delay spreads a fleet of machines set to the same time."""
    lines = [
        f"# {_written_by(job)}",
        "[Unit]",
        f"Description=Run linkedin-ai-optout check {job.when()}",
        "",
        "[Timer]",
        f"OnCalendar={on_calendar(job)}",
        "Persistent=true",
        f"RandomizedDelaySec={FLEET_SPREAD_MINUTES}min",
        f"Unit={SERVICE}",
        "",
        "[Install]",
        "WantedBy=timers.target",
    ]
    return "\n".join(lines) + "\n"


# --- cron -----------------------------------------------------------------------------------


def cron_word(word: str) -> str:
    """`word` as one sh word of a crontab line. Cron ends the command at the first `%` that no
    backslash escapes (the rest becomes the job's standard input) and drops the backslash of each
    `\\%`, inside sh quotes or not. So each `%` stands outside sh's quotes, written `\\%`: cron
    hands sh a bare `%`, which sh keeps. Never after a backslash of the word's own (that would
    escape cron's), since a word with a backslash is in single quotes, which end before it."""
    return "\\%".join(shlex.quote(part) if part else "" for part in word.split("%")) or "''"


def cron_command(job: Job) -> str:
    """The command field of the crontab line: sh words (see `cron_word`), the environment first."""
    settings = [f"{name}={cron_word(value)}" for name, value in job.environment]
    return " ".join([*settings, *map(cron_word, job.argv)])


def cron_block(job: Job) -> str:
    """The marked block `schedule install` puts in the crontab, at this machine's spread of the time."""
    hour, minute = job.spread_time()
    day = {Every.DAILY: "* * *", Every.WEEKLY: "* * 1", Every.MONTHLY: "1 * *"}[job.every]
    return "\n".join(
        [
            f"{CRON_BEGIN}: {_written_by(job)}",
            f"# at {hour:02d}:{minute:02d}: {job.hour:02d}:{job.minute:02d} plus this machine's own "
            f"{job.spread_minutes} min, so that a fleet does not run at once",
            f"{minute} {hour} {day} {cron_command(job)}",
            CRON_END,
        ]
    )


def split_crontab(table: str) -> tuple[list[str], str | None]:
    """The crontab's other lines, and the tool's block (None when there is none). Raises UsageError
    when a begin marker has no end: what is the tool's is then unclear, and nothing is guessed."""
    lines = table.splitlines()
    begins = [i for i, line in enumerate(lines) if line.startswith(CRON_BEGIN)]
    if not begins:
        return lines, None
    start = begins[0]
    ends = [i for i, line in enumerate(lines) if i > start and line.strip() == CRON_END]
    if not ends or len(begins) > 1:
        raise UsageError(
            f"the crontab has a '{CRON_BEGIN}' line without its single '{CRON_END}' line: "
            "fix or delete the block with `crontab -e`, then try again"
        )
    end = ends[0]
    return lines[:start] + lines[end + 1 :], "\n".join(lines[start : end + 1])


def crontab_with(other_lines: list[str], block: str | None) -> str:
    """The table: the other lines as they were, then the block; ending with a newline, as cron needs."""
    lines = list(other_lines)
    if block is not None:
        lines.append(block)
    return "".join(f"{line}\n" for line in lines)


# --- launchd --------------------------------------------------------------------------------


def launchd_plist(job: Job, logs: PurePath) -> bytes:
    """The launch agent: the command as a list of strings (nothing to quote), the environment, and the
    calendar interval at this machine's spread of the time (launchd has no random delay)."""
    hour, minute = job.spread_time()
    interval = {"Hour": hour, "Minute": minute}
    if job.every is Every.WEEKLY:
        interval["Weekday"] = 1
    elif job.every is Every.MONTHLY:
        interval["Day"] = 1
    agent: dict[str, object] = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": job.argv,
        "StartCalendarInterval": interval,
        "StandardOutPath": str(logs / "schedule.out.log"),
        "StandardErrorPath": str(logs / "schedule.err.log"),
        "ProcessType": "Background",
        "RunAtLoad": False,
        "ExitTimeOut": STOP_TIMEOUT_SECONDS,
    }
    if job.environment:
        agent["EnvironmentVariables"] = dict(job.environment)
    return plistlib.dumps(agent, sort_keys=False)


# --- Windows Task Scheduler -----------------------------------------------------------------

_EXPANDED = re.compile(r"%[^%]+%")


def task_command(job: Job) -> tuple[str, str]:
    """The task's Command and Arguments. Task Scheduler cannot set environment variables, so the run
    starts with `checker.schedule.launch`, which sets them; the arguments are quoted as Windows
    programs parse them. Task Scheduler expands `%NAME%` in both fields and has no escape for it: such
    a value is refused."""
    settings = [f"{name}={value}" for name, value in job.environment]
    arguments = ["-m", "checker.schedule.launch", *settings, "--", *job.arguments]
    command = f'"{job.interpreter}"' if " " in job.interpreter else job.interpreter
    joined = subprocess.list2cmdline(arguments)
    for field in (command, joined):
        expanded = _EXPANDED.search(field)
        if expanded:
            raise UsageError(
                f"Task Scheduler would read {expanded[0]!r} in {field!r} as an environment variable "
                "and put its value there: use paths and values without it"
            )
    return command, joined


def task_xml(job: Job, today: date | None = None) -> str:
    """The task definition for `schtasks /Create /XML` (to be written as UTF-16). It runs as the
    signed-in user (where the Credential Locker is open), catches up on a run missed while the machine
    was off, and waits a random delay so a fleet does not run at once."""
    ET.register_namespace("", TASK_NAMESPACE)

    def add(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
        element = ET.SubElement(parent, f"{{{TASK_NAMESPACE}}}{tag}")
        element.text = text
        return element

    task = ET.Element(f"{{{TASK_NAMESPACE}}}Task", {"version": "1.2"})
    info = add(task, "RegistrationInfo")
    add(info, "Description", _written_by(job))
    add(info, "URI", f"\\{TASK_NAME}")
    trigger = add(add(task, "Triggers"), "CalendarTrigger")
    start = (today or date.today()).isoformat()
    add(trigger, "StartBoundary", f"{start}T{job.hour:02d}:{job.minute:02d}:00")
    add(trigger, "RandomDelay", f"PT{FLEET_SPREAD_MINUTES}M")
    if job.every is Every.DAILY:
        add(add(trigger, "ScheduleByDay"), "DaysInterval", "1")
    elif job.every is Every.WEEKLY:
        weekly = add(trigger, "ScheduleByWeek")  # the order Task Scheduler itself exports
        add(weekly, "WeeksInterval", "1")
        add(add(weekly, "DaysOfWeek"), "Monday")
    else:
        monthly = add(trigger, "ScheduleByMonth")
        add(add(monthly, "DaysOfMonth"), "Day", "1")
        months = add(monthly, "Months")
        for month in _MONTHS:
            add(months, month)
    principal = add(add(task, "Principals"), "Principal")
    principal.set("id", "Author")
    add(principal, "LogonType", "InteractiveToken")
    add(principal, "RunLevel", "LeastPrivilege")
    settings = add(task, "Settings")
    for tag, value in [
        ("MultipleInstancesPolicy", "IgnoreNew"),
        ("DisallowStartIfOnBatteries", "false"),
        ("StopIfGoingOnBatteries", "false"),
        ("StartWhenAvailable", "true"),
        ("RunOnlyIfNetworkAvailable", "true"),
        ("Enabled", "true"),
        ("ExecutionTimeLimit", "PT1H"),
    ]:
        add(settings, tag, value)
    actions = add(task, "Actions")
    actions.set("Context", "Author")
    action = add(actions, "Exec")
    command, arguments = task_command(job)
    add(action, "Command", command)
    add(action, "Arguments", arguments)
    ET.indent(task)
    return '<?xml version="1.0" encoding="UTF-16"?>\n' + ET.tostring(task, encoding="unicode") + "\n"


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
