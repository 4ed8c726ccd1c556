"""`accounts import FILE.csv`: many accounts at once, for an admin provisioning a fleet.

The file has `email,label,groups` rows and never a password: each new account's password is asked
with hidden input, or read as `email<TAB>password` lines from standard input (`--passwords-stdin`)
for provisioning scripts. Each account is all or nothing, as with `accounts add`: no keyring entry
without its account, no account without its keyring entry. A malformed row names its line and is
skipped, an email given two passwords is refused; the others go on.

One import takes MAX_ROWS accounts at most. The tool's own work is linear (the accounts file is read
once and written every SAVE_EVERY accounts); the keyring's is not: each entry gnome-keyring holds
makes its next write slower, so 10,000 accounts would take about an hour where 2,000 take minutes.
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from checker.core.errors import CheckerError, ConfigError, ExitCode, UsageError
from checker.core.redact import register_secret
from checker.core.safe_text import printable
from checker.store.accounts import Account, AccountList
from checker.store.credentials import CredentialStore, Undo
from checker.store.emails import email_key, validate_email, validate_group, validate_label

COLUMNS = ("email", "label", "groups")
MAX_ROWS = 2_000
"""Accounts one import takes at most. The OS keyring is the limit: gnome-keyring rewrites its whole
file on every change, so each entry it holds slows the next write (make bench: bench/accounts_import.py)."""
MAX_FILE_BYTES = 4 * 2**20
"""Far more than MAX_ROWS rows need (a row is at most about 1 KiB): a larger file is not read at all."""
SAVE_EVERY = 100
"""Accounts added between two writes of the accounts file: each write is of the whole file."""
_GROUP_SEPARATORS = re.compile(r"[;\s]+")


@dataclass(frozen=True)
class Row:
    """A well-formed row of the file, with its line number."""

    line: int
    email: str
    label: str
    groups: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What became of one line: its email when it had one, and why it was skipped or refused."""

    line: int
    email: str | None = None
    reason: str = ""

    def to_json(self) -> dict[str, object]:
        return {"line": self.line, "email": self.email, "reason": self.reason}


@dataclass
class ImportReport:
    """Added: new accounts, password stored. Skipped: malformed rows, and accounts already there (left
    as they are). Refused: accounts with no password given, or one the keyring would not keep."""

    added: list[Outcome] = field(default_factory=list)
    skipped: list[Outcome] = field(default_factory=list)
    refused: list[Outcome] = field(default_factory=list)
    exit_code: ExitCode = ExitCode.OK

    def to_json(self) -> dict[str, object]:
        return {
            "added": [outcome.to_json() for outcome in self.added],
            "skipped": [outcome.to_json() for outcome in self.skipped],
            "refused": [outcome.to_json() for outcome in self.refused],
            "exit_code": int(self.exit_code),
        }

    def worse(self, code: ExitCode) -> None:
        self.exit_code = max(self.exit_code, code)


