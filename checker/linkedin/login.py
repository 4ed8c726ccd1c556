"""Signing in: reuse the saved session when it works, else submit the password once.

Whether a session works, the page says (see session.py). A login page on any other origin than
the site's is refused before the password is even read; where the password may go while it is
typed is guard.py's job.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from playwright.async_api import ElementHandle, Page

from checker.core.logs import get_logger
from checker.core.outcome import CheckFailed, Outcome
from checker.linkedin.challenges import (
    CHALLENGE_TARGETS,
    answer_with_totp,
    identify_challenge,
    needs_a_person,
)
from checker.linkedin.egress import EgressGate
from checker.linkedin.guard import LoginGuard, refused
from checker.linkedin.locate import Found, Site, find, find_any, open_page, origin_of
from checker.linkedin.session import SIGNS, shown_sign, verdict

log = get_logger()

SIGNED_IN = "signed in"
_LOGIN_FORMS = ["remember_me_other_account", "login_username"]


@dataclass(frozen=True)
class AccountSecrets:
    """Lazy access to an account's secrets, so the keyring is read only when a login is needed."""

    email: str
    password: Callable[[], Awaitable[str | None]]
    totp_secret: Callable[[], Awaitable[str | None]]


async def open_signed_in(
    page: Page,
    site: Site,
    secrets: AccountSecrets,
    start: str | None = None,
    *,
    signs: Sequence[str] = (),
    egress: EgressGate | None = None,
) -> bool:
    """Open the page at `start` (the feed when None) signed in: where LinkedIn sends a signed-out
    visitor, the login page brings them back after signing in. Return True when that took a
    password, False when the saved session was enough. Raise CheckFailed for everything that stops
    a check here. `signs`: targets that only the signed-in `start` shows (a setting's switch),
    besides the app's navigation. `egress`: the context's gate (see egress.py), which the login
    guard listens to."""
    start = start or site.rules.paths.feed
    signs = [*signs, *SIGNS]
    await _open(page, site, start)
    landing = await _landing(page, site, secrets.email, f"opening {start}", signs)
    if landing == SIGNED_IN:
        log.info("saved session accepted")
        return False
    if landing == "wall":
        # A logged-out wall (an expired session, say): the login page is one step away.
        await _open(page, site, site.rules.paths.login)
        landing = await _landing(page, site, secrets.email, "opening the login page", signs)
    if landing == "remember_me_other_account":
        chooser = await find(page, site, "remember_me_other_account")
        assert chooser is not None
        await chooser.locator.click()
    await _submit_password(page, site, secrets, egress, signs)
    return True


async def _open(page: Page, site: Site, path: str) -> None:
    """`open_page`, saying so when the site sent the browser to another origin: the egress gate
    (see egress.py) refuses that page, so it fails to load."""
    try:
        await open_page(page, site, path)
    except CheckFailed:
        url = page.main_frame.url
        if site.owns(url) or not url.startswith(("http:", "https:")):  # not sent elsewhere: failed here
            raise
        raise refused(
            f"the login page is on {origin_of(url)}, not {site.origin}", password_typed=False
        ) from None


async def _landing(page: Page, site: Site, email: str, doing: str, signs: list[str]) -> str:
    """Where we are: SIGNED_IN, a logged-out "wall", or a login form (its target); a challenge
    is raised. Signed in is what the page proves (see session.py), never a sign alone."""
    if site.is_wall(page.url):
        return "wall"
    found = await find_any(page, site, [*signs, *_LOGIN_FORMS, *CHALLENGE_TARGETS])
    if site.is_challenge(page.url) or (found and found.target in CHALLENGE_TARGETS):
        raise needs_a_person(email, found.target if found else await identify_challenge(page, site))
    if found is not None and found.target in _LOGIN_FORMS:
        return found.target
    # A sign counts only on a page that shows no login form as well.
    sign = found.target if found and await shown_sign(page, site, _LOGIN_FORMS) is None else None
    seen = await verdict(page, site, sign)
    if seen.signed_in:
        return SIGNED_IN
    if found is None:
        raise CheckFailed(
            Outcome.UI_CHANGED,
            f"after {doing}, the page at {urlsplit(page.url).path} shows neither a signed-in page nor a "
            f"login form the rules recognise, and {seen.seen}",
        )
    log.info("the page looks signed in, but the session does not hold", sign=found.target, seen=seen.seen)
    return "wall"


