"""The command line: a thin Typer app. The only place where exceptions become exit codes."""

from __future__ import annotations

import asyncio
import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import pyotp
import structlog
import typer
from rich.console import Console
from typer.core import TyperGroup

from checker import __version__
from checker.config import (
    DEFAULT_BASE_URL,
    AccountList,
    home_dir,
    normalize_base_url,
    validate_email,
)
from checker.credentials import CredentialStore
from checker.errors import CheckerError, ExitCode, UsageError
from checker.history import History
from checker.linkedin.locate import Site
from checker.logs import configure_logging
from checker.outcome import CheckResult, fold_exit_code
from checker.redact import register_secret, scrub
from checker.report import print_history, print_results, results_document
from checker.rules import load_rules
from checker.runner import CheckOptions, Runner
from checker.sessions import SessionStore

log = structlog.get_logger()
stdout = Console()
stderr = Console(stderr=True)


# Typer keeps Click private; its usage errors (exit 2) are the bases of typer.BadParameter.
_CLICK_EXCEPTION: type[BaseException] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)
_PASS_THROUGH: tuple[type[BaseException], ...] = (typer.Exit, typer.Abort, _CLICK_EXCEPTION)


class _ErrorBoundary(TyperGroup):
    """Turns the tool's errors into one line on stderr and their exit code; nothing else does.
    (Typer itself maps usage errors to 2 and Ctrl-C to 130.)"""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except CheckerError as exc:
            _fail(str(exc), exc.exit_code)
        except Exception as exc:
            log.debug("internal error", exc_info=True)
            _fail(f"internal error: {type(exc).__name__}: {exc}", ExitCode.FAILURE)


def _fail(message: str, code: ExitCode) -> None:
    stderr.print(f"error: {scrub(message)}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(int(code))


app = typer.Typer(
    cls=_ErrorBoundary,
    help="Check, and switch off, LinkedIn's use of your data for generative-AI training.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # rich tracebacks would show local variables, passwords included
)
accounts_app = typer.Typer(help="Manage the accounts to check (passwords live in the OS keyring).")
app.add_typer(accounts_app, name="accounts")


def _version(value: bool) -> None:
    if value:
        stdout.print(f"linkedin-ai-optout {__version__}")
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
            help="Log detail on stderr (JSON lines unless stderr is a terminal).",
        ),
    ] = LogLevel.WARNING,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    configure_logging(log_level.value)


# --- accounts -------------------------------------------------------------------------------


@accounts_app.command("add")
def accounts_add(
    email: Annotated[str, typer.Argument(help="The account's LinkedIn sign-in email.")],
    password_stdin: Annotated[
        bool,
        typer.Option(
            help="Read the password from the first line of standard input"
            " (with --totp, the secret from the second)."
        ),
    ] = False,
    totp: Annotated[
        bool,
        typer.Option(help="Also store the account's authenticator (TOTP) secret, to answer code challenges."),
    ] = False,
) -> None:
    """Store an account's password in the OS keyring (asked with hidden input)."""
    email = validate_email(email)
    if password_stdin:
        lines = sys.stdin.read().splitlines()
        password = lines[0] if lines else ""
        secret = lines[1].strip() if totp and len(lines) > 1 else ""
    else:
        password = typer.prompt("Password", hide_input=True, default="", show_default=False)
        secret = typer.prompt("TOTP secret", hide_input=True, default="", show_default=False) if totp else ""
    register_secret(password)
    if not password:
        raise UsageError("empty password: nothing was stored")
    if totp:
        register_secret(secret)
        _check_totp_secret(secret)
    credentials = CredentialStore()
    accounts = AccountList.in_home(home_dir())
    credentials.set_password(email, password)
    if totp:
        credentials.set_totp_secret(email, secret)
    added = accounts.add(email)
    stderr.print(f"{'Added' if added else 'Updated'} {email}; the password is in the keyring.", markup=False)


def _check_totp_secret(secret: str) -> None:
    try:
        pyotp.TOTP(secret.replace(" ", "")).now()
    except Exception:
        raise UsageError("the TOTP secret is not valid base32: nothing was stored") from None


