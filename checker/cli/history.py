"""`history`: the recorded outcomes, newest first; `history verify`: the hash chain that shows the
history was not edited (checker/store/history_chain.py)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from checker.cli.help import Command, command_group
from checker.cli.options import JsonOutput
from checker.cli.signals import HeldSignals
from checker.core.console import say, stdout
from checker.core.errors import ExitCode
from checker.store.home import home_path

MAX_LIMIT = 1_000_000
"""`history --limit`: more than any history holds, and within what SQLite can take (a 64-bit integer)."""

history_app = command_group(
    "Show the recorded outcomes, newest first; `history verify` checks they were not edited.",
    runs_alone=True,
)


@history_app.callback()
def history(
    ctx: typer.Context,
    account: Annotated[str | None, typer.Option(metavar="EMAIL", help="Only this account.")] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=MAX_LIMIT, metavar="N", help="At most this many entries.")
    ] = 20,
    json_output: JsonOutput = False,
) -> None:
    """Show the recorded outcomes, newest first; `history verify` checks they were not edited."""
    if ctx.invoked_subcommand is not None:
        return
    with HeldSignals():
        from checker.outputs.results import print_history
        from checker.store.accounts import AccountList
        from checker.store.emails import validate_email
        from checker.store.history import History

    email = validate_email(account) if account else None
    entries = History.in_home(home_path()).entries(account=email, limit=limit)
    if email is not None and not entries:
        # An account removed since keeps its history; one never configured has none: a typo.
        email = AccountList.in_home(home_path()).require(email, addable=False)
    if json_output:
        print(json.dumps({"entries": [entry.to_json() for entry in entries]}))
    else:
        print_history(stdout, entries, account=email)


@history_app.command("verify", cls=Command)
def verify(json_output: JsonOutput = False) -> None:
    """Check the history's hash chain, every row: exit 0 with the number of rows and the head hash
    when it is whole, 1 naming the first row that was changed, removed or inserted."""
    with HeldSignals():
        from checker.store.history import History

    history = History.in_home(home_path())
    found = history.verify()
    document = {
        "intact": found.intact,
        "rows": found.rows,
        "head": found.head,
        "chained_since": found.started_at,
        "rows_before_chain": found.rows_before,
    }
    if not found.intact:
        document |= {"first_broken_row": found.broken_at, "problem": found.problem}
    if json_output:
        print(json.dumps(document))
    if not found.intact:
        # Said here, not raised: the JSON document above is the answer, with the broken row in it.
        say(f"error: {history.file.shown()}: {found.problem}; the rows before it are intact")
        raise typer.Exit(ExitCode.ACTION_NEEDED)
    if not json_output:
        since = (
            f"; chained since {found.started_at}, when the {found.rows_before} rows before were chained"
            if found.started_at
            else ""
        )
        stdout.print(
            f"history intact: {found.rows} rows, head {found.head}{since}", markup=False, soft_wrap=True
        )
        if found.rows == 0:
            say("note: the history holds no check yet")
