"""A read-only keyring backend for secrets an orchestrator mounts as files: a Kubernetes Secret volume,
or files the External Secrets Operator or the Vault Agent Injector put in one directory.

Chosen only by name, never by keyring's discovery:

    PYTHON_KEYRING_BACKEND=checker.store.mounted_secrets.MountedSecrets

Its `priority` raises unless that variable names it, so keyring never counts it among the viable
backends (no entry point is registered, and importing the module registers nothing keyring would
pick). A pod gets exactly this backend, and a desktop never does.

The directory is `$LINKEDIN_AI_OPTOUT_SECRETS_DIR`, else `/var/run/secrets/linkedin-ai-optout`. In it:

- one file per account, named freely (a Secret key allows only `[-._a-zA-Z0-9]`, and an email has
  `@`, often `+`): lines of `name: value`, `email` and `password` required, `totp` optional (the
  authenticator's secret). Surrounding blanks of a value are dropped, so a password cannot begin or
  end with one; blank lines are skipped. The email is matched as LinkedIn matches it, in any case.
- `session-key`, optional: the key of the saved sessions (32 random bytes, base64), the answer for
  every user name of the session-key service. Without it, no session is kept between runs.
- names starting with `.` are skipped: kubelet's `..data` link and its timestamped directory. Any
  other entry must be an account file: a stray file is an error, never silently ignored.

A file any user may read (kubelet's default mode is 0644) is read all the same: the volume is seen
only inside the pod, and the manifests in deploy/kubernetes mount it 0440.

Files are read on every call, so a Secret kubelet updated (by swapping `..data`) is seen at once;
links are followed, since every key of a Secret volume is one. A file that does not parse is a
KeyringError naming the file and the line, never its content. Writes and deletions raise
PasswordSetError and PasswordDeleteError: the secrets are the orchestrator's to change.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import InitError, KeyringError, PasswordDeleteError, PasswordSetError

from checker.core.errors import UsageError
from checker.store.credentials import BACKEND_ENV, SERVICE, SESSION_KEY_SERVICE, TOTP_SERVICE
from checker.store.emails import email_key, validate_email

BACKEND_NAME = f"{__name__}.MountedSecrets"
"""The value of BACKEND_ENV that chooses it."""
OLD_BACKEND_NAME = "checker.mounted_secrets.MountedSecrets"
"""Its name before the tool's folders, which deployments made then still give (checker/mounted_secrets.py)."""
SECRETS_DIR_ENV = "LINKEDIN_AI_OPTOUT_SECRETS_DIR"
DEFAULT_SECRETS_DIR = "/var/run/secrets/linkedin-ai-optout"
SESSION_KEY_FILE = "session-key"
FIELDS = ("email", "password", "totp")
_MAX_FILE_BYTES = 64 * 1024  # a Secret holds at most 1 MiB; an account file is a few lines
_KEY_BYTES = 32
MAKE_A_SESSION_KEY = "openssl rand -base64 32"


@dataclass(frozen=True)
class MountedAccount:
    """One account file: where it is, and the secrets it holds."""

    path: Path
    email: str
    password: str
    totp: str | None


