"""One run at a time per account: a lock file per account, so overlapping runs (a scheduled one and a
manual one) never both sign in and click the switch.

The lock files live in `<home>/locks`, named by a hash of the account's `email_key`, never the email.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from filelock import Timeout

from checker.core.errors import CheckerError, ConfigError
from checker.store.emails import account_digest
from checker.store.home import ensure_private_dir, os_reason, private_lock

# How often a waiting run tries the lock again. A poll interval, not a wait for a state: the lock
# can only be tried, and trying it must not block the event loop.
_POLL_SECONDS = 0.05


BUSY = "another run is checking this account"
"""How a check's detail begins when the account's lock was held by another run."""


class AccountBusy(CheckerError):
    """Another run holds the account's lock and did not let go in time."""

    def __init__(self, email: str) -> None:
        super().__init__(BUSY)
        self.email = email


@asynccontextmanager
async def account_lock(
    home: Path, email: str, *, wait_seconds: float, on_wait: Callable[[], None] = lambda: None
) -> AsyncIterator[None]:
    """Hold the lock of `email` (any spelling) for the body, waiting up to `wait_seconds` for another
    run to release it (calling `on_wait` once as the wait begins), else raise AccountBusy. Cancelling a
    task that waits releases nothing it does not hold. Raises ConfigError when the lock directory or
    file is a link or cannot be created."""
    directory = home / "locks"
    ensure_private_dir(directory)
    lock = private_lock(directory / f"{account_digest(email)}.lock")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    waiting = False
    while True:
        try:
            lock.acquire(blocking=False)
            break
        except Timeout:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AccountBusy(email) from None
            if not waiting:
                waiting = True
                on_wait()
            await asyncio.sleep(min(_POLL_SECONDS, remaining))
        except OSError as exc:  # after Timeout, which is an OSError too
            raise ConfigError(
                f"cannot lock {lock.lock_file} ({os_reason(exc)}): check that {directory} is writable"
            ) from None
    try:
        yield
    finally:
        lock.release()
