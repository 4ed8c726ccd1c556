"""Scrubbing personal and secret values out of captured pages, so they can leave the machine.

Recorded pages and failure evidence end up in bug reports and fixtures. Before anything is
written, the member's email, name and profile address, LinkedIn member ids, CSRF and session
tokens, image addresses and every registered secret are replaced by placeholders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from checker.redact import scrub as scrub_secrets

EMAIL = "member@example.invalid"
NAME = "Member Name"
PROFILE = "/in/member/"
IMAGE = "https://media.example.invalid/image"

# LinkedIn's ids of a member, in URNs: urn:li:member:123, urn:li:fsd_profile:ACoAA..., and kin.
_MEMBER_URN = re.compile(r"(urn:li:(?:member|person|fsd_profile|fs_profile|fs_miniProfile|profile)):[\w-]+")
# The CSRF token LinkedIn derives from JSESSIONID ("ajax:" and 19 digits), quoted or not.
_CSRF = re.compile(r"ajax:\d{6,}")
_PROFILE_URL = re.compile(r"/in/[\w%-]+/?")
# Pictures of people: LinkedIn's media host, and any other address of an image file.
_IMAGE_URL = re.compile(
    r"https?://(?:media[\w.-]*\.licdn\.com|[\w.-]+/[^\s\"'<>()]*\.(?:jpe?g|png|gif|webp|avif))[^\s\"'<>()]*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Personal:
    """What is known of the member whose pages are captured."""

    email: str
    name: str | None = None


def scrub_text(text: str, personal: Personal) -> str:
    """`text` with the member's values, tokens, member ids, images and secrets replaced."""
    text = scrub_secrets(text)
    for value, placeholder in ((personal.email, EMAIL), (personal.name, NAME)):
        if value:
            text = _replace_forms(text, value, placeholder)
    text = _MEMBER_URN.sub(r"\1:REDACTED", text)
    text = _CSRF.sub("ajax:REDACTED", text)
    text = _IMAGE_URL.sub(IMAGE, text)
    return _PROFILE_URL.sub(PROFILE, text)


def _replace_forms(text: str, value: str, placeholder: str) -> str:
    """Replace `value` as written and URL-encoded, whatever its letter case."""
    forms = sorted({value, quote(value, safe=""), quote_plus(value, safe="")}, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, forms)), re.IGNORECASE)
    return pattern.sub(placeholder, text)
