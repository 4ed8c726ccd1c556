"""Recording the walk to the setting for a bug report or a new fixture page: each page's DOM and a
HAR of the walk, scrubbed of everything personal or secret. It never clicks the switch.

Each page is captured as the tool leaves it (its DOM is what the tool saw, rendering done): a
script in every page hands its DOM over on the Navigation API's `navigate` event and on
`beforeunload`, through a `console.debug` taken before the page's own scripts ran, so the page
can neither see nor intercept it. Playwright delivers nothing from a page already unloading and
cannot read one whose navigation is held in a route; a capture on `framenavigated` would race the
page's rendering. The last page is captured after the switch is read, or after the failed step.
The raw HAR (it holds the password) goes to a private staging directory, deleted once scrubbed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Frame, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from checker import __version__
from checker.capture.scrub import Personal, har_secrets, member_names, names_in_har, scrub_har, scrub_text
from checker.core.errors import CheckerError, ConfigError, UsageError
from checker.core.logs import get_logger
from checker.core.outcome import SETTING, CheckFailed, Outcome, SwitchState, utc_now
from checker.core.redact import first_line
from checker.linkedin.browser import BrowserSource
from checker.linkedin.egress import EgressGate
from checker.linkedin.locate import Site, find, present
from checker.linkedin.login import AccountSecrets, open_signed_in
from checker.linkedin.navigate import open_setting
from checker.linkedin.setting import read_switch_state
from checker.store.credentials import CredentialStore
from checker.store.emails import account_digest
from checker.store.home import os_reason, probe_writable, write_private_file
from checker.store.locks import account_lock
from checker.store.sessions import SessionStore

log = get_logger()

# In the page: an element's accessible name, near enough: its label, else the `alt` of its
# pictures and its text ("Ada Lovelace Me").
_NAME_OF = """(element) => element.getAttribute("aria-label") || (element.tagName === "IMG" ? element.alt
  : [...[...element.querySelectorAll("img[alt]")].map((img) => img.alt), element.textContent].join(" "))"""

# In the page: its DOM as page.content() gives it, and what the name places say.
_SNAPSHOT = f"""(places) => {{
  const nameOf = {_NAME_OF};
  const names = [];
  for (const css of places) {{
    try {{ for (const element of document.querySelectorAll(css)) names.push(nameOf(element)); }} catch {{}}
  }}
  const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : "";
  return {{url: location.href, html: doctype + document.documentElement.outerHTML, names}};
}}"""

# A same-document "replace" (a page tidying its address) leaves the page where it is: no capture.
_HAND_OVER = """(() => {
  if (window.top !== window) return;
  const say = console.debug.bind(console);
  const snapshot = %(snapshot)s;
  const handOver = (event) => {
    const destination = event && event.destination;
    if (destination && destination.sameDocument && event.navigationType === "replace") return;
    try { say(%(marker)s + JSON.stringify(snapshot(%(places)s))); } catch {}
  };
  if (window.navigation) navigation.addEventListener("navigate", handOver, true);
  addEventListener("beforeunload", () => handOver(null), true);
})();"""


@dataclass(frozen=True)
class Snapshot:
    """One page as the tool left it, or as the walk ended on it."""

    url: str
    html: str
    names: list[str]
    captured: str


@dataclass
class Walk:
    """How the walk went and what it saw, unscrubbed: `pages` as captured, never to be shown as they are."""

    browser_version: str = ""
    signed_in_with: str | None = None
    state: SwitchState = SwitchState.UNKNOWN
    failure: CheckFailed | None = None
    pages: list[Snapshot] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)


class Bundle:
    """The directory a recording goes to: new, empty, or an earlier recording, which is replaced.
    Anything else in it is refused, so a mistyped `-o` cannot mix a bundle into other files."""

    FORMAT = "linkedin-ai-optout record"
    MANIFEST = "bundle.json"
    HAR = "walk.har"
    _PARTS = re.compile(r"walk\.har|\d{2}-[a-z0-9-]+\.html|\..+\.tmp")  # .tmp: a killed write left it

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser().absolute()

    def prepare(self, notice: Callable[[str], None]) -> None:
        """Create the directory (mode 0700), or check that it may be filled; before the browser
        starts. Raises UsageError for a directory that is not the tool's to fill, else ConfigError."""
        path = self.path
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            raise UsageError(f"{path} is not a directory: name a new or empty directory with -o")
        try:
            path.mkdir(mode=0o700, parents=True)
        except FileExistsError:
            if not all(self._ours(entry) for entry in path.iterdir()):
                raise UsageError(
                    f"{path} is not empty and holds no earlier recording: name a new or empty directory "
                    "with -o (an earlier recording there is replaced)"
                ) from None
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                with contextlib.suppress(OSError):  # probe_writable says what is wrong
                    os.chmod(path, 0o700)
                    notice(f"tightened {path} to mode 0700 (it was {mode:04o}): the recording is yours only")
        except OSError as exc:
            raise ConfigError(f"cannot create {path} ({os_reason(exc)}): name another directory") from None
        probe_writable(path)

    def _ours(self, entry: Path) -> bool:
        """Whether `entry` is a file of an earlier recording: its manifest, or a part beside one."""
        if entry.is_symlink() or not entry.is_file():
            return False
        if entry.name != self.MANIFEST:
            return bool(self._PARTS.fullmatch(entry.name)) and self._ours(self.path / self.MANIFEST)
        with contextlib.suppress(OSError, ValueError, AttributeError):
            return bool(json.loads(entry.read_bytes()).get("format") == self.FORMAT)
        return False

    def write(self, pages: list[tuple[str, str]], har: str, manifest: str) -> None:
        """Replace what an earlier recording left with these files (mode 0600); the manifest last,
        so that a bundle with a manifest is a whole one."""
        for entry in [entry for entry in self.path.iterdir() if self._ours(entry)]:
            entry.unlink()
        for name, text in [*pages, (self.HAR, har), (self.MANIFEST, manifest)]:
            write_private_file(self.path / name, text.encode("utf-8"))


