"""`accounts import FILE.csv`: many accounts at once, for an admin provisioning a fleet.

The file has `email,label,groups` rows and never a password: each new account's password is asked
with hidden input, or read as `email<TAB>password` lines from standard input (`--passwords-stdin`)
for provisioning scripts. Each account is all or nothing, as with `accounts add`: no keyring entry
without its account, no account without its keyring entry. A malformed row names its line and is
skipped; the others go on.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from checker.accounts import AccountList, email_key, validate_email, validate_group, validate_label
from checker.credentials import CredentialStore
from checker.errors import CheckerError, ConfigError, ExitCode, UsageError
from checker.redact import register_secret
from checker.safe_text import printable

COLUMNS = ("email", "label", "groups")
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
    ConfigError naming the file when it cannot be read as UTF-8 text."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's export may start with a BOM
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    rows: list[Row] = []
    seen: dict[str, int] = {}
    reader = csv.reader(text.splitlines())
    for cells in reader:
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


def read_passwords(text: str) -> dict[str, str]:
    """`email<TAB>password` lines (blank lines ignored), by email key. UsageError naming the line
    of the first malformed one: nothing is imported then."""
    passwords: dict[str, str] = {}
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
            passwords[email_key(validate_email(email))] = password
        except UsageError as exc:
            raise UsageError(f"standard input, line {number}: {exc}; nothing was imported") from None
    return passwords


def import_accounts(
    rows: list[Row],
    accounts: AccountList,
    credentials: CredentialStore,
    password_for: Callable[[str], str | None],
    report: ImportReport,
) -> None:
    """Add each row's account with the password `password_for` gives (None or empty: refused), the
    keyring entry and the accounts file together; accounts already configured are skipped."""
    for row in rows:
        known = accounts.resolve(row.email)
        if known is not None:
            report.skipped.append(Outcome(row.line, known, "already configured; left as it is"))
            continue
        password = password_for(row.email)
        if not password:
            report.refused.append(Outcome(row.line, row.email, "no password given; nothing was stored"))
            report.worse(ExitCode.USAGE)
            continue
        try:
            undo = credentials.store(row.email, password)
            try:
                accounts.add(row.email, label=row.label, groups=row.groups)
            except BaseException:
                undo()  # no keyring entry without its account
                raise
        except CheckerError as exc:
            report.refused.append(Outcome(row.line, row.email, printable(str(exc))))
            report.worse(exc.exit_code)
            continue
        report.added.append(Outcome(row.line, row.email))
