"""The command line: a thin Typer app. The only place where exceptions become exit codes."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from checker import VERSION_LINE
from checker.__main__ import HeldSignals
from checker.accounts_cli import accounts_app
from checker.cli_options import (
    BaseUrl,
    BrowserPath,
    Headed,
    JsonOutput,
    Notify,
    Pace,
    Timeout,
)
from checker.cli_options import typed as typed_options
from checker.commands import HELP_OPTIONS, Command
from checker.config import DEFAULT_BASE_URL, home_path, normalize_base_url, prepare_home
from checker.config_cli import config_app
from checker.config_file import DEFAULT_PACE, DEFAULT_TIMEOUT, load_user_config
from checker.console import notice, say, stderr, stdout
from checker.errors import CheckerError, ExitCode, UsageError
from checker.logs import configure_logging
from checker.outcome import CheckResult, fold_exit_code
from checker.record_cli import record
from checker.redact import scrub
from checker.safe_text import printable
from checker.schedule.cli import schedule_app
from checker.settings_cli import settings_app

# The rest is imported by the commands that need it, when they run (see checker/__main__.py): the
# browser, the keyring and the cryptography are long imports that most commands never use.
if TYPE_CHECKING:
    from checker.runner import RunReport

INTERRUPTED = 130


# Typer ships its own copy of Click: its usage errors are the bases of the public BadParameter.
_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


class _Interrupted(BaseException):
    """Ctrl-C outside a check's event loop (at a prompt, say); Typer would turn it into a silent 130."""


class _ErrorBoundary(TyperGroup):
    """Turns every error into one line on stderr (and, with --json, a JSON document on stdout)
    with its exit code. Nothing else in the tool chooses an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
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
        except _USAGE_ERROR as exc:
            command = getattr(getattr(exc, "ctx", None), "command_path", "linkedin-ai-optout")
            _fail(f"{_message(exc)} (see: {command} --help)", ExitCode.USAGE, json_output)
        except typer.TyperException as exc:
            _fail(_message(exc), getattr(exc, "exit_code", ExitCode.USAGE), json_output)
        except _Interrupted:
            _fail("interrupted by SIGINT", INTERRUPTED, json_output)
        except CheckerError as exc:
            _fail(str(exc), exc.exit_code, json_output)
        except Exception as exc:
            import structlog  # only here: a run that logs nothing should not load it

            structlog.get_logger().debug("internal error", exc_info=True)
            _fail(f"internal error: {type(exc).__name__}: {exc}", ExitCode.FAILURE, json_output)
        sys.exit(code if isinstance(code, int) else 0)


def _message(exc: Exception) -> str:
    format_message = getattr(exc, "format_message", None)
    return str(format_message() if callable(format_message) else exc)


def _fail(message: str, code: int, json_output: bool) -> None:
    with HeldSignals():
        from checker.report import error_document

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


# --- check ----------------------------------------------------------------------------------


@app.command(cls=Command)
def check(
    ctx: typer.Context,
    emails: Annotated[
        list[str] | None,
        typer.Argument(metavar="EMAIL", help="Accounts to check; every configured account when none."),
    ] = None,
    apply: Annotated[bool, typer.Option(help="Switch the setting off where it is on, then verify.")] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Go up to the switch but never click it; report what --apply would do.")
    ] = False,
    json_output: JsonOutput = False,
    quiet: Annotated[
        bool,
        typer.Option(help="Print nothing and show no progress when every account is fine (exit 0)."),
    ] = False,
    base_url: BaseUrl = DEFAULT_BASE_URL,
    headed: Headed = False,
    browser_path: BrowserPath = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    pace: Pace = DEFAULT_PACE,
    notify: Notify = None,
    setting: Annotated[
        list[str] | None,
        typer.Option(
            "--setting",
            metavar="NAME",
            help="A setting to check (see `settings list`), or `all`; repeatable. Default: "
            "generative_ai_training, or config.toml's settings.",
        ),
    ] = None,
    interactive: Annotated[
        bool,
        typer.Option(
            help="Show the browser; when signing in meets a challenge, wait (up to 10 minutes) "
            "for you to sign in in that window, then go on."
        ),
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(
            metavar="K/N",
            help="Check only the accounts whose stable hash falls in shard K (0 to N-1) of N: N runs, "
            "one per K, check every account once.",
        ),
    ] = None,
    shards: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="N",
            help="Like --shard, with K from $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).",
        ),
    ] = None,
) -> None:
    """Check the accounts' data-use settings (the generative-AI one unless --setting or config.toml
    names others); with --apply, switch each off and verify."""
    with HeldSignals():
        import asyncio

        from checker.accounts import wanted_accounts
        from checker.credentials import CredentialStore
        from checker.history import History
        from checker.linkedin.locate import Site
        from checker.linkedin.person import require_display
        from checker.notify import url_problem
        from checker.progress import progress_line
        from checker.quarantine import Quarantine
        from checker.rules import load_rules, setting_names
        from checker.runner import CheckOptions, Runner, RunReport
        from checker.sessions import SessionStore
        from checker.shards import chosen_shard

    part = chosen_shard(shard, shards)
    for url in notify or []:
        problem = url_problem(url)
        if problem is not None:
            raise UsageError(f"--notify: {problem}")
    try:
        settings = setting_names(setting) if setting else None
    except UsageError as exc:
        raise UsageError(f"--setting: {exc}") from None
    typed = typed_options(ctx, base_url=base_url, timeout=timeout, pace=pace)
    config = load_user_config().resolve(**typed, notify=notify or None, settings=settings)
    origin = normalize_base_url(config.base_url)
    wanted = wanted_accounts(emails or [])
    if part is not None:
        wanted = [email for email in wanted if part.holds(email)]
        if not wanted:
            if not (quiet or json_output):
                stdout.print(f"No account falls in shard {part}.", markup=False)
            _finish(RunReport(), json_output=json_output, quiet=quiet)
    if interactive:
        require_display("check --interactive")  # before anything is written
    # Everything the run will write is checked before the browser touches LinkedIn.
    home = prepare_home(notice)
    history = History.in_home(home)
    history.prepare()
    credentials = CredentialStore()
    sessions = SessionStore.in_home(home, credentials)
    sessions.prepare()
    Quarantine.in_home(home).prepare()
    rules = load_rules()
    with progress_line(stderr, enabled=not quiet) as progress:
        runner = Runner(
            site=Site(origin=origin, rules=rules, timeout_ms=config.timeout * 1000),
            credentials=credentials,
            sessions=sessions,
            history=history,
            options=CheckOptions(
                apply=apply,
                dry_run=dry_run,
                pace_seconds=config.pace,
                headed=headed,
                browser_path=browser_path,
                interactive=interactive,
                settings=config.settings,
            ),
            home=home,
            progress=progress,
        )
        report = asyncio.run(runner.check_accounts(wanted))
    _finish(report, json_output=json_output, quiet=quiet, notify=config.notify, home=home)


def _finish(
    report: RunReport,
    *,
    json_output: bool,
    quiet: bool,
    notify: tuple[str, ...] = (),
    home: Path | None = None,
) -> None:
    """Print the results (or the JSON document), send the notifications they call for, and exit with
    the run's code. A notification that fails is a warning: it changes neither the code nor the record."""
    with HeldSignals():
        from checker.interrupts import EXIT_CODES
        from checker.notify import is_busy, notify_run
        from checker.report import print_results, results_document

    results = report.results
    code = int(fold_exit_code([result.outcome for result in results]))
    problem = report.not_recorded and f"{report.not_recorded}; the results above were not all recorded"
    if problem:
        code = max(code, ExitCode.FAILURE)
    if report.interrupted_by is not None:
        code = EXIT_CODES[report.interrupted_by]
        name = "SIGINT" if code == INTERRUPTED else "SIGTERM"
        done = (
            "the account in progress was recorded as far as it went" if results else "no account was checked"
        )
        problem = problem or f"interrupted by {name}; {done}"
    # Quiet means nothing to say: all is well, or the only trouble is another run busy with an
    # account (a scheduled run overlapping a manual one), which that run reports.
    nothing_to_say = all(result.outcome.exit_code == ExitCode.OK or is_busy(result) for result in results)
    if json_output:
        print(json.dumps(results_document(results, code, error=problem or None)))
    elif results and not (quiet and nothing_to_say and not problem):
        print_results(stdout, results)
    if problem:
        say(f"error: {problem}")
    if notify and home is not None and report.interrupted_by is None:
        # After a signal the process is asked to stop: the next run sends what this one did not.
        notify_run(results, notify, home, warn=lambda line: say(f"warning: {line}"))
    raise typer.Exit(code)


