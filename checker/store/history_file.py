"""The history's SQLite file, opened with care: never through a link, never created by SQLite,
never read past damage it can see; and every problem with it one line naming it (`ConfigError`).
The rows and their layout are history.py's."""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, Literal

from checker.core.errors import ConfigError
from checker.core.safe_text import printable
from checker.store.history_schema import user_version

# SQLite's write-ahead log, its shared-memory index, and the rollback journal used before WAL.
_COMPANIONS = ("-wal", "-shm", "-journal")

# SQLITE_ERROR is what a statement meeting some other layout (a missing table) fails with.
_DAMAGED = frozenset({sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_ERROR})
_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})

_Doing = Literal["read", "write"]
_FIX: dict[_Doing, str] = {
    "read": "make sure you may read the file and its directory, and run again",
    "write": "make sure the file and its directory are yours and writable, on a writable file system"
    " with free space, and run again",
}


class HistoryFile:
    """The file at `path` and the SQLite connections to it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def shown(self) -> str:
        """The file's path, safe to print."""
        return printable(str(self.path))

    def refuse_unsafe(self) -> None:
        """ConfigError when the file or a companion of it is a link or not a regular file."""
        # SQLite follows a link silently and puts its journal next to the target, so a link here
        # would make the tool write wherever it points.
        for path in [self.path, *(self.path.with_name(self.path.name + s) for s in _COMPANIONS)]:
            try:
                mode = os.lstat(path).st_mode
            except (FileNotFoundError, NotADirectoryError):
                continue
            if stat.S_ISLNK(mode):
                raise _link_refused(path)
            if not stat.S_ISREG(mode):
                raise ConfigError(
                    f"{printable(str(path))}: is not a regular file: move it aside and run again"
                )

    def create_if_absent(self) -> None:
        """An empty file, private, where there was none; never through a link."""
        directory = self.path.parent
        if not directory.is_dir():
            raise ConfigError(
                f"{printable(str(directory))}: the data directory does not exist or is not a directory:"
                " create it (or run `linkedin-ai-optout doctor` to see which one is used)"
            )
        try:
            # O_EXCL fails on any existing name, a dangling link included, and O_NOFOLLOW makes
            # sure no link is followed; SQLite then fills the empty file (History.prepare).
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            self.refuse_unsafe()  # it may have appeared, as a link, since the first look
            return
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
        finally:
            os.close(fd)

    @contextmanager
    def connected(self, mode: Literal["rw", "ro", "ro&immutable=1"]) -> Iterator[sqlite3.Connection]:
        # A URI never creates the file (only `prepare` does, without following links); autocommit,
        # so transactions are exactly the ones begun here.
        uri = f"{self.path.absolute().as_uri()}?mode={mode}"
        with closing(sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)) as db:
            if mode == "rw":
                # FULL: a commit survives power loss, not just a crash of this process.
                db.execute("PRAGMA synchronous=FULL")
            yield db

    def read_table(self, since_version: int, query: str) -> list[Any]:
        """The rows `query` selects, reading only; none when there is no file yet, or when its layout
        is older than `since_version`, the one that brought the table."""
        with self.problems_reported("read"):
            if not self.path.exists():
                return []
            self.refuse_unsafe()
            with self.connected_read_only() as db:
                if user_version(db) < since_version:
                    return []
                return db.execute(query).fetchall()

    @contextmanager
    def connected_read_only(self) -> Iterator[sqlite3.Connection]:
        # `mode=ro` is how a reader sees the rows a writer has committed to the WAL but not yet
        # copied into the file. Opening a WAL database needs its -wal and -shm files: a read-only
        # connection creates them when absent (with the file's own mode) and, unable to checkpoint,
        # leaves them for the next writer to remove -- SQLite's lock files, never the data. Where
        # it cannot create them it fails: with SQLITE_READONLY_DIRECTORY in a directory the user
        # cannot write, with SQLITE_CANTOPEN on a read-only file system. Then, if there is no -wal,
        # every committed row is in the file and no writer can start (it could not create one
        # either), so reading the file as immutable -- no locks, no companions -- is exact.
        with self.connected("ro") as db:
            try:
                db.execute("PRAGMA user_version")  # the first statement opens the file
            except sqlite3.Error as exc:
                wal = self.path.with_name(self.path.name + "-wal")
                code = getattr(exc, "sqlite_errorcode", None)
                no_companions = code == sqlite3.SQLITE_READONLY_DIRECTORY or (
                    _primary_code(exc) == sqlite3.SQLITE_CANTOPEN
                )
                if not no_companions or os.path.lexists(wal):
                    raise
            else:
                yield db
                return
        with self.connected("ro&immutable=1") as db:
            yield db

    def refuse_damaged(self, db: sqlite3.Connection) -> None:
        # A run's read of the previous state is forgiven (a warning), and its append touches only the
        # last pages of the table and the index: damage would be met after the click. quick_check reads
        # every page of the file and checks its structure, in one pass (it leaves out only comparing
        # the index with the table, which a run's append does not depend on). For some damage SQLite
        # raises SQLITE_CORRUPT itself, which `problems_reported` says in the same words.
        found = [str(row[0]) for row in db.execute("PRAGMA quick_check(1)")]
        if found != ["ok"]:
            lines = [line for text in found for line in text.splitlines() if not line.startswith("***")]
            reason = printable(lines[0] if lines else "no answer from its check")
            raise ConfigError(
                f"{self.shown()}: not a readable history database (damaged: {reason}):"
                " move it aside and run again"
            )

    @contextmanager
    def problems_reported(self, doing: _Doing) -> Iterator[None]:
        """Turn SQLite's and the OS's errors about the file into one-line `ConfigError`s."""
        try:
            yield
        except sqlite3.Error as exc:
            raise self._sqlite_problem(exc, doing) from None
        except OSError as exc:
            raise self._os_problem(exc, doing) from None

    def _sqlite_problem(self, exc: sqlite3.Error, doing: _Doing) -> ConfigError:
        code = _primary_code(exc)
        reason = printable(str(exc))
        if code in _BUSY:
            return ConfigError(
                f"{self.shown()}: the history database stayed locked ({reason}): another"
                " linkedin-ai-optout may be using it; run again when it has finished"
            )
        if code in _DAMAGED:
            return ConfigError(
                f"{self.shown()}: not a readable history database ({reason}): move it aside and run again"
            )
        return ConfigError(f"{self.shown()}: cannot {doing} the history database ({reason}): {_FIX[doing]}")

    def _os_problem(self, exc: OSError, doing: _Doing) -> ConfigError:
        if exc.errno == errno.ELOOP:  # a link appeared between the check and the open
            return _link_refused(self.path)
        where = printable(str(exc.filename or self.path))
        reason = printable(exc.strerror or type(exc).__name__)
        return ConfigError(f"{where}: cannot {doing} the history database ({reason}): {_FIX[doing]}")


def _link_refused(path: Path) -> ConfigError:
    return ConfigError(
        f"{printable(str(path))}: is a symbolic link: the tool does not follow links inside its data"
        " directory; replace it with a regular file"
    )


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction: committed when the block ends, rolled back when it raises."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if db.in_transaction:  # SQLite ends some failed transactions itself
            db.rollback()
        raise
    if db.in_transaction:
        db.execute("COMMIT")


def _primary_code(exc: sqlite3.Error) -> int | None:
    code: int | None = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF
