"""The process entry point, for `linkedin-ai-optout` and `python -m checker`.

Signals are set up before the command line is even imported (its imports take a moment): Ctrl-C
or SIGTERM at any time ends the process with one line and the conventional status, never a
traceback. While a check runs, checker/interrupts.py handles them instead.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType


class _Terminated(BaseException):
    """SIGTERM, raised where the process is, like KeyboardInterrupt is for SIGINT."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def main() -> None:
    """Run the command line; end with 130 on SIGINT and 143 on SIGTERM."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from checker.cli import main as run

        run()
    except KeyboardInterrupt:
        _stopped("SIGINT", 130)
    except _Terminated:
        _stopped("SIGTERM", 143)


def _stopped(name: str, code: int) -> None:
    sys.stderr.write(f"error: interrupted by {name}\n")
    sys.exit(code)


if __name__ == "__main__":
    main()
