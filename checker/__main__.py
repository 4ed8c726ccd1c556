"""The process entry point, for `linkedin-ai-optout` and `python -m checker`.

`--version` (or `-V`) alone is answered here, before anything else is imported: it costs about what
starting Python costs. Every other command loads the command line, whose commands import what they
need when they run.

Ctrl-C or SIGTERM at any time ends the process with one line and the conventional status, never a
traceback. While the command line, or what a command needs, is imported (`HeldSignals`), a signal
is only noted, and acted on once the imports are done: an exception raised in the middle of an
import can surface as a traceback, a "RuntimeError: Error calling __set_name__", or a silent death
by SIGINT whatever is caught later. While a check runs, checker/interrupts.py handles the signals
instead.
"""

from __future__ import annotations

import sys

# Not typing's: this module is imported before --version is answered, and typing is no small import.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from collections.abc import Callable
    from types import FrameType, TracebackType
    from typing import Any

    _Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class _Terminated(BaseException):
    """SIGTERM, raised where the process is, like KeyboardInterrupt is for SIGINT."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


class HeldSignals:
    """`with HeldSignals(): import ...`: SIGINT and SIGTERM are only noted while the block runs.

    When it ends, the handlers from before come back and the first signal noted goes to its own, as
    if it had come right after the block: KeyboardInterrupt for SIGINT, under the command line.
    Outside the main thread, which alone receives signals and may set handlers, it does nothing.
    """

    def __init__(self) -> None:
        self._noted: list[int] = []
        self._previous: dict[int, _Handler] = {}

    def __enter__(self) -> None:
        import signal

        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[signum] = signal.signal(signum, self._note)
            except ValueError:  # not the main thread
                return

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        import signal

        for signum, previous in self._previous.items():
            # None: a handler not set from Python, which cannot be set back; the default is the closest.
            signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        if not self._noted:
            return
        signum = self._noted[0]
        handler = self._previous[signum]
        if callable(handler):
            handler(signum, None)
        elif handler in (None, signal.SIG_DFL):
            signal.raise_signal(signum)

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self._noted.append(signum)


def main() -> None:
    """Run the command line; end with 130 on SIGINT and 143 on SIGTERM."""
    if sys.argv[1:] in (["--version"], ["-V"]):
        from checker import VERSION_LINE  # the package is loaded already: this module is in it

        print(VERSION_LINE)
        return
    import signal

    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _terminate)
        with HeldSignals():
            from checker.cli import main as run
        run()
    except KeyboardInterrupt:
        _stopped(signal.SIGINT)
    except _Terminated:
        _stopped(signal.SIGTERM)


def _stopped(signum: int) -> None:
    import signal

    sys.stderr.write(f"error: interrupted by {signal.Signals(signum).name}\n")
    # 128 + the signal's number, as shells report it: checker/interrupts.py's EXIT_CODES, not imported
    # here because it loads asyncio, a long import for a process asked to stop.
    sys.exit(128 + signum)


if __name__ == "__main__":
    main()