# --- record ---------------------------------------------------------------------------------

app.command(cls=Command)(record)


# --- history, demo, doctor -------------------------------------------------------------------


@app.command(cls=Command)
def history(
    account: Annotated[str | None, typer.Option(metavar="EMAIL", help="Only this account.")] = None,
    limit: Annotated[int, typer.Option(min=1, metavar="N", help="At most this many entries.")] = 20,
    json_output: JsonOutput = False,
) -> None:
    """Show the recorded outcomes, newest first."""
    with HeldSignals():
        from checker.accounts import validate_email
        from checker.history import History
        from checker.report import print_history

    email = validate_email(account) if account else None
    entries = History.in_home(home_path()).entries(account=email, limit=limit)
    if json_output:
        print(json.dumps({"entries": [entry.to_json() for entry in entries]}))
    else:
        print_history(stdout, entries, account=email)


@app.command(cls=Command)
def demo(
    headed: Headed = False,
    browser_path: BrowserPath = None,
) -> None:
    """Run check, check --apply, check on the built-in fixture site; touches nothing of yours."""
    with HeldSignals():
        import asyncio

        from checker.demo import run_demo  # the fixture site is only needed here
        from checker.report import print_results

    def show(label: str, results: list[CheckResult]) -> None:
        print_results(stdout, results, title=label)

    as_expected = asyncio.run(run_demo(show, browser_path=browser_path, headed=headed, timeout_ms=20_000))
    if not as_expected:
        raise CheckerError("the demo did not go non_compliant -> fixed -> compliant")
    stdout.print("The setting went on -> switched off -> verified off. That is the whole job.")


@app.command(cls=Command)
def doctor(browser_path: BrowserPath = None, json_output: JsonOutput = False) -> None:
    """Check everything a run needs: data directory, files, selectors, keyring, browser."""
    with HeldSignals():
        import asyncio

        from checker.credentials import CredentialStore
        from checker.doctor import diagnose
        from checker.report import print_findings

    findings = asyncio.run(diagnose(CredentialStore(), browser_path=browser_path))
    healthy = all(finding.ok for finding in findings)
    if json_output:
        print(json.dumps({"ok": healthy, "findings": [vars(finding) for finding in findings]}))
    else:
        print_findings(stdout, findings)
    raise typer.Exit(int(ExitCode.OK if healthy else ExitCode.FAILURE))


def main() -> None:
    """Run the command line (see checker/__main__.py for the process entry point)."""
    app()
