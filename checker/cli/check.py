"""`check`: the accounts' data-use settings, read, and with --apply switched off and verified; the
results printed (or the JSON document), recorded, notified, and turned into the exit code.

The command reads as its steps: parse (every option checked and config.toml applied, nothing
written yet), `_prepare` (every store the run writes to), `_run` (the accounts checked), and
`_finish` (the results printed and sent). The exit code is the run's (core/outcome.py's
`run_exit_code`), passed to the command line's one error boundary (checker/cli/app.py).
"""

from __future__ import annotations

import dataclasses
import json
import signal
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from checker.cli.options import (
    Apply,
    BaseUrl,
    BrowserEndpoint,
    BrowserPath,
    Emails,
    Group,
    Headed,
    JsonOutput,
    Notify,
    Pace,
    Timeout,
    pool_endpoint,
)
from checker.cli.options import typed as typed_options
from checker.cli.replay import Replay, replayed
from checker.cli.signals import HeldSignals
from checker.core.console import notice, say, stderr, stdout, warning
from checker.core.errors import ExitCode, KeyringUnavailable, UsageError
from checker.core.outcome import run_exit_code
from checker.core.urls import normalize_base_url
from checker.store.config_file import DEFAULT_PACE, DEFAULT_TIMEOUT, MAX_CONCURRENCY, load_user_config
from checker.store.home import DEFAULT_BASE_URL

if TYPE_CHECKING:
    from checker.run.context import CheckOptions
    from checker.run.runner import RunReport
    from checker.run.shards import Shard
    from checker.store.config_file import Effective
    from checker.store.stores import Stores

# The options only check has; those it shares with other commands are in options.py.
DryRun = Annotated[
    bool, typer.Option(help="Go up to the switch but never click it; report what --apply would do.")
]
Quiet = Annotated[
    bool, typer.Option(help="Print nothing and show no progress when every account is fine (exit 0).")
]
SettingNames = Annotated[
    list[str] | None,
    typer.Option(
        "--setting",
        metavar="NAME",
        help="A setting to check (see `settings list`), or `all`; repeatable. Default: "
        "generative_ai_training, or config.toml's settings.",
    ),
]
Interactive = Annotated[
    bool,
    typer.Option(
        help="Show the browser; when signing in meets a challenge, wait (up to 10 minutes) "
        "for you to sign in in that window, then go on."
    ),
]
OneShard = Annotated[
    str | None,
    typer.Option(
        metavar="K/N",
        help="Check only the accounts whose stable hash falls in shard K (1 to N) of N: N runs, "
        "one per K, check every account once.",
    ),
]
ReportTo = Annotated[
    str | None,
    typer.Option(
        metavar="URL",
        help="Post the result document (as --json prints it; no secret) to this collector: "
        "https, or http to this machine.",
    ),
]
MetricsFile = Annotated[
    Path | None,
    typer.Option(
        metavar="PATH",
        help="Write the run's metrics there, in Prometheus' text format (a .prom file for "
        "node_exporter's textfile collector), replacing the last run's.",
    ),
]
Concurrency = Annotated[
    int,
    typer.Option(
        metavar="N",
        help="Check N accounts at once (1 to 8), each in its own browser context. Default 1, "
        "or config.toml's concurrency; 1 suits a laptop, see docs/admins.md before raising it.",
    ),
]


class EvidenceKept(StrEnum):
    FAILURE = "failure"
    ALWAYS = "always"


Evidence = Annotated[
    EvidenceKept,
    typer.Option(
        metavar="WHEN",
        help="failure: keep evidence of failed checks only; always: of every reading too, a covered "
        "screenshot and its details, hashed into the history (for auditors). Default failure, or "
        "config.toml's evidence.",
    ),
]
ShardCount = Annotated[
    int | None,
    typer.Option(
        min=1,
        metavar="N",
        help="Like --shard, with K = $JOB_COMPLETION_INDEX + 1 (an Indexed Job counts its pods from 0).",
    ),
]


