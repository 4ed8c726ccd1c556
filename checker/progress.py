"""What a check is doing, on one transient line of stderr, for a person watching a terminal.

A real LinkedIn check takes tens of seconds; a blank terminal looks hung. Nothing is shown when
stderr is not a terminal (a scheduler, a pipe) or with --quiet, so logs and scripts stay clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.text import Text

from checker.runner import Progress
from checker.safe_text import printable


@contextmanager
def progress_line(console: Console, *, enabled: bool) -> Iterator[Progress]:
    """A callable that shows its text as the current step, with a spinner, until the block ends."""
    if not (enabled and console.is_terminal):
        yield lambda _: None
        return
    with console.status(Text("starting the browser")) as status:
        yield lambda text: status.update(Text(printable(text)))
