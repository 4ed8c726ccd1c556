"""Saved browser sessions: Playwright storage state (cookies) per account and site, encrypted, mode 0600.

Files are named by hashes so that neither the email nor the site shows in a directory listing; the
account's hash is of `email_key`, so every spelling of an email shares its sessions. Links below
`sessions/` are refused, never followed.

No cookie is ever written in plain text. A file is `HEADER` (a magic string and the format's version),
a random 12-byte nonce, and the AES-GCM encryption of the storage state's JSON, with the header and the
file's place (`<account hash>/<site hash>`) as associated data: a changed byte, a file moved to another
account's or site's place, or one encrypted under another key does not decrypt. The key, 32 random
bytes, is one per data directory, kept in the OS keyring (`SESSION_KEY_SERVICE`, the user name from
`key_name`) and made by the first save. Files are replaced atomically: temporary file, fsync, rename.

A file that is not a usable session (not in this format, as an earlier version's plaintext; not
decrypting; no key in the keyring; not a storage state) is discarded on load, and the check signs in
again: handed to the browser, it would fail every check until deleted by hand. When the keyring cannot
answer (locked, frozen, none installed), nothing is loaded or saved, and the files are kept.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from filelock import Timeout
from pydantic import BaseModel, ConfigDict, ValidationError

from checker.core.errors import ConfigError, KeyringUnavailable
from checker.core.safe_text import printable
from checker.store.credentials import CredentialStore
from checker.store.emails import account_digest
from checker.store.home import (
    clean_stale_temp_files,
    ensure_private_dir,
    not_ours,
    os_reason,
    private_lock,
    probe_writable,
    read_regular_file,
    refuse_symlink,
    write_private_file,
)

_MAGIC = b"linkedin-ai-optout session\x00"
_FORMAT = 1
HEADER = _MAGIC + bytes([_FORMAT])
"""What every session file starts with; part of the associated data, so it cannot be changed either."""
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_BYTES = 32
_KEY_LOCK = ".session-key.lock"


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


def key_name(home: Path) -> str:
    """The keyring user name of the session key of the data directory `home`: a hash of its real path,
    so that each data directory has its own key and the keyring does not show where it is."""
    return _digest(os.path.realpath(home))


def _place(path: Path) -> bytes:
    """The associated data of the session file at `path`: the header and `<account hash>/<site hash>`."""
    return HEADER + f"{path.parent.name}/{path.stem}".encode()


def _encrypted(key: bytes, path: Path, state: dict[str, Any]) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)  # random per write: a nonce never repeats under a key
    return HEADER + nonce + AESGCM(key).encrypt(nonce, json.dumps(state).encode(), _place(path))


def _sealed_parts(raw: bytes) -> tuple[bytes, bytes]:
    """The nonce and the ciphertext of a session file's bytes; raises _Unusable when it is not in the
    format this version writes. Needs no key."""
    if not raw.startswith(_MAGIC):
        if raw.lstrip()[:1] in (b"{", b"["):
            raise _Unusable("not encrypted: a plaintext session, as earlier versions saved them")
        raise _Unusable("not an encrypted session file")
    if raw[len(_MAGIC) : len(HEADER)] not in (b"", bytes([_FORMAT])):
        raise _Unusable(f"saved in format {raw[len(_MAGIC)]}, which this version does not read")
    body = raw[len(HEADER) :]
    if len(body) < _NONCE_BYTES + _TAG_BYTES:
        raise _Unusable("cut short")
    return body[:_NONCE_BYTES], body[_NONCE_BYTES:]


def _key_bytes(text: str | None) -> bytes | None:
    """The key a keyring entry holds, or None when it holds none that can be used."""
    if text is None:
        return None
    try:
        key = base64.b64decode(text, altchars=b"-_", validate=True)
    except ValueError:  # binascii.Error, and characters that are not ASCII
        return None
    return key if len(key) == _KEY_BYTES else None


_UNASKED = object()


class _SessionKey:
    """The session key of one data directory, asked of the keyring at most once per store (one run).

    What the keyring answered is remembered, no key and no answer included: a frozen keyring then costs
    its time bound once, not once per account, and a listing never asks twice.
    """

    def __init__(self, keyring: CredentialStore, root: Path) -> None:
        self._keyring = keyring
        self._name = key_name(root.parent)
        self._lock_path = root / _KEY_LOCK
        self._answer: bytes | KeyringUnavailable | object | None = _UNASKED

    def current(self) -> bytes | None:
        """The key, or None when the keyring holds no usable one. Raises KeyringUnavailable."""
        if self._answer is _UNASKED:
            try:
                self._answer = _key_bytes(self._keyring.get_session_key(self._name))
            except KeyringUnavailable as exc:
                self._answer = exc
        if isinstance(self._answer, KeyringUnavailable):
            raise KeyringUnavailable(str(self._answer))
        return self._answer if isinstance(self._answer, bytes) else None

    def ask(self) -> None:
        """Ask the keyring now, raising KeyringUnavailable when it does not answer. A key is kept for
        later; "no key yet" is not: another run may make one before this one needs it."""
        if self.current() is None:
            self._answer = _UNASKED

    async def fetch_async(self) -> None:
        """Ask the keyring now, on a background thread, unless it was asked already."""
        if self._answer is _UNASKED:
            try:
                self._answer = _key_bytes(await self._keyring.get_session_key_async(self._name))
            except KeyringUnavailable as exc:
                self._answer = exc

    def for_saving(self) -> bytes:
        """The key, made and stored in the keyring when there is none. Raises KeyringUnavailable, and
        ConfigError when another run holds the key's lock for too long."""
        key = self.current()
        if key is not None:
            return key
        lock = private_lock(self._lock_path)
        # Each keyring call inside is bounded: four bounds cover a run that makes the key.
        try:
            lock.acquire(timeout=4 * self._keyring.timeout)
        except Timeout:
            raise ConfigError(
                f"{self._lock_path}: another run is making the session key: try again"
            ) from None
        try:
            # Another run may have made the key since it was asked: that one is kept, never replaced,
            # or the sessions it saved would no longer decrypt.
            key = _key_bytes(self._keyring.get_session_key(self._name))
            if key is None:
                key = AESGCM.generate_key(bit_length=8 * _KEY_BYTES)
                self._keyring.set_session_key(self._name, base64.urlsafe_b64encode(key).decode())
        except KeyringUnavailable as exc:
            self._answer = exc
            raise
        finally:
            lock.release()
        self._answer = key
        return key


