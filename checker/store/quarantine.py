"""Quarantine: an account whose credentials LinkedIn refused, or that met a challenge, is not sent
its password again until a person has acted.

A scheduled run that submits a changed password every week gets the account locked by LinkedIn.
So after `auth_failed` or `needs_attention`, the account's password is held back: a saved session
that still works is still used, but no run types the password until `accounts unlock`, `accounts
add` (a new password) or a person's own sign-in lifts the hold. The holds live in
`quarantine.json` in the home directory, written atomically under their own lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from checker.core.errors import ConfigError
from checker.core.outcome import CheckFailed, Outcome
from checker.core.redact import first_line
from checker.core.safe_text import printable
from checker.store.emails import email_key
from checker.store.home import clean_stale_temp_files, file_lock, read_regular_file, write_private_file

FILE_NAME = "quarantine.json"
CAUSES = (Outcome.AUTH_FAILED, Outcome.NEEDS_ATTENTION)


class Hold(BaseModel):
    """Why an account's password is held back, and since when."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    account: str
    cause: Literal["auth_failed", "needs_attention"]
    detail: str
    since: str  # ISO 8601, UTC

    @property
    def outcome(self) -> Outcome:
        return Outcome(self.cause)

    def refusal(self) -> CheckFailed:
        """What a run that would need the password ends with instead."""
        fix = f"sign in yourself with `{lifting_command(self.account, Outcome.NEEDS_ATTENTION)}`"
        if self.outcome is Outcome.AUTH_FAILED:
            new_password = lifting_command(self.account, Outcome.AUTH_FAILED)
            fix = f"if you changed the password, store the new one with `{new_password}`; or {fix}"
        return Quarantined(
            f"the password of {self.account} is held back since {self.since[:10]}, after {self.cause} "
            f"({self.detail.rstrip('. ')}): {fix}; that lifts the hold"
        )


def lifting_command(account: str, cause: Outcome) -> str:
    """The command that lifts a hold of `cause`: after a refused password (auth_failed), storing the
    new one; after a challenge, signing in in person. Never `accounts unlock`, which would only let
    the refused password be sent again."""
    verb = "add" if cause is Outcome.AUTH_FAILED else "login"
    return f"linkedin-ai-optout accounts {verb} {account}"


class Quarantined(CheckFailed):
    """A run met a login form for an account whose password is held back."""

    def __init__(self, detail: str) -> None:
        super().__init__(Outcome.NEEDS_ATTENTION, detail)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    held: dict[str, Hold]


@dataclass(frozen=True)
class Quarantine:
    """The accounts whose passwords are held back, in `quarantine.json`."""

    path: Path

    @classmethod
    def in_home(cls, home: Path) -> Quarantine:
        return cls(home / FILE_NAME)

    def prepare(self) -> None:
        """Raise ConfigError unless the file is absent or readable: a writers' preflight."""
        self._read()

    def held(self) -> list[Hold]:
        """Every hold, oldest first (then by account). Reads only."""
        return sorted(self._read().values(), key=lambda hold: (hold.since, hold.account))

    def get(self, email: str) -> Hold | None:
        """The hold on `email` (any letter case), if any. Reads only."""
        return self._read().get(email_key(email))

    def hold(self, email: str, cause: Outcome, detail: str) -> Hold:
        """Hold back the password of `email`; an existing hold (the first cause) is kept."""
        with file_lock(self.path):
            held = self._read()
            key = email_key(email)
            if key not in held:
                since = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
                held[key] = Hold(account=email, cause=cause.value, detail=detail, since=since)  # type: ignore[arg-type]
                self._write(held)
            return held[key]

    def release(self, email: str) -> Hold | None:
        """Lift the hold on `email`; return it, or None when there was none."""
        if self.get(email) is None:
            return None
        with file_lock(self.path):
            held = self._read()
            released = held.pop(email_key(email), None)
            self._write(held)
            return released

    def _read(self) -> dict[str, Hold]:
        raw = read_regular_file(self.path)
        if raw is None:
            return {}
        try:
            return dict(_File.model_validate(json.loads(raw)).held)
        except (ValueError, ValidationError) as exc:
            reason = printable(first_line(exc))
            raise ConfigError(
                f"{self.path}: not a quarantine file this version reads ({reason}): "
                "move it aside (every account's password is then allowed again)"
            ) from None

    def _write(self, held: dict[str, Hold]) -> None:
        document = {"held": {key: hold.model_dump() for key, hold in sorted(held.items())}}
        clean_stale_temp_files(self.path)  # a write killed midway leaves one; we hold the lock
        write_private_file(self.path, json.dumps(document, indent=2).encode() + b"\n")