def check(
    ctx: typer.Context,
    emails: Emails = None,
    apply: Apply = False,
    dry_run: DryRun = False,
    json_output: JsonOutput = False,
    quiet: Quiet = False,
    base_url: BaseUrl = DEFAULT_BASE_URL,
    headed: Headed = False,
    browser_path: BrowserPath = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    pace: Pace = DEFAULT_PACE,
    notify: Notify = None,
    setting: SettingNames = None,
    interactive: Interactive = False,
    shard: OneShard = None,
    browser_endpoint: BrowserEndpoint = None,
    report_to: ReportTo = None,
    metrics_file: MetricsFile = None,
    group: Group = None,
    concurrency: Concurrency = 1,
    shards: ShardCount = None,
    replay: Replay = None,
    evidence: Evidence = EvidenceKept.FAILURE,
) -> None:
    """Check the accounts' data-use settings (the generative-AI one unless --setting or config.toml
    names others); with --apply, switch each off and verify."""
    started = time.monotonic()
    if replay is not None:
        refused = {"EMAIL": bool(emails), "--apply": apply, "--dry-run": dry_run, "--group": bool(group)}
        refused |= {"--interactive": interactive, "--shard": bool(shard or shards)}
        code = replayed(
            replay, refused=refused, json_output=json_output, browser_path=browser_path, timeout=timeout
        )
        raise typer.Exit(code)
    # Parse: everything asked is checked before anything is written.
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency: expected 1 to {MAX_CONCURRENCY}, not {concurrency}")
    part = _shard(shard, shards)
    window = "--headed/--interactive" if headed or interactive else None  # a pool's browser shows none
    endpoint = pool_endpoint(browser_endpoint, window=window)
    outputs = _outputs(metrics_file, report_to, notify, started=started)
    typed = typed_options(
        ctx, base_url=base_url, timeout=timeout, pace=pace, concurrency=concurrency, evidence=evidence
    )
    config = _config(typed, notify, setting, interactive=interactive)
    origin = normalize_base_url(config.base_url)
    wanted = _wanted(emails or [], group, part)
    if not wanted:
        raise typer.Exit(_none_in_shard(part, json_output=json_output, quiet=quiet, outputs=outputs))
    with HeldSignals():
        from checker.linkedin.rules import every_setting
        from checker.run.context import CheckOptions  # with the browser's modules: only once check runs

    options = CheckOptions(
        apply=apply,
        dry_run=dry_run,
        pace_seconds=config.pace,
        headed=headed,
        browser_path=browser_path,
        interactive=interactive,
        settings=config.settings,
        discover=every_setting(config.settings),
        browser_endpoint=endpoint,
        concurrency=config.concurrency,
        keep_readings=config.evidence == EvidenceKept.ALWAYS,
        evidence_days=config.evidence_days,
    )
    # Prepare, then run: every store the run writes to is checked before the browser touches LinkedIn.
    home, report = _run(options, wanted, origin=origin, timeout=config.timeout, quiet=quiet)
    # Print, and send: the results, and the run's exit code for the command line's boundary.
    outputs = dataclasses.replace(outputs, notify=config.notify, home=home)
    raise typer.Exit(_finish(report, json_output=json_output, quiet=quiet, outputs=outputs))


# --- parse -----------------------------------------------------------------------------------


def _shard(shard: str | None, shards: int | None) -> Shard | None:
    """The shard asked for (--shard or --shards), or None for every account."""
    with HeldSignals():
        from checker.run.shards import chosen_shard

    return chosen_shard(shard, shards)


@dataclass(frozen=True)
class Outputs:
    """Where a run's results go besides stdout, each checked before the run."""

    notify: tuple[str, ...] = ()
    home: Path | None = None
    metrics: Path | None = None
    report_to: str | None = None
    started: float = 0.0


