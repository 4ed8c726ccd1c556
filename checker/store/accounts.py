"""The accounts to check: `accounts.json`, and which of its accounts a run is for.

The file holds emails, and for a fleet a label and groups per account; never a password (those
live in the keyring). It is validated on every read (by the rules of emails.py): an entry that is
not an email, a bad group name, or an account listed twice, is named with the file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from checker.core.errors import ConfigError, UsageError
from checker.core.safe_text import printable
from checker.store.emails import (
    email_key,
    quoted,
    unknown_account,
    validate_email,
    validate_group,
    validate_label,
)
from checker.store.home import (
    clean_stale_temp_files,
    ensure_private_dir,
    home_path,
    os_reason,
    private_lock,
    read_regular_file,
    write_private_file,
)


@dataclass(frozen=True)
class Account:
    """An entry of the accounts file: the email as first spelled, and for fleets a label and groups."""

    email: str
    label: str = ""
    groups: tuple[str, ...] = ()

    def in_group(self, name: str) -> bool:
        return name.casefold() in {group.casefold() for group in self.groups}

    def to_json(self) -> str | dict[str, Any]:
        """A bare email when there is nothing more to say, as files before labels had it."""
        if not (self.label or self.groups):
            return self.email
        entry: dict[str, Any] = {"email": self.email}
        if self.label:
            entry["label"] = self.label
        if self.groups:
            entry["groups"] = list(self.groups)
        return entry


# --- the accounts file ----------------------------------------------------------------------


def _entry_error(message: str) -> PydanticCustomError:
    # The message is the whole template: file content must not be read as `{placeholders}`.
    return PydanticCustomError("account_entry", "{message}", {"message": message})


def _checked_email(value: str) -> str:
    try:
        return validate_email(value)
    except UsageError as exc:
        raise _entry_error(str(exc)) from None


def _checked_group(value: str) -> str:
    try:
        return validate_group(value)
    except UsageError as exc:
        raise _entry_error(str(exc)) from None


def _checked_label(value: str) -> str:
    try:
        return validate_label(value)
    except UsageError as exc:
        raise _entry_error(str(exc)) from None


Email = Annotated[str, AfterValidator(_checked_email)]
_BARE, _ENTRY = "bare email", "entry"
"""The two spellings of an account in the file; their names never show in an error."""


class _Entry(BaseModel):
    """An account with a label and groups: `{"email": ..., "label": ..., "groups": [...]}`."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    email: Email
    label: Annotated[str, AfterValidator(_checked_label)] = ""
    groups: list[Annotated[str, AfterValidator(_checked_group)]] = []