async def snapshot(page: Page, places: list[str]) -> dict[str, Any]:
    """The page's `url`, its DOM (`html`) and what the elements at `places` are called (`names`)."""
    return dict(await page.evaluate(_SNAPSHOT, places))


def page_file(index: int, url: str) -> str:
    """The file name of the `index`th page: its number and its address's path, "02-feed.html"."""
    slug = re.sub(r"[^a-z0-9]+", "-", urlsplit(url).path.lower()).strip("-")[:60].strip("-")
    return f"{index:02d}-{slug or 'home'}.html"


class _Capture:
    """Each page's DOM as the tool leaves it. A snapshot belongs to the page view it was taken in
    (views are counted by main-frame navigations); a later one of the same view replaces it."""

    def __init__(self, places: list[str]) -> None:
        self._marker = f"linkedin-ai-optout:{secrets.token_hex(8)}:"
        self._places = places
        self._views = 0
        self._page: Page | None = None
        self._snapshots: dict[int, Snapshot] = {}

    def script(self) -> str:
        places, marker = json.dumps(self._places), json.dumps(self._marker)
        return _HAND_OVER % {"snapshot": _SNAPSHOT, "marker": marker, "places": places}

    def watch(self, page: Page) -> None:
        self._page = page
        page.on("console", self._on_console)
        page.on("framenavigated", self._on_navigated)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.text.startswith(self._marker):
            self._keep(json.loads(message.text[len(self._marker) :]), "as the tool left it")

    def _on_navigated(self, frame: Frame) -> None:
        if self._page is not None and frame is self._page.main_frame:
            self._views += 1

    def _keep(self, snapshot: dict[str, Any], captured: str) -> None:
        url = str(snapshot.get("url", ""))
        if urlsplit(url).scheme in ("http", "https"):  # not the blank page a tab starts with
            names = [str(name) for name in snapshot.get("names", [])]
            self._snapshots[self._views] = Snapshot(url, str(snapshot.get("html", "")), names, captured)

    async def final(self, page: Page) -> None:
        """Capture the page the walk ended on; one that cannot be read any more is left out."""
        try:
            self._keep(await snapshot(page, self._places), "as the walk ended")
        except PlaywrightError as exc:
            log.info("last page not captured", reason=first_line(exc))

    def pages(self) -> list[Snapshot]:
        return [self._snapshots[view] for view in sorted(self._snapshots)]


