"""The command line: a thin Typer app. The only place where exceptions become exit codes."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from checker import VERSION_LINE
from checker.cli.accounts import accounts_app
from checker.cli.check import check
from checker.cli.config import config_app
from checker.cli.help import HELP_OPTIONS, Command
from checker.cli.history import history_app
from checker.cli.options import BrowserPath, Group, Headed, JsonOutput
from checker.cli.record import record
from checker.cli.schedule import schedule_app
from checker.cli.settings import settings_app
from checker.cli.signals import HeldSignals, Terminated
from checker.core.console import say, stdout
from checker.core.errors import CheckerError, ExitCode, UsageError
from checker.core.logs import configure_logging
from checker.core.outcome import CheckResult, SiteChange, iso
from checker.core.redact import scrub
from checker.core.safe_text import printable
from checker.store.home import home_path

# The rest is imported by the commands that need it, when they run (see checker/__main__.py): the
# browser, the keyring and the cryptography are long imports that most commands never use.
if TYPE_CHECKING:
    from checker.outputs.fleet import Record


# Typer ships its own copy of Click: its usage errors are the bases of the public BadParameter.
_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_NO_COMMAND: type[Exception] = sys.modules[_USAGE_ERROR.__module__].NoArgsIsHelpError
"""What a group given no command raises (every group is no_args_is_help): its help, not an error line."""


class _Interrupted(BaseException):
    """Ctrl-C outside a check's event loop (at a prompt, say); Typer would turn it into a silent 130."""


