"""`report`: the fleet's view from the history, per account and setting: the latest state and
outcome, when the state last changed, drift events, and the last error with its evidence. As CSV
for a spreadsheet (one row per account and setting, ISO dates, no formula injection) or as JSON.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from checker.errors import CheckerError, ExitCode
from checker.history import HistoryEntry
from checker.outcome import CheckResult, Outcome, SwitchState, utc_now

_ERRORS = frozenset(
    {Outcome.UI_CHANGED, Outcome.ERROR, Outcome.FIX_FAILED, Outcome.AUTH_FAILED, Outcome.NEEDS_ATTENTION}
)
_READ = (SwitchState.ON, SwitchState.OFF)
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Row:
    """One account and setting, as the report shows it."""

    account: str
    setting: str
    state: str
    outcome: str
    checked_at: str
    state_since: str | None
    drift_events: int
    checks: int
    last_error: str | None
    last_error_at: str | None
    evidence: str | None


def build_rows(entries: list[HistoryEntry], since: datetime | None = None) -> list[Row]:
    """A row per account (in any letter case) and setting, from `entries` (any order), sorted."""
    oldest_first = sorted((entry.result for entry in entries), key=lambda result: result.checked_at)
    if since is not None:
        oldest_first = [result for result in oldest_first if result.checked_at >= since]
    pairs: dict[tuple[str, str], list[CheckResult]] = {}
    for result in oldest_first:
        pairs.setdefault((result.account.casefold(), result.setting), []).append(result)
    return [_row(results) for _, results in sorted(pairs.items())]


def _row(results: list[CheckResult]) -> Row:
    latest = results[-1]
    known: SwitchState | None = None
    since: datetime | None = None
    failed: CheckResult | None = None
    for result in results:
        state = _read_state(result)
        if state is not None and state is not known:
            known, since = state, result.checked_at
        if result.outcome in _ERRORS:
            failed = result
    return Row(
        account=latest.account,
        setting=latest.setting,
        state=(known or SwitchState.UNKNOWN).value,
        outcome=latest.outcome.value,
        checked_at=_iso(latest.checked_at),
        state_since=_iso(since) if since else None,
        drift_events=sum(result.drift for result in results),
        checks=len(results),
        last_error=f"{failed.outcome.value}: {failed.detail}" if failed else None,
        last_error_at=_iso(failed.checked_at) if failed else None,
        evidence=failed.evidence if failed else None,
    )


def _read_state(result: CheckResult) -> SwitchState | None:
    """The state the check last read from the page, if it read one."""
    for state in (result.state_after, result.state_before):
        if state in _READ:
            return state
    return None


def as_json(rows: list[Row]) -> str:
    return (
        json.dumps({"generated_at": _iso(utc_now()), "rows": [asdict(row) for row in rows]}, indent=2) + "\n"
    )


def as_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, as spreadsheets expect
    writer.writerow(list(Row.__dataclass_fields__))
    for row in rows:
        writer.writerow([_cell(value) for value in asdict(row).values()])
    return out.getvalue()


def _cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def write_report(path: Path, text: str) -> None:
    """Write the report to `path` atomically (a temporary file beside it, then a rename), mode 0600:
    it names accounts. CheckerError (exit 4) naming the file when it cannot."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise CheckerError(f"cannot write {path}: {exc.strerror or exc}", ExitCode.FAILURE) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CheckerError(f"cannot write {path}: {exc.strerror or exc}", ExitCode.FAILURE) from None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