def _outputs(
    metrics_file: Path | None, report_to: str | None, notify: list[str] | None, *, started: float
) -> Outputs:
    """The metrics file and the collector checked, and each --notify URL: UsageError for one that
    cannot be used, before anything is written."""
    with HeldSignals():
        from checker.core.urls import url_problem
        from checker.outputs.collector import check_report_url
        from checker.outputs.metrics import check_metrics_path

    outputs = Outputs(
        metrics=check_metrics_path(metrics_file) if metrics_file is not None else None,
        report_to=check_report_url(report_to) if report_to is not None else None,
        started=started,
    )
    for url in notify or []:
        problem = url_problem(url)
        if problem is not None:
            raise UsageError(f"--notify: {problem}")
    return outputs


def _config(
    typed: dict[str, object], notify: list[str] | None, setting: list[str] | None, *, interactive: bool
) -> Effective:
    """The values the run uses: those typed on the command line, else config.toml's, else the
    defaults; UsageError for an unknown setting, or for more than one account at once handed to a
    person (--interactive)."""
    with HeldSignals():
        from checker.linkedin.rules import setting_names

    try:
        settings = setting_names(setting) if setting else None
    except UsageError as exc:
        raise UsageError(f"--setting: {exc}") from None
    config = load_user_config().resolve(**typed, notify=notify or None, settings=settings)
    if config.concurrency > 1 and interactive:
        raise UsageError("--interactive hands one account at a time to you: drop --concurrency")
    return config


def _wanted(emails: list[str], group: list[str] | None, part: Shard | None) -> list[str]:
    """The accounts to check, in the shard `part` when one is asked for; UsageError for an unknown
    account or group, or when no account is configured. Empty only when the shard holds none."""
    with HeldSignals():
        from checker.store.accounts import wanted_accounts

    wanted = wanted_accounts(emails, group)
    return wanted if part is None else [email for email in wanted if part.holds(email)]


def _none_in_shard(part: Shard | None, *, json_output: bool, quiet: bool, outputs: Outputs) -> ExitCode:
    """Say the shard holds no account, and finish as an empty run does."""
    with HeldSignals():
        from checker.run.runner import RunReport

    if not (quiet or json_output):
        stdout.print(f"No account falls in shard {part}.", markup=False)
    return _finish(RunReport(), json_output=json_output, quiet=quiet, outputs=outputs)


# --- prepare and run --------------------------------------------------------------------------


def _prepare() -> Stores:
    """The home and every store the run writes to, checked (and created where absent), and the
    modules the run needs loaded: what `_run` does while the browser starts."""
    with HeldSignals():
        from checker.cli.progress import accounts_display  # noqa: F401 (loaded here, used by _run)
        from checker.run.runner import Runner  # noqa: F401
        from checker.store.stores import prepare_stores

    stores = prepare_stores(notice, history=True)
    keyring_answers(stores)
    return stores


def keyring_answers(stores: Stores) -> None:
    """Every account needs the keyring (its password, or its saved session's key): one that does not
    answer stops the run before the browser starts, with doctor's explanation and fix. What it is
    asked is the session key, which the run needs anyway: the answer is kept for every account."""
    with HeldSignals():
        from checker.run.doctor import keyring_finding

    finding = keyring_finding(stores.credentials, probe=stores.sessions.ask_key)
    if not finding.ok:
        raise KeyringUnavailable(f"{finding.detail}; {finding.fix}")


PREPARE_GRACE_SECONDS = 2.0
"""How long a signal waits for the preparation's keyring call in flight: one that answers ends
cleanly, one that is frozen is left behind."""


