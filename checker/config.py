"""Where the tool keeps its files, the list of configured accounts, and the rules for `--base-url`."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs
from filelock import FileLock

from checker.errors import ConfigError, UsageError

APP_NAME = "linkedin-ai-optout"
HOME_ENV = "LINKEDIN_AI_OPTOUT_HOME"
DEFAULT_BASE_URL = "https://www.linkedin.com"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def home_dir() -> Path:
    """The directory holding everything the tool writes: `$LINKEDIN_AI_OPTOUT_HOME`, else the
    platform's user data directory. Created on first use, private to the user."""
    override = os.environ.get(HOME_ENV)
    path = Path(override).expanduser() if override else platformdirs.user_data_path(APP_NAME)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write_private_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically, readable by the owner only (mode 0600) from the first byte."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def validate_email(email: str) -> str:
    """Return the email stripped of surrounding blanks, or raise UsageError when it is not one."""
    email = email.strip()
    if not _EMAIL.match(email):
        raise UsageError(f"not an email address: {email!r}")
    return email


def normalize_base_url(url: str) -> str:
    """Return the origin (`scheme://host[:port]`) of `url`, or raise UsageError.

    https is accepted for any host; plain http only for loopback hosts, which is how the
    fixture site and local test doubles are reached.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"malformed --base-url {url!r}: {exc}") from None
    host = parts.hostname
    if parts.scheme not in ("https", "http") or not host:
        raise UsageError(f"malformed --base-url {url!r}: expected https://HOST[:PORT]")
    if parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/"):
        raise UsageError(f"malformed --base-url {url!r}: give only the scheme, host and port")
    if parts.scheme == "http" and not is_loopback(host):
        raise UsageError(f"--base-url {url!r}: plain http is accepted only for loopback hosts")
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port is not None else "")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class AccountList:
    """The configured accounts (their emails only; passwords live in the keyring), in `accounts.json`."""

    path: Path

    @classmethod
    def in_home(cls, home: Path) -> AccountList:
        return cls(home / "accounts.json")

    def emails(self) -> list[str]:
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            emails = data["accounts"]
            if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
                raise TypeError("accounts must be a list of strings")
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{self.path}: malformed accounts file ({exc})") from None
        return emails

    def __contains__(self, email: object) -> bool:
        return email in self.emails()

    def add(self, email: str) -> bool:
        """Add `email`; return False when it was already there."""
        with self._locked():
            emails = self.emails()
            if email in emails:
                return False
            self._write([*emails, email])
            return True

    def remove(self, email: str) -> bool:
        """Remove `email`; return False when it was not there."""
        with self._locked():
            emails = self.emails()
            if email not in emails:
                return False
            self._write([e for e in emails if e != email])
            return True

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with FileLock(self.path.with_name(self.path.name + ".lock")):
            yield

    def _write(self, emails: list[str]) -> None:
        write_private_file(self.path, json.dumps({"accounts": emails}, indent=2).encode() + b"\n")