@accounts_app.command("list")
def accounts_list(json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the configured accounts and whether each has a saved session."""
    home = home_dir()
    sessions = SessionStore.in_home(home)
    emails = AccountList.in_home(home).emails()
    rows = [{"email": email, "session_saved": sessions.has_any(email)} for email in emails]
    if json_output:
        print(json.dumps({"accounts": rows}))
    elif not rows:
        stdout.print("No accounts. Add one with: linkedin-ai-optout accounts add EMAIL", markup=False)
    else:
        for row in rows:
            stdout.print(f"{row['email']}{'  (session saved)' if row['session_saved'] else ''}", markup=False)


@accounts_app.command("remove")
def accounts_remove(email: Annotated[str, typer.Argument(help="The account to forget.")]) -> None:
    """Remove an account: its keyring entries, its saved sessions, its place in the list."""
    email = validate_email(email)
    home = home_dir()
    accounts = AccountList.in_home(home)
    if email not in accounts:
        raise UsageError(f"unknown account: {email}")
    CredentialStore().delete(email)
    SessionStore.in_home(home).forget_account(email)
    accounts.remove(email)
    stderr.print(f"Removed {email}.", markup=False)


# --- check ----------------------------------------------------------------------------------


@app.command()
def check(
    emails: Annotated[
        list[str] | None, typer.Argument(help="Accounts to check; every configured account when none.")
    ] = None,
    apply: Annotated[bool, typer.Option(help="Switch the setting off where it is on, then verify.")] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Go up to the switch but never click it; report what --apply would do.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
    quiet: Annotated[bool, typer.Option(help="Print nothing when every account is fine (exit 0).")] = False,
    base_url: Annotated[
        str, typer.Option(help="The site to talk to; plain http only for loopback hosts.")
    ] = DEFAULT_BASE_URL,
    headed: Annotated[bool, typer.Option(help="Show the browser window.")] = False,
    browser_path: Annotated[
        str | None,
        typer.Option(envvar="LINKEDIN_AI_OPTOUT_BROWSER", help="A Chromium or Chrome binary to drive."),
    ] = None,
    timeout: Annotated[
        float, typer.Option(min=1, help="Seconds to wait for any one thing on a page.")
    ] = 20.0,
    pace: Annotated[
        float, typer.Option(min=0, help="Seconds to pause between accounts, to stay gentle.")
    ] = 5.0,
) -> None:
    """Check the accounts' generative-AI setting; with --apply, switch it off and verify."""
    origin = normalize_base_url(base_url)
    home = home_dir()
    accounts = AccountList.in_home(home)
    configured = accounts.emails()
    wanted = [validate_email(email) for email in emails] if emails else configured
    unknown = [email for email in wanted if email not in configured]
    if unknown:
        raise UsageError(
            f"unknown account: {unknown[0]} (add it with: linkedin-ai-optout accounts add {unknown[0]})"
        )
    if not wanted:
        raise UsageError("no accounts configured: add one with: linkedin-ai-optout accounts add EMAIL")
    runner = Runner(
        site=Site(origin=origin, rules=load_rules(), timeout_ms=timeout * 1000),
        credentials=CredentialStore(),
        sessions=SessionStore.in_home(home),
        history=History.in_home(home),
        options=CheckOptions(
            apply=apply, dry_run=dry_run, pace_seconds=pace, headed=headed, browser_path=browser_path
        ),
    )
    results = asyncio.run(runner.check_accounts(list(dict.fromkeys(wanted))))
    _finish(results, json_output=json_output, quiet=quiet)


def _finish(results: list[CheckResult], *, json_output: bool, quiet: bool) -> None:
    code = fold_exit_code([result.outcome for result in results])
    if json_output:
        print(json.dumps(results_document(results, code)))
    elif not (quiet and code is ExitCode.OK):
        print_results(stdout, results)
    raise typer.Exit(int(code))


# --- history, demo, doctor -------------------------------------------------------------------


@app.command()
def history(
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many entries.")] = 20,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the recorded outcomes, newest first."""
    entries = History.in_home(home_dir()).entries(
        account=validate_email(account) if account else None, limit=limit
    )
    if json_output:
        print(json.dumps({"entries": [entry.to_json() for entry in entries]}))
    else:
        print_history(stdout, entries)


@app.command()
def demo(
    headed: Annotated[bool, typer.Option(help="Show the browser window.")] = False,
    browser_path: Annotated[
        str | None,
        typer.Option(envvar="LINKEDIN_AI_OPTOUT_BROWSER", help="A Chromium or Chrome binary to drive."),
    ] = None,
) -> None:
    """Run check, check --apply, check on the built-in fixture site; touches nothing of yours."""
    from checker.demo import run_demo  # the fixture site is only needed here

    def show(label: str, results: list[CheckResult]) -> None:
        print_results(stdout, results, title=label)

    as_expected = asyncio.run(run_demo(show, browser_path=browser_path, headed=headed, timeout_ms=20_000))
    if not as_expected:
        raise CheckerError("the demo did not go non_compliant -> fixed -> compliant")
    stdout.print("The setting went on -> switched off -> verified off. That is the whole job.")


@app.command()
def doctor(
    browser_path: Annotated[
        str | None,
        typer.Option(envvar="LINKEDIN_AI_OPTOUT_BROWSER", help="A Chromium or Chrome binary to check."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show which browser, keyring and data directory the tool would use, and whether they work."""
    from checker.doctor import diagnose

    findings = asyncio.run(diagnose(CredentialStore(), browser_path=browser_path))
    healthy = all(finding.ok for finding in findings)
    if json_output:
        print(json.dumps({"ok": healthy, "findings": [vars(finding) for finding in findings]}))
    else:
        for finding in findings:
            mark = "[green]ok[/]  " if finding.ok else "[red]FAIL[/]"
            stdout.print(f"{mark} {finding.name}: ", end="")
            stdout.print(finding.detail, markup=False, highlight=False)
    raise typer.Exit(int(ExitCode.OK if healthy else ExitCode.FAILURE))


def main() -> None:
    """Entry point of the `linkedin-ai-optout` command."""
    app()
