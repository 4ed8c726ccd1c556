"""Finding things on a page by the layered rules of `selectors/linkedin.toml`.

All layers of the wanted targets are raced in one wait; the first target in the caller's order,
and within it the first layer in the file's order, wins. The layer that matched is logged.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import reduce
from urllib.parse import urlsplit

from playwright.async_api import Locator, Page
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from checker.core.logs import get_logger
from checker.linkedin.retry import RetryPolicy, load_with_retries
from checker.linkedin.rules import Rules
from checker.linkedin.targets import CssLayer, LabelLayer, Layer, RoleLayer, Target

log = get_logger()


@dataclass(frozen=True)
class Site:
    """The LinkedIn being talked to: its origin, the rules for its pages, how long to wait."""

    origin: str
    rules: Rules
    timeout_ms: float
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    said: set[str] = field(default_factory=set, compare=False, repr=False)
    """Warnings already given in this run (see `say_once`)."""

    def say_once(self, warning: str) -> None:
        """Log `warning`, unless this run (which has one Site) already did."""
        if warning not in self.said:
            self.said.add(warning)
            log.warning(warning)

    def url(self, path: str) -> str:
        return self.origin + path

    def owns(self, url: str) -> bool:
        """Whether `url` has exactly this site's origin (scheme, host and port)."""
        return origin_of(url) == self.origin

    def is_challenge(self, url: str) -> bool:
        path = urlsplit(url).path
        return any(path.startswith(prefix) for prefix in self.rules.paths.challenges)

    def is_wall(self, url: str) -> bool:
        """Whether `url` is a logged-out wall of this site (a login is one step away)."""
        path = urlsplit(url).path
        return self.owns(url) and any(path.startswith(prefix) for prefix in self.rules.paths.walls)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    port = parts.port if parts.port not in (None, default_port) else None
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port else "")


async def open_page(page: Page, site: Site, path: str) -> None:
    """Go to `path` on the site. A GET changes nothing, so a 429, a 5xx or a broken connection is
    tried again (see retry.py), within `--timeout`; any other HTTP error ends the check at once, and
    LinkedIn's 999 ("request denied", its answer to bots) above all."""
    await load_with_retries(
        lambda: page.goto(site.url(path)), path, site.retry, budget_seconds=site.timeout_ms / 1000
    )


async def reload_page(page: Page, site: Site) -> None:
    """Reload the page, with `open_page`'s retries: a reload is a GET too."""
    path = urlsplit(page.url).path
    await load_with_retries(page.reload, path, site.retry, budget_seconds=site.timeout_ms / 1000)


@dataclass(frozen=True)
class Found:
    """A target found on the page, and which layer of its rules found it."""

    target: str
    layer: str
    locator: Locator


def _layer_locator(page: Page, rules: Rules, layer: Layer) -> tuple[str, Locator]:
    if isinstance(layer, CssLayer):
        return "css", page.locator(layer.css)
    if isinstance(layer, RoleLayer):
        name = rules.name_pattern(layer.name, exact=layer.exact) if layer.name else None
        return "role", page.get_by_role(layer.role, name=name)
    if isinstance(layer, LabelLayer):
        return "label", page.get_by_label(rules.name_pattern(layer.label))
    return "text", page.get_by_text(rules.name_pattern(layer.text))


def _candidates(page: Page, rules: Rules, name: str) -> list[tuple[str, Locator]]:
    target: Target = rules.targets[name]
    candidates = []
    for index, layer in enumerate(target.layers):
        kind, locator = _layer_locator(page, rules, layer)
        if target.state == "visible":
            locator = locator.filter(visible=True)
        candidates.append((f"{kind}[{index}]", locator))
    return candidates


async def find_any(
    page: Page, site: Site, names: list[str], *, timeout_ms: float | None = None
) -> Found | None:
    """Wait until one of the targets `names` is on the page; None when none shows in time. The
    first that shows wins: the targets in the order given, each target's layers in their order."""
    candidates = [(name, layer, loc) for name in names for layer, loc in _candidates(page, site.rules, name)]
    # A loaded page most often shows the first target already (the page a step expects): its first
    # layer, asked alone, wins whatever else matches, at the cost of one query; the union of every
    # layer makes the page compute its accessibility tree for the role and label layers first.
    name, layer, first = candidates[0]
    if await first.count():
        return _found(name, layer, first)
    anything = reduce(lambda a, b: a.or_(b), (loc for _, _, loc in candidates))
    try:
        await anything.first.wait_for(state="attached", timeout=timeout_ms or site.timeout_ms)
    except PlaywrightTimeoutError:
        return None
    # One round trip for all candidates, not one each: this runs at every step.
    counts = await asyncio.gather(*(locator.count() for _, _, locator in candidates))
    for (name, layer, locator), count in zip(candidates, counts, strict=True):
        if count:
            return _found(name, layer, locator)
    return None


def _found(name: str, layer: str, locator: Locator) -> Found:
    language_dependent = not layer.startswith("css")
    (log.warning if language_dependent else log.debug)(
        "target found", target=name, layer=layer, fallback=language_dependent
    )
    return Found(name, layer, locator.first)


async def find(page: Page, site: Site, name: str, *, timeout_ms: float | None = None) -> Found | None:
    """Wait for the target `name`; None when it does not show in time."""
    return await find_any(page, site, [name], timeout_ms=timeout_ms)


async def present(page: Page, site: Site, name: str) -> bool:
    """Whether the target `name` is on the page right now, without waiting."""
    counts = await asyncio.gather(*(locator.count() for _, locator in _candidates(page, site.rules, name)))
    return any(counts)
