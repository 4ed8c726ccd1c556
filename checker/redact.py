"""Keeping secrets out of everything the tool prints, logs or records.

Secrets are registered the moment they are read from the keyring; `scrub` replaces any
registered secret found in a string. Log events also lose values under secret-sounding keys.
"""

from __future__ import annotations

import re
import threading
from collections.abc import MutableMapping
from typing import Any

MASK = "[REDACTED]"
_SECRET_KEYS = re.compile(r"pass|secret|token|cookie|li_at|jsession|totp|pin|authorization", re.I)
_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str) -> None:
    """Remember `value` so it is masked wherever it would otherwise be shown."""
    if value:
        with _lock:
            _secrets.add(value)


def scrub(text: str) -> str:
    """Return `text` with every registered secret replaced by a mask."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask values under secret-sounding keys and any registered secret."""
    for key, value in list(event.items()):
        if _SECRET_KEYS.search(key):
            event[key] = MASK
        elif isinstance(value, str):
            event[key] = scrub(value)
        elif not isinstance(value, int | float | bool | type(None)):
            event[key] = scrub(str(value))
    return event