class _ErrorBoundary(TyperGroup):
    """Turns every error into one line on stderr (and, with --json, a JSON document on stdout)
    with its exit code. Nothing else in the tool chooses an exit code."""

    _command_exited = False
    """Whether the command itself ended with an exit code (typer.Exit), having said what it had to."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.Exit:
            self._command_exited = True
            raise
        except KeyboardInterrupt:
            raise _Interrupted from None
        except typer.Abort as exc:
            # A prompt turns both Ctrl-C and the end of its input into Abort; tell them apart.
            if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
                raise _Interrupted from None
            raise UsageError("no input: standard input ended at a prompt") from None

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        configure_logging()  # before anything can log: structlog's default shows locals
        argv = list(sys.argv[1:] if args is None else args)
        json_output = "--json" in argv
        kwargs["standalone_mode"] = False
        try:
            code = super().main(argv, *rest, **kwargs)
        except _NO_COMMAND as exc:
            # As Click shows it: the group's help, formatted, on stderr; exit 2 (no command given).
            print(_message(exc), file=sys.stderr)
            sys.exit(ExitCode.USAGE)
        except _USAGE_ERROR as exc:
            command = getattr(getattr(exc, "ctx", None), "command_path", "linkedin-ai-optout")
            _fail(f"{_message(exc)} (see: {command} --help)", ExitCode.USAGE, json_output)
        except typer.TyperException as exc:
            _fail(_message(exc), getattr(exc, "exit_code", ExitCode.USAGE), json_output)
        except _Interrupted:
            _fail("interrupted by SIGINT", ExitCode.INTERRUPTED, json_output)
        except Terminated:  # outside a run's event loop, which records the account it stops instead
            _fail("interrupted by SIGTERM", ExitCode.TERMINATED, json_output)
        except CheckerError as exc:
            _fail(str(exc), exc.exit_code, json_output)
        except Exception as exc:
            import structlog  # only here: a run that logs nothing should not load it

            structlog.get_logger().debug("internal error", exc_info=True)
            _fail(f"internal error: {type(exc).__name__}: {exc}", ExitCode.FAILURE, json_output)
        if code == ExitCode.INTERRUPTED and not self._command_exited:
            # A Ctrl-C while the command line was parsed, outside the command: Typer's silent 130.
            _fail("interrupted by SIGINT", ExitCode.INTERRUPTED, json_output)
        # The command's own code (typer.Exit), which it took from ExitCode; none is OK.
        sys.exit(code if isinstance(code, int) else ExitCode.OK)


def _message(exc: Exception) -> str:
    format_message = getattr(exc, "format_message", None)
    # Typer checks choices with pydantic, which puts its own "Value error, " before the reason.
    return str(format_message() if callable(format_message) else exc).replace("Value error, ", "")


def _fail(message: str, code: int, json_output: bool) -> NoReturn:
    with HeldSignals():
        from checker.outputs.results import error_document

    message = printable(scrub(message))
    if json_output:
        print(json.dumps(error_document(message, code)))
    say(f"error: {message}")
    sys.exit(code)


app = typer.Typer(
    name="linkedin-ai-optout",
    cls=_ErrorBoundary,
    help="Check, and switch off, LinkedIn's use of your data for generative-AI training.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: wraps at the terminal's width, nothing boxed or cut off
    context_settings=HELP_OPTIONS,
    pretty_exceptions_enable=False,  # rich tracebacks would show local variables, passwords included
)
app.add_typer(accounts_app, name="accounts")
app.add_typer(schedule_app, name="schedule")
app.add_typer(config_app, name="config")
app.add_typer(settings_app, name="settings")
app.add_typer(history_app, name="history")


def _version(value: bool) -> None:
    if value:
        stdout.print(VERSION_LINE, markup=False)
        raise typer.Exit()


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"


@app.callback()
def _main(
    log_level: Annotated[
        LogLevel,
        typer.Option(
            envvar="LINKEDIN_AI_OPTOUT_LOG_LEVEL",
            metavar="LEVEL",
            help="Log detail on stderr: debug, info or warning (JSON lines unless stderr is a terminal).",
        ),
    ] = LogLevel.WARNING,
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    configure_logging(log_level.value)


# --- check and record -------------------------------------------------------------------------

app.command(cls=Command)(check)
app.command(cls=Command)(record)


# --- history, demo, doctor -------------------------------------------------------------------


class ReportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    HTML = "html"


_SUFFIXES = {
    ".csv": ReportFormat.CSV,
    ".json": ReportFormat.JSON,
    ".html": ReportFormat.HTML,
    ".htm": ReportFormat.HTML,
}


def _report_format(given: ReportFormat | None, output: Path | None) -> ReportFormat:
    """--format, else the one the output file's extension names, else CSV; UsageError when --format
    and the extension name different ones (a CSV in `report.html` opens as garbage)."""
    named = _SUFFIXES.get(output.suffix.lower()) if output is not None else None
    if given is not None and named is not None and given is not named:
        raise UsageError(
            f"--format {given} does not match {output}: give --format {named}, or a file ending in .{given}"
        )
    return given or named or ReportFormat.CSV


@app.command(cls=Command)
def report(
    report_format: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            help="csv (one row per account and setting), json, or html (one self-contained page: a"
            " summary, a chart per day, a table that sorts and filters). Default: the one --output's"
            " extension names, else csv.",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="Only checks from this UTC date (YYYY-MM-DD) or time on."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write there (replaced at once); else stdout."),
    ] = None,
    merge: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE_OR_DIR",
            exists=True,
            help="Report the result documents a collector stored (from check --report-to) instead of"
            " the history: a file, or a directory's *.json files (not its subdirectories); repeatable.",
        ),
    ] = None,
    group: Group = None,
) -> None:
    """Report per account and setting, from the history (or the documents of --merge): the latest
    state, when it last changed, drift events, the last error and its evidence."""
    with HeldSignals():
        from checker.linkedin.rules import load_catalog
        from checker.outputs.fleet import (
            Record,
            as_csv,
            as_json,
            build_rows,
            chain_sentence,
            in_period,
            write_report,
        )
        from checker.outputs.html import as_html
        from checker.outputs.merge import load_records
        from checker.outputs.results import site_change_sentence
        from checker.store.accounts import AccountList, group_members
        from checker.store.emails import email_key
        from checker.store.history import History
        from checker.store.listings import Listings

    report_format = _report_format(report_format, output)
    start = _parse_since(since) if since is not None else None
    accounts = AccountList.in_home(home_path()).entries()  # for --group and the labels
    members = group_members(accounts, group) if group else None
    changes: list[SiteChange] = []
    chain: dict[str, Any] | None = None  # the history's hash chain, as verified now
    if merge:
        records = load_records(merge, warn=lambda line: say(f"warning: {line}"))
        source = _merged_source(records, len(merge))
    else:
        history = History.in_home(home_path())
        records = [Record(entry.result) for entry in history.entries(limit=ALL_ENTRIES)]
        changes = Listings(history).changes(since=start)
        found = history.verify()
        chain = {"rows": found.rows, "head": found.head, "intact": found.intact, "problem": found.problem}
        source = "the history of linkedin-ai-optout on this machine"
    if members is not None:
        records = [record for record in records if email_key(record.result.account) in members]
    period = in_period(records, start)
    rows = build_rows(period, labels={email_key(account.email): account.label for account in accounts})
    if report_format is ReportFormat.HTML:
        titles = {name: setting.title for name, setting in load_catalog().settings.items()}
        text = as_html(
            rows, period, since=start, source=source, titles=titles, site_changes=changes, chain=chain
        )
    elif report_format is ReportFormat.CSV:
        text = as_csv(rows)  # one row per account and setting: the rest goes to stderr
        for change in changes:
            say(f"note: {site_change_sentence(change)} (seen {iso(change.seen_at)} on {change.account})")
        if chain is not None and (chain["rows"] or not chain["intact"]):
            say(f"note: {chain_sentence(chain)}")
    else:
        text = as_json(rows, changes, chain)
    if output is None:
        sys.stdout.write(text)
    else:
        write_report(output, text)
        say(f"wrote {len(rows)} row{'s' if len(rows) != 1 else ''} to {output}")


def _merged_source(records: list[Record], paths: int) -> str:
    hosts = len({record.host for record in records if record.host})
    return (
        f"the result documents in {paths} merged path{'s' if paths != 1 else ''}:"
        f" {len(records)} distinct check{'s' if len(records) != 1 else ''}"
        f" from {hosts} host{'s' if hosts != 1 else ''}"
    )


ALL_ENTRIES = -1
"""SQLite's LIMIT -1: no limit."""


