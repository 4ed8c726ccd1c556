"""How results reach people: the JSON documents of `--json`, and rich tables otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from checker.errors import ExitCode
from checker.history import HistoryEntry
from checker.outcome import CheckResult, Outcome

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


def results_document(results: list[CheckResult], exit_code: ExitCode) -> dict[str, Any]:
    """The `check --json` document."""
    return {"results": [result.to_json() for result in results], "exit_code": int(exit_code)}


def print_results(console: Console, results: list[CheckResult], *, title: str | None = None) -> None:
    console.print(_table(results, _CHECK_COLUMNS, title=title))


def print_history(console: Console, entries: list[HistoryEntry]) -> None:
    if not entries:
        console.print("No checks recorded yet.")
        return
    # Narrower than the check table: the states and the action are in `history --json`.
    console.print(_table([entry.result for entry in entries], _HISTORY_COLUMNS))


_CELLS: dict[str, Callable[[CheckResult], str]] = {
    "checked at (UTC)": lambda r: r.checked_at.strftime("%Y-%m-%d %H:%M:%S"),
    "account": lambda r: r.account,
    "before": lambda r: r.state_before.value,
    "after": lambda r: r.state_after.value if r.state_after else "-",
    "action": lambda r: r.action.value,
    "outcome": lambda r: f"[{_STYLE[r.outcome]}]{r.outcome.value}[/]",
    "detail": lambda r: r.detail,
}
_CHECK_COLUMNS = ["account", "before", "after", "action", "outcome", "detail"]
_HISTORY_COLUMNS = ["checked at (UTC)", "account", "outcome", "detail"]


def _table(results: list[CheckResult], columns: list[str], *, title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        # Only the sentence may wrap: a wrapped email or outcome is misread.
        table.add_column(column, no_wrap=column != "detail", overflow="fold")
    for result in results:
        table.add_row(*(_CELLS[column](result) for column in columns))
    return table
