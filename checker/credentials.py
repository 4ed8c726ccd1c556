"""Everything that touches the OS keyring: the account passwords and, optionally, TOTP secrets.

There is no plaintext fallback: a missing or locked keyring is an error the user must fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import fail

from checker.errors import KeyringUnavailable
from checker.redact import register_secret

SERVICE = "linkedin-ai-optout"
TOTP_SERVICE = "linkedin-ai-optout:totp"

_P = ParamSpec("_P")
_R = TypeVar("_R")


@dataclass
class CredentialStore:
    """Passwords and TOTP secrets of the configured accounts, kept in a keyring backend.

    The OS keyring is looked up on first use only: a check whose saved session still works
    never needs it, and finding the backend (a D-Bus round trip on Linux) costs startup time.
    """

    _backend: KeyringBackend | None = None

    @property
    def backend(self) -> KeyringBackend:
        if self._backend is None:
            self._backend = keyring.get_keyring()
        return self._backend

    def describe(self) -> str:
        """The backend's name, as `doctor` shows it."""
        cls = type(self.backend)
        return f"{cls.__module__}.{cls.__name__}"

    def set_password(self, email: str, password: str) -> None:
        self._call(self.backend.set_password, SERVICE, email, password)

    def get_password(self, email: str) -> str | None:
        password = self._call(self.backend.get_password, SERVICE, email)
        if password:
            register_secret(password)
        return password

    def set_totp_secret(self, email: str, secret: str) -> None:
        self._call(self.backend.set_password, TOTP_SERVICE, email, secret)

    def get_totp_secret(self, email: str) -> str | None:
        secret = self._call(self.backend.get_password, TOTP_SERVICE, email)
        if secret:
            register_secret(secret)
        return secret

    def delete(self, email: str) -> bool:
        """Delete the account's password and TOTP secret; return whether a password was stored."""
        existed = False
        for service in (SERVICE, TOTP_SERVICE):
            try:
                self._call(self.backend.delete_password, service, email)
            except keyring.errors.PasswordDeleteError:
                continue
            existed = existed or service == SERVICE
        return existed

    def probe(self) -> None:
        """Raise KeyringUnavailable unless the backend answers a read."""
        self._call(self.backend.get_password, SERVICE, "doctor-probe@invalid")

    def _call(self, method: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if isinstance(self.backend, fail.Keyring):
            raise KeyringUnavailable(
                "no keyring backend is available: install and unlock one (e.g. gnome-keyring); "
                "passwords are never stored in plain text"
            )
        try:
            return method(*args, **kwargs)
        except keyring.errors.KeyringLocked:
            raise KeyringUnavailable("the keyring is locked: unlock it and try again") from None
        except keyring.errors.PasswordDeleteError:
            raise
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(f"the keyring failed: {type(exc).__name__}: {exc}") from None


class MemoryKeyring(KeyringBackend):
    """A keyring that lives only as long as the process: for `demo`, which must leave the user's
    real keyring untouched. Never chosen automatically (priority 0 keeps it out of discovery)."""

    priority = 0

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")
