"""Signals while the command line loads: SIGINT and SIGTERM noted, and acted on once the imports
are done (see `HeldSignals`); SIGTERM raised where the process is, as SIGINT is."""

from __future__ import annotations

# Not typing's: this module is imported before --version is answered, and typing is no small import.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from collections.abc import Callable
    from types import FrameType, TracebackType
    from typing import Any

    _Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class Terminated(SystemExit):
    """SIGTERM, raised where the process is, like KeyboardInterrupt is for SIGINT.

    A SystemExit, as Python's own way to end a process is: asyncio lets only SystemExit and
    KeyboardInterrupt out of a callback, and logs and drops any other exception raised in one, so
    a SIGTERM arriving while a callback ran (Playwright's driver answering, say) was lost and the
    process went on. Its status, if nothing catches it, is SIGTERM's."""

    def __init__(self) -> None:
        # Here, not at the top: this module loads before --version is answered, and `enum` is no
        # small import; errors.py imports nothing else (startup.py loads it the same way).
        from checker.core.errors import ExitCode

        super().__init__(ExitCode.TERMINATED)


def terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


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
