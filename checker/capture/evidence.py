"""Evidence of a failed check, for whoever fixes it: the page as the tool saw it, with nothing personal.

On `ui_changed`, `fix_failed` and `error` the runner calls `save_evidence` while the page is still
open. It saves a bundle in `<home>/evidence/<UTC time>-<account hash>/` (directory 0700, files
0600): `page.png`, a screenshot in which the member's name and every picture are blurred;
`page.html`, the DOM scrubbed by checker/capture/scrub.py; and `evidence.json`: the outcome, the step that
failed, the page's address, and what each target of the rules matches on that page, layer by
layer. Only the newest `KEEP` bundles are kept. Saving evidence never changes a check's result:
whatever goes wrong is a warning, and the result has no evidence.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import JSHandle, Page, Route

from checker import __version__
from checker.capture.scrub import NAME, Personal, scrub_text
from checker.core.errors import CheckerError
from checker.core.logs import get_logger
from checker.core.outcome import Outcome, utc_now
from checker.core.redact import first_line
from checker.core.safe_text import printable
from checker.linkedin.locate import Site, present
from checker.store.emails import account_digest
from checker.store.home import ensure_private_dir, os_reason, write_private_file

log = get_logger()

DIRECTORY = "evidence"
KEEP = 20
"""How many bundles are kept, across accounts: those of the last failed checks."""

EVIDENCE_OUTCOMES = frozenset({Outcome.UI_CHANGED, Outcome.FIX_FAILED, Outcome.ERROR})

_COVER_STYLE_ID = "linkedin-ai-optout-evidence-cover"
# CSS, so that an element the page's script draws again after the cover is blurred all the same.
_PICTURES = 'img, picture, video, canvas, svg image, [style*="background-image"]'


def _cover_css(covers: str) -> str:
    """Blur every picture and what shows the member (`member_covers` in selectors/linkedin.toml)."""
    return f"{_PICTURES}, {covers} {{ filter: blur(12px) !important; }}"


BUNDLE_NAME = r"(\d{8}T\d{6})\d{3}Z-[0-9a-f]{12}"
"""What `bundle_name` makes, as a regular expression; its time, to the second, is the group."""
_BUNDLE_NAME = re.compile(BUNDLE_NAME + r"(?:-\d+)?")

# In the page: blur, and put the placeholder in place of every text and name-bearing attribute of
# the covered elements. Returns the names the pictures there carry as their `alt` (LinkedIn labels
# the member's photo with the member's name), so they are scrubbed from the rest of the page too.
_COVER = """([css, covers, styleId, placeholder]) => {
  const style = document.createElement("style");
  style.id = styleId;
  style.textContent = css;
  (document.head ?? document.documentElement).append(style);
  const names = [];
  for (const covered of document.querySelectorAll(covers)) {
    for (const element of [covered, ...covered.querySelectorAll("*")]) {
      if (element.tagName === "IMG" && element.alt.trim()) names.push(element.alt.trim());
      for (const attribute of ["alt", "aria-label", "title"]) {
        if (element.getAttribute(attribute)) element.setAttribute(attribute, placeholder);
      }
    }
    const walker = document.createTreeWalker(covered, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.data.trim()) node.data = placeholder;
    }
  }
  return names;
}"""

# The page's visible texts: its text nodes and the values of its fields. Password fields are
# emptied on the way: nothing typed there belongs in a picture.
_VISIBLE_TEXTS = """() => {
  const hidden = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"]);
  const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => hidden.has(node.parentElement?.tagName)
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  const nodes = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
  for (const field of document.querySelectorAll("input, textarea")) {
    if (field.type === "password") field.value = "";
    else nodes.push(field);
  }
  return nodes;
}"""
_READ_TEXTS = "nodes => nodes.map(node => node.nodeType === Node.TEXT_NODE ? node.data : node.value)"
_WRITE_TEXTS = """([nodes, changes]) => {
  for (const [index, text] of changes) {
    const node = nodes[index];
    if (node.nodeType === Node.TEXT_NODE) node.data = text;
    else node.value = text;
  }
}"""


@dataclass(frozen=True)
class Failure:
    """What the runner knows of a failed check when it saves the evidence."""

    email: str
    outcome: Outcome
    detail: str
    step: str | None
    """What the check was doing, as its progress line said: "opening Data privacy"."""


@dataclass
class _Capture:
    png: bytes | None = None
    html: str | None = None
    targets: dict[str, Any] | None = None
    url: str = ""
    detail: str = ""
    missing: dict[str, str] = field(default_factory=dict)
    """What could not be captured, and why."""


async def save_evidence(page: Page, site: Site, home: Path, failure: Failure) -> Path | None:
    """Save the evidence bundle of `failure` from `page`, keep the newest `KEEP`; return its directory.

    Never raises for a page that cannot be captured or a bundle that cannot be written: that is
    logged as a warning and gives None. Cancellation (a signal) goes through.
    """
    if page.is_closed():
        log.warning("no evidence saved: the page was already closed")
        return None
    when = utc_now()
    try:
        capture = await _capture(page, site, failure)
        bundle = _write_bundle(home / DIRECTORY, failure, capture, when)
    except Exception as exc:  # evidence is a by-product: nothing about it may cost the check its result
        log.warning("no evidence saved", reason=reason(exc))
        return None
    log.info("evidence saved", path=str(bundle), missing=sorted(capture.missing))
    try:
        _keep_newest(bundle.parent, KEEP, bundle)
    except (CheckerError, OSError) as exc:
        log.warning("could not remove older evidence", reason=reason(exc))
    return bundle


async def _capture(page: Page, site: Site, failure: Failure) -> _Capture:
    """What the page shows, covered and scrubbed, within one timeout in all: a page that hangs costs
    no more. A part that fails is said in `missing`, not raised."""
    capture = _Capture()
    personal = Personal(email=failure.email)
    deadline = asyncio.get_running_loop().time() + site.timeout_ms / 1000
    try:
        async with asyncio.timeout_at(deadline):
            # From here nothing loads: no navigation can put an uncovered page in the picture.
            await page.route("**/*", refuse)
            capture.png, personal = await covered_screenshot(page, site, failure.email)
    except (PlaywrightError, TimeoutError) as exc:
        # Without the cover there is no picture: an uncovered one would show the member.
        capture.missing["page.png"] = f"not captured: {reason(exc)}"
    try:
        async with asyncio.timeout_at(deadline):
            capture.html = scrub_text(await page.content(), personal)
    except (PlaywrightError, TimeoutError) as exc:
        capture.missing["page.html"] = f"not captured: {reason(exc)}"
    try:
        async with asyncio.timeout_at(deadline):
            capture.targets = await _targets_on_page(page, site)
    except (PlaywrightError, TimeoutError) as exc:
        capture.missing["targets"] = f"not captured: {reason(exc)}"
    capture.url = scrub_text(page.url, personal)
    capture.detail = scrub_text(failure.detail, personal)
    # The account's other settings are checked next in this page, which must load again.
    with contextlib.suppress(PlaywrightError):
        await page.unroute("**/*", refuse)
    return capture


async def covered_screenshot(page: Page, site: Site, email: str) -> tuple[bytes, Personal]:
    """A screenshot of `page` with the member covered: their name and every picture blurred, their
    name and email replaced in every visible text. Returns it with what was found of the member, for
    scrubbing what else is saved. Leaves the page covered; the caller keeps it from loading."""
    covers = ", ".join(site.rules.css("member_covers"))
    names: list[str] = await page.evaluate(_COVER, [_cover_css(covers), covers, _COVER_STYLE_ID, NAME])
    personal = Personal(email=email, name=next(iter(names), None))
    await _scrub_visible_texts(page, personal)
    return await page.screenshot(type="png", animations="disabled", caret="hide"), personal


async def refuse(route: Route) -> None:
    """A route handler that lets nothing load, for a page while it is covered."""
    await route.abort()


async def _scrub_visible_texts(page: Page, personal: Personal) -> None:
    """Scrub what the screenshot will show in the live page, with the rules the saved files get."""
    nodes: JSHandle = await page.evaluate_handle(_VISIBLE_TEXTS)
    try:
        texts: list[str] = await page.evaluate(_READ_TEXTS, nodes)
        changes = [
            [index, scrubbed]
            for index, text in enumerate(texts)
            if (scrubbed := scrub_text(text, personal)) != text
        ]
        if changes:
            await page.evaluate(_WRITE_TEXTS, [nodes, changes])
    finally:
        await nodes.dispose()


async def _targets_on_page(page: Page, site: Site) -> dict[str, Any]:
    """Every target of the rules, and each of its layers: does it match on this page now?

    Each layer is asked through locate.py's own lookup, as a target of one layer, so what is
    recorded is what the check itself would have found."""
    rules = site.rules
    layers = {
        (name, index): target.model_copy(update={"layers": [layer]})
        for name, target in rules.targets.items()
        for index, layer in enumerate(target.layers)
    }
    one_layer_each = rules.model_copy(update={"targets": {f"{n}[{i}]": t for (n, i), t in layers.items()}})
    probe = dataclasses.replace(site, rules=one_layer_each)
    matches = await asyncio.gather(*(present(page, probe, f"{n}[{i}]") for n, i in layers))
    found = dict(zip(layers, matches, strict=True))
    targets: dict[str, Any] = {}
    for name, target in rules.targets.items():
        described = []
        for index, layer in enumerate(target.layers):
            rule = layer.model_dump(exclude_defaults=True)
            kind = next(iter(rule))
            described.append({"layer": f"{kind}[{index}]", "rule": rule, "matches": found[name, index]})
        targets[name] = {
            "what": target.what,
            "matches": any(layer["matches"] for layer in described),
            "layers": described,
        }
    return targets


def _write_bundle(root: Path, failure: Failure, capture: _Capture, when: datetime) -> Path:
    """Write the bundle into a new directory under `root`; a bundle half written is removed."""
    ensure_private_dir(root)
    if stat.S_IMODE(os.lstat(root).st_mode) & 0o077:
        os.chmod(root, 0o700)
    bundle = new_directory(root, bundle_name(when, failure.email))
    summary = {
        "outcome": failure.outcome.value,
        "detail": capture.detail,
        "step": failure.step,
        "url": capture.url,
        "captured_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "tool_version": __version__,
        "not_captured": capture.missing,
        "targets": capture.targets,
    }
    try:
        if capture.png is not None:
            write_private_file(bundle / "page.png", capture.png)
        if capture.html is not None:
            write_private_file(bundle / "page.html", capture.html.encode())
        write_private_file(bundle / "evidence.json", (json.dumps(summary, indent=2) + "\n").encode())
    except BaseException:
        shutil.rmtree(bundle, ignore_errors=True)
        raise
    return bundle


def bundle_name(when: datetime, email: str) -> str:
    """An evidence folder's name: its UTC time to the millisecond, and a short hash of the account."""
    return f"{when:%Y%m%dT%H%M%S}{when.microsecond // 1000:03d}Z-{account_digest(email)[:12]}"


