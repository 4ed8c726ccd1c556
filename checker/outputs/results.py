"""How results reach people: the JSON documents of `--json`, and plain-text tables for 80 columns.

Everything shown here may come from LinkedIn's pages or from files, so every string goes through
`printable()` into a `rich.text.Text`: never into a markup string, where `[/x]` would crash rich
and `[bold]` would style, and never raw, where an escape sequence would reach the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from checker.core.outcome import SETTING, Action, Change, CheckResult, Outcome, SiteChange
from checker.core.safe_text import printable

if TYPE_CHECKING:
    from checker.store.history import HistoryEntry

_STYLE = {
    Outcome.COMPLIANT: "green",
    Outcome.FIXED: "green",
    Outcome.NOT_APPLICABLE: "green",
    Outcome.NON_COMPLIANT: "yellow",
    Outcome.WOULD_FIX: "yellow",
    Outcome.FIX_FAILED: "yellow",
    Outcome.NEEDS_ATTENTION: "magenta",
    Outcome.AUTH_FAILED: "magenta",
    Outcome.UI_CHANGED: "red",
    Outcome.ERROR: "red",
}

# What the check table says for the outcomes whose meaning is fixed. The full sentence is in
# `--json` and `history`; at 80 columns it would fill a dozen lines of a narrow column.
_SHORT_DETAIL = {
    Outcome.COMPLIANT: "already off",
    Outcome.FIXED: "switched off; still off after a reload",
    Outcome.NON_COMPLIANT: "on: run with --apply to switch it off",
    Outcome.WOULD_FIX: "dry run: --apply would switch it off",
    Outcome.FIX_FAILED: "clicked, but LinkedIn did not keep the change",
    Outcome.NOT_APPLICABLE: "not offered to this account",
}

_CLICKED = frozenset({Action.SWITCHED_OFF, Action.FAILED})
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_DETAIL_INDENT = 4


def results_document(
    results: list[CheckResult],
    exit_code: int,
    *,
    error: str | None = None,
    site_changes: list[SiteChange] | None = None,
) -> dict[str, Any]:
    """The `check --json` document; `error` says why a run that acted on the site is not recorded;
    `site_changes`: what LinkedIn changed in its category pages, seen first by this run."""
    document: dict[str, Any] = {
        "results": [result.to_json() for result in results],
        "site_changes": [change.to_json() for change in site_changes or []],
    }
    if error is not None:
        document["error"] = _error(error, exit_code)
    document["exit_code"] = int(exit_code)
    return document


def error_document(message: str, exit_code: int) -> dict[str, Any]:
    """The `--json` document of a run that could not start."""
    return {"error": _error(message, exit_code), "exit_code": int(exit_code)}


def _error(message: str, exit_code: int) -> dict[str, Any]:
    return {"message": printable(message), "exit_code": int(exit_code)}


def print_results(console: Console, results: list[CheckResult], *, title: str | None = None) -> None:
    """The check table: account, state, outcome and a short detail per result."""
    if title is not None:
        # A line of its own: as the table's title it would wrap to the table's width.
        console.print(Text(printable(title), style="bold"), soft_wrap=True)
    table = Table(
        # No outer frame and no vertical rules: at 80 columns every column counts for the detail.
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    # A wrapped email, state or outcome is misread; only the detail may wrap, and only between
    # words: a word too long for its column is cut with an ellipsis, never split.
    table.add_column("account", no_wrap=True, overflow="ellipsis")
    # A run of the generative-AI setting alone keeps the table it always had; with more settings,
    # one row per setting, grouped under each account.
    by_setting = any(result.setting != SETTING for result in results)
    if by_setting:
        table.add_column("setting", no_wrap=True, overflow="ellipsis")
    table.add_column("state", no_wrap=True, overflow="ellipsis")
    table.add_column("outcome", no_wrap=True, overflow="ellipsis")
    table.add_column("detail", overflow="ellipsis")
    arrow = _arrow(console)
    previous: str | None = None
    said: str | None = None  # the detail of the row above
    for result in results:
        detail = _short_detail(result)
        # The same hint for every setting of an account is said once: "(same)" below it.
        repeated = by_setting and result.account == previous and detail == said
        shown = Text("(same)", style="dim") if repeated else Text(detail)
        cells = [Text(_state(result, arrow)), _outcome(result.outcome), shown]
        if by_setting:
            if previous is not None and result.account != previous:
                table.add_section()
            account = "" if result.account == previous else result.account
            cells.insert(0, Text(printable(result.setting)))
            cells.insert(0, Text(printable(account)))
        else:
            cells.insert(0, Text(printable(result.account)))
        previous, said = result.account, detail
        table.add_row(*cells)
    console.print(table)
    for result in results:
        if result.evidence is not None:
            # soft_wrap: the terminal wraps a long path; rich would break it at its slashes.
            what = result.account if not by_setting else f"{result.account} ({result.setting})"
            console.print(
                Text(f"evidence for {printable(what)}: {printable(result.evidence)}"),
                soft_wrap=True,
            )


def print_site_changes(console: Console, changes: list[SiteChange]) -> None:
    """One line per change LinkedIn made to its category pages, after the results."""
    for change in changes:
        console.print(Text(site_change_sentence(change), style="bold"), soft_wrap=True)


def site_change_sentence(change: SiteChange) -> str:
    """What LinkedIn changed, in a sentence: the category's name, the item's words and address."""
    from checker.linkedin.rules import category_title

    where = category_title(change.category)
    item = f"{printable(change.label)} ({printable(change.path)})"
    if change.change is Change.ADDED:
        return f"LinkedIn added a setting to {where}: {item}"
    return f"LinkedIn no longer lists this setting in {where}: {item}"


def _arrow(console: Console) -> str:
    """What separates a state before a click from the state after it, as the console can show it."""
    return "->" if console.options.ascii_only else "→"


def _state(result: CheckResult, arrow: str) -> str:
    """`on` when nothing was clicked, `on → off` when it was (`unknown` if never re-read)."""
    before = result.state_before.value
    if result.state_after is None and result.action not in _CLICKED:
        return before
    after = "unknown" if result.state_after is None else result.state_after.value
    return f"{before} {arrow} {after}"


def _outcome(outcome: Outcome) -> Text:
    return Text(outcome.value, style=_STYLE[outcome])


def _short_detail(result: CheckResult) -> str:
    """The table's detail: a short phrase where the outcome says it all, and whether LinkedIn
    switched the setting back on since it was last found off (drift)."""
    short = _SHORT_DETAIL.get(result.outcome)
    if short is None:
        return printable(result.detail)
    return f"{_DRIFT}; {short}" if result.drift else short


_DRIFT = "switched back on by LinkedIn"


def print_history(console: Console, entries: list[HistoryEntry], *, account: str | None = None) -> None:
    """The recorded checks, one line each, with the full detail wrapped by words beneath it.

    `account` is the account the entries were asked for, so that an empty answer names it.
    """
    if not entries:
        console.print(
            Text(f"No checks recorded for {printable(account)}." if account else "No checks recorded yet.")
        )
        return
    arrow = _arrow(console)
    # One column each, always, padded to its longest cell so that they line up; the detail goes
    # beneath its line rather than in a column, where at 80 columns it would get a dozen characters.
    rows = [
        [
            Text(entry.result.checked_at.strftime(_TIME_FORMAT)),
            Text(printable(entry.result.account)),
            Text(printable(entry.result.setting)),
            Text(_state(entry.result, arrow)),
            Text.assemble(
                _outcome(entry.result.outcome),
                Text(" (drift)", style="bold") if entry.result.drift else "",
            ),
        ]
        for entry in entries
    ]
    names = ["checked at (UTC)", "account", "setting", "state", "outcome"]
    widths = [max(len(name), *(row[column].cell_len for row in rows)) for column, name in enumerate(names)]
    header = "  ".join(name.ljust(width) for name, width in zip(names, widths, strict=True))
    console.print(Text(header.rstrip(), style="bold"), soft_wrap=True)
    for entry, row in zip(entries, rows, strict=True):
        for cell, width in zip(row[:-1], widths, strict=False):
            cell.align("left", width)
        console.print(Text("  ").join(row), soft_wrap=True)  # a narrow terminal wraps it, rich never cuts it
        result = entry.result
        detail = Text(printable(result.detail), overflow="ellipsis")
        console.print(Padding(detail, (0, 0, 0, _DETAIL_INDENT)))


@dataclass(frozen=True)
class Finding:
    """One thing doctor looked at."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    """What to do about a failed finding, as one sentence; empty when ok."""


def print_findings(console: Console, findings: list[Finding]) -> None:
    """`doctor`'s findings, one a line, each failure followed by what fixes it."""
    for finding in findings:
        mark = Text("ok  ", style="green") if finding.ok else Text("FAIL", style="red")
        # soft_wrap: the terminal wraps a long line; rich would break a path at its slashes.
        console.print(
            Text.assemble(mark, " ", printable(finding.name), ": ", printable(finding.detail)),
            soft_wrap=True,
        )
        if not finding.ok and finding.fix:
            console.print(Text.assemble("     fix: ", printable(finding.fix)), soft_wrap=True)