def _run(
    options: CheckOptions, wanted: list[str], *, origin: str, timeout: float, quiet: bool
) -> tuple[Path, RunReport]:
    """Check the `wanted` accounts on the site at `origin`, as the selector files say to find things
    there, showing their progress on stderr unless `quiet`; return the home and the report.

    The stores are prepared (`_prepare`, on a daemon thread, which a signal does not wait for) while
    Playwright's driver and the browser start, which is most of a short run's wait; the site is
    asked nothing until both are ready, and a store that is not is the error, whatever the browser
    did meanwhile."""
    with HeldSignals():
        from checker.core import loop
        from checker.linkedin.locate import Site
        from checker.linkedin.rules import load_rules
        from checker.run.context import browser_source
        from checker.run.person import require_display

    if options.interactive:
        require_display("check --interactive")  # before anything is written or started
    site = Site(origin=origin, rules=load_rules(), timeout_ms=timeout * 1000)

    async def prepared_then_checked() -> tuple[Path, RunReport]:
        async with browser_source(site, options).opening(site.timeout_ms) as browser:
            stores = await loop.in_daemon_thread(_prepare, "prepare", grace=PREPARE_GRACE_SECONDS)
            from checker.cli.progress import accounts_display
            from checker.run.runner import Runner

            assert stores.history is not None  # prepared with history=True
            with accounts_display(stderr, enabled=not quiet) as watch:
                runner = Runner(
                    site=site,
                    credentials=stores.credentials,
                    sessions=stores.sessions,
                    history=stores.history,
                    options=options,
                    home=stores.home,
                    watch=watch,
                )
                return stores.home, await runner.check_accounts(wanted, opening=browser)

    return loop.run(prepared_then_checked())


# --- print ------------------------------------------------------------------------------------


def _finish(report: RunReport, *, json_output: bool, quiet: bool, outputs: Outputs) -> ExitCode:
    """Print the results (or the JSON document), send what the outputs ask for (notifications, the
    collector's document, the metrics file), and return the run's exit code. Each of those that
    fails is a warning: it changes neither the code nor the record."""
    with HeldSignals():
        from checker.outputs.notify import is_busy, notify_run
        from checker.outputs.results import print_results, print_site_changes, results_document

    results, changes = report.results, report.site_changes
    code = run_exit_code(
        [result.outcome for result in results],
        all_recorded=not report.not_recorded,
        stopped_by=report.interrupted_by,
    )
    problem = report.not_recorded and f"{report.not_recorded}; the results above were not all recorded"
    if report.interrupted_by is not None:
        done = (
            "the account in progress was recorded as far as it went" if results else "no account was checked"
        )
        problem = problem or f"interrupted by {signal.Signals(report.interrupted_by).name}; {done}"
    # Quiet means nothing to say: all is well, or the only trouble is another run busy with an
    # account (a scheduled run overlapping a manual one), which that run reports.
    nothing_to_say = all(result.outcome.exit_code == ExitCode.OK or is_busy(result) for result in results)
    document = results_document(results, code, error=problem or None, site_changes=changes)
    if json_output:
        print(json.dumps(document))
    else:
        if results and not (quiet and nothing_to_say and not problem):
            print_results(stdout, results)
        print_site_changes(stdout, changes)  # a new data use needs a person, --quiet or not
    if problem:
        say(f"error: {problem}")
    if outputs.notify and outputs.home is not None and report.interrupted_by is None:
        # After a signal the process is asked to stop: the next run sends what this one did not.
        notify_run(results, outputs.notify, outputs.home, warn=warning, site_changes=changes)
    if outputs.report_to is not None and report.interrupted_by is None:
        from checker.outputs.collector import post_report

        failure = post_report(outputs.report_to, document)
        if failure is not None:
            warning(f"{failure}; the results are in the history, and the next run posts again")
    if outputs.metrics is not None:
        from checker.outputs.metrics import write_metrics

        duration = time.monotonic() - outputs.started
        try:
            write_metrics(
                outputs.metrics,
                results,
                finished_at=time.time(),
                duration=duration,
                exit_code=code,
                site_changes=changes,
            )
        except OSError as exc:
            # The results are recorded in the history; a stale metrics file is what an alert sees.
            warning(f"could not write the metrics file {outputs.metrics}: {exc.strerror or exc}")
    return code
