"""Where the tool keeps its files and how it touches them, the accounts file, and the rules for `--base-url`.

Everything below the home directory is the tool's own: it never follows a symbolic link there, so a
link cannot steer a write (or a delete) to a file elsewhere. The home itself may be a link; it is
resolved once, in `home_path`.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import ipaddress
import json
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, BinaryIO
from urllib.parse import urlsplit

import platformdirs
from filelock import FileLock
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from checker.errors import ConfigError, UsageError
from checker.safe_text import printable

APP_NAME = "linkedin-ai-optout"
HOME_ENV = "LINKEDIN_AI_OPTOUT_HOME"
DEFAULT_BASE_URL = "https://www.linkedin.com"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# --- the home directory ---------------------------------------------------------------------


def home_path() -> Path:
    """The directory holding everything the tool writes: `$LINKEDIN_AI_OPTOUT_HOME`, else the
    platform's user data directory. Only computed: nothing is created (see `prepare_home`)."""
    override = os.environ.get(HOME_ENV)
    path = Path(override).expanduser() if override else platformdirs.user_data_path(APP_NAME)
    return Path(os.path.realpath(path))  # unlike Path.resolve, never raises on a loop of links


def prepare_home(notice: Callable[[str], None]) -> Path:
    """The home directory, ready for writing: created (mode 0700) when absent, else checked to be a
    writable directory and tightened to 0700 (passing what was done to `notice`). Raises ConfigError."""
    path = home_path()
    try:
        path.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        if not path.is_dir():
            raise _home_not_a_directory(path) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot create {path} ({os_reason(exc)}): create it, or set {HOME_ENV} to a writable directory"
        ) from None
    probe_writable(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        try:
            os.chmod(path, 0o700)
        except OSError as exc:
            raise ConfigError(
                f"{path} is open to other users (mode {mode:04o}) and cannot be made private "
                f"({os_reason(exc)}): run chmod 700 {path}"
            ) from None
        notice(f"tightened {path} to mode 0700 (it was {mode:04o})")
    return path


def _home_not_a_directory(path: Path) -> ConfigError:
    return ConfigError(
        f"{path} exists and is not a directory: move it away, or set {HOME_ENV} to a directory"
    )


def not_a_directory_above(path: Path) -> ConfigError:
    """The error for `path` when opening it failed with ENOTDIR: it names the file in the way (the home
    itself, most likely), not `path`, which only looks unreadable."""
    home = home_path()
    for above in reversed(path.parents):  # from the root down: the first one in the way
        if os.path.lexists(above) and not above.is_dir():
            if above == home or above in home.parents:
                return _home_not_a_directory(above)
            return not_ours(above, "a directory")
    return ConfigError(f"{path}: cannot read it (not a directory): check it and its directory")


def probe_writable(directory: Path) -> None:
    """Raise ConfigError unless a file can be created in `directory`. It creates and removes one (with
    no name where the system allows): permission bits do not tell, with root, ACLs or read-only mounts."""
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise ConfigError(
            f"{directory} is not writable ({os_reason(exc)}): make it writable by you, "
            f"or set {HOME_ENV} to another directory"
        ) from None


def ensure_private_dir(path: Path) -> None:
    """Make sure `path` is a directory and not a link, creating it (mode 0700) when absent; its parent
    must exist. Raises ConfigError."""
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        refuse_symlink(path)  # mkdir never follows a link, so checking after it leaves no gap
        if not path.is_dir():
            raise not_ours(path, "a directory") from None
    except OSError as exc:
        raise ConfigError(
            f"cannot create {path} ({os_reason(exc)}): check that {path.parent} is writable"
        ) from None


def not_ours(path: Path, kind: str) -> ConfigError:
    """The error for something in the home directory that is not the `kind` the tool put there."""
    return ConfigError(f"{path} is not {kind}: move it away; the tool keeps its own files there")


# --- files inside the home ------------------------------------------------------------------


def refuse_symlink(path: Path) -> None:
    """Raise ConfigError when `path` is a symbolic link (a missing path is fine)."""
    if path.is_symlink():
        raise ConfigError(_symlink_message(path))


def _symlink_message(path: Path) -> str:
    return (
        f"{path} is a symbolic link: the tool does not follow links inside its data directory; "
        "replace it with a regular file or directory"
    )


def read_regular_file(path: Path) -> bytes | None:
    """The bytes of `path`, or None when it does not exist. Raises ConfigError when it is a link (never
    followed, even if one appears after a check), not a regular file, or unreadable."""
    handle = _open_regular_file(path)
    if handle is None:
        return None
    with handle:
        return handle.read()


def _open_regular_file(path: Path) -> BinaryIO | None:
    # O_NONBLOCK: a FIFO planted at the path must not hang the open.
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    refuse_symlink(path)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise not_a_directory_above(path) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConfigError(_symlink_message(path)) from None
        raise ConfigError(f"{path}: cannot read it ({os_reason(exc)}): check it and its directory") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise not_ours(path, "a regular file")
    return os.fdopen(fd, "rb")


def write_private_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically, readable by the owner only (mode 0600) from the first byte.

    The data goes to a temporary file that then replaces `path`: a link at `path` is replaced, never
    written through. The parent directory is created (0700) when absent, its own parent must exist; a
    link there is refused. Raises ConfigError.
    """
    ensure_private_dir(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ConfigError(f"cannot write {path} ({os_reason(exc)}): check that it can be written") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ConfigError(f"cannot write {path} ({os_reason(exc)}): check free space") from None
        raise


def clean_stale_temp_files(path: Path) -> int:
    """Remove the temporary files (`.{name}.*.tmp`) that a killed `write_private_file(path, ...)` left
    next to `path`; return how many. Call it holding the lock under which `path` is written, so no
    write is under way."""
    removed = 0
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        if leftover.is_symlink() or leftover.is_file():
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()  # a link is removed itself, its target is untouched
                removed += 1
    return removed


def private_lock(path: Path) -> FileLock:
    """A file lock whose lock file is `path`, mode 0600 whatever the umask. Refuses a link there, and
    tightens a lock file an older version left readable by others."""
    handle = _open_regular_file(path)
    if handle is not None:
        with handle:
            if os.fstat(handle.fileno()).st_mode & 0o077:
                try:
                    os.fchmod(handle.fileno(), 0o600)
                except OSError as exc:
                    raise ConfigError(f"cannot make {path} private ({os_reason(exc)}): delete it") from None
    return FileLock(path, mode=0o600)


def os_reason(exc: OSError) -> str:
    """The system's words for `exc`, in lower case: "read-only file system", "permission denied"."""
    text = exc.strerror or os.strerror(exc.errno or 0)
    return text[:1].lower() + text[1:]


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


# --- --base-url -----------------------------------------------------------------------------


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
    """Whether `host` is this machine: `localhost`, 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
