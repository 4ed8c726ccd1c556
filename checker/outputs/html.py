"""`report --format html`: one self-contained page for a compliance officer: a summary that says
what each count means, a chart of the fleet's state per day, and a table that sorts and filters.

Nothing on the page is fetched: the CSS and the small script are inline, the chart is SVG drawn in
Python (checker/outputs/chart.py). Everything from the history or a merged file (emails, errors,
paths) is untrusted: it goes through `printable` and `html.escape` into text and attribute values,
and the script only reads the DOM. A Content-Security-Policy allows the page's own script and
style by their hashes and nothing else, so a broken escape could neither run nor load anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from checker import __version__
from checker.core.outcome import Outcome, SiteChange, utc_now
from checker.core.safe_text import printable
from checker.outputs.chart import chart_svg, days_table, per_day
from checker.outputs.fleet import Record, Row
from checker.outputs.html_assets import SCRIPT, STYLE, content_security_policy


@dataclass(frozen=True)
class Status:
    """A group of outcomes the summary counts and the filter selects: the latest check's."""

    key: str
    label: str
    outcomes: frozenset[Outcome]
    meaning: str


STATUSES = (
    Status(
        "compliant",
        "off",
        frozenset({Outcome.COMPLIANT, Outcome.FIXED}),
        "The setting was off at the latest check: found off (compliant), or switched off by the tool"
        " and still off after a reload (fixed).",
    ),
    Status(
        "still_on",
        "on",
        frozenset({Outcome.NON_COMPLIANT, Outcome.WOULD_FIX}),
        "The setting is on, so LinkedIn may use the data: the latest check only read it"
        " (non_compliant) or rehearsed switching it off (would_fix). check --apply switches it off.",
    ),
    Status(
        "needs_person",
        "needs a person",
        frozenset({Outcome.NEEDS_ATTENTION, Outcome.AUTH_FAILED, Outcome.FIX_FAILED}),
        "Only a person can get or keep the setting off: LinkedIn asked for a sign-in code or a CAPTCHA"
        " (needs_attention), refused the password (auth_failed), or did not keep the change"
        " (fix_failed). The last error column says what to do.",
    ),
    Status(
        "error",
        "error",
        frozenset({Outcome.UI_CHANGED, Outcome.ERROR}),
        "The latest check could not read the setting: a page it did not recognise (ui_changed), or a"
        " failure or an interruption (error). The next check may well succeed; the last error and"
        " evidence columns say more.",
    ),
    Status(
        "not_offered",
        "not offered",
        frozenset({Outcome.NOT_APPLICABLE}),
        "LinkedIn does not offer the setting to the account, for example in its region"
        " (not_applicable): nothing to do.",
    ),
)
"""A partition of the outcomes: each pair is counted in exactly one, by its latest check."""
FIXED_MEANING = (
    "Events, not pairs: how many times in this period the tool found a setting on, switched it off,"
    " and a reload showed it off (fixed)."
)
DRIFT_MEANING = (
    "Events, not pairs: how many times in this period LinkedIn switched a setting back on after a"
    " check had found it off."
)
_STATUS_OF = {outcome: status for status in STATUSES for outcome in status.outcomes}


def as_html(
    rows: list[Row],
    records: list[Record],
    *,
    since: datetime | None,
    source: str,
    titles: Mapping[str, str],
    generated_at: datetime | None = None,
    site_changes: Sequence[SiteChange] = (),
    chain: Mapping[str, Any] | None = None,
    links: Mapping[str, str] | None = None,
) -> str:
    """The page: `rows` as `build_rows` made them from `records` (oldest first, in the period);
    `source` says where the records come from; `titles` are the catalog's titles by setting name;
    `site_changes`, what LinkedIn changed in its category pages in the period; `links`, the address of
    each reading's evidence by its folder, where it is not that folder on this machine."""
    generated = generated_at or utc_now()
    show_host = any(row.host for row in rows)
    days = per_day(records)
    chart = chart_svg(days) + days_table(days) if days else '<p id="no-checks">No checks in this period.</p>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{content_security_policy()}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="linkedin-ai-optout {escape(__version__)}">
