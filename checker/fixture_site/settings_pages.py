"""The fixture site's settings pages: the category hubs and each setting's page with its switches.

Like LinkedIn's /mypreferences/d/ pages they are rendered in the browser: the content travels in a
<template> that the page's script puts in place after the member's `render_delay_ms`, binding
each switch to the settings API (see settings.html). Markup of the switches: hashed class names,
the label in a <p id=KEY>, the description in an <h4>, the switch an
`input[role=switch][aria-labelledby=KEY]` (/work/shared/LINKEDIN-EVIDENCE.md; brave/psst-component
`src/linkedin/user.ts`, d54d3c0, clicks exactly that).
"""

from __future__ import annotations

from checker.fixture_site import catalog, urls
from checker.fixture_site.catalog import SettingPage, Switch
from checker.fixture_site.model import Account
from checker.fixture_site.templates import Html, escape, join, script_json, tag, templates

# The settings navigation: section slug and the key of its label.
SECTIONS = {
    "account": "account_preferences",
    "sign-in-and-security": "sign_in_security",
    "visibility": "visibility",
    "privacy": "data_privacy",
    "ads": "advertising_data",
}


def hub(account: Account, section: str, *, new_setting: bool = False) -> bytes:
    """A settings category: privacy and ads list their settings, the others only a heading.
    `new_setting`: Data privacy lists the setting LinkedIn has not added yet (catalog.LATER) too."""
    if section == "privacy":
        return _settings_page(account, section, "data_privacy", _privacy_content(account, new_setting))
    if section == "ads":
        t = templates()
        content = t.render("ads", account.language, items=_items(account, _hub_items(account, "ads")))
        return _settings_page(account, section, "advertising_data", content)
    return heading_page(account, section, SECTIONS[section])


def heading_page(account: Account, section: str, title_key: str) -> bytes:
    """A settings page under `section` that shows no more than its heading."""
    t = templates()
    heading = t.render("settings_heading", account.language, heading=t.text(account.language, title_key))
    return _settings_page(account, section, title_key, heading)


def ai_setting(account: Account) -> bytes:
    """The Data for Generative AI Improvement page, its control in the account's markup."""
    t = templates()
    language = account.language
    control = t.render(f"toggle_{account.markup}", language)
    content = t.render("ai_setting", language, control=control)
    return _settings_page(account, "privacy", "data_for_ai", content, catalog.AI.switches)


def setting(account: Account, page: SettingPage) -> bytes:
    """Any other setting's page: its title and the switches the member's region offers."""
    t = templates()
    language = account.language
    offered = tuple(switch for switch in page.switches if account.available(switch.key))
    rows = join(
        t.render(
            "cookie_switch" if switch.by_id else "setting_switch",
            language,
            key=switch.key,
            label=t.text(language, switch.label),
            description=t.text(language, switch.description),
        )
        for switch in offered
    )
    content = t.render("setting_page", language, title=t.text(language, page.title), switches=rows)
    return _settings_page(account, page.section, page.title, content, offered)


def _item(account: Account, title: str, key: str, href: str) -> Html:
    """A hub's link to a setting, with the setting's state after its title."""
    t = templates()
    state = t.text(account.language, "on" if account.state(key) else "off")
    label = Html(f"{escape(title)} {tag('span', state, class_='settings-item__state')}")
    return tag("a", label, class_="settings-item", href=href)


def _hub_items(account: Account, section: str) -> list[Html]:
    """The items of the section's settings the member's region offers, the AI one aside."""
    t = templates()
    return [
        _item(account, t.text(account.language, page.title), page.key, page.path)
        for page in catalog.in_section(section)
        if page is not catalog.AI and account.available(page.key)
    ]


def _items(account: Account, items: list[Html]) -> Html:
    return join(tag("li", item) for item in items)


def _privacy_content(account: Account, new_setting: bool) -> Html:
    t = templates()
    language = account.language
    items = [
        tag("a", t.text(language, "manage_data"), class_="settings-item", href=urls.MANAGE_DATA),
        tag("a", t.text(language, "get_copy"), class_="settings-item", href=urls.DOWNLOAD_DATA),
    ]
    if account.has_setting:
        href = urls.link(urls.AI_SETTING, account.markup)  # "drifted" pages link to the legacy address
        items.append(_item(account, t.text(language, "data_for_ai"), urls.AI_SETTING_KEY, href))
    items += _hub_items(account, "privacy")
    if new_setting:
        later = catalog.LATER
        items.append(_item(account, t.text(language, later.title), later.key, later.path))
    return t.render("privacy", language, items=_items(account, items))


def _switch_state(account: Account, switch: Switch) -> dict[str, object]:
    """What the page's script needs to show and save one switch."""
    return {
        "key": switch.key,
        "entityUrn": switch.entity_urn,
        "saveUrl": switch.save_url,
        "enabled": account.state(switch.key),
        "error": templates().text(account.language, "toggle_error"),
    }


def _settings_page(
    account: Account,
    section: str,
    title_key: str,
    content: Html,
    switches: tuple[Switch, ...] = (),
) -> bytes:
    # The content travels in a <template>: it exists in the page only once the script ran.
    t = templates()
    language = account.language
    nav = join(
        tag(
            "a",
            t.text(language, label),
            href=urls.link(urls.hub(slug), account.markup),
            aria_current="page" if slug == section else None,
        )
        for slug, label in SECTIONS.items()
    )
    bound = [_switch_state(account, switch) for switch in switches]
    state = {
        "renderDelayMs": account.render_delay_ms,
        "switches": bound,
        "setting": bound[0] if bound else None,  # the page's own switch, where it always was
        "beacons": list(urls.BEACONS),
    }
    body = t.render(
        "settings",
        language,
        nav=nav,
        content=content,
        state=script_json(state),
        logo_url=urls.LOGO,
        photo_url=urls.MEMBER_PHOTO,
        bundle_url=urls.SETTINGS_BUNDLE,
    )
    return t.document(language, t.text(language, title_key), body)
