"""What one account's check needs from the run it is part of: the options, the site, the stores,
and a few questions about the account. The runner provides it; an account's check sees only this."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from checker.core.outcome import SETTING, SwitchState
from checker.linkedin.browser import BrowserSource
from checker.linkedin.locate import Site
from checker.store.credentials import CredentialStore
from checker.store.quarantine import Hold
from checker.store.sessions import SessionStore


class Watch:
    """Told what the run is doing, for a person watching a terminal (see progress.py); this one
    shows nothing."""

    def begin(self, total: int) -> None:
        """The run will check `total` accounts."""

    def step(self, email: str, doing: str) -> None:
        """The account `email` is `doing` this now, in a few words."""

    def done(self, email: str) -> None:
        """The account `email` is checked and recorded."""

    def note(self, text: str) -> None:
        """Something about the whole run (a signal received)."""


@dataclass(frozen=True)
class CheckOptions:
    """What a run does: read only, switch off (`apply`), or rehearse switching off (`dry_run`).
    `interactive`: a visible browser, handed to the person at it when signing in needs them."""

    apply: bool = False
    dry_run: bool = False
    pace_seconds: float = 0.0
    headed: bool = False
    browser_path: str | None = None
    interactive: bool = False
    settings: tuple[str, ...] = (SETTING,)
    """The catalog's settings to check, in order (see selectors/settings.toml)."""
    browser_endpoint: str | None = None
    """An existing browser pool to connect to (see browser.connected_browser), instead of launching."""
    concurrency: int = 1
    """How many accounts are checked at once, each in its own browser context."""
    keep_readings: bool = False
    """Keep evidence of every reading, not only of failures (`check --evidence always`, see
    checker/capture/readings.py)."""
    evidence_days: int = 400
    """How long the evidence of readings is kept (config.toml's evidence_days): older is removed."""
    discover: bool = False
    """Read the catalog's category pages too, after the settings (a run of every setting does):
    what they list, to notice a setting LinkedIn adds or drops (see checker/linkedin/listings.py)."""


def browser_source(site: Site, options: CheckOptions) -> BrowserSource:
    """Where a run's browser comes from. Interactive runs show it from the start: a challenge is
    handed over in the very page that met it, never reloaded in a second browser (LinkedIn could
    take that for a new device)."""
    headed = options.headed or options.interactive
    return BrowserSource.unattended(
        site, path=options.browser_path, endpoint=options.browser_endpoint, headed=headed
    )


class RunContext(Protocol):
    """The run, as one account's check sees it (checker/run/runner.py's Runner is one)."""

    @property
    def site(self) -> Site: ...
    @property
    def credentials(self) -> CredentialStore: ...
    @property
    def sessions(self) -> SessionStore: ...
    @property
    def options(self) -> CheckOptions: ...
    @property
    def home(self) -> Path: ...
    @property
    def watch(self) -> Watch: ...
    @property
    def browsers(self) -> BrowserSource: ...
    @property
    def lock_wait_seconds(self) -> float: ...

    def held(self, email: str) -> Hold | None: ...

    def last_state(self, email: str, setting: str) -> SwitchState | None: ...