<title>LinkedIn data-use settings: fleet report, {_when(generated)}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>LinkedIn data-use settings: fleet report</h1>
<p class="meta" id="generated">Generated {_when(generated)} by linkedin-ai-optout {escape(__version__)}.</p>
<p class="meta" id="period">{_period(records, since)}</p>
<p class="meta" id="source">Source: {_text(source)}.</p>
{_chain(chain)}
</header>
<main>
{_summary(rows, records)}
{_site_changes(site_changes)}
<section aria-labelledby="chart-heading">
<h2 id="chart-heading">The fleet's state per day</h2>
{chart}
</section>
{_table(rows, titles, show_host, links or {})}
</main>
<script>{SCRIPT}</script>
</body>
</html>
"""


def _chain(chain: Mapping[str, Any] | None) -> str:
    """The history's hash chain as verified when the report was made (none for merged documents)."""
    if chain is None:
        return ""
    from checker.outputs.fleet import chain_sentence

    sentence = chain_sentence(chain)
    return f'<p class="meta" id="chain">{_text(sentence[0].upper() + sentence[1:])}.</p>'


def _site_changes(changes: Sequence[SiteChange]) -> str:
    """What LinkedIn changed in its category pages: a person decides what a new setting means."""
    if not changes:
        return ""
    from checker.outputs.results import site_change_sentence

    items = "".join(
        f"<li>{_text(site_change_sentence(change))}, seen {_when(change.seen_at)} on the pages of"
        f" {_text(change.account)}</li>"
        for change in changes
    )
    return (
        '<section aria-labelledby="changes-heading">'
        '<h2 id="changes-heading">What LinkedIn changed in its settings pages</h2>'
        f'<ul id="site-changes">{items}</ul></section>'
    )


def _summary(rows: list[Row], records: list[Record]) -> str:
    if not rows:
        return """<section aria-labelledby="summary-heading">
<h2 id="summary-heading">Summary</h2>
<p id="totals">No checks in this period: nothing to count.</p>
</section>"""
    counts = {status.key: 0 for status in STATUSES}
    for row in rows:
        counts[_STATUS_OF[Outcome(row.outcome)].key] += 1
    fixed = sum(record.result.outcome is Outcome.FIXED for record in records)
    drifted = sum(row.drift_events for row in rows)
    accounts = len({row.account.casefold() for row in rows})
    cards = "".join(
        _card(status.key, counts[status.key], status.label, status.meaning) for status in STATUSES
    )
    events = _card("fixed", fixed, "times switched off by the tool", FIXED_MEANING) + _card(
        "drift", drifted, "times LinkedIn switched one back on", DRIFT_MEANING
    )
    return f"""<section aria-labelledby="summary-heading">
<h2 id="summary-heading">Summary</h2>
<p id="totals">{accounts} account{_s(accounts)}; {len(rows)} (account, setting) pair{_s(len(rows))}, each
counted once, by its latest check in the period:</p>
<ul class="cards">{cards}</ul>
<p>In the period:</p>
<ul class="cards events">{events}</ul>
</section>"""


def _card(key: str, count: int, label: str, meaning: str) -> str:
    return (
        f'<li class="card {key}" id="count-{key}"><span class="count">{count}</span>'
        f'<span class="label">{escape(label)}</span><p>{escape(meaning)}</p></li>'
    )


_COLUMNS = (
    ("account", "text"),
    ("host", "text"),
    ("setting", "text"),
    ("state", "text"),
    ("outcome", "text"),
    ("last checked (UTC)", "text"),
    ("state since (UTC)", "text"),
    ("drift events", "number"),
    ("last error", "text"),
    ("evidence", "text"),
)


def _table(rows: list[Row], titles: Mapping[str, str], show_host: bool, links: Mapping[str, str]) -> str:
    columns = [column for column in _COLUMNS if show_host or column[0] != "host"]
    # The rows come sorted by account, and the page says so before the script runs, or without it.
    sorted_by = ' aria-sort="ascending"'
    head = "".join(
        f'<th scope="col" data-type="{kind}"{sorted_by if name == "account" else ""}>{escape(name)}</th>'
        for name, kind in columns
    )
    options = "".join(f'<option value="{s.key}">{escape(s.label)}</option>' for s in STATUSES)
    body = "\n".join(_row(row, titles, show_host, links) for row in rows)
    return f"""<section aria-labelledby="table-heading">
<h2 id="table-heading">Each account and setting</h2>
<div class="controls" id="controls" hidden>
<label>Filter <input type="search" id="search" placeholder="account, setting, error…"></label>
<label>Status <select id="status"><option value="">all</option>{options}</select></label>
<span id="shown" aria-live="polite"></span>
</div>
<div class="scroll">
<table id="fleet">
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table>
</div>
<p class="meta">State: what the latest check that could read the switch found. State since: when a
check first found it so. Drift events: how often LinkedIn switched the setting back on after it was
found off. Click a column's name to sort by it; click again to reverse.</p>
</section>"""


