"""Login challenges: recognising them, and answering the one kind the tool can answer.

An authenticator-code challenge is answered only when the account has a TOTP secret stored; every
other challenge (emailed PIN, CAPTCHA, restricted account) needs a person and is only reported.
The tool never tries to get around a CAPTCHA.
"""

from __future__ import annotations

import pyotp
from playwright.async_api import Page

from checker.core.logs import get_logger
from checker.core.outcome import CheckFailed, Outcome
from checker.linkedin.locate import Site, find, find_any

log = get_logger()

# In the order they are told apart: an authenticator page also has the SMS page's code field, so
# it must be recognised (by its words) first.
CHALLENGE_TARGETS = [
    "challenge_captcha",
    "challenge_restricted",
    "challenge_email_pin",
    "challenge_authenticator",
    "challenge_sms",
    "challenge_app_approval",
]

_ASKS_FOR = {
    "challenge_captcha": "a security check (CAPTCHA)",
    "challenge_restricted": "attention: the account is restricted",
    "challenge_email_pin": "the verification PIN it emailed",
    "challenge_authenticator": "a code from an authenticator app, and no TOTP secret is stored",
    "challenge_sms": "a code it sent by text message (SMS)",
    "challenge_app_approval": "an approval in the LinkedIn app on a phone",
    None: "a verification step the tool does not recognise",
}


async def identify_challenge(page: Page, site: Site) -> str | None:
    """The challenge target shown on the page (waiting for it to render), or None."""
    found = await find_any(page, site, CHALLENGE_TARGETS)
    return found.target if found else None


def needs_a_person(email: str, challenge: str | None) -> CheckFailed:
    """What a check that meets a challenge ends with: unattended runs never wait for a person, so the
    detail names the command with which one signs in (`check --interactive` hands over instead)."""
    return CheckFailed(
        Outcome.NEEDS_ATTENTION,
        f"LinkedIn asks {email} for {_ASKS_FOR[challenge]}; only a person can answer: run "
        f"`linkedin-ai-optout accounts login {email}` and sign in in the window it opens",
    )


async def answer_with_totp(page: Page, site: Site, email: str, totp_secret: str) -> None:
    """Submit one code from the stored TOTP secret. Never retried: a refusal needs a person."""
    field = await find(page, site, "challenge_code_input")
    submit = await find(page, site, "challenge_submit")
    if field is None or submit is None:
        raise needs_a_person(email, "challenge_authenticator")
    await field.locator.fill(pyotp.TOTP(totp_secret).now())
    async with page.expect_navigation():
        await submit.locator.click()
    log.info("authenticator code submitted")