class MountedSecrets(KeyringBackend):
    """The secrets in `$LINKEDIN_AI_OPTOUT_SECRETS_DIR`, read-only (see the module's docstring)."""

    @properties.classproperty
    def priority(cls) -> float:
        """1 when PYTHON_KEYRING_BACKEND names this class; else it is not viable at all."""
        if os.environ.get(BACKEND_ENV) not in (BACKEND_NAME, OLD_BACKEND_NAME):
            raise RuntimeError(f"chosen only explicitly, with {BACKEND_ENV}={BACKEND_NAME}")
        return 1

    def __init__(self) -> None:
        self.set_properties_from_env()  # what KeyringBackend.__init__ does (it is not typed)
        self.directory = secrets_dir()
        if not self.directory.is_dir():
            raise InitError(
                f"the mounted secrets directory {self.directory} ({SECRETS_DIR_ENV}) does not exist or is "
                f"not a directory: mount the Secret there, or set {SECRETS_DIR_ENV} to where it is mounted"
            )

    def get_password(self, service: str, username: str) -> str | None:
        """The mounted secret, or None when no file holds it."""
        if service == SESSION_KEY_SERVICE:
            return self._session_key()
        if service not in (SERVICE, TOTP_SERVICE):
            return None
        account = self.accounts().get(email_key(username))
        if account is None:
            return None
        return account.password if service == SERVICE else account.totp

    def set_password(self, service: str, username: str, password: str) -> None:
        """Nothing can be written: PasswordSetError, unless the value is already the one mounted."""
        if self.get_password(service, username) == password:
            return  # nothing to change (an undo that puts back what is mounted lands here)
        if service == SESSION_KEY_SERVICE:
            raise PasswordSetError(
                f"{self._read_only()}; to keep saved sessions between runs, add a {SESSION_KEY_FILE} key "
                f"to the Secret (32 random bytes, base64: {MAKE_A_SESSION_KEY})"
            )
        raise PasswordSetError(f"{self._read_only()}; change the Secret to add or change an account")

    def delete_password(self, service: str, username: str) -> None:
        """Nothing can be deleted: PasswordDeleteError, always."""
        raise PasswordDeleteError(f"{self._read_only()}; remove the account's file from the Secret")

    def accounts(self) -> dict[str, MountedAccount]:
        """The account files of the directory, by `email_key`. Raises KeyringError for a file that is
        not one, or two files of one account."""
        found: dict[str, MountedAccount] = {}
        for name in sorted(self._names()):
            if name == SESSION_KEY_FILE:
                continue
            account = parse_account(self.directory / name, self._read(name))
            earlier = found.setdefault(email_key(account.email), account)
            if earlier is not account:
                raise KeyringError(
                    f"{earlier.path} and {account.path} are both for {account.email}: keep one of them"
                )
        return found

    def _session_key(self) -> str | None:
        path = self.directory / SESSION_KEY_FILE
        if not os.path.lexists(path):
            return None
        key = self._read(SESSION_KEY_FILE).strip()
        try:
            valid = len(base64.b64decode(key, altchars=b"-_", validate=True)) == _KEY_BYTES
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise KeyringError(
                f"{path} is not a session key: it must be {_KEY_BYTES} random bytes in base64 "
                f"(make one with: {MAKE_A_SESSION_KEY})"
            )
        return key

    def _names(self) -> list[str]:
        try:
            return [name for name in os.listdir(self.directory) if not name.startswith(".")]
        except OSError as exc:
            raise KeyringError(f"{self.directory} cannot be listed: {_why(exc)}") from None

    def _read(self, name: str) -> str:
        path = self.directory / name
        try:
            with path.open("rb") as handle:  # follows links: every key of a Secret volume is one
                raw = handle.read(_MAX_FILE_BYTES + 1)
        except IsADirectoryError:
            raise KeyringError(
                f"{path} is a directory, not a secret file: remove it from the mount"
            ) from None
        except OSError as exc:
            raise KeyringError(f"{path} cannot be read: {_why(exc)}") from None
        if len(raw) > _MAX_FILE_BYTES:
            raise KeyringError(f"{path} is larger than {_MAX_FILE_BYTES // 1024} KiB: not a secret file")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise KeyringError(f"{path} is not UTF-8 text") from None

    def _read_only(self) -> str:
        return (
            f"the mounted secrets in {self.directory} are read-only: they are managed by the orchestrator "
            "(a Kubernetes Secret), not by this tool"
        )


def secrets_dir() -> Path:
    """The directory of the mounted secrets: `$LINKEDIN_AI_OPTOUT_SECRETS_DIR`, else the default."""
    return Path(os.environ.get(SECRETS_DIR_ENV) or DEFAULT_SECRETS_DIR)


def parse_account(path: Path, text: str) -> MountedAccount:
    """The account file `path` holding `text`; KeyringError naming the file and the line when it is not
    one. The message never quotes the file: any line of it may be a secret."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        name = name.strip()
        if not colon or name not in FIELDS:
            raise KeyringError(
                f"{path}: line {number} is not `email: ...`, `password: ...` or `totp: ...` "
                "(an account file holds those lines only)"
            )
        if name in values:
            raise KeyringError(f"{path}: line {number}: a second `{name}:` line")
        values[name] = value.strip()
    for required in ("email", "password"):
        if not values.get(required):
            raise KeyringError(f"{path}: no `{required}:` line, or an empty one")
    try:
        email = validate_email(values["email"])
    except UsageError:
        raise KeyringError(f"{path}: the `email:` line does not hold an email address") from None
    return MountedAccount(path, email, values["password"], values.get("totp") or None)


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
