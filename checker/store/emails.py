"""What names an account: its email, checked as an address and compared as LinkedIn compares it,
and for a fleet, its group names and label. Every account's files are named by `account_digest`.

An email is checked as an address by email-validator (no DNS), and may not start with `-`: every
account ends up as a word of a command line (a scheduled job's), where it must never read as an option.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata

import email_validator

from checker.core.errors import UsageError
from checker.core.safe_text import printable

_GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_LABEL = 200


def validate_email(email: str) -> str:
    """The email stripped of surrounding blanks, as spelled; UsageError when it is not an address by
    email-validator's rules without DNS (a domain with a dot and no special-use name such as `.test`
    or `localhost`, no quoted local part or IP literal, no control, format or separator character),
    or starts with `-`: on a scheduled job's command line, `--browser-path=./x@x.org` is an option."""
    email = email.strip()
    if email.startswith("-"):
        raise UsageError(f"not an email address: {quoted(email)} (it starts with '-', like an option)")
    try:
        email_validator.validate_email(email, check_deliverability=False)
    except email_validator.EmailNotValidError:
        raise UsageError(f"not an email address: {quoted(email)}") from None
    return email


def unknown_account(email: str, known: list[str], *, addable: bool = True) -> UsageError:
    """The error for `email`, which is not among the `known` accounts: it names the one `email` is
    most likely a slip for ("did you mean ...?"), or else, when `addable`, how to add it. A typo is
    never recommended for adding."""
    by_key = {email_key(account): account for account in known}
    close = difflib.get_close_matches(email_key(email), list(by_key), n=1, cutoff=0.9)
    if close:
        return UsageError(f"unknown account: {email} (did you mean {by_key[close[0]]}?)")
    if addable:
        return UsageError(f"unknown account: {email} (add it with: linkedin-ai-optout accounts add {email})")
    return UsageError(f"unknown account: {email}")


def email_key(email: str) -> str:
    """What two spellings of one email have in common: LinkedIn ignores case in sign-in emails,
    local part included, so `Bob@Example.com` and `bob@example.com` are one account."""
    return email.strip().casefold()


def account_digest(email: str) -> str:
    """A file name for an account's files that does not show its email, the same for every spelling."""
    return hashlib.sha256(email_key(email).encode()).hexdigest()[:24]


def validate_group(name: str) -> str:
    """`name` if it can name a group (letters, digits, `.`, `_`, `-`; 64 at most, a letter or digit
    first), else UsageError. Groups compare case-insensitively."""
    if not _GROUP.match(name):
        raise UsageError(
            f"not a group name: {quoted(name)} (letters, digits, '.', '_' and '-', starting with a "
            "letter or digit)"
        )
    return name


def validate_label(label: str) -> str:
    """`label` stripped, if it is one line of printable text of 200 characters at most."""
    label = label.strip()
    if len(label) > MAX_LABEL or any(unicodedata.category(char)[0] == "C" for char in label):
        raise UsageError(f"not a label: {quoted(label)} (one line of {MAX_LABEL} characters at most)")
    return label


def quoted(text: str) -> str:
    shown = printable(text[:80]) + ("…" if len(text) > 80 else "")
    return f"'{shown}'"
