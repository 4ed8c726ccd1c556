"""Where the tool keeps its files and how it touches them, and the rules for `--base-url`.

Everything below the home directory is the tool's own: it never follows a symbolic link there, so a
link cannot steer a write (or a delete) to a file elsewhere. The home itself may be a link; it is
resolved once, in `home_path`.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import platformdirs
from filelock import FileLock, Timeout

from checker.core.errors import ConfigError

APP_NAME = "linkedin-ai-optout"
HOME_ENV = "LINKEDIN_AI_OPTOUT_HOME"
DEFAULT_BASE_URL = "https://www.linkedin.com"

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
        write_atomically(path, data)
    except _NoTempFile as exc:
        raise ConfigError(
            f"cannot write {path} ({os_reason(exc.error)}): check that it can be written"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot write {path} ({os_reason(exc)}): check free space") from None


class _NoTempFile(OSError):
    """The temporary file beside the target could not be made: the directory is not writable."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.errno, error.strerror)
        self.error = error


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file beside it (mode 0600 from the first byte),
    synced, then renamed over `path`: a reader sees the old file or the new one, never half of one.
    Raises OSError; the temporary file is gone then."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _NoTempFile(exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
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


LOCK_WAIT_SECONDS = 60
"""How long a run waits for another to be done with a file of the home kept under `file_lock`: the
quarantine (held for a read and a write) and the notification record (held while its messages go
out, each bounded: see checker/outputs/bounded_http.py). A notifier that waits longer warns, and the
next run sends what it could not."""


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold the lock of `path` (the private lock file `<path>.lock`) for the body, so that runs write
    `path` one at a time. ConfigError naming the lock file when it cannot be created or opened, or
    when another run holds it for more than LOCK_WAIT_SECONDS."""
    lock = private_lock(path.with_name(path.name + ".lock"))
    try:
        lock.acquire(timeout=LOCK_WAIT_SECONDS)
    except Timeout:  # an OSError too, with no reason of the system's to give
        raise ConfigError(
            f"cannot lock {lock.lock_file}: another run has held it for {LOCK_WAIT_SECONDS} s; try again"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot lock {lock.lock_file} ({os_reason(exc)})") from None
    try:
        yield
    finally:
        lock.release()


def os_reason(exc: OSError) -> str:
    """The system's words for `exc`, in lower case: "read-only file system", "permission denied"."""
    text = exc.strerror or os.strerror(exc.errno or 0)
    return text[:1].lower() + text[1:]
