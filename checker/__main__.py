"""The process entry point, for `linkedin-ai-optout` and `python -m checker`.

Ctrl-C or SIGTERM at any time ends the process with one line and the conventional status, never a
traceback. While the command line is imported a signal is only noted, and acted on once the
imports are done: an exception raised in the middle of an import can surface as a traceback, a
"RuntimeError: Error calling __set_name__", or a silent death by SIGINT whatever is caught later.
While a check runs, checker/interrupts.py handles the signals instead.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

_noted: list[int] = []


class _Terminated(BaseException):
    """SIGTERM, raised where the process is, like KeyboardInterrupt is for SIGINT."""


def _note(signum: int, frame: FrameType | None) -> None:
    _noted.append(signum)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def main() -> None:
    """Run the command line; end with 130 on SIGINT and 143 on SIGTERM."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _note)
    from checker.cli import main as run

    if _noted:
        _stopped(_noted[0])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        run()
    except KeyboardInterrupt:
        _stopped(signal.SIGINT)
    except _Terminated:
        _stopped(signal.SIGTERM)


def _stopped(signum: int) -> None:
    from checker.interrupts import EXIT_CODES

    sys.stderr.write(f"error: interrupted by {signal.Signals(signum).name}\n")
    sys.exit(EXIT_CODES[signum])


if __name__ == "__main__":
    main()
