"""Saved browser sessions: Playwright storage state (cookies) per account and site, mode 0600.

Files are named by hashes so that neither the email nor the site shows in a directory listing; the
account's hash is of `email_key`, so every spelling of an email shares its sessions. A file that is not
a usable storage state is discarded on load, and the next check signs in again: handed to the browser,
it would fail every check until deleted by hand. Links below `sessions/` are refused, never followed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from checker.accounts import account_digest
from checker.config import (
    clean_stale_temp_files,
    ensure_private_dir,
    not_ours,
    os_reason,
    probe_writable,
    read_regular_file,
    refuse_symlink,
    write_private_file,
)
from checker.errors import ConfigError
from checker.safe_text import printable


class _Open(BaseModel):
    # Playwright adds fields to its storage state over versions: unknown keys are kept, but a known
    # key with the wrong type (even one that converts, like "1" for a number) is refused.
    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


class _Cookie(_Open):
    # The names are Playwright's keys, camelCase included.
    name: str
    value: str
    domain: str
    path: str
    expires: float
    httpOnly: bool
    secure: bool
    sameSite: Literal["Strict", "Lax", "None"]


class _LocalStorageItem(_Open):
    name: str
    value: str


class _OriginState(_Open):
    origin: str
    localStorage: list[_LocalStorageItem]


class _StorageState(BaseModel):
    """What Playwright's `BrowserContext.storage_state()` returns and `new_context(storage_state=)` takes."""

    # Extra keys allowed: a newer Playwright may add one, and refusing it would mean signing in
    # on every run. A state Playwright itself refuses is discarded by the caller.
    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    cookies: list[_Cookie]
    origins: list[_OriginState]


class _Unusable(Exception):
    """A saved session the browser cannot be given; the message says why."""


def _storage_state(raw: bytes) -> dict[str, Any]:
    """The storage state in a session file's bytes; raises _Unusable."""
    try:
        state = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _Unusable("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _Unusable(f"not valid JSON: line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise _Unusable("not valid JSON: nested too deeply") from None
    try:
        _StorageState.model_validate(state)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"])
        where = where.lstrip(".") or "top level"
        message = first["msg"][:1].lower() + first["msg"][1:]
        raise _Unusable(f"not a browser storage state: {where}: {message}") from None
    assert isinstance(state, dict)  # the model accepts only an object
    return state


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class SessionStore:
    """The saved sessions under `root` (`<home>/sessions`): `<account hash>/<site hash>.json`."""

    root: Path

    @classmethod
    def in_home(cls, home: Path) -> SessionStore:
        """The sessions of the home directory `home`."""
        return cls(home / "sessions")

    def path(self, email: str, origin: str) -> Path:
        """Where the session of `email` (any spelling) on the site `origin` is kept."""
        return self.root / account_digest(email) / f"{_digest(origin)}.json"

    def prepare(self) -> None:
        """Check, before a run that saves sessions, that the sessions directory is a writable directory
        and not a link, creating it (mode 0700) when absent. The home must exist. Raises ConfigError."""
        ensure_private_dir(self.root)
        probe_writable(self.root)

    def load(
        self, email: str, origin: str, *, on_discard: Callable[[str], None] | None = None
    ) -> dict[str, Any] | None:
        """The saved storage state, or None when there is none. A file that is not a usable storage
        state is deleted and the warning to show is passed to `on_discard`. Raises ConfigError for links."""
        path = self.path(email, origin)
        self._refuse_links(path.parent)
        raw = read_regular_file(path)
        if raw is None:
            return None
        try:
            return _storage_state(raw)
        except _Unusable as why:
            warning = self.discard(email, origin, str(why))
            if on_discard is not None:
                on_discard(warning)
            return None

    def discard(self, email: str, origin: str, reason: str) -> str:
        """Delete a session that cannot be used (for example, one the browser refused) and return the
        one-line warning to show, with `reason` in it."""
        path = self.path(email, origin)
        self.forget(email, origin)
        reason = printable(reason)
        return f"the saved session {path} was unusable ({reason}) and was discarded; signing in again"

    def save(self, email: str, origin: str, state: dict[str, Any]) -> None:
        """Save `state` (mode 0600), replacing the last one. Hold `account_lock(home, email)` while
        calling it: it clears the temporary files a killed save left, which is safe only then."""
        path = self.path(email, origin)
        ensure_private_dir(self.root)
        ensure_private_dir(path.parent)
        clean_stale_temp_files(path)
        write_private_file(path, json.dumps(state).encode())

    def forget(self, email: str, origin: str) -> None:
        """Delete the session of `email` on `origin`, if any."""
        path = self.path(email, origin)
        self._refuse_links(path.parent)
        try:
            path.unlink(missing_ok=True)  # a link at `path` itself is removed, its target untouched
        except OSError as exc:
            raise ConfigError(f"cannot delete {path} ({os_reason(exc)}): delete it by hand") from None

    def has_any(self, email: str) -> bool:
        """Whether `email` has a usable saved session on any site. Reads only: deletes nothing."""
        folder = self.root / account_digest(email)
        self._refuse_links(folder)
        if not folder.is_dir():
            return False
        for path in sorted(folder.glob("*.json")):
            raw = read_regular_file(path)
            if raw is None:
                continue
            try:
                _storage_state(raw)
            except _Unusable:
                continue
            return True
        return False

    def check_can_forget(self, email: str) -> None:
        """Raise the ConfigError `forget_account(email)` would raise, changing nothing: so that a caller
        can check before it does anything that cannot be undone (deleting a keyring entry)."""
        for folder in self._account_folders(email):
            self._refuse_links(folder)
            if folder.exists() and not folder.is_dir():
                raise not_ours(folder, "a directory")
            if folder.is_dir():
                probe_writable(self.root)
                probe_writable(folder)

    def forget_account(self, email: str) -> bool:
        """Delete every saved session of `email` (any spelling); return whether there was any."""
        self.check_can_forget(email)
        found = False
        for folder in self._account_folders(email):
            if folder.is_dir():
                try:
                    shutil.rmtree(folder)  # links inside are removed, never followed
                except OSError as exc:
                    reason = os_reason(exc)
                    raise ConfigError(f"cannot delete {folder} ({reason}): delete it by hand") from None
                found = True
        return found

    def _account_folders(self, email: str) -> list[Path]:
        # Before sessions were keyed by `email_key`, they were keyed by the exact spelling: forgetting an
        # account removes that folder too, so no cookies of a removed account stay behind.
        folders = [self.root / account_digest(email), self.root / _digest(email.strip())]
        return list(dict.fromkeys(folders))

    def _refuse_links(self, folder: Path) -> None:
        refuse_symlink(self.root)
        refuse_symlink(folder)
