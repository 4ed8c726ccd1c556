"""What a run is doing, on stderr, for a person watching a terminal.

A real LinkedIn check takes tens of seconds an account; a blank terminal looks hung. `check` shows
the accounts done out of all, the time elapsed and an estimate of what is left, and one line per
account in progress with its current step. Nothing is shown when stderr is not a terminal (a
scheduler, a pipe) or with --quiet, so logs and scripts stay clean; stdout carries the results only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from rich.console import Console
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TaskID
from rich.table import Column
from rich.text import Text

from checker.core.safe_text import printable
from checker.run.context import Watch


@contextmanager
def progress_line(console: Console, *, enabled: bool) -> Iterator[Callable[[str], None]]:
    """A callable that shows its text as the current step, with a spinner, until the block ends."""
    if not (enabled and console.is_terminal):
        yield lambda _: None
        return
    with console.status(Text("starting the browser")) as status:
        yield lambda text: status.update(Text(printable(text)))


@contextmanager
def accounts_display(console: Console, *, enabled: bool) -> Iterator[Watch]:
    """A Watch that draws the run on `console` until the block ends, then leaves no trace."""
    if not (enabled and console.is_terminal):
        yield Watch()
        return
    # One line a task at any width: cut short, never wrapped (the run's times used to wrap at 80).
    columns = (SpinnerColumn(), _Line(table_column=Column(no_wrap=True, overflow="ellipsis")))
    with Progress(*columns, console=console, transient=True) as progress:
        yield _TerminalWatch(progress)


class _TerminalWatch(Watch):
    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._run = progress.add_task("starting", total=None, overall=True)
        self._accounts: dict[str, TaskID] = {}

    def begin(self, total: int) -> None:
        self._progress.update(self._run, total=total, description=_done_text(0, total))

    def step(self, email: str, doing: str) -> None:
        text = printable(f"{email}: {doing}")
        if email in self._accounts:
            # Drawn at once: a step may end before the next timed refresh.
            self._progress.update(self._accounts[email], description=text, refresh=True)
        else:
            self._accounts[email] = self._progress.add_task(text, total=None, overall=False)
            self._progress.refresh()

    def done(self, email: str) -> None:
        task = self._accounts.pop(email, None)
        if task is not None:
            self._progress.remove_task(task)
        self._progress.advance(self._run)
        run = next(task for task in self._progress.tasks if task.id == self._run)
        self._progress.update(self._run, description=_done_text(int(run.completed), int(run.total or 0)))

    def note(self, text: str) -> None:
        self._progress.console.print(Text(printable(text)), soft_wrap=True)


def _done_text(done: int, total: int) -> str:
    return f"{done}/{total} account{'s' if total != 1 else ''} checked"


class _Line(ProgressColumn):
    """A task's line: an account's step; for the run, the accounts done, the time elapsed, and the
    time left as the accounts so far predict it. One column, so that an account's step may use the
    whole width the run's times take on the run's line."""

    def render(self, task: Task) -> Text:
        line = Text(task.description)
        if not task.fields.get("overall") or task.total is None:
            return line
        elapsed = task.elapsed or 0.0
        done, total = task.completed, task.total
        times = f"{_clock(elapsed)} elapsed"
        if 0 < done < total:
            times += f", about {_clock(elapsed / done * (total - done))} left"
        return line.append(f"  {times}", style="dim")


def _clock(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))
