"""A person signs in themselves: a visible browser on the site's pages, and the tool waiting, within a
bound, until the site accepts the session.

The tool types nothing here and never reads the password: the PIN, the CAPTCHA, the app approval, the
single sign-on are the person's to answer, in the window. `accounts login` opens the login page for
them (`sign_in_in_person`); `check --interactive` hands over the page where signing in stopped
(runner.py). Either way the wait ends when the main frame is back on a page of the site that is not a
sign-in step that proves the session (see checker/linkedin/session.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import BrowserContext, Frame, Page
from playwright.async_api import Error as PlaywrightError

from checker.core.errors import CheckerError
from checker.core.logs import get_logger
from checker.core.outcome import CheckFailed
from checker.linkedin.browser import BrowserSource, display_available, new_context
from checker.linkedin.locate import Site, open_page
from checker.linkedin.session import SIGNS, is_members_page, shown_sign, verdict
from checker.store.locks import BUSY, AccountBusy, account_lock
from checker.store.sessions import SessionStore

log = get_logger()

DEFAULT_WAIT_MINUTES = 10
"""How long a person is given to sign in, by `accounts login` unless told, and by `check --interactive`."""
WINDOW_TIMEOUT_MS = 20_000
"""How long anything on a page may take in a person's window (`accounts login`, `object`)."""


class PersonSignIn(Enum):
    """How a wait for a person ended."""

    SIGNED_IN = "signed in"
    WAIT_ENDED = "the wait ended"
    WINDOW_CLOSED = "the window was closed"


def require_display(command: str) -> None:
    """Raise CheckerError (exit 4) unless a window can be shown for the person; `command` says who asks."""
    if not display_available():
        raise CheckerError(
            f"{command} shows a browser window for you to sign in, and there is no display "
            "($DISPLAY and $WAYLAND_DISPLAY are empty): run it in your desktop session"
        )


def minutes(seconds: float) -> str:
    """`seconds` as minutes, the unit the person gave: "10 minutes", "0.5 minutes", "1 minute"."""
    value = seconds / 60
    return f"{value:g} minute{'' if value == 1 else 's'}"


async def wait_for_person(page: Page, site: Site, *, seconds: float) -> PersonSignIn:
    """Wait, at most `seconds`, until the person has signed in in `page`.

    Nothing is polled on a clock: each time the main frame commits a navigation (or changes its
    history entry), the page is looked at again, and the site asked once it is on a page of the
    site that is not a sign-in step. A navigation during that question just means another look.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    moved = asyncio.Event()

    def on_navigated(frame: Frame) -> None:
        if frame is page.main_frame:
            moved.set()

    def on_closed(_: Page) -> None:
        moved.set()

    page.on("framenavigated", on_navigated)
    page.on("close", on_closed)
    try:
        while True:
            moved.clear()
            if page.is_closed():
                return PersonSignIn.WINDOW_CLOSED
            try:
                if is_members_page(site, page.url) and await _proven(page, site):
                    return PersonSignIn.SIGNED_IN
            except PlaywrightError:
                if not page.is_closed():
                    raise
            if page.is_closed():
                return PersonSignIn.WINDOW_CLOSED
            try:
                await asyncio.wait_for(moved.wait(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                return PersonSignIn.WAIT_ENDED
    finally:
        page.remove_listener("framenavigated", on_navigated)
        page.remove_listener("close", on_closed)


async def _proven(page: Page, site: Site) -> bool:
    return (await verdict(page, site, await shown_sign(page, site, SIGNS))).signed_in


async def hand_over(page: Page, site: Site, failure: CheckFailed, *, seconds: float) -> None:
    """`check --interactive`: signing in met a challenge (`failure`), so the person at the window signs
    in in this very page; then the feed is opened, where a check's next step starts. Raise `failure`,
    with why, when nobody signed in within `seconds`."""
    ended = await wait_for_person(page, site, seconds=seconds)
    if ended is PersonSignIn.WINDOW_CLOSED:
        raise CheckFailed(
            failure.outcome, f"{failure.detail}; the browser window was closed before anyone signed in"
        )
    if ended is PersonSignIn.WAIT_ENDED:
        raise CheckFailed(
            failure.outcome,
            f"{failure.detail}; nobody signed in in the browser window within {minutes(seconds)}",
        )
    log.info("a person signed in", cause=failure.detail)
    await open_page(page, site, site.rules.paths.feed)


async def sign_in_in_person(
    email: str,
    site: Site,
    sessions: SessionStore,
    home: Path,
    *,
    browser_path: str | None,
    wait_seconds: float,
    say: Callable[[str], None],
) -> None:
    """`accounts login`: open the site's login page in a visible browser with a fresh profile, wait
    for the person to sign in as `email`, and save the session (encrypted). Holds the account's lock
    throughout, so no check signs in meanwhile. Raises CheckerError when no session was saved."""
    require_display("accounts login")
    # No gate to other hosts here: the person may sign in through their own single sign-on.
    async with window_for(email, site, home, browser_path=browser_path, storage_state=None) as context:
        page = await context.new_page()
        await _open_login(page, site)
        say(
            f"Sign in to LinkedIn as {email} in the browser window; answer whatever it asks. "
            f"Waiting up to {minutes(wait_seconds)} (close the window to give up)."
        )
        ended = await wait_for_person(page, site, seconds=wait_seconds)
        if ended is PersonSignIn.WINDOW_CLOSED:
            raise CheckerError(
                f"the browser window was closed before {email} was signed in: nothing was saved"
            )
        if ended is PersonSignIn.WAIT_ENDED:
            raise CheckerError(f"not signed in within {minutes(wait_seconds)}: nothing was saved")
        log.info("a person signed in", url=urlsplit(page.url).path)
        sessions.save(email, site.origin, dict(await context.storage_state()))


@asynccontextmanager
async def window_for(
    email: str, site: Site, home: Path, *, browser_path: str | None, storage_state: dict[str, Any] | None
) -> AsyncIterator[BrowserContext]:
    """A visible browser window in a context of its own (carrying `storage_state`, a saved session,
    when given) for the person acting for `email`, whose lock is held throughout so that no check
    signs in meanwhile: CheckerError saying so when another run holds it longer than about one check."""
    try:
        async with (
            account_lock(home, email, wait_seconds=3 * site.timeout_ms / 1000),
            BrowserSource.for_person(browser_path).opened(site.timeout_ms) as browser,
            new_context(browser, storage_state=storage_state, timeout_ms=site.timeout_ms) as context,
        ):
            yield context
    except AccountBusy:
        raise CheckerError(f"{email}: {BUSY}; try again after it") from None


async def _open_login(page: Page, site: Site) -> None:
    # Only until the page commits: a person quick to act may already be on their way elsewhere.
    response = await page.goto(site.url(site.rules.paths.login), wait_until="commit")
    if response is not None and response.status >= 400:
        raise CheckerError(
            f"LinkedIn answered HTTP {response.status} for {urlsplit(response.url).path}: "
            "nothing was saved; try again later"
        )
