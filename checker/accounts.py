"""The accounts to check: their emails, compared as LinkedIn compares them, and `accounts.json`.

The file holds emails only (passwords live in the keyring) and is validated on every read: an
entry that is not an email, or an account listed twice, is named with the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from checker.config import (
    clean_stale_temp_files,
    ensure_private_dir,
    home_path,
    os_reason,
    private_lock,
    read_regular_file,
    write_private_file,
)
from checker.errors import ConfigError, UsageError
from checker.safe_text import printable

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# --- emails ---------------------------------------------------------------------------------


def validate_email(email: str) -> str:
    """Return the email stripped of surrounding blanks, or raise UsageError when it is not one
    (control, format and separator characters included: they would hide in a terminal or a log)."""
    email = email.strip()
    hidden = any(unicodedata.category(char)[0] in "CZ" for char in email)
    if hidden or not _EMAIL.match(email):
        raise UsageError(f"not an email address: {email!r}")
    return email


def email_key(email: str) -> str:
    """What two spellings of one email have in common: LinkedIn ignores case in sign-in emails,
    local part included, so `Bob@Example.com` and `bob@example.com` are one account."""
    return email.strip().casefold()


def account_digest(email: str) -> str:
    """A file name for an account's files that does not show its email, the same for every spelling."""
    return hashlib.sha256(email_key(email).encode()).hexdigest()[:24]


# --- the accounts file ----------------------------------------------------------------------


def _quoted(text: str) -> str:
    shown = printable(text[:80]) + ("…" if len(text) > 80 else "")
    return f"'{shown}'"


def _entry_error(message: str) -> PydanticCustomError:
    # The message is the whole template: file content must not be read as `{placeholders}`.
    return PydanticCustomError("account_entry", "{message}", {"message": message})


def _checked_email(value: str) -> str:
    try:
        return validate_email(value)
    except UsageError:
        raise _entry_error(f"not an email address: {_quoted(value)}") from None


class _AccountsFile(BaseModel):
    """`accounts.json`: `{"accounts": [<email>, ...]}`, each account once whatever its spelling."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    accounts: list[Annotated[str, AfterValidator(_checked_email)]]

    @model_validator(mode="after")
    def _each_account_once(self) -> _AccountsFile:
        seen: set[str] = set()
        for index, email in enumerate(self.accounts):
            if email_key(email) in seen:
                raise _entry_error(f"accounts[{index}]: {_quoted(email)} is listed twice")
            seen.add(email_key(email))
        return self


_EXPECTED = 'expected {"accounts": [...]}'


def _parse_accounts(path: Path, raw: bytes) -> list[str]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid JSON (nested too deeply)") from None
    try:
        return list(_AccountsFile.model_validate(data).accounts)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_described(exc.errors()[0])}") from None


def _described(error: ErrorDetails) -> str:
    where = _location(error["loc"])
    found = _json_kind(error.get("input"))
    match error["type"]:
        case "model_type":
            return f"{_EXPECTED}, found {found}"
        case "missing":
            return f'{_EXPECTED}, found an object without "accounts"'
        case "extra_forbidden":
            return f"{where}: unknown key; {_EXPECTED}"
        case "list_type":
            return f"{where}: expected a list of email addresses, found {found}"
        case "string_type":
            return f"{where}: expected an email address, found {found}"
    return f"{where}: {error['msg']}" if where else error["msg"]


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + printable(part)
    return text


def _json_kind(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)  # null, true, false
    kinds = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return kinds.get(type(value), "a value")


@dataclass(frozen=True)
class AccountList:
    """The configured accounts (their emails only; passwords live in the keyring), in `accounts.json`.

    Emails compare case-insensitively (see `email_key`) and keep the spelling they were added with.
    """

    path: Path

    @classmethod
    def in_home(cls, home: Path) -> AccountList:
        """The accounts file of the home directory `home`."""
        return cls(home / "accounts.json")

    def emails(self) -> list[str]:
        """The configured emails as spelled when added, in order; none when there is no file yet.
        Raises ConfigError naming the file and the bad entry when it is malformed."""
        raw = read_regular_file(self.path)
        return [] if raw is None else _parse_accounts(self.path, raw)

    def resolve(self, email: str) -> str | None:
        """The configured spelling of `email` (in any spelling), or None when it is not configured."""
        key = email_key(email)
        return next((known for known in self.emails() if email_key(known) == key), None)

    def __contains__(self, email: object) -> bool:
        return isinstance(email, str) and self.resolve(email) is not None

    def add(self, email: str) -> bool:
        """Add `email`; return False, keeping the spelling already there, when any spelling of it is."""
        email = validate_email(email)
        with self._locked():
            emails = self.emails()
            if any(email_key(known) == email_key(email) for known in emails):
                return False
            self._write([*emails, email])
            return True

    def remove(self, email: str) -> bool:
        """Remove `email`, whatever its spelling; return False when it was not there."""
        with self._locked():
            emails = self.emails()
            kept = [known for known in emails if email_key(known) != email_key(email)]
            if len(kept) == len(emails):
                return False
            self._write(kept)
            return True

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        ensure_private_dir(self.path.parent)
        path = self.path.with_name(self.path.name + ".lock")
        lock = private_lock(path)
        try:
            lock.acquire()
        except OSError as exc:  # the lock file cannot be created or opened: a read-only directory, say
            raise ConfigError(
                f"cannot lock {path} ({os_reason(exc)}): check that {path.parent} is writable"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def _write(self, emails: list[str]) -> None:
        clean_stale_temp_files(self.path)
        write_private_file(self.path, json.dumps({"accounts": emails}, indent=2).encode() + b"\n")


def wanted_accounts(emails: list[str]) -> list[str]:
    """The configured spelling of each account a command names, or every configured account;
    UsageError for an unknown one, or when none is configured."""
    accounts = AccountList.in_home(home_path())
    if not emails:
        configured = accounts.emails()
        if not configured:
            raise UsageError("no accounts configured: add one with: linkedin-ai-optout accounts add EMAIL")
        return configured
    wanted = []
    for email in map(validate_email, emails):
        known = accounts.resolve(email)
        if known is None:
            raise UsageError(
                f"unknown account: {email} (add it with: linkedin-ai-optout accounts add {email})"
            )
        wanted.append(known)
    return list(dict.fromkeys(wanted))
