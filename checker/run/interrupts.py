"""Stopping a run on SIGINT or SIGTERM without losing what it did.

A first signal stops the accounts in progress at once, except one between clicking the switch and
the site's answer: that step is finished first, so the record says what the site was sent. A second
signal stops that too. Accounts that never started are left alone and not recorded. Several
accounts may be in progress at once (check --concurrency): each is its own task, and each is
stopped or let finish its save on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from checker.core.errors import ExitCode
from checker.core.logs import get_logger

log = get_logger()

_T = TypeVar("_T")

EXIT_CODES: dict[int, ExitCode] = {
    signum: ExitCode.of_signal(signum) for signum in (signal.SIGINT, signal.SIGTERM)
}
"""The signals that stop a run, each with the exit status of a run it stopped."""


class Interrupted(Exception):
    """Raised at a step boundary when a signal asked the run to stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Stopper:
    """Receives SIGINT and SIGTERM while a run's event loop runs, and stops the run's steps."""

    def __init__(self, announce: Callable[[str], None] = lambda _: None) -> None:
        self.signum: int | None = None
        self._announce = announce
        self._steps: dict[asyncio.Future[Any], bool] = {}
        """The accounts in progress, each with whether it is in its critical step."""
        self._woken = asyncio.Event()

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Handle the signals in the running loop for the duration; the handlers from before come back
        after (the loop alone would leave SIGTERM at its default: a silent death while results print)."""
        loop = asyncio.get_running_loop()
        installed = {}
        for signum in EXIT_CODES:
            previous = signal.getsignal(signum)
            try:
                loop.add_signal_handler(signum, self._on_signal, signum)
            except (NotImplementedError, RuntimeError):  # not on this platform or thread: Ctrl-C still raises
                continue
            installed[signum] = previous
        try:
            yield
        finally:
            for signum, previous in installed.items():
                loop.remove_signal_handler(signum)
                signal.signal(signum, previous)

    async def run(self, step: Awaitable[_T]) -> _T:
        """Run `step` (one account's check) so that a signal can stop it. Raises Interrupted when a
        signal stopped it before it started; once started, the step handles its cancellation."""
        task = asyncio.ensure_future(step)
        self._steps[task] = False
        try:
            return await task
        except asyncio.CancelledError:
            if self.signum is None or not task.cancelled():
                raise
            # Our signal cancelled the step before it ran its first line: it never started.
            raise Interrupted(self.signum) from None
        finally:
            del self._steps[task]

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        """A step a first signal lets finish; the account stops right after it."""
        task = asyncio.current_task()
        if task in self._steps:
            self._steps[task] = True
        try:
            yield
        finally:
            if task in self._steps:
                self._steps[task] = False
        self.checkpoint()

    def checkpoint(self) -> None:
        """Raise Interrupted when a signal asked the run to stop."""
        if self.signum is not None:
            raise Interrupted(self.signum)

    async def pause(self, seconds: float) -> None:
        """Wait `seconds` (pacing between accounts), or less when a signal arrives."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), seconds)
        self.checkpoint()

    def _on_signal(self, signum: int) -> None:
        first = self.signum is None
        if first:
            self.signum = signum
            self._woken.set()
        name = signal.Signals(signum).name
        saving = [task for task, critical in self._steps.items() if critical]
        log.info("signal received", signal=name, first=first, critical=bool(saving))
        if first and saving:
            self._announce(f"{name}: finishing the switch's save, then stopping (again to stop now)")
        else:
            self._announce(f"{name}: stopping")
        for task in list(self._steps):
            if not (first and task in saving):
                task.cancel(msg=name)
