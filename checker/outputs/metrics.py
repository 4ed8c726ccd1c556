"""`check --metrics-file PATH`: the run in Prometheus' text format, for node_exporter's textfile
collector, written atomically (a temporary file beside it, then a rename) by prometheus_client.

No account appears in it: the counts are per setting and outcome, which is what an alert needs,
and the file is usually readable by every local user.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from checker.core.errors import CheckerError, ExitCode, UsageError
from checker.core.outcome import Change, CheckResult, Outcome, SiteChange
from checker.linkedin.rules import load_catalog

PREFIX = "linkedin_ai_optout"


def check_metrics_path(path: Path) -> Path:
    """The metrics file, checked before the run: UsageError for a name the collector would skip,
    CheckerError (exit 4) for a directory the run could not write into."""
    if path.suffix != ".prom":
        raise UsageError(
            f"--metrics-file: {path} must end in .prom, the only files the textfile collector reads"
        )
    directory = path.parent
    if not directory.is_dir():
        raise CheckerError(f"--metrics-file: {directory} is not a directory", ExitCode.FAILURE)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise CheckerError(f"--metrics-file: cannot write into {directory}", ExitCode.FAILURE)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise CheckerError(f"--metrics-file: {path} is not a regular file", ExitCode.FAILURE)
    return path


def write_metrics(
    path: Path,
    results: Sequence[CheckResult],
    *,
    finished_at: float,
    duration: float,
    exit_code: int,
    site_changes: Sequence[SiteChange] = (),
) -> None:
    """Write the run's metrics to `path`, replacing the last run's at once; OSError if it cannot."""
    from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

    registry = CollectorRegistry()
    outcomes = Gauge(
        f"{PREFIX}_results",
        "Results of the last run, per setting and outcome (one per account).",
        ["setting", "outcome"],
        registry=registry,
    )
    counted = Counter((result.setting, result.outcome) for result in results)
    for setting in dict.fromkeys(result.setting for result in results):
        for outcome in Outcome:  # every outcome, 0 included, so that an alert sees it go back to 0
            outcomes.labels(setting=setting, outcome=outcome.value).set(counted[(setting, outcome)])
    drift = Gauge(
        f"{PREFIX}_drift_results",
        "Results of the last run where LinkedIn switched a setting back on.",
        ["setting"],
        registry=registry,
    )
    for setting in dict.fromkeys(result.setting for result in results):
        drift.labels(setting=setting).set(sum(r.drift for r in results if r.setting == setting))
    changes = Gauge(
        f"{PREFIX}_site_changes",
        "Settings LinkedIn added to or dropped from a category page, first seen by the last run.",
        ["category", "change"],
        registry=registry,
    )
    seen = Counter((change.category, change.change) for change in site_changes)
    for category in dict.fromkeys([*load_catalog().categories, *(c.category for c in site_changes)]):
        for kind in Change:  # 0 included, so that an alert sees it go back to 0
            changes.labels(category=category, change=kind.value).set(seen[(category, kind)])
    Gauge(f"{PREFIX}_accounts_checked", "Accounts the last run checked.", registry=registry).set(
        len({result.account.casefold() for result in results})
    )
    Gauge(
        f"{PREFIX}_last_run_timestamp_seconds", "When the last run ended (Unix time).", registry=registry
    ).set(finished_at)
    Gauge(f"{PREFIX}_last_run_duration_seconds", "How long the last run took.", registry=registry).set(
        duration
    )
    Gauge(
        f"{PREFIX}_last_run_exit_code",
        "The exit code of the last run (see docs/reference.md).",
        registry=registry,
    ).set(exit_code)
    write_to_textfile(str(path), registry)
