"""`in_daemon_thread`: a cancelled caller abandons the thread, after its grace for a call in flight."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from checker.core.loop import in_daemon_thread


async def cancelled_while(call_seconds: float, grace: float) -> bool:
    """Cancel a caller of a call that takes `call_seconds`: whether the call had ended when the
    cancellation came through."""
    ended = threading.Event()

    def call() -> None:
        time.sleep(call_seconds)
        ended.set()

    caller = asyncio.ensure_future(in_daemon_thread(call, grace=grace))
    await asyncio.sleep(0.05)  # the thread is in the call
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    return ended.is_set()


async def test_a_cancelled_caller_lets_a_call_in_flight_end_within_its_grace() -> None:
    assert await cancelled_while(0.3, grace=30)


async def test_a_call_that_does_not_end_is_abandoned_after_the_grace() -> None:
    assert not await cancelled_while(60, grace=0.2)  # it would have waited the minute out


async def test_without_grace_the_caller_leaves_at_once() -> None:
    assert not await cancelled_while(60, grace=0)
