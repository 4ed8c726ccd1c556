"""How results reach people: the JSON documents of `--json`, and rich tables otherwise."""

from __future__ import annotations

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
    console.print(_table(results, title=title))


def print_history(console: Console, entries: list[HistoryEntry]) -> None:
    if not entries:
        console.print("No checks recorded yet.")
        return
    console.print(_table([entry.result for entry in entries], with_time=True))


def _table(results: list[CheckResult], *, title: str | None = None, with_time: bool = False) -> Table:
    table = Table(title=title, title_justify="left")
    short = ["account", "before", "after", "action", "outcome"]
    for column in ["checked at (UTC)", *short] if with_time else short:
        table.add_column(column, no_wrap=True)
    table.add_column("detail", overflow="fold")
    for result in results:
        cells = [
            result.account,
            result.state_before.value,
            result.state_after.value if result.state_after else "-",
            result.action.value,
            f"[{_STYLE[result.outcome]}]{result.outcome.value}[/]",
            result.detail,
        ]
        if with_time:
            cells.insert(0, result.checked_at.strftime("%Y-%m-%d %H:%M:%S"))
        table.add_row(*cells)
    return table
