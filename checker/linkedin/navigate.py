"""Reaching a setting the way a person does inside LinkedIn's settings app: its category page
(Data privacy, Advertising data) -> its item -> its page; the setting's own URL when the item is
not there.

A check starts at the first setting's category page, not at the feed: the settings app proves the
session as well as the feed does, at a fraction of the feed's weight. Each category page is read
once per account: the first of its settings is reached by a click on its item, the others by the
addresses the page listed, since going back to the category page costs a page load per setting
and tells nothing new (measured by `make bench`; see the README's speed table).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import structlog
from playwright.async_api import Page

from checker.linkedin.locate import Found, Site, find, find_any, open_page, present
from checker.outcome import CheckFailed, Outcome

log = structlog.get_logger()


class SettingsWalk:
    """One account's way through the settings app, in one page."""

    def __init__(self, page: Page, site: Site) -> None:
        self.page = page
        self.site = site
        self._listed: dict[str, set[str]] = {}
        """Per category read so far: the catalog's settings its page listed."""

    async def open_setting(self, name: str) -> Found:
        """Bring the page to the setting `name` of the catalog and return its switch.

        Raise CheckFailed: not_applicable when its category page does not list it and its URL
        leads back there; ui_changed when the pages are not recognised; error when a page never
        renders.
        """
        page, site = self.page, self.site
        setting = site.rules.catalog[name]
        if setting.category not in self._listed:
            self._listed[setting.category] = await self._read_category(setting.category)
            if name in self._listed[setting.category]:
                item = await find(page, site, f"{name}.item")
                assert item is not None
                async with page.expect_navigation():
                    await item.locator.click()
        if _path(page) != setting.path:
            if name not in self._listed[setting.category]:
                log.warning("the category page does not list the setting; opening its URL", path=setting.path)
            await open_page(page, site, setting.path)
        if _path(page) != setting.path:
            if await _is_category_page(page, site, setting.category) and not await _lists(page, site, name):
                raise CheckFailed(
                    Outcome.NOT_APPLICABLE,
                    f"LinkedIn does not offer this account the setting: its category page lists no "
                    f"{setting.title!r} and the setting's page leads back there",
                )
            raise CheckFailed(
                Outcome.UI_CHANGED, f"the setting's page led to {_path(page)}, which is not recognised"
            )
        switch = await find(page, site, f"{name}.switch")
        if switch is not None:
            return switch
        # Nothing marks a LinkedIn settings page as rendered: content the page shows is the sign.
        if not await present(page, site, "setting_page_content"):
            raise CheckFailed(Outcome.ERROR, f"timed out: the page at {_path(page)} never finished rendering")
        raise CheckFailed(
            Outcome.UI_CHANGED, f"the setting's page at {_path(page)} shows no switch the rules recognise"
        )

    async def _read_category(self, slug: str) -> set[str]:
        """Go to the category page (by the settings navigation where the page has it, as a person
        would) and return the catalog's settings it lists; none when the page is not recognised."""
        page, site = self.page, self.site
        category = site.rules.catalog.categories[slug]
        if _path(page) != category.path:
            link = (
                await find(page, site, f"{slug}.link") if await present(page, site, f"{slug}.link") else None
            )
            if link is None:
                await open_page(page, site, category.path)
            else:
                async with page.expect_navigation():
                    await link.locator.click()
        if not await _is_category_page(page, site, slug):
            log.warning("category page not recognised", category=slug, at=_path(page))
            return set()
        names = [name for name, setting in site.rules.catalog.settings.items() if setting.category == slug]
        # The first wait is for the page's list to render; then each item is there or not.
        return {name for name in names if await _lists(page, site, name)}


async def _is_category_page(page: Page, site: Site, slug: str) -> bool:
    return await find(page, site, f"{slug}.page") is not None


async def _lists(page: Page, site: Site, name: str) -> bool:
    """Whether the category page lists the setting, decided only once the page has shown its items:
    LinkedIn renders them in the browser and marks nothing as done."""
    shown = await find_any(page, site, [f"{name}.item", "category_item"])
    if shown is None:
        raise CheckFailed(Outcome.ERROR, f"timed out: the page at {_path(page)} never finished rendering")
    return shown.target == f"{name}.item" or await present(page, site, f"{name}.item")


async def open_setting(page: Page, site: Site, name: str) -> Found:
    """`SettingsWalk.open_setting` for one setting alone (record walks to one)."""
    return await SettingsWalk(page, site).open_setting(name)


def _path(page: Page) -> str:
    return urlsplit(page.url).path
