"""`record`: walk to the setting as `check` does, saving each page's DOM and a HAR, scrubbed, for a
bug report or a new fixture page (see checker/capture/recording.py). Never clicks the switch."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from checker.cli.options import BaseUrl, BrowserEndpoint, BrowserPath, Headed, Timeout, pool_endpoint
from checker.cli.options import typed as typed_options
from checker.cli.signals import HeldSignals
from checker.core.console import notice, stderr, stdout
from checker.core.errors import CheckerError
from checker.core.urls import normalize_base_url
from checker.store.config_file import DEFAULT_TIMEOUT, load_user_config
from checker.store.home import DEFAULT_BASE_URL


def record(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The account whose walk to record.")],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="DIR",
            help="Where to write: a new or empty directory, or an earlier recording to replace.",
        ),
    ],
    base_url: BaseUrl = DEFAULT_BASE_URL,
    headed: Headed = False,
    browser_path: BrowserPath = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    browser_endpoint: BrowserEndpoint = None,
) -> None:
    """Record the walk to the setting, each page's DOM and a HAR, scrubbed; never clicks the switch."""
    with HeldSignals():
        from checker.capture.recording import Bundle, Recorder
        from checker.cli.progress import progress_line
        from checker.core import loop
        from checker.linkedin.browser import BrowserSource
        from checker.linkedin.locate import Site
        from checker.linkedin.rules import load_rules
        from checker.store.accounts import wanted_accounts
        from checker.store.stores import prepare_stores

    endpoint = pool_endpoint(browser_endpoint, window="--headed" if headed else None)
    config = load_user_config().resolve(**typed_options(ctx, base_url=base_url, timeout=timeout))
    origin = normalize_base_url(config.base_url)
    [account] = wanted_accounts([email])
    # Everything the run will write is checked before the browser touches LinkedIn.
    stores = prepare_stores(notice, history=False)
    home, credentials, sessions = stores.home, stores.credentials, stores.sessions
    bundle = Bundle(output)
    bundle.prepare(notice)
    rules = load_rules()
    site = Site(origin=origin, rules=rules, timeout_ms=config.timeout * 1000)
    with progress_line(stderr, enabled=True) as progress:
        recorder = Recorder(
            site=site,
            credentials=credentials,
            sessions=sessions,
            home=home,
            browsers=BrowserSource.unattended(site, path=browser_path, endpoint=endpoint, headed=headed),
            progress=progress,
        )
        walk = loop.run(recorder.record(account, bundle))
    where = f"{len(walk.pages)} pages and the walk's HAR in {bundle.path}"
    if walk.failure is not None:
        failure = walk.failure
        raise CheckerError(
            f"{failure.outcome.value}: {failure.detail} (recorded as far as it went: {where})",
            failure.outcome.exit_code,
        )
    stdout.print(
        f"recorded {where}; the setting is {walk.state.value}, and nothing was clicked. "
        "Look through the files before you share them: other members' posts are in the feed.",
        markup=False,
        soft_wrap=True,
    )
