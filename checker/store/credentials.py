"""Everything that touches the OS keyring: the account passwords, optionally TOTP secrets, and the
key that encrypts the saved sessions.

There is no plaintext fallback: a missing or locked keyring is an error the user must fix. Every
keyring call, finding the backend included, runs on a worker thread with a time bound, because a
frozen Secret Service or a desktop unlock prompt nobody answers would otherwise hang a scheduled
check forever.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable
from typing import Generic, ParamSpec, Protocol, TypeVar, cast

if sys.platform != "darwin":
    # keyring's macOS backend loads Apple's frameworks with ctypes.util.find_library, which outside
    # macOS runs ldconfig, gcc and ld for each of three names (nine processes, tens of ms on every
    # command) to find nothing; that backend refuses to run there anyway ("macOS required"). Its API
    # module marked absent, it says "Security API unavailable" at once instead.
    sys.modules.setdefault("keyring.backends.macOS.api", None)  # type: ignore[arg-type]  # None: not importable

import keyring
import keyring.errors
from keyring.backends import fail

from checker.core.errors import CheckerError, KeyringUnavailable, UsageError
from checker.core.loop import in_daemon_thread
from checker.core.redact import register_secret

SERVICE = "linkedin-ai-optout"
TOTP_SERVICE = "linkedin-ai-optout:totp"
SESSION_KEY_SERVICE = "linkedin-ai-optout:session-key"
"""The session key of a data directory is kept under this service, with a name of the directory
(see `checker.store.sessions.key_name`) as the user name."""
SIGNING_KEY_SERVICE = "linkedin-ai-optout:report-signing-key"
"""The Ed25519 key that signs reports (`report --sign`), named like the session key."""
TIMEOUT_ENV = "LINKEDIN_AI_OPTOUT_KEYRING_TIMEOUT"
DEFAULT_TIMEOUT = 30.0
"""Seconds to wait for any one keyring call, as gh waits: long enough for a person to answer an
unlock prompt, short enough that a scheduled run ends."""
MAX_TIMEOUT = 3600.0
"""The most `TIMEOUT_ENV` may ask for: an hour is already longer than any person takes to unlock."""

_WHAT = {
    SERVICE: "password",
    TOTP_SERVICE: "TOTP secret",
    SESSION_KEY_SERVICE: "session key",
    SIGNING_KEY_SERVICE: "report signing key",
}

_P = ParamSpec("_P")
_R = TypeVar("_R")

Undo = Callable[[], None]
"""Puts the entries an earlier `store` or `remove` changed back as they were; raises
KeyringUnavailable when the keyring cannot."""


class PasswordBackend(Protocol):
    """The three calls the store makes of a keyring. keyring's backends have them, and so does
    MemoryKeyring, which deliberately is not one of keyring's backends."""

    def get_password(self, service: str, username: str) -> str | None: ...

    def set_password(self, service: str, username: str, password: str) -> None: ...

    def delete_password(self, service: str, username: str) -> None: ...


