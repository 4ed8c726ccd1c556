"""Checking accounts: many accounts in turn in one browser, every outcome recorded (one account's
steps are account_check.py's).

Nothing acts without a record: a run stops before the next account when recording failed, and a
signal stops it with the account in progress recorded as far as it went.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import structlog
from playwright.async_api import Browser, Playwright

from checker import __version__
from checker.account_check import AccountCheck
from checker.browser import (
    connected_browser,
    find_browser,
    launched_browser,
    mask_endpoint,
    running_playwright,
)
from checker.credentials import CredentialStore
from checker.errors import CheckerError
from checker.history import History
from checker.interrupts import Interrupted, Stopper
from checker.linkedin.locate import Site
from checker.linkedin.person import require_display
from checker.outcome import SETTING, CheckResult, SwitchState, utc_now
from checker.quarantine import CAUSES, Hold, Quarantine
from checker.sessions import SessionStore

log = structlog.get_logger()

Progress = Callable[[str], None]
"""Told what the run is doing now, in a few words, for a person watching a terminal."""


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
    browser_endpoint: str | None = None
    """An existing browser pool to connect to (see browser.connected_browser), instead of launching."""
    """The catalog's settings to check, in order (see selectors/settings.toml)."""


@dataclass
class RunReport:
    """What a run did: its results in order, whether a signal stopped it, what was not recorded."""

    results: list[CheckResult] = field(default_factory=list)
    interrupted_by: int | None = None
    not_recorded: str | None = None


@dataclass(frozen=True)
class Runner:
    """Everything a check needs besides the browser."""

    site: Site
    credentials: CredentialStore
    sessions: SessionStore
    history: History
    options: CheckOptions
    home: Path
    progress: Progress = lambda _: None

    def held(self, email: str) -> Hold | None:
        """The quarantine hold on `email`, if any; an unreadable quarantine holds everyone back."""
        try:
            return Quarantine.in_home(self.home).get(email)
        except CheckerError as exc:
            return Hold(account=email, cause="needs_attention", detail=str(exc), since="unknown")

    def last_state(self, email: str, setting: str) -> SwitchState | None:
        """The state of `setting` last recorded for `email`, for telling drift; None when unknown."""
        try:
            return self.history.last_state(email, setting)
        except CheckerError as exc:
            log.warning("the previous state could not be read", reason=str(exc))
            return None

    @property
    def lock_wait_seconds(self) -> float:
        """How long to wait for another run checking the same account: about one check's length."""
        return 3 * self.site.timeout_ms / 1000

    async def check_accounts(self, emails: list[str]) -> RunReport:
        """Check `emails` in turn in one browser, pacing between accounts; record each outcome."""
        if self.options.interactive:
            require_display("check --interactive")  # before the site is touched
        # Interactive runs show the browser from the start: a challenge is handed over in the very page
        # that met it, never reloaded in a second browser (LinkedIn could take that for a new device).
        headed = self.options.headed or self.options.interactive
        report = RunReport()
        stopper = Stopper(self.progress)
        with stopper.installed():
            try:
                async with running_playwright() as playwright, self._browser(playwright, headed) as browser:
                    await self._each_account(browser, emails, stopper, report)
            except Exception:
                if stopper.signum is None:
                    raise
                # Playwright's driver is in the terminal's process group: a Ctrl-C that reaches it
                # before it has started ignoring SIGINT ends it. The run was stopped, not broken.
                log.debug("the browser machinery failed after the signal", exc_info=True)
                await _tasks_left_done()
        report.interrupted_by = stopper.signum
        return report

    @asynccontextmanager
    async def _browser(self, playwright: Playwright, headed: bool) -> AsyncIterator[Browser]:
        """The pool's browser when `browser_endpoint` names one, else one launched here."""
        endpoint = self.options.browser_endpoint
        if endpoint is not None:
            async with connected_browser(playwright, endpoint, self.site.timeout_ms) as browser:
                log.info("browser connected", endpoint=mask_endpoint(endpoint), version=browser.version)
                yield browser
            return
        choice = find_browser(playwright.chromium, self.options.browser_path, headed=headed)
        # A window a person may sign in in shows the pages whole.
        lean = None if headed else self.site.rules.load
        async with launched_browser(playwright, choice, headed=headed, lean=lean) as browser:
            log.info("browser started", path=choice.path, source=choice.source, version=browser.version)
            yield browser

    async def _each_account(
        self, browser: Browser, emails: list[str], stopper: Stopper, report: RunReport
    ) -> None:
        for index, email in enumerate(emails):
            try:
                if index and self.options.pace_seconds:
                    self.progress(f"pausing {self.options.pace_seconds:g} s before the next account")
                    await stopper.pause(self.options.pace_seconds)
                stopper.checkpoint()
                results = await stopper.run(self.check_account(browser, email, stopper))
            except Interrupted:
                return  # accounts that never started are not recorded
            for result in map(self._quarantine, results):
                report.results.append(result)
                try:
                    self.history.record(result, tool_version=__version__, browser_version=browser.version)
                except (CheckerError, OSError) as exc:
                    # Acting on more accounts without a record is what this tool must never do.
                    report.not_recorded = f"could not record the check of {email}: {exc}"
                    log.info("not recorded", account=email, reason=str(exc))  # the CLI says it as an error
                    return
            if stopper.signum is not None:
                return

    def _quarantine(self, result: CheckResult) -> CheckResult:
        """Hold back the account's password after auth_failed or needs_attention (see quarantine.py),
        and mark every result of a held account."""
        quarantine = Quarantine.in_home(self.home)
        try:
            held = quarantine.get(result.account)
            if held is None and result.outcome in CAUSES:
                quarantine.hold(result.account, result.outcome, result.detail)
                detail = (
                    f"{result.detail}; its password will not be sent again until "
                    f"`linkedin-ai-optout accounts unlock {result.account}`"
                )
                return replace(result, detail=detail, quarantined=True)
        except CheckerError as exc:
            log.warning("the quarantine could not be read or written", reason=str(exc))
            return result
        return replace(result, quarantined=held is not None)

    async def check_account(
        self, browser: Browser, email: str, stopper: Stopper | None = None
    ) -> list[CheckResult]:
        """One account through the steps, a result per setting. Never raises for what the site does:
        it becomes the outcome."""
        with structlog.contextvars.bound_contextvars(account=email):
            started = utc_now()
            results = await AccountCheck(self, email, stopper or Stopper()).run(browser)
            for result in results:
                log.info(
                    "setting checked",
                    setting=result.setting,
                    outcome=result.outcome.value,
                    state_before=result.state_before.value,
                    state_after=result.state_after and result.state_after.value,
                    action=result.action.value,
                )
            log.info(
                "account checked",
                settings=len(results),
                worst=max(results, key=lambda r: r.outcome.exit_code).outcome.value if results else None,
                seconds=round((utc_now() - started).total_seconds(), 2),
            )
            return results


async def _tasks_left_done() -> None:
    """Let Playwright's own tasks see the end of its driver, briefly: a task the loop cancels as it
    closes leaves the driver's process unwaited for, and Python prints warnings as it exits."""
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if others:
        await asyncio.wait(others, timeout=5)
