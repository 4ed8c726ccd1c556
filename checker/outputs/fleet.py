"""`report`: the fleet's view, per account and setting: the latest state and outcome, when the
state last changed, drift events, and the last error with its evidence. From the history, or from
the documents a collector stored (checker/outputs/merge.py). As CSV for a spreadsheet (one row per account
and setting, ISO dates, no formula injection, no control character), as JSON, or as one HTML page
(checker/outputs/html.py).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from checker.core.errors import CheckerError, ExitCode
from checker.core.outcome import CheckResult, Outcome, SiteChange, SwitchState, iso, utc_now
from checker.core.safe_text import printable
from checker.store.emails import email_key
from checker.store.home import write_atomically
from checker.store.objections import Objection

NEEDS_A_PERSON = frozenset(
    {Outcome.UI_CHANGED, Outcome.ERROR, Outcome.FIX_FAILED, Outcome.AUTH_FAILED, Outcome.NEEDS_ATTENTION}
)
"""The outcomes a check fails with: the tool could not get or keep the setting off by itself."""
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
    host: str | None = None
    """The machine that ran the latest check, when the source says (a merged document does; the
    local history does not)."""
    label: str | None = None
    """The account's label in the accounts file (a fleet's seat), when it has one."""
    proof: str | None = None
    """The folder of the latest reading's evidence (`check --evidence always`), when one was kept."""
    objection_submitted: str | None = None
    """When LinkedIn confirmed the account's latest objection to AI training (`object`), if it did."""
    objection_reference: str | None = None
    """The reference LinkedIn's confirmation showed for it, if any."""


@dataclass(frozen=True)
class Record:
    """One check as a report counts it: its result, and the machine that ran it when known."""

    result: CheckResult
    host: str | None = None


def in_period(records: Iterable[Record], since: datetime | None = None) -> list[Record]:
    """`records` from `since` on (all when None), oldest first."""
    oldest_first = sorted(records, key=lambda record: record.result.checked_at)
    if since is None:
        return oldest_first
    return [record for record in oldest_first if record.result.checked_at >= since]


def pair_key(result: CheckResult) -> tuple[str, str]:
    """What a row stands for: an account, in any spelling (see accounts.email_key), and a setting."""
    return email_key(result.account), result.setting


def build_rows(records: Iterable[Record], labels: Mapping[str, str] | None = None) -> list[Row]:
    """A row per account and setting, from `records` (any order), sorted by account then setting;
    `labels` by account key (see accounts.email_key)."""
    labels = labels or {}
    pairs: dict[tuple[str, str], list[Record]] = {}
    for record in in_period(records):
        pairs.setdefault(pair_key(record.result), []).append(record)
    return [_row(records, labels.get(account) or None) for (account, _), records in sorted(pairs.items())]


def _row(records: list[Record], label: str | None) -> Row:
    results = [record.result for record in records]
    latest = results[-1]
    known: SwitchState | None = None
    since: datetime | None = None
    failed: CheckResult | None = None
    proof: str | None = None
    for result in results:
        if result.proof is not None:
            proof = result.proof.path
        state = result.read_state
        if state is not None and state is not known:
            known, since = state, result.checked_at
        if result.outcome in NEEDS_A_PERSON:
            failed = result
    return Row(
        account=latest.account,
        setting=latest.setting,
        state=(known or SwitchState.UNKNOWN).value,
        outcome=latest.outcome.value,
        checked_at=iso(latest.checked_at),
        state_since=iso(since) if since else None,
        drift_events=sum(result.drift for result in results),
        checks=len(results),
        last_error=f"{failed.outcome.value}: {failed.detail}" if failed else None,
        last_error_at=iso(failed.checked_at) if failed else None,
        evidence=failed.evidence if failed else None,
        host=records[-1].host,
        label=label,
        proof=proof,
    )


def with_objections(rows: list[Row], objections: Mapping[str, Objection]) -> list[Row]:
    """`rows`, each with its account's latest confirmed objection (`objections` by account key)."""
    return [
        dataclasses.replace(
            row, objection_submitted=iso(found.submitted_at), objection_reference=found.reference
        )
        if (found := objections.get(email_key(row.account)))
        else row
        for row in rows
    ]


def chain_sentence(chain: Mapping[str, Any]) -> str:
    """What a report says of the history's hash chain (`history verify`)."""
    if chain["intact"]:
        return f"the history's hash chain verified: {chain['rows']} rows, head {chain['head']}"
    return f"the history's hash chain did NOT verify: {chain['problem']} (run history verify)"


def as_json(
    rows: list[Row], site_changes: Sequence[SiteChange] = (), chain: Mapping[str, Any] | None = None
) -> str:
    """The rows as one JSON document, with when it was made, what LinkedIn changed in its category
    pages in the period, and the history's hash chain as verified now (None: merged documents)."""
    changes = [
        {**change.to_json(), "account": change.account, "seen_at": iso(change.seen_at)}
        for change in site_changes
    ]
    document = {
        "generated_at": iso(utc_now()),
        "rows": [asdict(row) for row in rows],
        "site_changes": changes,
        "history_chain": chain,
    }
    return json.dumps(document, indent=2) + "\n"


def as_jsonl(rows: list[Row]) -> str:
    """The rows as JSON Lines, one object per account and setting, for tools that read logs."""
    return "".join(json.dumps(asdict(row), separators=(",", ":")) + "\n" for row in rows)


def as_csv(rows: list[Row]) -> str:
    """The rows as CSV, every cell safe from a spreadsheet's formulas."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, as spreadsheets expect
    writer.writerow(list(Row.__dataclass_fields__))
    for row in rows:
        writer.writerow([_cell(value) for value in asdict(row).values()])
    return out.getvalue()


def _cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading quote, and
    control characters show as escapes (see safe_text), whatever source the row came from."""
    text = "" if value is None else str(value)
    shown = printable(text)
    return "'" + shown if text.startswith(_FORMULA_STARTS) else shown


def write_report(path: Path, text: str) -> None:
    """Write the report to `path` atomically (a temporary file beside it, then a rename), mode 0600:
    it names accounts. CheckerError (exit 4) naming the file when it cannot."""
    try:
        write_atomically(path, text.encode())
    except OSError as exc:
        raise CheckerError(f"cannot write {path}: {exc.strerror or exc}", ExitCode.FAILURE) from None