class CredentialStore:
    """Passwords and TOTP secrets of the configured accounts, and the session key, kept in a keyring
    backend.

    The OS keyring is looked up on first use only: a command that needs no secret never touches
    it, and finding the backend (a D-Bus round trip on Linux) costs startup time.
    `timeout` bounds each keyring call, in seconds; None means `$LINKEDIN_AI_OPTOUT_KEYRING_TIMEOUT`,
    else 30.
    """

    def __init__(self, backend: PasswordBackend | None = None, *, timeout: float | None = None) -> None:
        self.timeout = _resolve_timeout(timeout)
        self._backend = backend
        self._discovery: _Worker[PasswordBackend] | None = None
        self._discovery_lock = threading.Lock()  # callers may use the store from several threads

    @property
    def backend(self) -> PasswordBackend:
        """The backend given, else the OS keyring's, found within the time bound on first use."""
        if self._backend is None:
            # One discovery at a time: after a timeout, the next call waits on the same attempt
            # rather than piling another stuck thread on a frozen keyring.
            with self._discovery_lock:
                if self._discovery is None:
                    self._discovery = _Worker(_chosen_keyring)
                discovery = self._discovery
            try:
                self._backend = self._answer(discovery)
            finally:
                if self._backend is None and discovery.done:
                    self._discovery = None  # it ended in an error: the next use tries afresh
        return self._backend

    def describe(self) -> str:
        """The backend's name, as `doctor` shows it; raises KeyringUnavailable if finding it times out."""
        cls = type(self.backend)
        return f"{cls.__module__}.{cls.__name__}"

    def get_password(self, email: str) -> str | None:
        """The account's password, or None when none is stored."""
        return self._read(SERVICE, email)

    def get_totp_secret(self, email: str) -> str | None:
        """The account's authenticator (TOTP) secret, or None when none is stored."""
        return self._read(TOTP_SERVICE, email)

    async def get_password_async(self, email: str) -> str | None:
        """`get_password` for a coroutine; a cancelled caller is never kept waiting (in_daemon_thread)."""
        return await in_daemon_thread(lambda: self.get_password(email), "keyring-call")

    async def get_totp_secret_async(self, email: str) -> str | None:
        """`get_totp_secret` for a coroutine; a cancelled caller is never kept waiting."""
        return await in_daemon_thread(lambda: self.get_totp_secret(email), "keyring-call")

    def get_session_key(self, name: str) -> str | None:
        """The key that encrypts the saved sessions of the data directory `name` names, or None."""
        return self._read(SESSION_KEY_SERVICE, name)

    async def get_session_key_async(self, name: str) -> str | None:
        """`get_session_key` for a coroutine; a cancelled caller is never kept waiting."""
        return await in_daemon_thread(lambda: self.get_session_key(name), "keyring-call")

    def set_session_key(self, name: str, key: str) -> Undo:
        """Store the session key of the data directory `name` names, read back as `store` reads back
        what it writes; KeyringUnavailable when it is not kept, and then the entry is as it was."""
        register_secret(key)
        return self._change(name, {SESSION_KEY_SERVICE: key}, "no session key was stored")

    def get_signing_key(self, name: str) -> str | None:
        """The report signing key of the data directory `name` names, or None."""
        return self._read(SIGNING_KEY_SERVICE, name)

    def set_signing_key(self, name: str, key: str) -> Undo:
        """Store the report signing key, read back; KeyringUnavailable when it is not kept."""
        register_secret(key)
        return self._change(name, {SIGNING_KEY_SERVICE: key}, "no signing key was stored")

    def probe(self) -> None:
        """Raise KeyringUnavailable unless the backend answers a read in time."""
        self._call(self.backend.get_password, SERVICE, "doctor-probe@invalid")

    def store(self, email: str, password: str, totp_secret: str | None = None) -> Undo:
        """Store the account's password, and its TOTP secret when one is given: all or nothing.

        Each value is read back after it is written. When a write fails, or the keyring hands
        back something else, the entries are put back as they were and KeyringUnavailable is
        raised. A `totp_secret` of None leaves a stored TOTP secret as it is. The callable
        returned puts back what was there before this call, for a caller whose next step fails.
        """
        register_secret(password)
        wanted: dict[str, str | None] = {SERVICE: password}
        if totp_secret is not None:
            register_secret(totp_secret)
            wanted[TOTP_SERVICE] = totp_secret
        return self._change(email, wanted, "nothing was stored")

    def remove(self, email: str) -> Undo:
        """Delete the account's password and TOTP secret: all or nothing, like `store`.

        Entries that are not there are not an error. The callable returned puts back what was
        there, for a caller whose next step fails.
        """
        return self._change(email, {SERVICE: None, TOTP_SERVICE: None}, "nothing was removed")

    def _change(self, email: str, wanted: dict[str, str | None], unchanged: str) -> Undo:
        # Reading first is what makes an undo possible; a failure here has changed nothing.
        previous = {service: self._read(service, email) for service in wanted}
        touched: dict[str, str | None] = {}
        try:
            for service, value in wanted.items():
                if value != previous[service]:
                    # Noted before the write: a write that fails or times out may still have landed.
                    touched[service] = previous[service]
                    self._put(service, email, value)
            for service, value in wanted.items():
                if self._read(service, email) != value:
                    raise _NotKept(service, deleting=value is None)
        except BaseException as failure:  # Ctrl-C too: an interrupted change is put back as well
            try:
                self._restore(email, touched)
            except CheckerError as restore_failure:
                if not isinstance(failure, Exception):
                    raise failure from restore_failure  # an interrupt stays an interrupt
                raise KeyringUnavailable(
                    f"{_reason(failure)}, and putting back what was there failed ({restore_failure}): "
                    f"check the keyring's entries for {email}"
                ) from None
            if isinstance(failure, _NotKept):
                raise KeyringUnavailable(f"{failure}: {unchanged}") from None
            raise
        return lambda: self._restore(email, touched)

    def _restore(self, email: str, previous: dict[str, str | None]) -> None:
        failures: list[CheckerError] = []
        for service, value in previous.items():
            # Each entry is tried even when another fails: the fewer left changed, the better.
            try:
                self._put(service, email, value)
            except CheckerError as exc:
                failures.append(exc)
        if failures:
            raise failures[0]

    def _read(self, service: str, email: str) -> str | None:
        value = self._call(self.backend.get_password, service, email)
        if value:
            register_secret(value)
        return value

    def _put(self, service: str, email: str, value: str | None) -> None:
        """Set the entry to `value`, or delete it when `value` is None (absent already is fine)."""
        if value is not None:
            self._call(self.backend.set_password, service, email, value)
            return
        try:
            self._call(self.backend.delete_password, service, email)
        except keyring.errors.PasswordDeleteError as exc:
            # keyring's way of saying there was nothing to delete; or, when the entry is still
            # there, the backend's refusal (a read-only one's), said as it is.
            if self._call(self.backend.get_password, service, email) is not None:
                raise KeyringUnavailable(
                    f"the keyring would not delete the {_WHAT[service]}: {exc}"
                ) from None

    def _call(self, method: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if isinstance(self.backend, fail.Keyring):
            raise KeyringUnavailable(
                "no keyring backend is available: install and unlock one (e.g. gnome-keyring); "
                "passwords are never stored in plain text"
            )
        return self._answer(_Worker(lambda: method(*args, **kwargs)))

    def _answer(self, worker: _Worker[_R]) -> _R:
        try:
            return worker.wait(self.timeout)
        except keyring.errors.KeyringLocked:
            raise KeyringUnavailable("the keyring is locked: unlock it and try again") from None
        except keyring.errors.PasswordDeleteError:
            raise
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(f"the keyring failed: {type(exc).__name__}: {exc}") from None


class MemoryKeyring:
    """A keyring that lives only as long as the process: for `demo`, which must leave the user's
    real keyring untouched.

    Deliberately not a `keyring.backend.KeyringBackend`: every subclass of that registers itself
    for keyring's backend discovery, where this one tied with the fail backend and, when picked,
    made `accounts add` report success while throwing the password away.
    """

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        """The stored value, or None."""
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store `password`, replacing any earlier value."""
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Forget the entry; PasswordDeleteError when there is none, as keyring's backends do."""
        if self._items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


class _Unanswered(KeyringUnavailable):
    """A keyring call did not return within the time bound."""


class _NotKept(KeyringUnavailable):
    """A value read back after a change is not the value written."""

    def __init__(self, service: str, *, deleting: bool) -> None:
        what = _WHAT[service]
        super().__init__(
            f"the keyring did not delete the {what} (it still reads back)"
            if deleting
            else f"the keyring did not keep the {what} (it read back differently)"
        )


class _Worker(Generic[_R]):
    """One call on a daemon thread, so that a call that never returns can be abandoned.

    Not a ThreadPoolExecutor: its threads are joined at interpreter exit, so a frozen keyring
    would still hang the process there. A daemon thread is simply dropped at exit.
    """

    def __init__(self, call: Callable[[], _R]) -> None:
        self._call = call
        self._result: _R | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="keyring-call", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = self._call()
        except BaseException as exc:  # handed to the waiting thread, which raises it there
            self._error = exc

    @property
    def done(self) -> bool:
        """Whether the call has returned or raised."""
        return not self._thread.is_alive()

    def wait(self, seconds: float) -> _R:
        """The call's result, or its exception raised here; _Unanswered after `seconds`."""
        self._thread.join(seconds)
        if self._thread.is_alive():
            raise _Unanswered(
                f"the keyring did not answer in {seconds:g} s: unlock it (or start it) and try again"
            )
        if self._error is not None:
            raise self._error
        return cast(_R, self._result)


def _resolve_timeout(timeout: float | None) -> float:
    if timeout is not None:
        if not (math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        return timeout
    raw = os.environ.get(TIMEOUT_ENV)
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(f"{TIMEOUT_ENV} must be a positive number of seconds, not {raw!r}")
    if seconds > MAX_TIMEOUT:  # far more overflows the event loop's clock (OverflowError)
        raise UsageError(f"{TIMEOUT_ENV} must be at most {MAX_TIMEOUT:g} seconds, not {raw!r}")
    return seconds


BACKEND_ENV = "PYTHON_KEYRING_BACKEND"
"""keyring's own variable naming a backend class (`module.Class`), the only way to choose one
explicitly; the mounted-secrets backend (mounted_secrets.py) is chosen no other way."""


def _chosen_keyring() -> PasswordBackend:
    """keyring's backend; a name in $PYTHON_KEYRING_BACKEND that is no backend is KeyringUnavailable
    naming it, not keyring's import error."""
    try:
        return keyring.get_keyring()
    except (ImportError, AttributeError, TypeError) as exc:
        chosen = os.environ.get(BACKEND_ENV)
        if not chosen:
            raise
        raise KeyringUnavailable(
            f"{BACKEND_ENV}={chosen!r} names no keyring backend ({type(exc).__name__}: {exc}): give "
            "module.Class of an installed backend, or unset it"
        ) from None


def _reason(failure: Exception) -> str:
    # An unexpected exception is named, not quoted: its text is not known to be free of secrets.
    return (
        str(failure) if isinstance(failure, CheckerError) else f"the keyring failed: {type(failure).__name__}"
    )