@dataclass(frozen=True)
class Recorder:
    """Everything `record` needs besides the browser and the bundle's directory."""

    site: Site
    credentials: CredentialStore
    sessions: SessionStore
    home: Path
    browsers: BrowserSource
    progress: Callable[[str], None] = lambda _: None

    async def record(self, email: str, bundle: Bundle) -> Walk:
        """Walk `email`'s way to the setting, reading the switch and clicking nothing, and write the
        scrubbed pages, HAR and manifest into `bundle`. A walk that ends early is written as far as
        it went, and its `failure` returned, not raised."""
        async with (
            self.browsers.opened(self.site.timeout_ms) as browser,
            account_lock(self.home, email, wait_seconds=3 * self.site.timeout_ms / 1000),
        ):
            with _staging(self.home, email) as staging:
                walk = await self._walk(browser, email, staging / Bundle.HAR)
                self.progress(f"{email}: scrubbing, and writing {bundle.path}")
                raw = _read_har(staging / Bundle.HAR)
                paths = self.site.rules.paths
                names = [*walk.names, *names_in_har(raw, paths.me_api)]
                personal = Personal(email, None, tuple(names), tuple(walk.secrets | har_secrets(raw)))
                har = scrub_har(raw, personal, sign_in_paths=[paths.login_submit, *paths.challenges])
        pages = [
            (page_file(index, scrub_text(page.url, personal)), scrub_text(page.html, personal))
            for index, page in enumerate(walk.pages, start=1)
        ]
        manifest = self._manifest(walk, personal, [name for name, _ in pages])
        bundle.write(pages, json.dumps(har, indent=1), json.dumps(manifest, indent=2))
        return walk

    async def _walk(self, browser: Browser, email: str, har_path: Path) -> Walk:
        walk = Walk(browser_version=browser.version)
        rules = self.site.rules
        capture = _Capture(list(dict.fromkeys([*rules.css("me_menu"), *rules.css("member_name")])))
        async with self._context(browser, email, har_path) as (context, egress):
            await context.add_init_script(capture.script())
            page = await context.new_page()
            capture.watch(page)
            try:
                await self._steps(context, page, email, walk, egress)
            except CheckFailed as failure:
                walk.failure = failure
                if failure.outcome in (Outcome.AUTH_FAILED, Outcome.NEEDS_ATTENTION):
                    self.sessions.forget(email, self.site.origin)
                if failure.outcome is Outcome.NOT_APPLICABLE:  # the walk is complete: nothing to read
                    walk.state, walk.failure = SwitchState.UNAVAILABLE, None
            except PlaywrightTimeoutError as exc:
                walk.failure = CheckFailed(Outcome.ERROR, f"timed out: {first_line(exc)}")
            except PlaywrightError as exc:
                walk.failure = CheckFailed(Outcome.ERROR, f"browser or network error: {first_line(exc)}")
            await capture.final(page)
            walk.pages = capture.pages()
            shown = [name for captured in walk.pages for name in captured.names]
            walk.names = member_names([*walk.names, *shown], self.site.rules.names("me"))
            with contextlib.suppress(PlaywrightError):
                walk.secrets.update(
                    str(cookie["value"]) for cookie in (await context.storage_state())["cookies"]
                )
        return walk

    async def _steps(
        self, context: BrowserContext, page: Page, email: str, walk: Walk, egress: EgressGate
    ) -> None:
        async def password() -> str | None:
            return _learned(await self.credentials.get_password_async(email), walk)

        async def totp_secret() -> str | None:
            return _learned(await self.credentials.get_totp_secret_async(email), walk)

        self.progress(f"{email}: signing in")
        secrets = AccountSecrets(email, password, totp_secret)
        used_password = await open_signed_in(page, self.site, secrets, egress=egress)
        walk.signed_in_with = "password" if used_password else "saved session"
        self._save_session(email, dict(await context.storage_state()))
        walk.names += await _me_menu_name(page, self.site)
        self.progress(f"{email}: walking to the setting")
        switch = await open_setting(page, self.site, SETTING)
        walk.state = await read_switch_state(switch)  # read, and never clicked

    @asynccontextmanager
    async def _context(
        self, browser: Browser, email: str, har_path: Path
    ) -> AsyncIterator[tuple[BrowserContext, EgressGate]]:
        """A recording context (see BrowserSource.account_context): like a check's, with the saved
        session unless the browser refuses it, and reaching only LinkedIn's own hosts."""
        origin = self.site.origin
        saved = await self.sessions.load_async(email, origin, on_discard=log.warning)

        def discard(reason: str) -> None:
            log.warning(self.sessions.discard(email, origin, reason))

        async with self.browsers.account_context(
            browser, self.site, saved=saved, discard=discard, record_har_path=har_path
        ) as opened:
            yield opened

    def _save_session(self, email: str, state: dict[str, Any]) -> None:
        try:
            self.sessions.save(email, self.site.origin, state)
        except (CheckerError, OSError) as exc:  # the walk goes on; the next run signs in again
            log.warning(f"could not save the session of {email}: {exc}")

    def _manifest(self, walk: Walk, personal: Personal, files: list[str]) -> dict[str, Any]:
        failure = walk.failure
        return {
            "format": Bundle.FORMAT,
            "tool_version": __version__,
            "browser_version": walk.browser_version,
            "recorded_at": utc_now().isoformat(timespec="seconds").replace("+00:00", "Z"),
            "site": self.site.origin,
            "signed_in_with": walk.signed_in_with,
            "completed": failure is None,
            "state": walk.state.value,
            "outcome": failure.outcome.value if failure else None,
            "detail": scrub_text(failure.detail, personal) if failure else None,
            "switch_clicked": False,
            "pages": [
                {"file": name, "url": scrub_text(page.url, personal), "captured": page.captured}
                for name, page in zip(files, walk.pages, strict=True)
            ],
            "har": Bundle.HAR,
        }


