"""Reaching a setting: its page, by its address, as brave/psst-component's LinkedIn tasks do; its
category page (Data privacy, Advertising data) only when LinkedIn sends the member back there.

Measured (`make bench`, see the speed table in docs/maintainers.md): the person's path through the settings
app, the category page and then a click on the setting's item, costs one more page load and the
settings app started once more, about a quarter of a one-setting check, and tells nothing the
setting's own page does not: a member whose region lacks the setting is sent from its page back
to its category page, which then shows whether it lists the setting.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.async_api import Page

from checker.core.logs import get_logger
from checker.core.outcome import CheckFailed, Outcome
from checker.linkedin.locate import Found, Site, find, find_any, open_page, present

log = get_logger()


async def open_setting(page: Page, site: Site, name: str) -> Found:
    """Bring the page to the setting `name` of the catalog and return its switch.

    Raise CheckFailed: not_applicable when its page leads to its category page, which does not
    list it; ui_changed when the pages are not recognised; error when a page never renders.
    """
    setting = site.rules.catalog[name]
    if _path(page) != setting.path:
        await open_page(page, site, setting.path)
    if _path(page) != setting.path:
        if await find(page, site, f"{setting.category}.page") and not await _lists(page, site, name):
            raise CheckFailed(
                Outcome.NOT_APPLICABLE,
                f"LinkedIn does not offer this account the setting: its page leads to its category "
                f"page, which lists no {setting.title!r}",
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


async def _lists(page: Page, site: Site, name: str) -> bool:
    """Whether the category page lists the setting, decided only once the page has shown its items:
    LinkedIn renders them in the browser and marks nothing as done."""
    shown = await find_any(page, site, [f"{name}.item", "category_item"])
    if shown is None:
        raise CheckFailed(Outcome.ERROR, f"timed out: the page at {_path(page)} never finished rendering")
    return shown.target == f"{name}.item" or await present(page, site, f"{name}.item")


def _path(page: Page) -> str:
    return urlsplit(page.url).path