async def _submit_password(
    page: Page, site: Site, secrets: AccountSecrets, egress: EgressGate | None, signs: list[str]
) -> None:
    email = secrets.email
    if not site.owns(page.main_frame.url):
        raise refused(
            f"the login page is on {origin_of(page.main_frame.url)}, not {site.origin}", password_typed=False
        )
    # Each wait ends at the first missing part, so a form that is not there costs one timeout.
    username = await find(page, site, "login_username")
    password_field = username and await find(page, site, "login_password")
    submit = password_field and await find(page, site, "login_submit")
    if framed := await _framed_password_field(page):
        raise refused(
            f"a password field is inside a frame ({framed}), not the page itself", password_typed=False
        )
    if username is None or password_field is None or submit is None:
        raise CheckFailed(Outcome.UI_CHANGED, "the login form is not recognised")
    async with LoginGuard(page, site, egress) as guard:
        fields = [await _handle(found) for found in (username, password_field, submit)]
        await guard.refuse_foreign_form(fields[1], "password field")
        await guard.refuse_foreign_form(fields[2], "Sign in button")
        password = await secrets.password()
        if not password:
            raise CheckFailed(
                Outcome.AUTH_FAILED,
                f"no password in the keyring for {email}: run `linkedin-ai-optout accounts add {email}`",
            )
        await guard.enter(fields[0], email, "email field")
        await guard.enter(fields[1], password, "password field")
        await guard.click(fields[2], "Sign in button")
        log.info("password submitted", login_layer=submit.layer)
        # The next page, or an error shown in place: the 2026 page refuses without navigating.
        landing = await find_any(page, site, [*signs, "login_error", *CHALLENGE_TARGETS])
        await guard.settle()
    await _after_password(page, site, secrets, landing, signs)


async def _handle(found: Found) -> ElementHandle:
    handle = await found.locator.element_handle()
    assert handle is not None  # found just now; element_handle waits for it otherwise
    return handle


async def _framed_password_field(page: Page) -> str | None:
    """The URL of a frame other than the main one that holds a password field, if any."""
    for frame in page.frames:
        if frame is not page.main_frame and await frame.locator("input[type='password']").count():
            return urlsplit(frame.url)._replace(query="", fragment="").geturl()
    return None


async def _after_password(
    page: Page, site: Site, secrets: AccountSecrets, found: Found | None, signs: list[str]
) -> None:
    email = secrets.email
    challenge = found.target if found and found.target in CHALLENGE_TARGETS else None
    if challenge or site.is_challenge(page.url):
        challenge = challenge or await identify_challenge(page, site)
        totp_secret = await secrets.totp_secret() if challenge == "challenge_authenticator" else None
        if not totp_secret:
            raise needs_a_person(email, challenge)
        await answer_with_totp(page, site, email, totp_secret)
        found = await find_any(page, site, [*signs, *CHALLENGE_TARGETS])
        if (
            found is None
            or found.target in CHALLENGE_TARGETS
            or not (await verdict(page, site, found.target)).signed_in
        ):
            raise CheckFailed(
                Outcome.NEEDS_ATTENTION,
                f"LinkedIn did not accept the authenticator code for {email}; sign in yourself with "
                f"`linkedin-ai-optout accounts login {email}`",
            )
        return
    if found is not None and found.target == "login_error":
        message = " ".join((await found.locator.inner_text()).split())
        raise CheckFailed(Outcome.AUTH_FAILED, f"LinkedIn rejected the credentials of {email}: {message}")
    seen = await verdict(page, site, found.target if found else None)
    if not seen.signed_in:
        raise CheckFailed(
            Outcome.UI_CHANGED,
            f"after signing in, the page at {urlsplit(page.url).path} is not one the rules recognise "
            f"as signed in, and {seen.seen}",
        )
