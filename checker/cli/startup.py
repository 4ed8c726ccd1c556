"""Start-up: the command line imported and run with SIGINT and SIGTERM in hand.

Ctrl-C or SIGTERM at any time ends the process with one line and the conventional status, never a
traceback. While the command line, or what a command needs, is imported (`HeldSignals`), a signal
is only noted, and acted on once the imports are done: an exception raised in the middle of an
import can surface as a traceback, a "RuntimeError: Error calling __set_name__", or a silent death
by SIGINT whatever is caught later. While a check runs, checker/run/interrupts.py handles the signals
instead.
"""

from __future__ import annotations

import sys

from checker.cli.signals import HeldSignals, Terminated, terminate


def start() -> None:
    """Run the command line; end with 130 on SIGINT and 143 on SIGTERM."""
    import signal

    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, terminate)
        with HeldSignals():
            from checker.cli.app import main as run
        run()
    except KeyboardInterrupt:
        _stopped(signal.SIGINT)
    except Terminated:
        _stopped(signal.SIGTERM)


def _stopped(signum: int) -> None:
    import signal

    # Light (it imports only enum), and loaded already unless the signal came before the command line.
    from checker.core.errors import ExitCode

    sys.stderr.write(f"error: interrupted by {signal.Signals(signum).name}\n")
    sys.exit(ExitCode.of_signal(signum))
