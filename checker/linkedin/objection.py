"""LinkedIn's Data Processing Objection form: open it, recognise it, fill what it asks, and wait for
the member to submit it, reading the confirmation.

The tool never presses the form's submit button: the member reads what was filled and sends it. A
form the rules do not wholly recognise is left untouched (`recognised` says None): the member gets
the text to send themselves, never a guess at which field is which.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import Enum

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from checker.core.errors import CheckerError
from checker.core.logs import get_logger
from checker.core.safe_text import printable
from checker.linkedin.locate import Found, Site, find, present
from checker.linkedin.session import ask_me, session_cookies

log = get_logger()

_REQUIRED = ("objection_form", "objection_name", "objection_email", "objection_type")
_LONGEST_REFERENCE = 64


class Choice(Enum):
    """Which type of objection the form offers for the member's: its own, or Other with a follow-up."""

    CONTENT_TRAINING = "objection_type_content_training"
    OTHER = "objection_type_other"


@dataclass(frozen=True)
class Form:
    """A form the rules recognise: the type to choose, and where the text goes."""

    choice: Choice
    text_field: str
    """The target the objection's text is typed into."""


class Submission(Enum):
    """How the wait for the member's submission ended, when it did not end with a confirmation."""

    WAIT_ENDED = "the wait ended"
    WINDOW_CLOSED = "the window was closed"


@dataclass(frozen=True)
class Confirmed:
    """The confirmation the site showed, and the reference on it, if any."""

    reference: str | None


async def page_language(page: Page) -> str:
    """The page's `<html lang>`, as written ("" when it has none)."""
    value = await page.locator("html").get_attribute("lang")
    return value or ""


async def recognised(page: Page, site: Site) -> Form | None:
    """The form, when the page shows one the rules know in every part; None otherwise (waits at most
    the site's timeout for a form of any kind, then looks once)."""
    if await find(page, site, "objection_page_form") is None:
        return None
    for target in _REQUIRED:
        if not await present(page, site, target):
            log.info("objection form not recognised", missing=target)
            return None
    if await present(page, site, Choice.CONTENT_TRAINING.value):
        if await present(page, site, "objection_details"):
            return Form(Choice.CONTENT_TRAINING, "objection_details")
    elif await present(page, site, Choice.OTHER.value):
        return Form(Choice.OTHER, "objection_other_details")
    log.info("objection form not recognised", missing="a type and a field for the text")
    return None


async def fill(page: Page, site: Site, form: Form, *, name: str | None, email: str, text: str) -> list[str]:
    """Fill what the form asks (the name only when known) and choose the type; never submit. The
    fields filled, in words for the member."""
    filled = []
    if name:
        await (await _required(page, site, "objection_name")).locator.fill(name)
        filled.append("name")
    await (await _required(page, site, "objection_email")).locator.fill(email)
    filled.append("email")
    option = await _required(page, site, form.choice.value)
    value = await option.locator.get_attribute("value")
    await (await _required(page, site, "objection_type")).locator.select_option(value=value or "")
    filled.append("type of objection" + (" (Other)" if form.choice is Choice.OTHER else ""))
    # The follow-up of Other shows once it is chosen: `find` waits for it.
    await (await _required(page, site, form.text_field)).locator.fill(text)
    filled.append("the objection's text")
    return filled


async def member_name(page: Page, site: Site) -> str | None:
    """The signed-in member's name, as the site's session endpoint gives it; None when it does not."""
    _, answer = await ask_me(page, site, await session_cookies(page, site))
    profile = answer.get("miniProfile") if isinstance(answer, dict) else None
    if not isinstance(profile, dict):
        return None
    words = [profile.get("firstName"), profile.get("lastName")]
    return printable(" ".join(word for word in words if isinstance(word, str))).strip() or None


async def confirmation(page: Page, site: Site, *, seconds: float) -> Confirmed | Submission:
    """Wait, at most `seconds`, for the member to submit the form and the site to confirm it."""
    shown = asyncio.ensure_future(_confirmation_shown(page, site, seconds))
    closed = asyncio.ensure_future(page.wait_for_event("close", timeout=0))
    try:
        await asyncio.wait({shown, closed}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        closed.cancel()
    if page.is_closed():
        shown.cancel()
        return Submission.WINDOW_CLOSED
    if not await shown:
        return Submission.WAIT_ENDED
    reference = None
    if await present(page, site, "objection_reference"):
        found = await find(page, site, "objection_reference")
        text = printable(await found.locator.inner_text()).strip() if found else ""
        reference = text[:_LONGEST_REFERENCE] or None
    return Confirmed(reference)


async def _confirmation_shown(page: Page, site: Site, seconds: float) -> bool:
    try:
        return await find(page, site, "objection_confirmation", timeout_ms=seconds * 1000) is not None
    except PlaywrightError:
        if page.is_closed():
            return False
        raise


async def _required(page: Page, site: Site, target: str) -> Found:
    found = await find(page, site, target)
    if found is None:
        raise CheckerError(f"the objection form changed while it was filled: it no longer shows {target}")
    return found
