"""Loading a page again after a transient failure: with backoff and jitter, bounded in count and time.

Only a load that changes nothing on the site comes here: a GET of a page (`locate.open_page`). A
password submission, a click on the switch and the save it sends never do: a second one would act
twice, and LinkedIn locks accounts that submit passwords again and again.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Response
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from checker.core.logs import get_logger
from checker.core.outcome import CheckFailed, Outcome

log = get_logger()

# Too many requests, and the server errors a load balancer gives while a backend restarts. Never 999,
# LinkedIn's "request denied" for bots: asking again is what gets an account restricted.
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})

# Network errors after which the same GET may well work: the connection broke on the way, or the
# network changed under it (a laptop waking up for a scheduled run). Not a refused connection or an
# unknown host: nothing listens at that address, and trying again would only delay saying so.
TRANSIENT_NETWORK_ERRORS = (
    "net::ERR_CONNECTION_RESET",
    "net::ERR_CONNECTION_CLOSED",
    "net::ERR_CONNECTION_ABORTED",
    "net::ERR_EMPTY_RESPONSE",
    "net::ERR_NETWORK_CHANGED",
    "net::ERR_INTERNET_DISCONNECTED",
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often a page load is tried, and how long to wait in between: exponential backoff with
    jitter, at least what the site asked for in `Retry-After`."""

    attempts: int = 3
    first_backoff_seconds: float = 1.0
    max_backoff_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {self.attempts}")

    def wait_seconds(self, retry: int, retry_after: float | None = None) -> float:
        """How long to wait before retry number `retry` (1 for the first): between half and all of
        the doubled backoff, so that runs started together do not come back together; never less
        than `retry_after`."""
        ceiling = min(self.max_backoff_seconds, self.first_backoff_seconds * 2 ** (retry - 1))
        backoff = random.uniform(ceiling / 2, ceiling)
        return backoff if retry_after is None else max(backoff, retry_after)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """The seconds a `Retry-After` header asks to wait: delay-seconds or an HTTP date (RFC 9110);
    None when there is none or it is not either."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": a date in UTC from a source that does not say
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def transient_network_error(exc: PlaywrightError) -> str | None:
    """The network error code of a failed load when it is one worth a retry, else None."""
    if isinstance(exc, PlaywrightTimeoutError):
        return None  # the whole navigation timeout is spent already
    message = str(exc)
    return next((code for code in TRANSIENT_NETWORK_ERRORS if code in message), None)


@dataclass(frozen=True)
class _Failure:
    """One attempt that may be worth another: what went wrong, in the words of the detail."""

    what: str  # "HTTP 503" or a network error code
    where: str  # the path that answered it
    retry_after: float | None = None

    def gave_up(self, attempts: int, why: str = "") -> CheckFailed:
        if self.what.startswith("HTTP "):
            detail = f"LinkedIn answered {self.what} for {self.where}"
        else:
            detail = f"network error opening {self.where}: {self.what}"
        tried = f"{attempts} attempts" if attempts > 1 else "1 attempt"
        return CheckFailed(Outcome.ERROR, f"{detail} ({tried}{why})")


async def load_with_retries(
    load: Callable[[], Awaitable[Response | None]],
    path: str,
    policy: RetryPolicy,
    *,
    budget_seconds: float,
) -> None:
    """Run `load` (an idempotent page load of `path`) until it answers without an HTTP error.

    A 429 or 5xx answer and a transient network error are tried again, up to `policy.attempts` in
    all, and only while the wait still ends within `budget_seconds` of the first attempt. Raise
    CheckFailed (error) for any other HTTP error at once, and for a failure that was given up on;
    other Playwright errors (a timeout, a refused connection) propagate as they are.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget_seconds
    attempt = 1
    while True:
        failure = await _attempt(load, path)
        if failure is None:
            return
        if attempt >= policy.attempts:
            raise failure.gave_up(attempt)
        wait = policy.wait_seconds(attempt, failure.retry_after)
        if loop.time() + wait > deadline:
            if failure.retry_after is not None and failure.retry_after > budget_seconds:
                asked = f"; it asked to wait {failure.retry_after:g} s, longer than --timeout allows"
            else:
                asked = "; no time left within --timeout to try again"
            raise failure.gave_up(attempt, asked + ": try again later")
        log.warning(
            "page load failed; trying again",
            path=path,
            failure=failure.what,
            attempt=attempt,
            attempts=policy.attempts,
            wait_seconds=round(wait, 2),
        )
        # A backoff, not a wait for a state: nothing on the page can say when the site is ready
        # again, and the site may have said how long to stay away (Retry-After).
        await asyncio.sleep(wait)
        attempt += 1


async def _attempt(load: Callable[[], Awaitable[Response | None]], path: str) -> _Failure | None:
    """One load: None when it worked; a failure worth another attempt; else raise."""
    try:
        response = await load()
    except PlaywrightError as exc:
        code = transient_network_error(exc)
        if code is None:
            raise
        return _Failure(code, path)
    if response is None or response.status < 400:
        return None
    where = urlsplit(response.url).path
    if response.status not in RETRIED_STATUSES:
        raise CheckFailed(Outcome.ERROR, f"LinkedIn answered HTTP {response.status} for {where}")
    retry_after = parse_retry_after(await response.header_value("retry-after"))
    return _Failure(f"HTTP {response.status}", where, retry_after)
