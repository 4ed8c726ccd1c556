"""Checking accounts: one account through the steps, many accounts in turn, every outcome recorded.

Nothing acts without a record: a run stops before the next account when recording failed, and a
signal stops it with the account in progress recorded as far as it went.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import structlog
from playwright.async_api import Browser, BrowserContext, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from checker import __version__
from checker.browser import find_browser, launched_browser, new_context, running_playwright
from checker.credentials import CredentialStore
from checker.errors import CheckerError
from checker.evidence import EVIDENCE_OUTCOMES, Failure, save_evidence
from checker.history import History
from checker.interrupts import Interrupted, Stopper
from checker.linkedin.locate import Site
from checker.linkedin.login import AccountSecrets, open_signed_in
from checker.linkedin.navigate import open_setting
from checker.linkedin.person import DEFAULT_WAIT_MINUTES, hand_over, require_display
from checker.linkedin.setting import read_switch_state, reread_after_reload, switch_off
from checker.locks import BUSY, AccountBusy, account_lock
from checker.outcome import SETTING, Action, CheckFailed, CheckResult, Outcome, SwitchState, utc_now
from checker.quarantine import CAUSES, Hold, Quarantine, Quarantined
from checker.redact import scrub
from checker.safe_text import printable
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

    def last_state(self, email: str) -> SwitchState | None:
        """The setting's state last recorded for `email`, for telling drift; None when unknown."""
        try:
            return self.history.last_state(email, SETTING)
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
                async with running_playwright() as playwright:
                    choice = find_browser(playwright.chromium, self.options.browser_path, headed=headed)
                    async with launched_browser(playwright, choice, headed=headed) as browser:
                        log.info(
                            "browser started", path=choice.path, source=choice.source, version=browser.version
                        )
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

    async def _each_account(
        self, browser: Browser, emails: list[str], stopper: Stopper, report: RunReport
    ) -> None:
        for index, email in enumerate(emails):
            try:
                if index and self.options.pace_seconds:
                    self.progress(f"pausing {self.options.pace_seconds:g} s before the next account")
                    await stopper.pause(self.options.pace_seconds)
                stopper.checkpoint()
                result = await stopper.run(self.check_account(browser, email, stopper))
            except Interrupted:
                return  # accounts that never started are not recorded
            result = self._quarantine(result)
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
    ) -> CheckResult:
        """One account through the steps. Never raises for what the site does: it becomes the outcome."""
        with structlog.contextvars.bound_contextvars(account=email):
            result = await _AccountCheck(self, email, stopper or Stopper()).run(browser)
            log.info(
                "account checked",
                outcome=result.outcome.value,
                state_before=result.state_before.value,
                state_after=result.state_after and result.state_after.value,
                action=result.action.value,
                seconds=round((result.checked_at - result.started_at).total_seconds(), 2),
            )
            return result