def read_rows(path: Path, report: ImportReport) -> list[Row]:
    """The well-formed rows of the CSV file at `path`; each malformed one is skipped in `report`.
    ConfigError naming the file when it cannot be read as UTF-8 text; UsageError naming the file (and
    the line) when it is larger than MAX_FILE_BYTES, cannot be read as CSV (a field over the csv
    module's limit), or holds more than MAX_ROWS accounts: nothing is imported then."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise UsageError(
            f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB, more than an import of {MAX_ROWS} "
            "accounts needs; nothing was imported"
        )
    try:
        text = raw.decode("utf-8-sig")  # a spreadsheet's export may start with a BOM
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    rows: list[Row] = []
    seen: dict[str, int] = {}
    reader = csv.reader(text.splitlines())
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # the file is not what it claims: no row of it is trusted
            raise UsageError(
                f"{path}, line {reader.line_num}: cannot be read as CSV ({exc}); nothing was imported"
            ) from None
        line = reader.line_num
        if not any(cell.strip() for cell in cells) or cells[0].lstrip().startswith("#"):
            continue
        if not rows and not report.skipped and cells[0].strip().casefold() == "email":
            continue  # the header
        try:
            row = _row(line, cells)
        except UsageError as exc:
            report.skipped.append(Outcome(line, None, str(exc)))
            report.worse(ExitCode.USAGE)
            continue
        if email_key(row.email) in seen:
            reason = f"listed already on line {seen[email_key(row.email)]}"
            report.skipped.append(Outcome(line, row.email, reason))
            report.worse(ExitCode.USAGE)
            continue
        seen[email_key(row.email)] = line
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise UsageError(
                f"{path}: more than {MAX_ROWS} accounts (line {line}); nothing was imported: import at "
                f"most {MAX_ROWS} at a time (the OS keyring slows with every entry it holds; see "
                "accounts import --help)"
            )
    return rows


def _row(line: int, cells: list[str]) -> Row:
    if len(cells) > len(COLUMNS):
        raise UsageError(
            f"expected {','.join(COLUMNS)}, found {len(cells)} columns (a password is never read "
            "from the file)"
        )
    email, label, groups = [*cells, "", ""][:3]
    names = tuple(name for name in _GROUP_SEPARATORS.split(groups.strip()) if name)
    return Row(line, validate_email(email), validate_label(label), tuple(map(validate_group, names)))


@dataclass
class Passwords:
    """The passwords standard input gave, by email key, and the line each came on."""

    given: dict[str, tuple[int, str]] = field(default_factory=dict)
    twice: dict[str, list[int]] = field(default_factory=dict)
    """The emails given on more than one line, with those lines: which one is meant is not guessed."""

    def get(self, email: str) -> str | None:
        """The password given for `email`; None when none was. UsageError when it was given twice."""
        key = email_key(email)
        if key in self.twice:
            lines = " and ".join(map(str, self.twice[key]))
            raise UsageError(f"standard input gives it on lines {lines}; nothing was stored")
        found = self.given.get(key)
        return None if found is None else found[1]


def read_passwords(text: str) -> Passwords:
    """`email<TAB>password` lines (blank lines ignored). UsageError naming the line of the first
    malformed one: nothing is imported then."""
    passwords = Passwords()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        email, tab, password = line.partition("\t")
        if tab:
            register_secret(password)
        if not (tab and password):
            raise UsageError(
                f"standard input, line {number}: expected EMAIL<TAB>PASSWORD; nothing was imported"
            )
        try:
            key = email_key(validate_email(email))
        except UsageError as exc:
            raise UsageError(f"standard input, line {number}: {exc}; nothing was imported") from None
        earlier = passwords.given.setdefault(key, (number, password))
        if earlier[0] != number:
            passwords.twice.setdefault(key, [earlier[0]]).append(number)
    return passwords


def import_accounts(
    rows: list[Row],
    accounts: AccountList,
    credentials: CredentialStore,
    password_for: Callable[[str], str | None],
    report: ImportReport,
    *,
    asks: bool,
) -> None:
    """Add each row's account with the password `password_for` gives (None or empty: refused; a
    CheckerError it raises: refused with its reason); accounts already configured are skipped.

    The accounts file is read once and written every SAVE_EVERY accounts, and before each question
    when `password_for` asks a person (`asks`): what they typed is kept before the next one. A keyring
    entry stored for an account the file has not saved yet is deleted again when the import stops
    on an error or an interrupt: no keyring entry without its account.
    """
    unsaved: list[Undo] = []
    try:
        with accounts.adding() as additions:
            for row in rows:
                known = additions.resolve(row.email)
                if known is not None:
                    report.skipped.append(Outcome(row.line, known, "already configured; left as it is"))
                    continue
                if asks:
                    additions.save()
                    unsaved.clear()
                try:
                    password = password_for(row.email)
                    if not password:
                        raise UsageError("no password given; nothing was stored")
                    unsaved.append(credentials.store(row.email, password))
                except CheckerError as exc:
                    report.refused.append(Outcome(row.line, row.email, printable(str(exc))))
                    report.worse(exc.exit_code)
                    continue
                additions.add(Account(row.email, row.label, row.groups))
                report.added.append(Outcome(row.line, row.email))
                if additions.unsaved >= SAVE_EVERY:
                    additions.save()
                    unsaved.clear()
        unsaved.clear()  # the block's end saved the rest
    finally:
        _undo_all(unsaved)


def _undo_all(undos: list[Undo]) -> None:
    """Each undo tried, even after one fails: the fewer entries left without their account, the better.
    A failure is not raised over the error that stopped the import."""
    for undo in reversed(undos):
        with contextlib.suppress(CheckerError):
            undo()