def _row(row: Row, titles: Mapping[str, str], show_host: bool, links: Mapping[str, str]) -> str:
    outcome = Outcome(row.outcome)
    status = _STATUS_OF[outcome]  # the outcome column sorts by exit code: the worst last, or first
    title = titles.get(row.setting)
    setting = (
        f'{_text(title)}<br><span class="name">{_text(row.setting)}</span>' if title else _text(row.setting)
    )
    label = f'<br><span class="name">{_text(row.label)}</span>' if row.label else ""
    if row.objection_submitted:
        reference = f", reference {_text(row.objection_reference)}" if row.objection_reference else ""
        label += (
            f'<br><span class="objection">objection to AI training submitted'
            f" {_time(row.objection_submitted)}{reference}</span>"
        )
    error = _text(_sentence(row.last_error))
    if row.last_error_at:
        error += f'<br><span class="name">at {_time(row.last_error_at)}</span>'
    cells = [
        f'<th scope="row" data-sort="{_text(row.account.casefold())}">{_text(row.account)}{label}</th>',
        f"<td>{_text(row.host)}</td>" if show_host else "",
        f'<td data-sort="{_text(title or row.setting)}">{setting}</td>',
        f"<td>{_text(row.state)}</td>",
        f'<td data-sort="{int(outcome.exit_code)} {outcome.value}"><span class="badge {status.key}">'
        f"{_text(row.outcome)}</span></td>",
        f'<td data-sort="{_text(row.checked_at)}">{_time(row.checked_at)}</td>',
        f'<td data-sort="{_text(row.state_since)}">{_time(row.state_since)}</td>',
        f'<td class="number">{row.drift_events}</td>',
        f'<td class="error">{error}</td>',
        f'<td class="path">{_text(row.evidence)}{_proof_link(row.proof, links)}</td>',
    ]
    return f'<tr data-status="{status.key}">{"".join(cells)}</tr>'


def _proof_link(proof: str | None, links: Mapping[str, str]) -> str:
    """A link to the latest reading's evidence: `links` gives its address (a copy handed over with the
    report, see evidence_copy.py), else it is the folder on this machine."""
    href = links.get(proof or "") or (Path(proof).as_uri() if proof and Path(proof).is_absolute() else None)
    if href is None:
        return ""
    return f'<br><a class="proof" href="{_text(href)}">evidence of the latest reading</a>'


def _period(records: list[Record], since: datetime | None) -> str:
    asked = f"checks from {_when(since)} on (--since)" if since else "every check"
    if not records:
        return f"Period: {asked}: none found."
    first, last = records[0].result.checked_at, records[-1].result.checked_at
    return f"Period: {asked}: {len(records)} check{_s(len(records))}, from {_when(first)} to {_when(last)}."


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _time(value: str | None) -> str:
    """An ISO time of a row as a person reads it, in a <time> element that keeps it exact."""
    if not value:
        return ""
    shown = value.replace("T", " ").removesuffix("Z")
    return f'<time datetime="{_text(value)}">{_text(shown)}</time>'


def _sentence(error: str | None) -> str | None:
    """A row's last error ("outcome: detail") with its detail as a sentence for a reader of the page:
    no command-line quoting (backticks), no ` -- ` joints, a capital first and a full stop last."""
    if not error:
        return error
    outcome, joint, detail = error.partition(": ")
    if not joint or outcome not in _OUTCOMES:
        outcome, joint, detail = "", "", error
    text = detail.replace("`", "").replace(" -- ", ". ").strip()
    text = text[:1].upper() + text[1:]
    return outcome + joint + (text if text.endswith((".", "!", "?")) else text + ".")


_OUTCOMES = frozenset(outcome.value for outcome in Outcome)


def _text(value: str | None) -> str:
    """Untrusted text as markup: on one line, with no control or direction-changing characters,
    and escaped for text and attribute values alike."""
    return "" if value is None else escape(printable(value), quote=True)


def _s(count: int) -> str:
    return "" if count == 1 else "s"
