"""Checking accounts: one account through the steps, many accounts in turn, every outcome recorded."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog
from playwright.async_api import Browser, BrowserContext
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from checker import __version__
from checker.browser import find_browser, launched_browser, new_context, running_playwright
from checker.credentials import CredentialStore
from checker.errors import KeyringUnavailable
from checker.history import History
from checker.linkedin.locate import Site
from checker.linkedin.login import AccountSecrets, open_signed_in
from checker.linkedin.navigate import open_setting
from checker.linkedin.setting import read_switch_state, switch_off_and_reread
from checker.outcome import Action, CheckFailed, CheckResult, Outcome, SwitchState, utc_now
from checker.redact import scrub
from checker.sessions import SessionStore

log = structlog.get_logger()


@dataclass(frozen=True)
class CheckOptions:
    """What a run does: read only, switch off (`apply`), or rehearse switching off (`dry_run`)."""

    apply: bool = False
    dry_run: bool = False
    pace_seconds: float = 0.0
    headed: bool = False
    browser_path: str | None = None


@dataclass(frozen=True)
class Runner:
    """Everything a check needs besides the browser."""

    site: Site
    credentials: CredentialStore
    sessions: SessionStore
    history: History
    options: CheckOptions

    async def check_accounts(self, emails: list[str]) -> list[CheckResult]:
        """Check `emails` in turn in one browser, pacing between accounts; record each outcome."""
        results: list[CheckResult] = []
        async with running_playwright() as playwright:
            choice = find_browser(playwright.chromium, self.options.browser_path, headed=self.options.headed)
            async with launched_browser(playwright, choice, headed=self.options.headed) as browser:
                log.info("browser started", path=choice.path, source=choice.source, version=browser.version)
                for index, email in enumerate(emails):
                    if index and self.options.pace_seconds:
                        await asyncio.sleep(self.options.pace_seconds)  # pacing, not waiting for a state
                    result = await self.check_account(browser, email)
                    self.history.record(result, tool_version=__version__, browser_version=browser.version)
                    results.append(result)
        return results

    async def check_account(self, browser: Browser, email: str) -> CheckResult:
        """One account through the steps. Never raises for what the site does: it becomes the outcome."""
        with structlog.contextvars.bound_contextvars(account=email):
            result = await _AccountCheck(self, email).run(browser)
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

    def __init__(self, runner: Runner, email: str) -> None:
        self.runner = runner
        self.email = email
        self.started_at = utc_now()
        self.before = SwitchState.UNKNOWN
        self.after: SwitchState | None = None
        self.clicked = False

    async def run(self, browser: Browser) -> CheckResult:
        runner = self.runner
        origin = runner.site.origin
        try:
            saved = runner.sessions.load(self.email, origin)
            async with new_context(
                browser, storage_state=saved, timeout_ms=runner.site.timeout_ms
            ) as context:
                return await self._steps(context)
        except CheckFailed as failure:
            if failure.outcome in (Outcome.AUTH_FAILED, Outcome.NEEDS_ATTENTION):
                runner.sessions.forget(self.email, origin)
            if failure.outcome is Outcome.NOT_APPLICABLE:
                return self._result(Outcome.NOT_APPLICABLE, failure.detail, before=SwitchState.UNAVAILABLE)
            return self._result(failure.outcome, failure.detail)
        except KeyringUnavailable as exc:
            # The other accounts may still have working sessions: this one fails, the run goes on.
            return self._result(Outcome.ERROR, str(exc))
        except PlaywrightTimeoutError as exc:
            return self._result(Outcome.ERROR, f"timed out: {_first_line(exc)}")
        except PlaywrightError as exc:
            return self._result(Outcome.ERROR, f"browser or network error: {_first_line(exc)}")

    async def _steps(self, context: BrowserContext) -> CheckResult:
        runner, options = self.runner, self.runner.options
        page = await context.new_page()
        secrets = AccountSecrets(
            email=self.email,
            password=lambda: asyncio.to_thread(runner.credentials.get_password, self.email),
            totp_secret=lambda: asyncio.to_thread(runner.credentials.get_totp_secret, self.email),
        )
        await open_signed_in(page, runner.site, secrets)
        runner.sessions.save(self.email, runner.site.origin, dict(await context.storage_state()))
        switch = await open_setting(page, runner.site)
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
        self.clicked = True
        self.after = await switch_off_and_reread(page, runner.site, switch)
        if self.after is SwitchState.OFF:
            return self._result(
                Outcome.FIXED, "switched off, and still off after a reload", action=Action.SWITCHED_OFF
            )
        return self._result(
            Outcome.FIX_FAILED,
            "clicked the switch, but after a reload it is on again: LinkedIn did not keep the change",
        )

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
        return CheckResult(
            account=self.email,
            state_before=before or self.before,
            state_after=self.after,
            action=action,
            verified=read_everything,
            outcome=outcome,
            detail=scrub(detail),
            started_at=self.started_at,
            checked_at=utc_now(),
        )


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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return scrub(text[0]) if text else type(exc).__name__
