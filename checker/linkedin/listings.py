"""What LinkedIn's settings category pages list (Data privacy, Advertising data): how the tool
notices a data-use setting LinkedIn adds or drops before anyone writes about it.

Only read: an item is never clicked, opened or saved. The store remembers each account's listings
and tells what changed (checker/store/listings.py).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from playwright.async_api import Page

from checker.core.outcome import CheckFailed, Listed, Outcome
from checker.linkedin.locate import Site, find, open_page


async def read_category(page: Page, site: Site, category: str) -> list[Listed]:
    """The items the category page `category` lists, in the page's order, each once. Raise
    CheckFailed when the page is not the category's or never shows an item."""
    path = site.rules.catalog.categories[category].path
    await open_page(page, site, path)
    if urlsplit(page.url).path != path:
        raise CheckFailed(Outcome.UI_CHANGED, f"the category page {path} led to {urlsplit(page.url).path}")
    # LinkedIn renders the list in the browser and marks nothing as done: an item is the sign.
    if await find(page, site, "category_item") is None:
        raise CheckFailed(Outcome.ERROR, f"timed out: the category page {path} never listed an item")
    selector = ", ".join(site.rules.css("listed_item"))
    raw = await page.locator(selector).evaluate_all(_ITEMS)
    items: dict[str, Listed] = {}
    for href, words in raw:
        address = urljoin(page.url, href)
        label = " ".join(str(words).split())
        if site.owns(address) and label:
            items.setdefault(urlsplit(address).path, Listed(urlsplit(address).path, label))
    return list(items.values())


# An item's words: its aria-label; else its own text, without what its children add (a state such
# as "On"); else the first line it shows.
_ITEMS = """(links) => links.map((link) => {
  const own = Array.from(link.childNodes).filter((node) => node.nodeType === Node.TEXT_NODE)
    .map((node) => node.textContent).join(" ").trim();
  const first = (link.innerText || "").split("\\n").map((line) => line.trim()).find((line) => line);
  return [link.getAttribute("href") || "", link.getAttribute("aria-label") || own || first || ""];
})"""
