"""`check --replay DIR`: a check against a recording (`record`'s bundle) instead of a site, for
reproducing a report offline: read-only, no keyring, nothing recorded (checker/run/replay.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from checker.cli.signals import HeldSignals
from checker.core.console import stdout
from checker.core.errors import UsageError

Replay = Annotated[
    Path | None,
    typer.Option(
        metavar="DIR",
        help="Check against a recording (`record -o DIR`) instead of a site: read-only, offline, no"
        " keyring, nothing recorded; says what check would.",
    ),
]


def replayed(
    directory: Path,
    *,
    refused: dict[str, bool],
    json_output: bool,
    browser_path: str | None,
    timeout: float,
) -> int:
    """Replay the recording in `directory`, print its result as `check` does, and return the exit
    code; UsageError for a directory that holds none, or for an option a replay cannot honour (each
    of `refused` that is set)."""
    asked = [option for option, given in refused.items() if given]
    if asked:
        raise UsageError(f"--replay reads a recording and changes nothing: drop {', '.join(asked)}")
    with HeldSignals():
        from checker.core import loop
        from checker.core.outcome import CheckResult, fold_exit_code
        from checker.linkedin.browser import BrowserSource
        from checker.outputs.results import print_results, results_document
        from checker.run.replay import Recording, replay

    recording = Recording.read(directory)

    async def run() -> list[CheckResult]:
        source = BrowserSource(path=browser_path)
        async with source.opened(timeout * 1000) as browser:
            return [(await replay(browser, recording, timeout_ms=timeout * 1000)).result]

    results = loop.run(run())
    code = fold_exit_code([result.outcome for result in results])
    if json_output:
        print(json.dumps(results_document(results, code)))
    else:
        print_results(stdout, results, title=f"Replay of {directory}")
    return int(code)
