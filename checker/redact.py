"""Keeping secrets out of everything the tool prints, logs or records.

Secrets are registered the moment they are read from the keyring; `scrub` masks each registered
secret wherever it appears whole, as typed or URL-encoded. A secret is masked only as a whole
value, never inside a longer word, and only from a sensible length on: a two-letter password
cannot be told from the letters of "password", and masking it would corrupt what the site said
while hiding nothing. Log events also lose values under secret-sounding keys, and their text is
made safe to show.
"""

from __future__ import annotations

import re
import threading
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import quote, quote_plus

from checker.safe_text import printable

MASK = "[REDACTED]"
MIN_MASKED_LENGTH = 6
"""Shorter secrets are not masked in text (see the module's docstring)."""

_SECRET_KEYS = re.compile(r"pass|secret|token|cookie|li_at|jsession|totp|pin|authorization", re.I)
_lock = threading.Lock()
_patterns: dict[str, re.Pattern[str]] = {}


def register_secret(value: str) -> None:
    """Remember `value` so it is masked wherever it would otherwise be shown."""
    if len(value) < MIN_MASKED_LENGTH:
        return
    with _lock:
        if value not in _patterns:
            _patterns[value] = _whole_value(value)


def _whole_value(secret: str) -> re.Pattern[str]:
    """A pattern for `secret` as typed or URL-encoded, not flanked by letters or digits where its
    own first or last character is one (so "hunter2" is not masked inside "hunter22")."""
    forms = sorted({secret, quote(secret, safe=""), quote_plus(secret, safe="")}, key=len, reverse=True)
    before = r"(?<![^\W_])" if secret[0].isalnum() else ""
    after = r"(?![^\W_])" if secret[-1].isalnum() else ""
    return re.compile(before + "(?:" + "|".join(map(re.escape, forms)) + ")" + after)


def scrub(text: str) -> str:
    """Return `text` with every registered secret replaced by a mask."""
    with _lock:
        patterns = sorted(_patterns.items(), key=lambda item: len(item[0]), reverse=True)
    for _, pattern in patterns:
        text = pattern.sub(MASK, text)
    return text


def redact_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask values under secret-sounding keys and any registered secret."""
    for key, value in list(event.items()):
        if _SECRET_KEYS.search(key):
            event[key] = MASK
        elif isinstance(value, str):
            event[key] = _shown(value, multiline=key == "exception")
        elif not isinstance(value, int | float | bool | type(None)):
            event[key] = _shown(str(value), multiline=False)
    return event


def _shown(text: str, *, multiline: bool) -> str:
    text = scrub(text)
    if multiline:  # a traceback keeps its lines; each line is still made safe
        return "\n".join(printable(line) for line in text.split("\n"))
    return printable(text)
