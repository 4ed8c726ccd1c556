"""Windows: a Task Scheduler task, created from its XML definition with `schtasks /Create /XML`."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable

from checker.schedule.formats import TASK_NAME, task_xml
from checker.schedule.job import Job
from checker.schedule.system import Plan, Written, run, run_ok

Say = Callable[[str], None]

_CREATE = ["schtasks", "/Create", "/TN", TASK_NAME, "/XML"]


def plan(job: Job) -> Plan:
    """What `install` would register, computed without running anything."""
    return Plan(
        [Written(f"Task Scheduler: \\{TASK_NAME} (the XML given to schtasks, as UTF-16)", task_xml(job))],
        [[*_CREATE, "FILE", "/F"]],
    )


def install(job: Job, *, say: Say) -> None:
    """Register the task, replacing an earlier one. schtasks reads the definition from a file, in the
    UTF-16 its XML declaration names; the file is deleted afterwards."""
    handle, path = tempfile.mkstemp(prefix="linkedin-ai-optout-", suffix=".xml")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(task_xml(job).encode("utf-16"))
        run_ok([*_CREATE, path, "/F"])
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
    say(f"installed the Task Scheduler task \\{TASK_NAME}: {job.when()}, within 30 minutes after")


def installed() -> list[Written]:
    """The registered task's definition, as Task Scheduler returns it."""
    result = run(["schtasks", "/Query", "/TN", TASK_NAME, "/XML"])
    if result.returncode != 0:
        return []
    return [Written(f"Task Scheduler: \\{TASK_NAME}", result.stdout)]


def hints() -> list[str]:
    """How to run the installed job now, and where its result shows."""
    return [
        f"run it now: schtasks /Run /TN {TASK_NAME}",
        f"its last result (the exit code): schtasks /Query /TN {TASK_NAME} /V /FO LIST",
    ]


def remove(say: Say) -> bool:
    """Delete the task; False when there was none."""
    if not installed():
        return False
    run_ok(["schtasks", "/Delete", "/TN", TASK_NAME, "/F"])
    say(f"removed the Task Scheduler task \\{TASK_NAME}")
    return True
