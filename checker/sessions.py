"""Saved browser sessions: Playwright storage state (cookies) per account and site, mode 0600.

Files are named by hashes so that neither the email nor the site shows in a directory listing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.config import write_private_file


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class SessionStore:
    root: Path

    @classmethod
    def in_home(cls, home: Path) -> SessionStore:
        return cls(home / "sessions")

    def path(self, email: str, origin: str) -> Path:
        return self.root / _digest(email) / f"{_digest(origin)}.json"

    def load(self, email: str, origin: str) -> dict[str, Any] | None:
        """The saved storage state, or None when there is none or it is unreadable."""
        path = self.path(email, origin)
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return state if isinstance(state, dict) else None

    def save(self, email: str, origin: str, state: dict[str, Any]) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_private_file(self.path(email, origin), json.dumps(state).encode())

    def forget(self, email: str, origin: str) -> None:
        self.path(email, origin).unlink(missing_ok=True)

    def has_any(self, email: str) -> bool:
        folder = self.root / _digest(email)
        return folder.is_dir() and any(folder.iterdir())

    def forget_account(self, email: str) -> bool:
        """Delete every saved session of `email`; return whether there was any."""
        folder = self.root / _digest(email)
        if not folder.exists():
            return False
        shutil.rmtree(folder)
        return True