class _AccountCheck:
    """The state of one account's check while it runs, so a failure reports what was already read."""

    def __init__(self, runner: Runner, email: str, stopper: Stopper) -> None:
        self.runner = runner
        self.email = email
        self.stopper = stopper
        self.started_at = utc_now()
        self.before = SwitchState.UNKNOWN
        self.after: SwitchState | None = None
        self.clicked = False
        self.doing: str | None = None
        self.previous = runner.last_state(email)

    def step(self, doing: str) -> None:
        self.stopper.checkpoint()
        self.doing = doing
        self.runner.progress(f"{self.email}: {doing}")

    async def run(self, browser: Browser) -> CheckResult:
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
                    result = await self._steps(context, page)
                except _FAILURES as exc:
                    result = self._failed(exc)
                # Before the context closes: the evidence is the page as the failure left it.
                return await self._with_evidence(result, page)
        except (Interrupted, asyncio.CancelledError):
            if self.stopper.signum is None:
                raise  # not a signal of ours: let the cancellation through
            _uncancel()
            return self._interrupted()
        except _FAILURES as exc:  # before any page: the lock, the saved session, the browser
            return self._failed(exc)

    def _failed(self, exc: CheckFailed | CheckerError | PlaywrightError) -> CheckResult:
        """The result of a check that `exc` ended."""
        if isinstance(exc, CheckFailed):
            if exc.outcome in (Outcome.AUTH_FAILED, Outcome.NEEDS_ATTENTION):
                self.runner.sessions.forget(self.email, self.runner.site.origin)
            if exc.outcome is Outcome.NOT_APPLICABLE:
                return self._result(Outcome.NOT_APPLICABLE, exc.detail, before=SwitchState.UNAVAILABLE)
            return self._result(exc.outcome, exc.detail)
        if isinstance(exc, AccountBusy):
            return self._result(Outcome.ERROR, f"{BUSY}; try again after it")
        if isinstance(exc, CheckerError):
            # A keyring that cannot answer, a session that cannot be saved: this account fails,
            # the run goes on (other accounts may have working sessions).
            return self._result(Outcome.ERROR, str(exc))
        if isinstance(exc, PlaywrightTimeoutError):
            return self._result(Outcome.ERROR, f"timed out: {_first_line(exc)}")
        return self._result(Outcome.ERROR, f"browser or network error: {_first_line(exc)}")

    async def _with_evidence(self, result: CheckResult, page: Page) -> CheckResult:
        """`result`, with the evidence of its failure saved from `page` when it is one that has some."""
        if result.outcome not in EVIDENCE_OUTCOMES or self.stopper.signum is not None:
            return result
        self.runner.progress(f"{self.email}: saving evidence of the failure")
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
        self.runner.progress(f"{self.email}: waiting for another run checking this account")

    @asynccontextmanager
    async def _context(self, browser: Browser) -> AsyncIterator[BrowserContext]:
        """A browser context with the saved session, or without one when Playwright refuses it."""
        runner, origin = self.runner, self.runner.site.origin
        saved = await runner.sessions.load_async(self.email, origin, on_discard=_warn)
        try:
            opened = new_context(browser, storage_state=saved, timeout_ms=runner.site.timeout_ms)
            context = await opened.__aenter__()
        except PlaywrightError as exc:
            if saved is None:
                raise
            _warn(runner.sessions.discard(self.email, origin, f"the browser refused it: {_first_line(exc)}"))
            opened = new_context(browser, storage_state=None, timeout_ms=runner.site.timeout_ms)
            context = await opened.__aenter__()
        try:
            yield context
        finally:
            await opened.__aexit__(None, None, None)

    async def _steps(self, context: BrowserContext, page: Page) -> CheckResult:
        runner, options = self.runner, self.runner.options
        credentials = runner.credentials
        secrets = AccountSecrets(
            email=self.email,
            password=self._password,
            totp_secret=lambda: credentials.get_totp_secret_async(self.email),
        )
        self.step("signing in")
        try:
            await open_signed_in(page, runner.site, secrets)
        except CheckFailed as failure:
            # A challenge is handed to the person; a password held back is not a challenge, and
            # `accounts login` (or `accounts unlock`) is what its detail says to run.
            challenge = failure.outcome is Outcome.NEEDS_ATTENTION and not isinstance(failure, Quarantined)
            if not (options.interactive and challenge):
                raise
            await self._hand_over(page, failure)
        self._save_session(await context.storage_state())
        self.step("opening Data privacy")
        switch = await open_setting(page, runner.site)
        self.step("reading the setting")
        self.before = await read_switch_state(switch)
        if self.before is SwitchState.OFF:
            return self._result(Outcome.COMPLIANT, "the setting is off")
        if not (options.apply or options.dry_run):
            return self._result(
                Outcome.NON_COMPLIANT,
                "the setting is on: LinkedIn may train content-creation AI on this account's data; "
                "run with --apply to switch it off",
            )
        if options.dry_run:
            return self._result(
                Outcome.WOULD_FIX,
                "the setting is on; --apply would switch it off (dry run: nothing was clicked)",
                action=Action.WOULD_SWITCH_OFF,
            )
        self.step("switching it off")
        with self.stopper.critical():
            self.clicked = True
            saved = await switch_off(page, runner.site, switch)
        self.step("verifying after a reload")
        self.after = await reread_after_reload(page, runner.site)
        if self.after is SwitchState.OFF:
            return self._result(
                Outcome.FIXED,
                "switched off, and still off after a reload" + _save_note(saved, kept=True),
                action=Action.SWITCHED_OFF,
            )
        return self._result(
            Outcome.FIX_FAILED,
            "clicked the switch, but after a reload it is on again: LinkedIn did not keep the change"
            + _save_note(saved, kept=False),
        )

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

    def _save_session(self, state: Any) -> None:
        try:
            self.runner.sessions.save(self.email, self.runner.site.origin, dict(state))
        except (CheckerError, OSError) as exc:
            # The check can go on; the next run signs in again.
            _warn(f"could not save the session of {self.email}: {exc}")

    def _interrupted(self) -> CheckResult:
        name = self.stopper.name
        if self.clicked:
            self.after = SwitchState.UNKNOWN
            return self._result(
                Outcome.ERROR,
                f"interrupted by {name} after the switch was clicked: the change was not verified; "
                "run check again",
                action=Action.SWITCHED_OFF,
            )
        return self._result(Outcome.ERROR, f"interrupted by {name}; nothing was changed")

    def _result(
        self,
        outcome: Outcome,
        detail: str,
        *,
        action: Action | None = None,
        before: SwitchState | None = None,
    ) -> CheckResult:
        if action is None:
            action = Action.FAILED if self.clicked else Action.NONE
        read_everything = outcome in _READ_OUTCOMES
        state_before = before or self.before
        drift = self.previous is SwitchState.OFF and state_before is SwitchState.ON
        if drift:
            detail = f"LinkedIn switched the setting back on since it was last found off; {detail}"
        return CheckResult(
            account=self.email,
            state_before=state_before,
            state_after=self.after,
            action=action,
            verified=read_everything,
            outcome=outcome,
            detail=printable(scrub(detail)),
            started_at=self.started_at,
            checked_at=utc_now(),
            previous_state=self.previous,
            drift=drift,
        )


# What ends a check with a result rather than ending the run.
_FAILURES = (CheckFailed, CheckerError, PlaywrightError)

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


async def _tasks_left_done() -> None:
    """Let Playwright's own tasks see the end of its driver, briefly: a task the loop cancels as it
    closes leaves the driver's process unwaited for, and Python prints warnings as it exits."""
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if others:
        await asyncio.wait(others, timeout=5)


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


def _warn(message: str) -> None:
    log.warning(message)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return scrub(text[0]) if text else type(exc).__name__