@dataclass(frozen=True)
class SessionStore:
    """The saved sessions under `root` (`<home>/sessions`): `<account hash>/<site hash>.json`, encrypted
    with the home's session key, which `keyring` keeps."""

    root: Path
    keyring: CredentialStore
    _key: _SessionKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key", _SessionKey(self.keyring, self.root))

    @classmethod
    def in_home(cls, home: Path, keyring: CredentialStore) -> SessionStore:
        """The sessions of the home directory `home`, their key kept by `keyring`."""
        return cls(home / "sessions", keyring)

    def path(self, email: str, origin: str) -> Path:
        """Where the session of `email` (any spelling) on the site `origin` is kept."""
        return self.root / account_digest(email) / f"{_digest(origin)}.json"

    def prepare(self) -> None:
        """Check, before a run that saves sessions, that the sessions directory is a writable directory
        and not a link, creating it (mode 0700) when absent. The home must exist. Raises ConfigError.
        The keyring is not asked: a run that finds no saved session must not wait for it here."""
        ensure_private_dir(self.root)
        probe_writable(self.root)

    def load(
        self, email: str, origin: str, *, on_discard: Callable[[str], None] | None = None
    ) -> dict[str, Any] | None:
        """The saved storage state, or None when there is none or it cannot be used; `on_discard` gets
        the one-line warning to show then. A file that is not a usable session is deleted. One the key of
        which the keyring cannot give (locked, not answering) is kept for a later run. Raises ConfigError
        for links."""
        path, raw = self._saved(email, origin)
        if raw is None:
            return None
        try:
            return self._opened(path, raw)
        except _Unusable as why:
            warning = self.discard(email, origin, str(why))
        except KeyringUnavailable as exc:
            warning = (
                f"the saved session {path} was not used: its key could not be read ({exc}); "
                "it is kept for a later run, and this one signs in with the password"
            )
        if on_discard is not None:
            on_discard(warning)
        return None

    def ask_key(self) -> None:
        """Ask the keyring for the home's session key now (the store remembers the answer); raise
        KeyringUnavailable when it does not answer in time. `check` asks before the browser starts:
        every account needs the keyring, and this one answer then serves every saved session."""
        self._key.ask()

    async def load_async(
        self, email: str, origin: str, *, on_discard: Callable[[str], None] | None = None
    ) -> dict[str, Any] | None:
        """`load` for a coroutine: the keyring is asked on a background thread, so that a signal that
        stops the run is not kept waiting for a keyring that does not answer."""
        if self._saved(email, origin)[1] is not None:
            await self._key.fetch_async()
        return self.load(email, origin, on_discard=on_discard)

    def discard(self, email: str, origin: str, reason: str) -> str:
        """Delete a session that cannot be used (for example, one the browser refused) and return the
        one-line warning to show, with `reason` in it."""
        path = self.path(email, origin)
        self.forget(email, origin)
        reason = printable(reason)
        return f"the saved session {path} was unusable ({reason}) and was discarded; signing in again"

    def save(self, email: str, origin: str, state: dict[str, Any]) -> None:
        """Save `state` encrypted (mode 0600), atomically replacing the last one; the first save makes
        the home's key. Raises KeyringUnavailable when the keyring cannot give or keep the key, and then
        writes nothing. Hold `account_lock(home, email)` while calling it: it clears the temporary files
        a killed save left, which is safe only then."""
        path = self.path(email, origin)
        ensure_private_dir(self.root)
        ensure_private_dir(path.parent)
        key = self._key.for_saving()
        clean_stale_temp_files(path)
        write_private_file(path, _encrypted(key, path, state))

    def forget(self, email: str, origin: str) -> None:
        """Delete the session of `email` on `origin`, if any."""
        path = self.path(email, origin)
        self._refuse_links(path.parent)
        try:
            path.unlink(missing_ok=True)  # a link at `path` itself is removed, its target untouched
        except OSError as exc:
            raise ConfigError(f"cannot delete {path} ({os_reason(exc)}): delete it by hand") from None

    def has_any(self, email: str) -> bool:
        """Whether `email` has a usable saved session on any site: one that decrypts with the key the
        keyring gives and holds a storage state. Reads only: deletes nothing, and makes no key."""
        folder = self.root / account_digest(email)
        self._refuse_links(folder)
        if not folder.is_dir():
            return False
        for path in sorted(folder.glob("*.json")):
            raw = read_regular_file(path)
            if raw is None:
                continue
            try:
                self._opened(path, raw)
            except (_Unusable, KeyringUnavailable):
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

    def _saved(self, email: str, origin: str) -> tuple[Path, bytes | None]:
        path = self.path(email, origin)
        self._refuse_links(path.parent)
        return path, read_regular_file(path)

    def _opened(self, path: Path, raw: bytes) -> dict[str, Any]:
        """The storage state in the session file `path` holding `raw`; raises _Unusable, and
        KeyringUnavailable when the key is needed and the keyring cannot give it."""
        nonce, ciphertext = _sealed_parts(raw)
        key = self._key.current()
        if key is None:
            raise _Unusable("the keyring holds no session key for this data directory: was it reset?")
        try:
            plain = AESGCM(key).decrypt(nonce, ciphertext, _place(path))
        except InvalidTag:
            raise _Unusable(
                "it does not decrypt: changed, moved from another account's place, or encrypted under "
                "another key"
            ) from None
        return _storage_state(plain)
