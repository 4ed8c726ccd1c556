"""Where a command runs its async work: `run`, which is asyncio.run unless `one_loop` is held.

A process runs one command, and a fresh event loop a call (asyncio.run) suits it. A process that
runs the command line many times in turn (the test suite runs it in-process hundreds of times)
holds `one_loop` around them all: every `run` inside uses the same loop, so that what the runs keep
open between them (the browser and its driver: checker.linkedin.kept_browsers.keeping_browsers) stays
usable, since Playwright's objects belong to the loop that made them.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

_T = TypeVar("_T")

_held: asyncio.Runner | None = None


def run(main: Coroutine[Any, Any, _T]) -> _T:
    """Run `main` to its end and return its result, in a copy of the caller's context variables
    (as asyncio.run does: what one run binds, structlog's context for one, does not reach the next)."""
    if _held is None:
        return asyncio.run(main)
    return _held.run(main, context=contextvars.copy_context())


@contextmanager
def one_loop() -> Iterator[asyncio.Runner]:
    """Every `run` inside on one event loop, closed at the end (its leftover tasks cancelled)."""
    global _held
    if _held is not None:
        raise RuntimeError("one_loop is already held")
    with asyncio.Runner() as runner:
        _held = runner
        try:
            yield runner
        finally:
            _held = None


async def in_daemon_thread(call: Callable[[], _T], name: str = "worker", *, grace: float = 0) -> _T:
    """Await `call` run on a daemon thread.

    Not asyncio.to_thread: asyncio.run joins the default executor's threads before it returns, so a
    run stopped by Ctrl-C or SIGTERM while a call waits (a frozen keyring, within its 30 s bound)
    would sit out the wait before exiting. Here a cancelled caller abandons the thread, after
    `grace` seconds at most for it to end: a process that exits in the middle of a D-Bus call can
    bring the Secret Service down with it (gnome-keyring aborts on a reply it cannot send).
    """
    loop = asyncio.get_running_loop()
    answered: asyncio.Future[_T] = loop.create_future()

    def settle(result: _T | None, error: BaseException | None) -> None:
        if answered.done():
            return  # the caller was cancelled and is gone
        if error is not None:
            answered.set_exception(error)
        else:
            answered.set_result(cast(_T, result))

    def run() -> None:
        result: _T | None = None
        error: BaseException | None = None
        try:
            result = call()
        except BaseException as exc:  # handed to the waiting coroutine, which raises it there
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name=name, daemon=True).start()
    try:
        return await asyncio.shield(answered)
    except asyncio.CancelledError:
        if grace > 0:
            await asyncio.wait([answered], timeout=grace)
        if answered.done() and not answered.cancelled():
            answered.exception()  # looked at: the caller is gone, and Python would warn of it
        answered.cancel()
        raise