def _learned(secret: str | None, walk: Walk) -> str | None:
    """`secret`, remembered: it is scrubbed from the recording in any letter case, even inside words."""
    if secret:
        walk.secrets.add(secret)
    return secret


async def _me_menu_name(page: Page, site: Site) -> list[str]:
    """What the Me control is called, whichever layer of the rules finds it: "<name> Me"."""
    try:
        found = await find(page, site, "me_menu") if await present(page, site, "me_menu") else None
        return [await found.locator.evaluate(_NAME_OF)] if found else []
    except PlaywrightError:
        return []


@contextlib.contextmanager
def _staging(home: Path, email: str) -> Iterator[Path]:
    """A private directory in the home for the raw HAR, removed afterwards. What a killed run left
    for this account goes first: call it holding the account's lock."""
    prefix = f".record-{account_digest(email)}-"
    for leftover in home.glob(prefix + "*"):
        shutil.rmtree(leftover, ignore_errors=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=home))  # mode 0700
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _read_har(path: Path) -> dict[str, Any]:
    """The HAR the browser wrote as the context closed; an empty one when a crash left none."""
    try:
        return dict(json.loads(path.read_bytes()))
    except (OSError, ValueError) as exc:
        log.warning("the browser left no HAR of the walk", reason=str(exc))
        return {"log": {"version": "1.2", "entries": []}}
