"""Requests and responses as the fixture site's routes see them, and the answers they share.

routes.py (signing in, the site's table of routes) and settings_routes.py (settings pages, the
save API, what pages load) both build their answers from these; server.py turns them into bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from checker.fixture_site import pages, urls
from checker.fixture_site.model import Account
from checker.fixture_site.state import SiteState


@dataclass(frozen=True)
class Request:
    """One request as the routes see it."""

    method: str
    target: str  # the path with its query, as received
    host: str
    headers: Mapping[str, str]  # names in lower case
    cookies: Mapping[str, str]
    body: bytes
    email: str | None  # the member its li_at belongs to, if any
    client_gone: Callable[[], bool] = lambda: False  # whether the browser dropped the request

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass(frozen=True)
class Response:
    """One answer; the handler adds Content-Length."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    reason: str | None = None  # the status line's phrase when http.server knows none


Route = Callable[[SiteState, Request], Response]
MemberRoute = Callable[[SiteState, Request, Account], Response]

NO_STORE = ("Cache-Control", "no-store")


def html_page(body: bytes, status: int = 200) -> Response:
    return Response(status, body, (("Content-Type", "text/html; charset=utf-8"), NO_STORE))


def json_reply(status: int, value: object) -> Response:
    body = json.dumps(value).encode()
    return Response(status, body, (("Content-Type", "application/json"), NO_STORE))


def redirect(location: str, status: int = 302, cookies: Iterable[str] = ()) -> Response:
    headers = (("Location", location), NO_STORE, *(("Set-Cookie", c) for c in cookies))
    return Response(status, b"", headers)


def foreign_login(site: SiteState, host: str) -> str:
    """The origin of the login page when it is set to live on another host, else ""."""
    origin = site.login_origin
    if origin and urlsplit(origin).netloc.lower() != host.lower():
        return origin
    return ""


def to_login(site: SiteState, request: Request, **params: str) -> Response:
    return redirect(foreign_login(site, request.host) + urls.login(**params))


def member(route: MemberRoute) -> Route:
    """Guard a page that needs a session; the route gets a snapshot of the member's account."""

    def guarded(site: SiteState, request: Request) -> Response:
        if request.email is None:
            if site.logged_out_wall == "authwall":
                return redirect(f"{urls.AUTHWALL}?{urlencode({'sessionRedirect': request.target})}")
            return to_login(site, request, session_redirect=request.target)
        return route(site, request, site.snapshot(request.email))

    return guarded


def not_found(site: SiteState, request: Request) -> Response:
    language = site.snapshot(request.email).language if request.email else site.login_language
    return html_page(pages.not_found(language), status=404)
