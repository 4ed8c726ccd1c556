"""One account's check: one sign-in, then each asked-for setting in turn, each with its own result.

A setting that is missing or changed ends with its own outcome and never stops the others; a
failure to sign in is every setting's outcome, since none could be read. A click is never taken as
success: only what the page shows after a reload is.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from checker.capture.evidence import EVIDENCE_OUTCOMES, Failure, save_evidence
from checker.capture.readings import ReadingEvidence
from checker.core.errors import CheckerError
from checker.core.logs import get_logger
from checker.core.outcome import Action, CheckFailed, CheckResult, Listed, Outcome, SwitchState, utc_now
from checker.core.redact import first_line, scrub
from checker.core.safe_text import printable
from checker.linkedin.egress import EgressGate
from checker.linkedin.listings import read_category
from checker.linkedin.locate import Site
from checker.linkedin.login import AccountSecrets, open_signed_in
from checker.linkedin.navigate import open_setting
from checker.linkedin.setting import read_switch_state, reread_after_reload, switch_off
from checker.run.context import RunContext
from checker.run.interrupts import Interrupted, Stopper
from checker.run.person import DEFAULT_WAIT_MINUTES, hand_over
from checker.store.locks import BUSY, AccountBusy, account_lock
from checker.store.quarantine import Quarantined

log = get_logger()

# What ends a check with a result rather than ending the run.
FAILURES = (CheckFailed, CheckerError, PlaywrightError)

# Outcomes whose every reported state was read from the page (after a click: after a reload).
_READ_OUTCOMES = frozenset(
    {
        Outcome.COMPLIANT,
        Outcome.NON_COMPLIANT,
        Outcome.WOULD_FIX,
        Outcome.FIXED,
        Outcome.FIX_FAILED,
        Outcome.NOT_APPLICABLE,
    }
)


def failure_of(exc: BaseException) -> tuple[Outcome, str]:
    """The outcome and detail of a check that `exc` (one of FAILURES) ended."""
    if isinstance(exc, CheckFailed):
        return exc.outcome, exc.detail
    if isinstance(exc, AccountBusy):
        return Outcome.ERROR, f"{BUSY}; try again after it"
    if isinstance(exc, CheckerError):
        # A keyring that cannot answer, a session that cannot be saved: this account fails, the
        # run goes on (other accounts may have working sessions).
        return Outcome.ERROR, str(exc)
    if isinstance(exc, PlaywrightTimeoutError):
        return Outcome.ERROR, f"timed out: {first_line(exc)}"
    return Outcome.ERROR, f"browser or network error: {first_line(exc)}"


class SettingCheck:
    """What one setting's check has read and done so far, so a failure reports no more than that."""

    def __init__(self, site: Site, email: str, name: str, previous: SwitchState | None) -> None:
        self.email = email
        self.name = name
        self.setting = site.rules.catalog[name]
        self.started_at = utc_now()
        self.before = SwitchState.UNKNOWN
        self.after: SwitchState | None = None
        self.clicked = False
        self.previous = previous
        """The state last recorded before this check, for telling drift."""
        self.evidence: ReadingEvidence | None = None
        """Where the evidence of each reading is kept, with `check --evidence always`."""

    @classmethod
    def of_run(cls, runner: RunContext, email: str, name: str) -> SettingCheck:
        return cls(runner.site, email, name, runner.last_state(email, name))

    def as_read(self) -> CheckResult:
        """The result of a check that reads the state (`before`) and changes nothing."""
        if self.before is SwitchState.OFF:
            return self.result(Outcome.COMPLIANT, "the setting is off")
        return self.result(
            Outcome.NON_COMPLIANT,
            f"the setting is on: {self.setting.uses.rstrip('.')}; run with --apply to switch it off",
        )

    def failed(self, exc: BaseException) -> CheckResult:
        """The result of a check that `exc` ended."""
        outcome, detail = failure_of(exc)
        if outcome is Outcome.NOT_APPLICABLE:
            return self.result(Outcome.NOT_APPLICABLE, detail, before=SwitchState.UNAVAILABLE)
        return self.result(outcome, detail)

    def interrupted(self, name: str) -> CheckResult:
        if self.clicked:
            self.after = SwitchState.UNKNOWN
            return self.result(
                Outcome.ERROR,
                f"interrupted by {name} after the switch was clicked: the change was not verified; "
                "run check again",
                action=Action.SWITCHED_OFF,
            )
        return self.result(Outcome.ERROR, f"interrupted by {name}; nothing was changed")

    def result(
        self,
        outcome: Outcome,
        detail: str,
        *,
        action: Action | None = None,
        before: SwitchState | None = None,
    ) -> CheckResult:
        if action is None:
            action = Action.FAILED if self.clicked else Action.NONE
        state_before = before or self.before
        drift = self.previous is SwitchState.OFF and state_before is SwitchState.ON
        if drift:
            detail = f"LinkedIn switched the setting back on since it was last found off; {detail}"
        return CheckResult(
            account=self.email,
            setting=self.name,
            state_before=state_before,
            state_after=self.after,
            action=action,
            verified=outcome in _READ_OUTCOMES,
            outcome=outcome,
            detail=printable(scrub(detail)),
            started_at=self.started_at,
            checked_at=utc_now(),
            previous_state=self.previous,
            drift=drift,
            proof=None if self.evidence is None else self.evidence.proof(),
        )


