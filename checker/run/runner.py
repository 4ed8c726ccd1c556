"""Checking accounts: many accounts in one browser, each in its own context, one or several at a
time, every outcome recorded (one account's steps are account_check.py's).

Nothing acts without a record: a run starts no further account when recording failed, and a signal
stops it with the accounts in progress recorded as far as they went.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from playwright.async_api import Browser

from checker import __version__
from checker.capture.readings import prune
from checker.core.errors import CheckerError
from checker.core.logs import bound, get_logger
from checker.core.outcome import CheckResult, Listed, Outcome, SiteChange, SwitchState, utc_now
from checker.linkedin.browser import BrowserSource
from checker.linkedin.locate import Site
from checker.run.account_check import AccountCheck
from checker.run.context import CheckOptions, Watch, browser_source
from checker.run.interrupts import Interrupted, Stopper
from checker.run.person import require_display
from checker.store.credentials import CredentialStore
from checker.store.history import History
from checker.store.listings import Listings
from checker.store.quarantine import CAUSES, Hold, Quarantine, lifting_command
from checker.store.sessions import SessionStore

log = get_logger()


@dataclass
class RunReport:
    """What a run did: its results in order, whether a signal stopped it, what was not recorded."""

    results: list[CheckResult] = field(default_factory=list)
    interrupted_by: int | None = None
    not_recorded: str | None = None
    site_changes: list[SiteChange] = field(default_factory=list)
    """What LinkedIn changed in its category pages, seen first by this run (CheckOptions.discover)."""
    listings: dict[str, dict[str, list[Listed]]] = field(default_factory=dict)
    """What each account's category pages listed, by account (CheckOptions.discover)."""
    unlisted: dict[str, tuple[Outcome, str]] = field(default_factory=dict)
    """Why an account's category pages were not read, in a run of no setting (`settings discover`)."""


