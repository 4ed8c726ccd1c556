"""`check`: the accounts' data-use settings, read, and with --apply switched off and verified; the
results printed (or the JSON document), recorded, notified, and turned into the exit code."""

from __future__ import annotations

import dataclasses
import json
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from checker.cli.options import BaseUrl, BrowserPath, Headed, JsonOutput, Notify, Pace, Timeout
from checker.cli.options import typed as typed_options
from checker.cli.signals import HeldSignals
from checker.core.console import notice, say, stderr, stdout
from checker.core.errors import ExitCode, UsageError
from checker.core.outcome import fold_exit_code
from checker.core.urls import normalize_base_url
from checker.store.config_file import DEFAULT_PACE, DEFAULT_TIMEOUT, MAX_CONCURRENCY, load_user_config
from checker.store.home import DEFAULT_BASE_URL, prepare_home

if TYPE_CHECKING:
    from checker.run.runner import RunReport


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
    browser_endpoint: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="Use a browser of an existing pool instead of launching one: ws://... for "
            "Playwright's run-server (or Browserless), http://... for a Chrome DevTools endpoint.",
        ),
    ] = None,
    report_to: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="Post the result document (as --json prints it; no secret) to this collector: "
            "https, or http to this machine.",
        ),
    ] = None,
    metrics_file: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="Write the run's metrics there, in Prometheus' text format (a .prom file for "
            "node_exporter's textfile collector), replacing the last run's.",
        ),
    ] = None,
    group: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME",
            help="Check only the accounts in this group (see `accounts add --group`); repeatable.",
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Check N accounts at once (1 to 8), each in its own browser context. Default 1, "
            "or config.toml's concurrency; 1 suits a laptop, see the README before raising it.",
        ),
    ] = 1,
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

        from checker.cli.progress import accounts_display
        from checker.core.urls import url_problem
        from checker.linkedin.browser import check_endpoint
        from checker.linkedin.locate import Site
        from checker.linkedin.rules import load_rules, setting_names
        from checker.outputs.collector import check_report_url
        from checker.outputs.metrics import check_metrics_path
        from checker.run.context import CheckOptions
        from checker.run.person import require_display
        from checker.run.runner import Runner, RunReport
        from checker.run.shards import chosen_shard
        from checker.store.accounts import wanted_accounts
        from checker.store.credentials import CredentialStore
        from checker.store.history import History
        from checker.store.quarantine import Quarantine
        from checker.store.sessions import SessionStore

    started = time.monotonic()
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency: expected 1 to {MAX_CONCURRENCY}, not {concurrency}")
    part = chosen_shard(shard, shards)
    endpoint = check_endpoint(browser_endpoint) if browser_endpoint is not None else None
    if endpoint is not None and (headed or interactive):
        raise UsageError(
            "--browser-endpoint: a pool's browser shows no window here; drop --headed/--interactive"
        )
    outputs = Outputs(
        metrics=check_metrics_path(metrics_file) if metrics_file is not None else None,
        report_to=check_report_url(report_to) if report_to is not None else None,
        started=started,
    )
    for url in notify or []:
        problem = url_problem(url)
        if problem is not None:
            raise UsageError(f"--notify: {problem}")
    try:
        settings = setting_names(setting) if setting else None
    except UsageError as exc:
        raise UsageError(f"--setting: {exc}") from None
    typed = typed_options(ctx, base_url=base_url, timeout=timeout, pace=pace, concurrency=concurrency)
    config = load_user_config().resolve(**typed, notify=notify or None, settings=settings)
    if config.concurrency > 1 and interactive:
        raise UsageError("--interactive hands one account at a time to you: drop --concurrency")
    origin = normalize_base_url(config.base_url)
    wanted = wanted_accounts(emails or [], group)
    if part is not None:
        wanted = [email for email in wanted if part.holds(email)]
        if not wanted:
            if not (quiet or json_output):
                stdout.print(f"No account falls in shard {part}.", markup=False)
            _finish(RunReport(), json_output=json_output, quiet=quiet, outputs=outputs)
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
    with accounts_display(stderr, enabled=not quiet) as watch:
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
                browser_endpoint=endpoint,
                concurrency=config.concurrency,
            ),
            home=home,
            watch=watch,
        )
        report = asyncio.run(runner.check_accounts(wanted))
    outputs = dataclasses.replace(outputs, notify=config.notify, home=home)
    _finish(report, json_output=json_output, quiet=quiet, outputs=outputs)


@dataclass(frozen=True)
class Outputs:
    """Where a run's results go besides stdout, each checked before the run."""

    notify: tuple[str, ...] = ()
    home: Path | None = None
    metrics: Path | None = None
    report_to: str | None = None
    started: float = 0.0


def _finish(report: RunReport, *, json_output: bool, quiet: bool, outputs: Outputs) -> None:
    """Print the results (or the JSON document), send what the outputs ask for (notifications, the
    collector's document, the metrics file), and exit with the run's code. Each of those that fails
    is a warning: it changes neither the code nor the record."""
    with HeldSignals():
        from checker.outputs.notify import is_busy, notify_run
        from checker.outputs.results import print_results, results_document
        from checker.run.interrupts import EXIT_CODES

    results = report.results
    code = int(fold_exit_code([result.outcome for result in results]))
    problem = report.not_recorded and f"{report.not_recorded}; the results above were not all recorded"
    if problem:
        code = max(code, ExitCode.FAILURE)
    if report.interrupted_by is not None:
        code = EXIT_CODES[report.interrupted_by]
        name = "SIGINT" if code == EXIT_CODES[signal.SIGINT] else "SIGTERM"
        done = (
            "the account in progress was recorded as far as it went" if results else "no account was checked"
        )
        problem = problem or f"interrupted by {name}; {done}"
    # Quiet means nothing to say: all is well, or the only trouble is another run busy with an
    # account (a scheduled run overlapping a manual one), which that run reports.
    nothing_to_say = all(result.outcome.exit_code == ExitCode.OK or is_busy(result) for result in results)
    document = results_document(results, code, error=problem or None)
    if json_output:
        print(json.dumps(document))
    elif results and not (quiet and nothing_to_say and not problem):
        print_results(stdout, results)
    if problem:
        say(f"error: {problem}")
    if outputs.notify and outputs.home is not None and report.interrupted_by is None:
        # After a signal the process is asked to stop: the next run sends what this one did not.
        notify_run(results, outputs.notify, outputs.home, warn=lambda line: say(f"warning: {line}"))
    if outputs.report_to is not None and report.interrupted_by is None:
        from checker.outputs.collector import post_report

        failure = post_report(outputs.report_to, document)
        if failure is not None:
            say(f"warning: {failure}; the results are in the history, and the next run posts again")
    if outputs.metrics is not None:
        from checker.outputs.metrics import write_metrics

        duration = time.monotonic() - outputs.started
        try:
            write_metrics(
                outputs.metrics, results, finished_at=time.time(), duration=duration, exit_code=code
            )
        except OSError as exc:
            # The results are recorded in the history; a stale metrics file is what an alert sees.
            say(f"warning: could not write the metrics file {outputs.metrics}: {exc.strerror or exc}")
    raise typer.Exit(code)
