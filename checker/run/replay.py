"""Replaying a recording (`record`'s bundle) through the tool's own steps, with no site at all:
`check --replay DIR`, and the suite's test of every bundle in fixtures/recordings/.

The browser gets its pages from the bundle's HAR (Playwright's `route_from_har`; a request the
walk never made is aborted, never sent). The walk is the recording's: the page it started from,
signed in with the session it had, then the setting's page, whose switch is read and never
clicked. Nothing else is touched: no keyring, no history, no saved session.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Browser, Frame

from checker.capture.recording import Bundle
from checker.core.errors import UsageError
from checker.core.outcome import SETTING, CheckFailed, CheckResult, Outcome
from checker.linkedin.browser import new_context
from checker.linkedin.locate import Site
from checker.linkedin.login import AccountSecrets, open_signed_in
from checker.linkedin.navigate import open_setting
from checker.linkedin.rules import load_rules
from checker.linkedin.setting import read_switch_state
from checker.run.account_check import FAILURES, SettingCheck


@dataclass(frozen=True)
class Recording:
    """A bundle on disk: where it is, and what its manifest says."""

    path: Path
    manifest: dict[str, Any]

    @classmethod
    def read(cls, path: Path) -> Recording:
        """The bundle in `path`; UsageError naming it when it is not one."""
        manifest_file = path / Bundle.MANIFEST
        try:
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise UsageError(
                f"--replay: {path} holds no recording of linkedin-ai-optout ({Bundle.MANIFEST})"
            ) from None
        if not isinstance(manifest, dict) or manifest.get("format") != Bundle.FORMAT:
            raise UsageError(
                f"--replay: {manifest_file} is not the manifest of a recording of linkedin-ai-optout"
            )
        if not (path / str(manifest.get("har", Bundle.HAR))).is_file():
            raise UsageError(f"--replay: {path} has no {Bundle.HAR}")
        return cls(path, manifest)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def origin(self) -> str:
        return str(self.manifest["site"])

    @property
    def pages(self) -> list[str]:
        """The path of each page the recorded walk captured, in order."""
        return [urlsplit(str(page["url"])).path for page in self.manifest.get("pages", [])]


@dataclass(frozen=True)
class Replayed:
    """What a replay read, and the pages it went through."""

    result: CheckResult
    pages: list[str]


async def replay(browser: Browser, recording: Recording, *, timeout_ms: float) -> Replayed:
    """Walk `recording` again offline and say what a read-only check would: the setting's state
    (compliant or non_compliant), or the outcome of the step that failed."""
    site = Site(origin=recording.origin, rules=load_rules(), timeout_ms=timeout_ms)
    check = SettingCheck(site, f"recording {recording.name}", SETTING, previous=None)
    visited: list[str] = []
    # The walk had a session; its cookies are scrubbed from the HAR, so the context carries
    # stand-ins the canned answers never look at (a signed-in page needs some to be believed).
    async with new_context(browser, storage_state=_stand_in_session(site), timeout_ms=timeout_ms) as context:
        await context.route_from_har(
            recording.path / str(recording.manifest.get("har", Bundle.HAR)), not_found="abort"
        )
        page = await context.new_page()

        def on_navigated(frame: Frame) -> None:
            if frame is page.main_frame and site.owns(frame.url):
                visited.append(urlsplit(frame.url).path)

        page.on("framenavigated", on_navigated)
        secrets = AccountSecrets(check.email, _no_password, _no_password)
        start = recording.pages[0] if recording.pages else None
        try:
            await open_signed_in(page, site, secrets, start=start)
            check.before = await read_switch_state(await open_setting(page, site, SETTING))
            result = check.as_read()
        except FAILURES as exc:
            result = check.failed(exc)
    return Replayed(result, list(dict.fromkeys(visited)))


async def _no_password() -> str | None:
    raise CheckFailed(
        Outcome.AUTH_FAILED, "the recording asks for a password here: a replay has none and types none"
    )


def _stand_in_session(site: Site) -> dict[str, Any]:
    host = urlsplit(site.origin).hostname or ""
    cookie = {
        "domain": host,
        "path": "/",
        "expires": -1,
        "httpOnly": False,
        "secure": False,
        "sameSite": "Lax",
    }
    return {
        "cookies": [
            {**cookie, "name": "li_at", "value": "replay"},
            {**cookie, "name": "JSESSIONID", "value": '"ajax:0000000000000000000"'},
        ],
        "origins": [],
    }
