"""The fixture site's answers about settings: the category hubs, each setting's page, the save API,
the tracking beacons, and the files pages load (assets.py). routes.py puts them in its table."""

from __future__ import annotations

import json
import time

from checker.fixture_site import assets, catalog, settings_pages, urls
from checker.fixture_site.catalog import SettingPage
from checker.fixture_site.exchange import (
    NO_STORE,
    Request,
    Response,
    Route,
    html_page,
    json_reply,
    member,
    not_found,
    redirect,
)
from checker.fixture_site.model import Account, ToggleOutcome
from checker.fixture_site.state import SiteState


@member
def _hub(site: SiteState, request: Request, account: Account) -> Response:
    section = request.path.removeprefix(urls.HUB)
    if section not in settings_pages.SECTIONS:
        return not_found(site, request)
    return html_page(settings_pages.hub(account, section, new_setting=site.new_setting))


@member
def _ai_setting(site: SiteState, request: Request, account: Account) -> Response:
    # LinkedIn sends members whose region lacks the setting back to the hub.
    if not account.has_setting:
        return redirect(urls.hub("privacy"))
    return html_page(settings_pages.ai_setting(account))


def _setting(page: SettingPage) -> Route:
    """A setting's page; a member whose region lacks the setting is sent to its category hub, as
    LinkedIn does with the generative-AI one."""

    def route(site: SiteState, request: Request, account: Account) -> Response:
        if not account.available(page.key):
            return redirect(urls.hub(page.section))
        return html_page(settings_pages.setting(account, page))

    return member(route)


@member
def _later(site: SiteState, request: Request, account: Account) -> Response:
    """The page of the setting LinkedIn has not added yet: not found until it is."""
    if not site.new_setting:
        return not_found(site, request)
    return html_page(settings_pages.setting(account, catalog.LATER))


def _privacy_page(title_key: str) -> Route:
    """A page under Data privacy that the fixture only needs to exist."""

    def route(site: SiteState, request: Request, account: Account) -> Response:
        return html_page(settings_pages.heading_page(account, "privacy", title_key))

    return member(route)


def _legacy(site: SiteState, request: Request) -> Response:
    return redirect(urls.LEGACY[request.path])


def _save_setting(site: SiteState, request: Request) -> Response:
    """LinkedIn's `PUT /mysettings-api/settingsApiSettings/<key>`: the CSRF check, the Rest.li
    header, a JSON body naming the same key; a moment's work, lost if the browser drops the request.
    An unknown key is a 404, as is a setting the member's region lacks."""
    key = request.path.removeprefix(urls.SETTINGS_API)
    if key not in catalog.SWITCHES:
        return json_reply(404, {"status": 404})
    try:
        enabled = _setting_value(request.body, key)
    except ValueError:
        return json_reply(400, {"status": 400})
    if request.headers.get("x-restli-protocol-version") != "2.0.0":
        return json_reply(400, {"status": 400})
    jsessionid = request.cookies.get("JSESSIONID")
    csrf_ok = jsessionid is not None and request.headers.get("csrf-token") == jsessionid
    delay = site.snapshot(request.email).save_delay_ms / 1000 if request.email and csrf_ok else 0
    if _dropped_within(request, delay):
        site.toggle(request.email, enabled, csrf_ok=csrf_ok, aborted=True, key=key)
        return json_reply(499, {"status": 499})  # nobody is there to read it
    outcome = site.toggle(request.email, enabled, csrf_ok=csrf_ok, key=key)
    if (gate := site.save_gate) is not None:
        gate.arrived.set()
        gate.released.wait(gate.hold_seconds)
    if outcome is ToggleOutcome.ACCEPTED:
        return json_reply(outcome.value, {"key": key, "value": enabled})
    return json_reply(outcome.value, {"status": outcome.value})


def _setting_value(body: bytes, key: str) -> bool:
    """The new value from the body LinkedIn's settings page sends for `key`; ValueError for
    anything else, a body naming another key included."""
    payload = json.loads(body)
    if not isinstance(payload, dict) or payload.get("key") != key:
        raise ValueError("the body must name the setting's key")
    value = payload.get("value")
    if not isinstance(value, bool) or not isinstance(payload.get("entityUrn"), str):
        raise ValueError("the body must carry a boolean value and the setting's entityUrn")
    return value


def _dropped_within(request: Request, seconds: float) -> bool:
    """Work on a request for `seconds`; True when its client went away meanwhile."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if request.client_gone():
            return True
        time.sleep(0.02)
    return request.client_gone()


def _beacon(site: SiteState, request: Request) -> Response:
    return Response(204, b"", (NO_STORE,))


def _asset(site: SiteState, request: Request) -> Response:
    """A file a page loads, with its caching headers; a browser revalidating it gets a 304."""
    asset = assets.find(request.path, light=site.light)
    if asset is None:
        return not_found(site, request)
    headers = (("Cache-Control", asset.cache_control), ("ETag", asset.etag))
    if request.headers.get("if-none-match") == asset.etag:
        return Response(304, b"", headers)
    return Response(200, asset.body, (("Content-Type", asset.content_type), *headers))


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", urls.AI_SETTING): _ai_setting,
    **{("GET", page.path): _setting(page) for page in catalog.PAGES if page is not catalog.AI},
    ("GET", catalog.LATER.path): _later,
    ("GET", urls.MANAGE_DATA): _privacy_page("manage_data"),
    ("GET", urls.DOWNLOAD_DATA): _privacy_page("get_copy"),
    **{("POST", beacon): _beacon for beacon in urls.BEACONS},
    **{("GET", legacy): _legacy for legacy in urls.LEGACY},
}

# Addresses that end in a variable part: a settings section, a setting's key, a file's name.
PREFIXED: tuple[tuple[str, str, Route], ...] = (
    ("GET", urls.HUB, _hub),
    ("PUT", urls.SETTINGS_API, _save_setting),
    ("GET", urls.MEDIA, _asset),
    ("GET", urls.STATIC, _asset),
)