class AccountCheck:
    """One account through the steps: its lock, its browser context, one sign-in, its settings."""

    def __init__(self, runner: RunContext, email: str, stopper: Stopper) -> None:
        self.runner = runner
        self.email = email
        self.stopper = stopper
        self.doing: str | None = None
        self.results: list[CheckResult] = []
        settings = runner.options.settings
        # None: a run that reads the category pages alone (`settings discover`).
        self.current = SettingCheck.of_run(runner, email, settings[0]) if settings else None
        self.egress: EgressGate | None = None  # the context's, once it is open
        self.listings: dict[str, list[Listed]] = {}
        """What each category page listed, when the run reads them (CheckOptions.discover)."""
        self.unlisted: tuple[Outcome, str] | None = None
        """Why a run of no setting read no category page: what stopped it before."""
        self.saved: dict[str, Any] | None = None  # the session the context opened with

    def step(self, doing: str) -> None:
        self.stopper.checkpoint()
        self.doing = doing
        self.runner.watch.step(self.email, doing)

    async def run(self, browser: Browser) -> list[CheckResult]:
        """The results of the settings checked, in the asked-for order; never raises for what the
        site does. A signal ends the setting in progress; the ones not started get no result."""
        runner = self.runner
        try:
            async with (
                account_lock(
                    runner.home, self.email, wait_seconds=runner.lock_wait_seconds, on_wait=self._waiting
                ),
                self._context(browser) as context,
            ):
                page = await context.new_page()
                try:
                    await self._sign_in(context, page)
                except FAILURES as exc:
                    return await self._everything_failed(exc, page)
                for name in runner.options.settings:
                    check = self.current
                    if check is None or name != check.name:
                        check = self.current = SettingCheck.of_run(runner, self.email, name)
                    if runner.options.keep_readings:
                        check.evidence = ReadingEvidence(
                            runner.home, runner.site, self.email, name, browser.version
                        )
                    try:
                        result = await self._check_setting(page, check)
                    except FAILURES as exc:
                        result = check.failed(exc)
                    # Before the context closes: the evidence is the page as the failure left it.
                    self.results.append(await self._with_evidence(result, page))
                if runner.options.discover:
                    await self._read_listings(page)
                return self.results
        except (Interrupted, asyncio.CancelledError):
            if self.stopper.signum is None:
                raise  # not a signal of ours: let the cancellation through
            _uncancel()
            if self.current is None:
                return self.results
            return [*self.results, self.current.interrupted(self.stopper.name)]
        except FAILURES as exc:  # before any page: the lock, the saved session, the browser
            if self.current is None:
                self.unlisted = failure_of(exc)
            settings = runner.options.settings
            return [SettingCheck.of_run(runner, self.email, name).failed(exc) for name in settings]

    async def _everything_failed(self, exc: BaseException, page: Page) -> list[CheckResult]:
        """Signing in failed: no setting could be read, so each gets the failure as its outcome, with
        the one evidence bundle of the failed page."""
        if isinstance(exc, CheckFailed) and exc.outcome in (Outcome.AUTH_FAILED, Outcome.NEEDS_ATTENTION):
            self.runner.sessions.forget(self.email, self.runner.site.origin)
        if self.current is None:
            self.unlisted = failure_of(exc)
            return []
        first = await self._with_evidence(self.current.failed(exc), page)
        others = [
            dataclasses.replace(
                SettingCheck.of_run(self.runner, self.email, name).failed(exc), evidence=first.evidence
            )
            for name in self.runner.options.settings[1:]
        ]
        return [first, *others]

    async def _sign_in(self, context: BrowserContext, page: Page) -> None:
        runner, options = self.runner, self.runner.options
        credentials = runner.credentials
        secrets = AccountSecrets(
            email=self.email,
            password=self._password,
            totp_secret=lambda: credentials.get_totp_secret_async(self.email),
        )
        self.step("signing in")
        # The first page the run needs (the first setting's, else the first category's): it shows
        # whether the session works (see session.py).
        catalog = runner.site.rules.catalog
        if options.settings:
            start, sign = catalog[options.settings[0]].path, f"{options.settings[0]}.switch"
        else:
            category = next(iter(catalog.categories))
            start, sign = catalog.categories[category].path, f"{category}.page"
        try:
            await open_signed_in(page, runner.site, secrets, start=start, signs=[sign], egress=self.egress)
        except CheckFailed as failure:
            # A challenge is handed to the person; a password held back is not a challenge, and
            # `accounts login` (or `accounts unlock`) is what its detail says to run.
            challenge = failure.outcome is Outcome.NEEDS_ATTENTION and not isinstance(failure, Quarantined)
            if not (options.interactive and challenge):
                raise
            await self._hand_over(page, failure)
        state = dict(await context.storage_state())
        if state != self.saved:  # an unchanged session is not written again
            self._save_session(state)

    async def _check_setting(self, page: Page, check: SettingCheck) -> CheckResult:
        runner, options = self.runner, self.runner.options
        setting = check.setting
        self.step(f"opening {setting.title}")
        switch = await open_setting(page, runner.site, check.name)
        self.step(f"reading {setting.title}")
        check.before = await read_switch_state(switch)
        if check.evidence is not None:
            await check.evidence.keep(page, "read", switch.locator, check.before)
        if check.before is SwitchState.OFF or not (options.apply or options.dry_run):
            return check.as_read()
        if options.dry_run:
            return check.result(
                Outcome.WOULD_FIX,
                "the setting is on; --apply would switch it off (dry run: nothing was clicked)",
                action=Action.WOULD_SWITCH_OFF,
            )
        self.step(f"switching {setting.title} off")
        with self.stopper.critical():
            check.clicked = True
            saved = await switch_off(page, runner.site, check.name, switch)
        self.step(f"verifying {setting.title} after a reload")
        check.after, switch = await reread_after_reload(page, runner.site, check.name)
        if check.evidence is not None:
            await check.evidence.keep(page, "after-reload", switch.locator, check.after)
        if check.after is SwitchState.OFF:
            return check.result(
                Outcome.FIXED,
                "switched off, and still off after a reload" + _save_note(saved, kept=True),
                action=Action.SWITCHED_OFF,
            )
        return check.result(
            Outcome.FIX_FAILED,
            "clicked the switch, but after a reload it is on again: LinkedIn did not keep the change"
            + _save_note(saved, kept=False),
        )

    async def _read_listings(self, page: Page) -> None:
        """Read what each category page of the catalog lists into `listings`. Never a result of its
        own: a page that cannot be read is a warning, and that category is read again next run."""
        for category in self.runner.site.rules.catalog.categories:
            if self.stopper.signum is not None:
                return  # every setting has its result; the lists wait for the next run
            self.runner.watch.step(self.email, f"reading what the {category} category page lists")
            try:
                self.listings[category] = await read_category(page, self.runner.site, category)
            except FAILURES as exc:
                warn(f"could not read what the {category} category page lists: {failure_of(exc)[1]}")
            except asyncio.CancelledError:
                if self.stopper.signum is None:
                    raise
                _uncancel()
                return

    async def _with_evidence(self, result: CheckResult, page: Page) -> CheckResult:
        """`result`, with the evidence of its failure saved from `page` when it is one that has some."""
        if result.outcome not in EVIDENCE_OUTCOMES or self.stopper.signum is not None:
            return result
        self.runner.watch.step(self.email, "saving evidence of the failure")
        failure = Failure(email=self.email, outcome=result.outcome, detail=result.detail, step=self.doing)
        try:
            saved = await save_evidence(page, self.runner.site, self.runner.home, failure)
        except asyncio.CancelledError:
            if self.stopper.signum is None:
                raise
            _uncancel()  # a signal: no time for evidence, but the result stands
            return result
        return result if saved is None else dataclasses.replace(result, evidence=str(saved))

    def _waiting(self) -> None:
        log.info("waiting for another run checking this account")
        self.runner.watch.step(self.email, "waiting for another run checking this account")

    @asynccontextmanager
    async def _context(self, browser: Browser) -> AsyncIterator[BrowserContext]:
        """The account's browser context, with the saved session unless the browser refuses it; its
        gate to other hosts kept as `egress` for signing in (see BrowserSource.account_context)."""
        runner, site = self.runner, self.runner.site
        saved = self.saved = await runner.sessions.load_async(self.email, site.origin, on_discard=warn)

        def discard(reason: str) -> None:
            warn(runner.sessions.discard(self.email, site.origin, reason))

        opening = runner.browsers.account_context(browser, site, saved=saved, discard=discard)
        async with opening as (context, self.egress):
            yield context

    async def _hand_over(self, page: Page, failure: CheckFailed) -> None:
        """`check --interactive`: signing in met a challenge, so the person signs in in this very page
        (see person.py). The result, no longer needs_attention, makes no hold on the password."""
        minutes = f"{DEFAULT_WAIT_MINUTES:g} minutes"
        self.step(f"sign in as {self.email} in the browser window (waiting up to {minutes})")
        await hand_over(page, self.runner.site, failure, seconds=DEFAULT_WAIT_MINUTES * 60)

    async def _password(self) -> str | None:
        """The password from the keyring, unless the account is in quarantine: then the check ends
        here, before anything is typed (a saved session that works never gets this far)."""
        hold = self.runner.held(self.email)
        if hold is not None:
            raise hold.refusal()
        return await self.runner.credentials.get_password_async(self.email)

    def _save_session(self, state: dict[str, Any]) -> None:
        try:
            self.runner.sessions.save(self.email, self.runner.site.origin, state)
        except (CheckerError, OSError) as exc:
            # The check can go on; the next run signs in again.
            warn(f"could not save the session of {self.email}: {exc}")


def _save_note(status: int | None, *, kept: bool) -> str:
    """What the site's answer to the save adds to the detail: only what is out of the ordinary."""
    ok = status is not None and 200 <= status < 300
    if status is None:
        return " (no save request from the page was seen: the reload decided)"
    if kept:
        return "" if ok else f" (though it answered the save with HTTP {status})"
    return (
        " (though it answered the save with success)" if ok else f" (it answered the save with HTTP {status})"
    )


def _uncancel() -> None:
    """Forget the cancellation a signal caused, so the account's record can still be written."""
    task = asyncio.current_task()
    if task is not None:
        while task.cancelling():
            task.uncancel()


def warn(message: str) -> None:
    log.warning(message)