class _AccountsFile(BaseModel):
    """`accounts.json`: `{"accounts": [<email or entry>, ...]}`, each account once whatever its spelling."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    accounts: list[
        Annotated[
            Annotated[Email, Tag(_BARE)] | Annotated[_Entry, Tag(_ENTRY)],
            Discriminator(lambda value: _ENTRY if isinstance(value, dict) else _BARE),
        ]
    ]

    def entries(self) -> list[Account]:
        return [
            Account(entry) if isinstance(entry, str) else Account(entry.email, entry.label, (*entry.groups,))
            for entry in self.accounts
        ]

    @model_validator(mode="after")
    def _each_account_once(self) -> _AccountsFile:
        seen: set[str] = set()
        for index, account in enumerate(self.entries()):
            if email_key(account.email) in seen:
                raise _entry_error(f"accounts[{index}]: {quoted(account.email)} is listed twice")
            seen.add(email_key(account.email))
        return self


_EXPECTED = 'expected {"accounts": [...]}'


def _parse_accounts(path: Path, raw: bytes) -> list[Account]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid JSON (nested too deeply)") from None
    try:
        return _AccountsFile.model_validate(data).entries()
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_described(exc.errors()[0])}") from None


def _described(error: ErrorDetails) -> str:
    where = _location(error["loc"])
    found = _json_kind(error.get("input"))
    in_entry = len(error["loc"]) > 2  # ("accounts", index, tag, ...): inside an account's entry
    field = error["loc"][-1] if error["loc"] else None
    match error["type"]:
        case "model_type":
            return f"{_EXPECTED}, found {found}"
        case "missing" if in_entry:
            return f'{where}: missing; an account\'s entry is {{"email": ..., "label": ..., "groups": [...]}}'
        case "missing":
            return f'{_EXPECTED}, found an object without "accounts"'
        case "extra_forbidden" if in_entry:
            return f"{where}: unknown key; an account's entry has email, label and groups"
        case "extra_forbidden":
            return f"{where}: unknown key; {_EXPECTED}"
        case "list_type" if field == "groups":
            return f"{where}: expected a list of group names, found {found}"
        case "list_type":
            return f"{where}: expected a list of email addresses, found {found}"
        case "string_type" if field in ("label", "groups") or (isinstance(field, int) and in_entry):
            return f"{where}: expected text, found {found}"
        case "string_type":
            return f"{where}: expected an email address, found {found}"
    return f"{where}: {error['msg']}" if where else error["msg"]


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if part in (_BARE, _ENTRY):
            continue
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

    def entries(self) -> list[Account]:
        """The configured accounts as spelled when added, in order; none when there is no file yet.
        Raises ConfigError naming the file and the bad entry when it is malformed."""
        raw = read_regular_file(self.path)
        return [] if raw is None else _parse_accounts(self.path, raw)

    def emails(self) -> list[str]:
        """The configured emails, in order (see `entries`)."""
        return [account.email for account in self.entries()]

    def resolve(self, email: str) -> str | None:
        """The configured spelling of `email` (in any spelling), or None when it is not configured."""
        key = email_key(email)
        return next((known for known in self.emails() if email_key(known) == key), None)

    def __contains__(self, email: object) -> bool:
        return isinstance(email, str) and self.resolve(email) is not None

    def require(self, email: str, *, addable: bool = True) -> str:
        """The configured spelling of `email`; UsageError when it is not configured, naming the
        account it is likely a slip for (see emails.unknown_account)."""
        spelled = self.resolve(email)
        if spelled is None:
            raise unknown_account(email, self.emails(), addable=addable)
        return spelled

    def add(self, email: str, *, label: str | None = None, groups: tuple[str, ...] | None = None) -> bool:
        """Add `email` with its label and groups; return False when any spelling of it is there
        already: that entry keeps its spelling, and takes the label and groups given (None: kept)."""
        email = validate_email(email)
        with self._locked():
            entries = self.entries()
            for index, known in enumerate(entries):
                if email_key(known.email) == email_key(email):
                    changed = dataclasses.replace(
                        known,
                        label=known.label if label is None else label,
                        groups=known.groups if groups is None else groups,
                    )
                    if changed != known:
                        entries[index] = changed
                        self._write(entries)
                    return False
            self._write([*entries, Account(email, label or "", groups or ())])
            return True

    @contextlib.contextmanager
    def adding(self) -> Iterator[Additions]:
        """Accounts added under one hold of the file's lock: the file read once, and written by
        `Additions.save` and at the block's end (not when an error ends it), not twice per account as
        by `add`, which for thousands of accounts costs time in their square."""
        with self._locked():
            additions = Additions(self, self.entries())
            yield additions
            additions.save()

    def remove(self, email: str) -> bool:
        """Remove `email`, whatever its spelling; return False when it was not there."""
        with self._locked():
            entries = self.entries()
            kept = [known for known in entries if email_key(known.email) != email_key(email)]
            if len(kept) == len(entries):
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

    def _write(self, entries: list[Account]) -> None:
        clean_stale_temp_files(self.path)
        document = {"accounts": [entry.to_json() for entry in entries]}
        write_private_file(self.path, json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n")


class Additions:
    """New accounts for the file, held until `save` (see `AccountList.adding`)."""

    def __init__(self, accounts: AccountList, entries: list[Account]) -> None:
        self._accounts = accounts
        self._entries = entries
        self._spelled = {email_key(entry.email): entry.email for entry in entries}
        self.unsaved = 0

    def resolve(self, email: str) -> str | None:
        """The spelling of `email` in the file or among the additions; None when it is in neither."""
        return self._spelled.get(email_key(email))

    def add(self, account: Account) -> None:
        """Add an account that `resolve` does not know (UsageError if it does)."""
        if self.resolve(account.email) is not None:
            raise UsageError(f"{account.email} is configured already")
        self._entries.append(account)
        self._spelled[email_key(account.email)] = account.email
        self.unsaved += 1

    def save(self) -> None:
        """Write the file with the additions so far, when there are new ones; raises ConfigError."""
        if self.unsaved:
            self._accounts._write(self._entries)
            self.unsaved = 0


def wanted_accounts(emails: list[str], groups: list[str] | None = None) -> list[str]:
    """The configured spelling of each account a command names, or every configured account; with
    `groups`, only those in one of them. UsageError for an unknown account or group, or when there
    is no account to check."""
    configured = AccountList.in_home(home_path()).entries()
    if not emails and not groups:
        if not configured:
            raise UsageError("no accounts configured: add one with: linkedin-ai-optout accounts add EMAIL")
        return [account.email for account in configured]
    spelled = {email_key(account.email): account.email for account in configured}
    named: list[str] = []
    for email in map(validate_email, emails):
        known = spelled.get(email_key(email))
        if known is None:
            raise unknown_account(email, list(spelled.values()))
        named.append(known)
    if not groups:
        return list(dict.fromkeys(named))
    members = group_members(configured, groups)
    # Emails named too narrow the groups to them; groups alone mean all their members.
    wanted = [
        account.email
        for account in configured
        if email_key(account.email) in members and (not emails or account.email in named)
    ]
    if not wanted:
        raise UsageError("--group: none of the accounts named is in the group")
    return wanted


def group_members(accounts: list[Account], groups: list[str]) -> set[str]:
    """The email keys (see `email_key`) of `accounts` in any of `groups`; UsageError naming a group
    no account is in (a typo would otherwise select nobody, silently)."""
    for name in groups:
        if not any(account.in_group(name) for account in accounts):
            raise UsageError(f"--group: no account is in the group {quoted(name)}")
    return {email_key(account.email) for account in accounts if any(account.in_group(n) for n in groups)}
