"""The command line: a thin Typer app. The only place where exceptions become exit codes."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from checker import VERSION_LINE
from checker.cli.accounts import accounts_app
from checker.cli.check import check
from checker.cli.config import config_app
from checker.cli.help import HELP_OPTIONS, Command
from checker.cli.history import history_app
from checker.cli.object import object_to_training
from checker.cli.options import BrowserPath, Headed, JsonOutput
from checker.cli.record import record
from checker.cli.report import report_app
from checker.cli.schedule import schedule_app
from checker.cli.settings import settings_app
from checker.cli.signals import HeldSignals, Terminated
from checker.core.console import say, stdout
from checker.core.errors import CheckerError, ExitCode, UsageError
from checker.core.logs import configure_logging
from checker.core.outcome import CheckResult
from checker.core.redact import scrub
from checker.core.safe_text import printable

# The rest is imported by the commands that need it, when they run (see checker/__main__.py): the
# browser, the keyring and the cryptography are long imports that most commands never use.
if TYPE_CHECKING:
    pass


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
        self._command_exited = False  # this invocation's; the command may be invoked again in-process
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
app.add_typer(report_app, name="report")


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
app.command("object", cls=Command)(object_to_training)


# --- history, demo, doctor -------------------------------------------------------------------


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
