"""`schedule install/show/remove`: the Typer sub-app. The work is in the platform modules, imported
when a command runs: the tool's start-up should not pay for them."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Annotated

import typer

from checker.cli.help import Command, command_group
from checker.cli.options import Apply, Emails
from checker.core.console import warning
from checker.core.errors import UsageError
from checker.core.safe_text import printable
from checker.schedule.job import Every, Platform
from checker.store.config_file import MAX_PACE, MAX_TIMEOUT, MIN_TIMEOUT

schedule_app = command_group(
    "Run the check on a schedule: a systemd timer or cron (Linux), launchd (macOS), Task Scheduler (Windows)."
)


def _out(text: str) -> None:
    """Text the tool made, exactly as it is (a plist's tabs included): what --print shows is what
    would be written."""
    typer.echo(text)


def _show(content: str) -> None:
    """A file's content as it is on disk, each line made safe to show on a terminal."""
    for line in content.rstrip("\n").split("\n"):
        _out(printable(line.replace("\t", "    ")))


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


@schedule_app.command("install", cls=Command)
def schedule_install(
    every: Annotated[
        Every,
        typer.Option(
            metavar="daily|weekly|monthly", help="How often: weekly on Mondays, monthly on the 1st."
        ),
    ],
    emails: Emails = None,
    at: Annotated[str, typer.Option(metavar="HH:MM", help="The local time of day (24-hour).")] = "09:00",
    apply: Apply = False,
    base_url: Annotated[
        str | None, typer.Option(metavar="URL", help="The site the job talks to (as check --base-url).")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(min=MIN_TIMEOUT, max=MAX_TIMEOUT, metavar="SECONDS", help="As check --timeout."),
    ] = None,
    pace: Annotated[
        float | None, typer.Option(min=0, max=MAX_PACE, metavar="SECONDS", help="As check --pace.")
    ] = None,
    browser_path: Annotated[str | None, typer.Option(metavar="PATH", help="As check --browser-path.")] = None,
    print_only: Annotated[
        bool, typer.Option("--print", help="Show what would be written and run; change nothing.")
    ] = False,
    platform: Annotated[
        Platform | None,
        typer.Option(metavar="OS", help="With --print: show it for another OS: linux, macos or windows."),
    ] = None,
    cron: Annotated[
        bool, typer.Option("--cron", help="Linux: use the crontab even where a systemd user manager runs.")
    ] = False,
) -> None:
    """Schedule `check --quiet` (with --apply only when asked) with the OS's own scheduler."""
    import os

    from checker.core.urls import normalize_base_url
    from checker.schedule import launchd, linux, tasks
    from checker.schedule.job import build_job, current_platform

    here = current_platform()
    target = platform or here
    if target is not here and not print_only:
        raise UsageError(f"--platform {target.value} works only with --print: this is {here.value}")
    if cron and target is not Platform.LINUX:
        raise UsageError("--cron is for Linux only")
    options: list[str] = []
    if base_url is not None:
        options += ["--base-url", normalize_base_url(base_url)]
    if timeout is not None:
        options += ["--timeout", _number(timeout)]
    if pace is not None:
        options += ["--pace", _number(pace)]
    if browser_path is not None:
        options += ["--browser-path", os.path.abspath(os.path.expanduser(browser_path))]
    job = build_job(every=every, at=at, apply=apply, emails=emails or [], check_options=options)
    if print_only:
        plan = {
            Platform.LINUX: lambda: linux.plan(job, cron=cron),
            Platform.MACOS: lambda: launchd.plan(job, here=here is Platform.MACOS),
            Platform.WINDOWS: lambda: tasks.plan(job),
        }[target]()
        for written in plan.written:
            _out(f"==> {written.where} <==")
            _out(written.content.rstrip("\n"))
            _out("")
        _out("==> then it runs <==")
        for command in plan.commands:
            _out(shlex.join(command))
        for note in plan.notes:
            _out("")
            _out(note.rstrip("\n"))
        return
    if target is Platform.LINUX:
        linux.install(job, cron=cron, say=_out, warn=warning)
    elif target is Platform.MACOS:
        launchd.install(job, say=_out)
    else:
        tasks.install(job, say=_out)
    _out(f"it runs: {job.shell_command()}")


@schedule_app.command("show", cls=Command)
def schedule_show() -> None:
    """Show what is installed, where, and how to run it now."""
    import sys

    from checker.schedule import launchd, linux, tasks
    from checker.schedule.job import carried_environment, current_platform

    here = current_platform()
    if here is Platform.LINUX:
        found = linux.installed()
        hints = linux.hints(sys.executable, carried_environment()) if found else []
    elif here is Platform.MACOS:
        found = launchd.installed()
        hints = launchd.hints() if found else []
    else:
        found = tasks.installed()
        hints = tasks.hints() if found else []
    if not found:
        _out(
            "no schedule is installed (install one with: linkedin-ai-optout schedule install --every weekly)"
        )
        return
    for written in found:
        _out(f"==> {printable(written.where)} <==")
        _show(written.content)
        _out("")
    for hint in hints:
        _out(hint)


@schedule_app.command("remove", cls=Command)
def schedule_remove() -> None:
    """Remove the schedule: the systemd units and the crontab block, the launchd agent, or the task."""
    from checker.schedule import launchd, linux, tasks
    from checker.schedule.job import current_platform

    remove: dict[Platform, Callable[[Callable[[str], None]], bool]] = {
        Platform.LINUX: linux.remove,
        Platform.MACOS: launchd.remove,
        Platform.WINDOWS: tasks.remove,
    }
    if not remove[current_platform()](_out):
        _out("nothing to remove: no schedule is installed")