def _parse_since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since: expected a date (YYYY-MM-DD) or an ISO time, not {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command(cls=Command)
def demo(
    headed: Headed = False,
    browser_path: BrowserPath = None,
) -> None:
    """Run check, check --apply, check on the built-in fixture site; touches nothing of yours."""
    with HeldSignals():
        from checker.core import loop
        from checker.outputs.results import print_results
        from checker.run.demo import run_demo  # the fixture site is only needed here

    def show(label: str, results: list[CheckResult]) -> None:
        print_results(stdout, results, title=label)

    as_expected = loop.run(run_demo(show, browser_path=browser_path, headed=headed, timeout_ms=20_000))
    if not as_expected:
        raise CheckerError("the demo did not go non_compliant -> fixed -> compliant")
    stdout.print("The setting went on -> switched off -> verified off. That is the whole job.")
    stdout.print(NEXT_STEPS, markup=False, highlight=False)


NEXT_STEPS = """
Next, for your own account (each command's --help says more):
  linkedin-ai-optout accounts add YOU@EXAMPLE.COM   # password into the keyring
  linkedin-ai-optout check                          # read it, change nothing
  linkedin-ai-optout check --apply                  # switch it off, verified
  linkedin-ai-optout schedule install --every weekly --apply  # keep it off"""


@app.command(cls=Command)
def doctor(browser_path: BrowserPath = None, json_output: JsonOutput = False) -> None:
    """Check everything a run needs: data directory, files, selectors, keyring, browser."""
    with HeldSignals():
        from checker.core import loop
        from checker.outputs.results import print_findings
        from checker.run.doctor import diagnose
        from checker.store.credentials import CredentialStore

    findings = loop.run(diagnose(CredentialStore(), browser_path=browser_path))
    healthy = all(finding.ok for finding in findings)
    if json_output:
        print(json.dumps({"ok": healthy, "findings": [vars(finding) for finding in findings]}))
    else:
        print_findings(stdout, findings)
    raise typer.Exit(int(ExitCode.OK if healthy else ExitCode.FAILURE))


def main() -> None:
    """Run the command line (see checker/__main__.py for the process entry point)."""
    app()
