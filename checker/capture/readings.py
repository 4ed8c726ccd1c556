"""Evidence of every reading, for an auditor: `check --evidence always` (or `evidence = "always"` in
the config file).

For each setting checked, a folder `<home>/evidence/readings/<UTC time>-<account hash>-<setting>/`
(0700, files 0600) gets `read.png`, the setting's page as the state was read, with the member
covered as failure evidence is (checker/capture/evidence.py), and `read.json`: the page's address,
the UTC time, the tool's and the browser's versions, the switch's accessible name and the state
read. A check that clicked adds `after-reload.png` and `after-reload.json`, from the verifying
reload. The SHA-256 of each file goes into the check's history row (`Proof`), which the hash chain
covers: a picture swapped afterwards no longer matches its row.

Keeping evidence never changes a check's result: a part that cannot be captured is a warning, and
the row names only the files that were written. `prune` removes folders older than `evidence_days`,
never one a history row of that period names.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page

from checker import __version__
from checker.capture.evidence import (
    BUNDLE_NAME,
    DIRECTORY,
    bundle_name,
    covered_screenshot,
    new_directory,
    reason,
    refuse,
    remove_folder,
)
from checker.capture.scrub import scrub_text
from checker.core.errors import CheckerError
from checker.core.logs import get_logger
from checker.core.outcome import Proof, SwitchState, iso, utc_now
from checker.linkedin.locate import Site
from checker.store.history import History
from checker.store.home import ensure_private_dir, write_private_file

log = get_logger()

READINGS = "readings"
"""The folder under the evidence directory that holds the readings' evidence."""

_FOLDER = re.compile(BUNDLE_NAME + r"-[a-z0-9_]+(?:-\d+)?")  # bundle_name and the setting

# The switch's accessible name as the check's own rules see it: its labelling elements, its label,
# or its own words (the accessible-name computation's first steps, which is all LinkedIn's switches use).
_ACCESSIBLE_NAME = """(element) => {
  const ids = (element.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
  const labelled = ids.map(id => document.getElementById(id)?.textContent ?? "").join(" ");
  const name = labelled.trim() || element.getAttribute("aria-label")
    || [...(element.labels ?? [])].map(label => label.textContent).join(" ") || element.textContent;
  return (name || "").replace(/\\s+/g, " ").trim();
}"""


def readings_root(home: Path) -> Path:
    return home / DIRECTORY / READINGS


class ReadingEvidence:
    """The evidence of one setting's check, written as the check reads its switch."""

    def __init__(self, home: Path, site: Site, email: str, setting: str, browser_version: str | None) -> None:
        self.home = home
        self.site = site
        self.email = email
        self.setting = setting
        self.browser_version = browser_version
        self.folder: Path | None = None
        self.hashes: dict[str, str] = {}

    async def keep(self, page: Page, stage: str, switch: Locator, state: SwitchState) -> None:
        """Keep `stage.png` and `stage.json` of `page`, where `switch` showed `state`. Never raises
        for what the page or the disk does (a warning says what is missing); a signal goes through."""
        try:
            await self._keep(page, stage, switch, state)
        except (PlaywrightError, TimeoutError, OSError, CheckerError) as exc:
            log.warning("evidence of the reading not kept", stage=stage, reason=reason(exc))

    def proof(self) -> Proof | None:
        """What was kept, for the check's history row; None when nothing was."""
        if self.folder is None or not self.hashes:
            return None
        return Proof(path=str(self.folder), sha256=tuple(sorted(self.hashes.items())))

    async def _keep(self, page: Page, stage: str, switch: Locator, state: SwitchState) -> None:
        deadline = asyncio.get_running_loop().time() + self.site.timeout_ms / 1000
        async with asyncio.timeout_at(deadline):
            name: str = await switch.evaluate(_ACCESSIBLE_NAME)  # before the cover changes any words
            # From here nothing loads: no navigation can put an uncovered page in the picture.
            await page.route("**/*", refuse)
            try:
                png, personal = await covered_screenshot(page, self.site, self.email)
            finally:
                with contextlib.suppress(PlaywrightError):
                    await page.unroute("**/*", refuse)
        summary = {
            "setting": self.setting,
            "stage": stage,
            "url": scrub_text(page.url, personal),
            "captured_at": iso(utc_now()),
            "tool_version": __version__,
            "browser_version": self.browser_version,
            "switch": scrub_text(name, personal),
            "state": state.value,
        }
        folder = self._folder()
        for file, data in (
            (f"{stage}.png", png),
            (f"{stage}.json", (json.dumps(summary, indent=2) + "\n").encode()),
        ):
            write_private_file(folder / file, data)
            self.hashes[file] = hashlib.sha256(data).hexdigest()
        log.info("evidence of the reading kept", path=str(folder), stage=stage)

    def _folder(self) -> Path:
        if self.folder is None:
            root = readings_root(self.home)
            ensure_private_dir(root.parent)
            ensure_private_dir(root)
            self.folder = new_directory(root, f"{bundle_name(utc_now(), self.email)}-{self.setting}")
        return self.folder


def prune(home: Path, history: History, days: int, *, now: datetime | None = None) -> int:
    """Remove the readings' folders older than `days`, except those a history row of that period
    names; return how many were removed. Only folders of this tool's naming are touched; a link is
    removed itself, never followed."""
    root = readings_root(home)
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return 0
    cutoff = (now or utc_now()) - timedelta(days=days)
    keep = {Path(path).name for path in history.proofs_since(cutoff)}
    removed = 0
    for entry in entries:
        match = _FOLDER.fullmatch(entry.name)
        if match is None or entry.name in keep:
            continue
        taken = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        if taken >= cutoff:
            continue
        remove_folder(root / entry.name)
        removed += 1
    if removed:
        log.info("older evidence of readings removed", folders=removed, days=days)
    return removed