@dataclass(frozen=True)
class Runner:
    """Everything a check needs besides the browser."""

    site: Site
    credentials: CredentialStore
    sessions: SessionStore
    history: History
    options: CheckOptions
    home: Path
    watch: Watch = field(default_factory=Watch)

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
    def browsers(self) -> BrowserSource:
        return browser_source(self.site, self.options)

    @property
    def lock_wait_seconds(self) -> float:
        """How long to wait for another run checking the same account: about one check's length."""
        return 3 * self.site.timeout_ms / 1000

    async def check_accounts(
        self, emails: list[str], *, opening: Awaitable[Browser] | None = None
    ) -> RunReport:
        """Check `emails` in one browser, `options.concurrency` at a time, pacing each lane of accounts;
        record each outcome. The results come in the order of `emails`, whatever order they end in.
        The browser is `opening`'s when given (begun by `browsers.opening`, which lets go of it)."""
        if self.options.interactive:
            require_display("check --interactive")  # before the site is touched
        report = RunReport()
        stopper = Stopper(self.watch.note)
        self.watch.begin(len(emails))
        with stopper.installed():
            try:
                if opening is not None:
                    await self._each_account(await opening, emails, stopper, report)
                else:
                    async with self.browsers.opened(self.site.timeout_ms) as browser:
                        await self._each_account(browser, emails, stopper, report)
            except Exception:
                if stopper.signum is None:
                    raise
                # Playwright's driver is in the terminal's process group: a Ctrl-C that reaches it
                # before it has started ignoring SIGINT ends it. The run was stopped, not broken.
                log.debug("the browser machinery failed after the signal", exc_info=True)
                await _tasks_left_done()
        report.interrupted_by = stopper.signum
        if report.interrupted_by is None:
            self._prune_readings()
        return report

    def _prune_readings(self) -> None:
        """Remove the evidence of readings older than `evidence_days` that no row of that period
        names; one that cannot be removed is a warning, and the next run tries again."""
        try:
            prune(self.home, self.history, self.options.evidence_days)
        except (CheckerError, OSError) as exc:
            log.warning("could not remove older evidence of readings", reason=str(exc))

    async def _each_account(
        self, browser: Browser, emails: list[str], stopper: Stopper, report: RunReport
    ) -> None:
        queue = iter(enumerate(emails))  # shared by the lanes: each account is taken once
        finished: dict[int, list[CheckResult]] = {}
        lanes = min(self.options.concurrency, len(emails))
        try:
            async with asyncio.TaskGroup() as group:
                for lane in range(lanes):
                    group.create_task(self._lane(lane, browser, queue, stopper, report, finished))
        except BaseExceptionGroup as failed:
            # What broke a lane (the browser gone, say) broke the run: said as it would be with one lane.
            raise failed.exceptions[0] from None
        finally:
            report.results = [result for index in sorted(finished) for result in finished[index]]

    async def _lane(
        self,
        lane: int,
        browser: Browser,
        queue: Iterator[tuple[int, str]],
        stopper: Stopper,
        report: RunReport,
        finished: dict[int, list[CheckResult]],
    ) -> None:
        """Take accounts from `queue` one after another until it is empty, a signal stops the run, or
        a record could not be written (by this lane or another)."""
        first = True
        for index, email in queue:
            if report.not_recorded or stopper.signum is not None:
                return
            try:
                delay = pause_before(lane, first=first, pace=self.options.pace_seconds)
                first = False
                if delay:
                    self.watch.step(email, f"waiting {delay:.1f} s before starting, to stay gentle")
                    await stopper.pause(delay)
                stopper.checkpoint()
                results, check = await stopper.run(self.check_account(browser, email, stopper))
            except Interrupted:
                return  # accounts that never started are not recorded
            finished[index] = []
            for result in map(self._quarantine, results):
                finished[index].append(result)
                try:
                    self.history.record(result, tool_version=__version__, browser_version=browser.version)
                except (CheckerError, OSError) as exc:
                    # Acting on more accounts without a record is what this tool must never do.
                    report.not_recorded = f"could not record the check of {email}: {exc}"
                    log.info("not recorded", account=email, reason=str(exc))  # the CLI says it as an error
                    return
            if check.listings:
                report.listings[email] = check.listings
                if self.options.settings:  # a check keeps them; `settings discover` only reads
                    report.site_changes += self._remember(email, check.listings)
            if check.unlisted is not None:
                report.unlisted[email] = check.unlisted
            self.watch.done(email)
            if stopper.signum is not None:
                return

    def _remember(self, email: str, listings: dict[str, list[Listed]]) -> list[SiteChange]:
        """Keep what the account's category pages list; the changes no run reported before. One
        that cannot be kept is a warning: it is no record of anything done on the site."""
        catalog, kept, seen_at = self.site.rules.catalog, Listings(self.history), utc_now()
        changes: list[SiteChange] = []
        for category, items in listings.items():
            known = {setting.path for setting in catalog.settings.values() if setting.category == category}
            try:
                changes += kept.remember(email, category, items, known, seen_at=seen_at)
            except CheckerError as exc:
                log.warning("what the category page lists could not be kept", reason=str(exc))
        for change in changes:
            log.warning("LinkedIn changed a settings category page", **change.to_json())
        return changes

    def _quarantine(self, result: CheckResult) -> CheckResult:
        """Hold back the account's password after auth_failed or needs_attention (see quarantine.py),
        and mark every result of a held account."""
        quarantine = Quarantine.in_home(self.home)
        try:
            held = quarantine.get(result.account)
            if held is None and result.outcome in CAUSES:
                quarantine.hold(result.account, result.outcome, result.detail)
                return replace(result, detail=held_back(result), quarantined=True)
        except CheckerError as exc:
            log.warning("the quarantine could not be read or written", reason=str(exc))
            return result
        return replace(result, quarantined=held is not None)

    async def check_account(
        self, browser: Browser, email: str, stopper: Stopper | None = None
    ) -> tuple[list[CheckResult], AccountCheck]:
        """One account through the steps: a result per setting, and the check itself (what its
        category pages list, when the run reads them). Never raises for what the site does: it
        becomes the outcome."""
        with bound(account=email):
            started = utc_now()
            check = AccountCheck(self, email, stopper or Stopper())
            results = await check.run(browser)
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
            return results, check


def pause_before(lane: int, *, first: bool, pace: float) -> float:
    """Seconds to wait before a lane's next account: `pace` on average, drawn at random between half
    and one and a half times it, so that requests from one address keep no beat. A lane's first
    account waits a random part of `pace` (the first lane's, none): the lanes start apart."""
    if first:
        return 0.0 if lane == 0 else random.uniform(0, pace)
    return random.uniform(0.5 * pace, 1.5 * pace)


async def _tasks_left_done() -> None:
    """Let Playwright's own tasks see the end of its driver, briefly: a task the loop cancels as it
    closes leaves the driver's process unwaited for, and Python prints warnings as it exits."""
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if others:
        await asyncio.wait(others, timeout=5)


def held_back(result: CheckResult) -> str:
    """The detail of a result that puts the account's password on hold: what happened, then what
    the member does about it, first (a refused password is mended by the new one, which lifts the
    hold; `accounts unlock` would only send the refused one again)."""
    happened = result.detail.rstrip(". ")
    command = lifting_command(result.account, result.outcome)
    if result.outcome is Outcome.AUTH_FAILED:
        return (
            f"{happened}. The tool will not send this password again: if you changed it, store the "
            f"new one with `{command}`, which lifts the hold"
        )
    return (
        f"{happened}. The tool will not send the password again until you sign in yourself with `{command}`"
    )