def new_directory(root: Path, name: str) -> Path:
    """A new directory (0700) `name` under `root`, or `name-2`, `name-3`... if that one is taken."""
    for attempt in range(1, 100):
        path = root / (name if attempt == 1 else f"{name}-{attempt}")
        try:
            path.mkdir(mode=0o700)  # never through a link: an existing name, a link included, fails
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{root / name}: taken, and 98 variants of it")


def _keep_newest(root: Path, keep: int, saved: Path) -> None:
    """Remove all bundles in `root` but the newest `keep`, `saved` always among them. Only names
    of bundles are touched; a link is removed itself, never followed."""
    older = sorted(
        entry.name
        for entry in os.scandir(root)
        if _BUNDLE_NAME.fullmatch(entry.name) and entry.name != saved.name
    )
    for name in older[: max(0, len(older) - (keep - 1))]:
        remove_folder(root / name)
        log.debug("older evidence removed", path=str(root / name))


def remove_folder(path: Path) -> None:
    """Remove an evidence folder; a link in its place is removed itself, never followed."""
    if path.is_symlink() or not path.is_dir():
        path.unlink()
    else:
        shutil.rmtree(path)  # removes links inside as links (see shutil.rmtree.avoids_symlink_attacks)


def reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError) and not isinstance(exc, PlaywrightError):
        return "the page did not answer in time"
    if isinstance(exc, OSError):
        return f"{exc.filename}: {os_reason(exc)}" if exc.filename else os_reason(exc)
    return printable(first_line(exc))
