"""What the store tests share: a saved session as Playwright's storage state holds one."""

from __future__ import annotations

from typing import Any


def li_at_cookie(value: str) -> dict[str, Any]:
    """LinkedIn's session cookie, as Playwright saves it for the fixture site on 127.0.0.1."""
    return {
        "name": "li_at",
        "value": value,
        "domain": "127.0.0.1",
        "path": "/",
        "expires": -1,
        "httpOnly": True,
        "secure": False,
        "sameSite": "Lax",
    }
