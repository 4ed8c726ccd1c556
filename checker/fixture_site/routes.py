"""What the fixture site answers to each request, LinkedIn's ways included.

`dispatch` turns a parsed `Request` into a `Response`; the HTTP handler in
server.py only moves bytes. Redirects, cookies and failures follow LinkedIn:
protected pages send strangers to /login with a session_redirect, a correct
password may lead to a checkpoint instead of a session, and bots get HTTP 999.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.cookies import Morsel
from urllib.parse import parse_qsl, urlencode, urlsplit

from checker.fixture_site import pages, traps, urls
from checker.fixture_site.model import Account, LoginOutcome, ToggleOutcome
from checker.fixture_site.state import Session, SiteState
from checker.fixture_site.templates import templates

_ONE_YEAR = 365 * 24 * 3600


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

_NO_STORE = ("Cache-Control", "no-store")


def _page(body: bytes, status: int = 200) -> Response:
    return Response(status, body, (("Content-Type", "text/html; charset=utf-8"), _NO_STORE))


def _json(status: int, value: object) -> Response:
    body = json.dumps(value).encode()
    return Response(status, body, (("Content-Type", "application/json"), _NO_STORE))


def _redirect(location: str, status: int = 302, cookies: Iterable[str] = ()) -> Response:
    headers = (("Location", location), _NO_STORE, *(("Set-Cookie", c) for c in cookies))
    return Response(status, b"", headers)


def _cookie(
    name: str, value: str, *, quoted: bool = False, http_only: bool = False, max_age: int | None = None
) -> str:
    morsel: Morsel[str] = Morsel()
    # LinkedIn sends JSESSIONID as a quoted string; its own JavaScript strips the quotes.
    morsel.set(name, value, f'"{value}"' if quoted else value)
    morsel["path"] = "/"
    morsel["httponly"] = http_only
    if max_age is not None:
        morsel["max-age"] = max_age
    return morsel.OutputString()


def _session_cookies(session: Session) -> list[str]:
    return [
        _cookie("li_at", session.li_at, http_only=True),
        _cookie("JSESSIONID", session.jsessionid, quoted=True),
        _cookie("li_rm", session.li_rm, http_only=True, max_age=_ONE_YEAR),
    ]


def _sign_in(site: SiteState, email: str, location: str) -> Response:
    return _redirect(location, 303, _session_cookies(site.open_session(email)))


def _foreign_login(site: SiteState, host: str) -> str:
    """The origin of the login page when it is set to live on another host, else ""."""
    origin = site.login_origin
    if origin and urlsplit(origin).netloc.lower() != host.lower():
        return origin
    return ""


def _to_login(site: SiteState, request: Request, **params: str) -> Response:
    return _redirect(_foreign_login(site, request.host) + urls.login(**params))


def _member(route: MemberRoute) -> Route:
    """Guard a page that needs a session; the route gets a snapshot of the member's account."""

    def guarded(site: SiteState, request: Request) -> Response:
        if request.email is None:
            if site.logged_out_wall == "authwall":
                return _redirect(f"{urls.AUTHWALL}?{urlencode({'sessionRedirect': request.target})}")
            return _to_login(site, request, session_redirect=request.target)
        return route(site, request, site.snapshot(request.email))

    return guarded


# -- before sign-in -------------------------------------------------------------


def _home(site: SiteState, request: Request) -> Response:
    return _redirect(urls.FEED) if request.email else _to_login(site, request)


def _login(site: SiteState, request: Request) -> Response:
    if origin := _foreign_login(site, request.host):
        return _redirect(origin + request.target)
    query = request.query
    session_redirect = query.get("session_redirect", "")
    if request.email:
        return _redirect(urls.same_site(session_redirect))
    remembered = site.remembered_email(request.cookies.get("li_rm"))
    if remembered and query.get("fromSignIn") != "true":
        return _page(pages.chooser(site.login_language, remembered, session_redirect, site.chooser_variant))
    page = pages.login_form(
        site.login_variant,
        site.login_language,
        username=query.get("username", ""),
        session_redirect=session_redirect,
        trap=site.login_trap,
        trap_origin=site.trap_origin,
    )
    return _page(site.person.typing_into(page))


def _authwall(site: SiteState, request: Request) -> Response:
    login_url = urls.login(session_redirect=request.query.get("sessionRedirect", ""))
    return _page(pages.authwall(site.login_language, login_url))


def _me(site: SiteState, request: Request) -> Response:
    """LinkedIn's `GET /voyager/api/me`: 200 with the member's mini profile, only for a valid
    session and the CSRF token (JobNavigator PR #16 checks signed-in this way)."""
    if request.email is None:
        return _json(401, {"status": 401})
    if request.headers.get("csrf-token") != request.cookies.get("JSESSIONID"):
        return _json(403, {"status": 403, "message": "CSRF check failed"})
    first, _, last = pages.display_name(request.email).partition(" ")
    profile = {"firstName": first, "lastName": last, "entityUrn": "urn:li:fs_miniProfile:ACoAAFixture"}
    return _json(200, {"miniProfile": profile, "plainId": 1})


def _login_frame(site: SiteState, request: Request) -> Response:
    return _page(pages.login_frame(site.login_language, site.trap_origin))


def _submit_login(site: SiteState, request: Request) -> Response:
    form = request.form
    email = form.get("session_key", "")
    session_redirect = form.get("session_redirect", "")
    outcome = site.submit_password(email, form.get("session_password", ""), request.host)
    if request.headers.get("accept", "").startswith("application/json"):
        return _submit_login_answer(site, email, session_redirect, outcome)
    if outcome is not LoginOutcome.ACCEPTED:
        page = pages.login_form(
            site.login_variant,
            site.login_language,
            username=email,
            session_redirect=session_redirect,
            error=outcome,
            error_text=site.login_error_text,
        )
        return _page(page)
    return _after_sign_in(site, email, session_redirect)


def _after_sign_in(site: SiteState, email: str, session_redirect: str) -> Response:
    """Where a correct password leads: the page asked for with a session, or a checkpoint."""
    account = site.snapshot(email)
    if account.challenge is None:
        return _sign_in(site, account.email, urls.same_site(session_redirect))
    if account.challenge == "restricted":
        return _redirect(urls.RESTRICTED, 303)
    token = site.issue_ticket(account.email, account.challenge)
    elsewhere = {"email_challenge": urls.EMAIL_CHALLENGE, "check_interstitial": urls.CHECK_INTERSTITIAL}
    if account.challenge in elsewhere:
        return _redirect(f"{elsewhere[account.challenge]}?{urlencode({'token': token})}", 303)
    return _redirect(urls.challenge(token), 303)


def _submit_login_answer(
    site: SiteState, email: str, session_redirect: str, outcome: LoginOutcome
) -> Response:
    """The 2026 page's fetch: a JSON answer, the error shown inline, or where to go (with cookies)."""
    if outcome is not LoginOutcome.ACCEPTED:
        error = site.login_error_text or templates().text(site.login_language, outcome.value)
        return _json(401, {"error": error})
    moved = _after_sign_in(site, email, session_redirect)
    location = dict(moved.headers)["Location"]
    cookies = tuple(header for header in moved.headers if header[0] == "Set-Cookie")
    body = json.dumps({"redirect": location}).encode()
    return Response(200, body, (("Content-Type", "application/json"), _NO_STORE, *cookies))


def _challenge(site: SiteState, request: Request) -> Response:
    token = request.query.get("token") or request.path.removeprefix(urls.CHALLENGE)
    ticket = site.ticket(token)
    if ticket is None:
        return _to_login(site, request)
    return _page(pages.challenge(ticket.kind, site.login_language, ticket.token))


def _verify(site: SiteState, request: Request) -> Response:
    form = request.form
    ticket = site.ticket(form.get("token", ""))
    if ticket is None:
        return _to_login(site, request)
    if site.verify(ticket, form.get("pin", "").strip()):
        return _sign_in(site, ticket.email, urls.FEED)
    page = pages.challenge(ticket.kind, site.login_language, ticket.token, failed=True)
    return _page(page)


def _app_approval_status(site: SiteState, request: Request) -> Response:
    """What the app-approval page asks until the member approves in the app (see person.py): then
    the session's cookies, and where to go."""
    ticket = site.ticket(request.query.get("token", ""))
    if ticket is None or ticket.kind != "app_approval":
        return _json(404, {"status": 404})
    if not site.person.notified(ticket.token, ticket.email):
        return _json(200, {"approved": False})
    cookies = tuple(("Set-Cookie", cookie) for cookie in _session_cookies(site.open_session(ticket.email)))
    body = json.dumps({"approved": True, "redirect": urls.FEED}).encode()
    return Response(200, body, (("Content-Type", "application/json"), _NO_STORE, *cookies))


def _captcha_frame(site: SiteState, request: Request) -> Response:
    return _page(pages.captcha_frame(site.login_language))


def _restricted(site: SiteState, request: Request) -> Response:
    return _page(pages.restricted(site.login_language))


# -- signed in ------------------------------------------------------------------


def _logout(site: SiteState, request: Request) -> Response:
    site.close_session(request.cookies.get("li_at"))
    expired = [_cookie("li_at", "", max_age=0), _cookie("JSESSIONID", "", max_age=0)]
    return _redirect(urls.LOGIN, cookies=expired)


@_member
def _feed(site: SiteState, request: Request, account: Account) -> Response:
    return _page(pages.feed(account))


@_member
def _hub(site: SiteState, request: Request, account: Account) -> Response:
    section = request.path.removeprefix(urls.HUB)
    if section not in pages.SECTIONS:
        return _not_found(site, request)
    return _page(pages.settings_hub(account, section))


@_member
def _ai_setting(site: SiteState, request: Request, account: Account) -> Response:
    # LinkedIn sends members whose region lacks the setting back to the hub.
    if not account.has_setting:
        return _redirect(urls.hub("privacy"))
    return _page(pages.ai_setting(account))


def _privacy_page(title_key: str) -> Route:
    """A page under Data privacy that the fixture only needs to exist."""

    def route(site: SiteState, request: Request, account: Account) -> Response:
        return _page(pages.settings_heading(account, "privacy", title_key))

    return _member(route)


def _legacy(site: SiteState, request: Request) -> Response:
    return _redirect(urls.LEGACY[request.path])


def _save_setting(site: SiteState, request: Request) -> Response:
    """LinkedIn's `PUT /mysettings-api/settingsApiSettings/<key>`: the CSRF check, the Rest.li
    header, a JSON body naming the setting; a moment's work, lost if the browser drops the request."""
    try:
        enabled = _setting_value(request.body)
    except ValueError:
        return _json(400, {"status": 400})
    if request.headers.get("x-restli-protocol-version") != "2.0.0":
        return _json(400, {"status": 400})
    jsessionid = request.cookies.get("JSESSIONID")
    csrf_ok = jsessionid is not None and request.headers.get("csrf-token") == jsessionid
    delay = site.snapshot(request.email).save_delay_ms / 1000 if request.email and csrf_ok else 0
    if _dropped_within(request, delay):
        site.toggle(request.email, enabled, csrf_ok=csrf_ok, aborted=True)
        return _json(499, {"status": 499})  # nobody is there to read it
    outcome = site.toggle(request.email, enabled, csrf_ok=csrf_ok)
    if (gate := site.save_gate) is not None:
        gate.arrived.set()
        gate.released.wait(gate.hold_seconds)
    if outcome is ToggleOutcome.ACCEPTED:
        return _json(outcome.value, {"key": urls.AI_SETTING_KEY, "value": enabled})
    return _json(outcome.value, {"status": outcome.value})


def _setting_value(body: bytes) -> bool:
    """The new value from the body LinkedIn's settings page sends; ValueError for anything else."""
    payload = json.loads(body)
    if not isinstance(payload, dict) or payload.get("key") != urls.AI_SETTING_KEY:
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
    return Response(204, b"", (_NO_STORE,))


# -- everything else ------------------------------------------------------------


def _not_found(site: SiteState, request: Request) -> Response:
    language = site.snapshot(request.email).language if request.email else site.login_language
    return _page(pages.not_found(language), status=404)


def _denied(status: int) -> Response:
    # LinkedIn turns bots away with a bare page and its own status 999.
    reason = http.client.responses.get(status, "Request denied")
    body = f"<html><body>{reason}</body></html>".encode()
    return Response(status, body, (("Content-Type", "text/html"), _NO_STORE), reason)


def transient(status: int, retry_after: str | None) -> Response:
    """A passing failure (see `Transient`): a bare page with the status, and `Retry-After` when set."""
    denied = _denied(status)
    extra = (("Retry-After", retry_after),) if retry_after is not None else ()
    return Response(status, denied.body, (*denied.headers, *extra), denied.reason)


_ROUTES: dict[tuple[str, str], Route] = {
    ("GET", urls.HOME): _home,
    ("GET", urls.LOGIN): _login,
    ("GET", traps.FRAME_PATH): _login_frame,
    ("GET", urls.AUTHWALL): _authwall,
    ("GET", urls.EMAIL_CHALLENGE): _challenge,
    ("GET", urls.CHECK_INTERSTITIAL): _challenge,
    ("GET", urls.ME_API): _me,
    ("POST", urls.LOGIN_SUBMIT): _submit_login,
    ("GET", urls.CAPTCHA_FRAME): _captcha_frame,
    ("GET", urls.APP_APPROVAL_STATUS): _app_approval_status,
    ("POST", urls.CHALLENGE_VERIFY): _verify,
    ("GET", urls.RESTRICTED): _restricted,
    ("GET", urls.LOGOUT): _logout,
    ("GET", urls.FEED): _feed,
    ("GET", urls.AI_SETTING): _ai_setting,
    ("GET", urls.MANAGE_DATA): _privacy_page("manage_data"),
    ("GET", urls.DOWNLOAD_DATA): _privacy_page("get_copy"),
    ("PUT", urls.AI_SETTING_SAVE): _save_setting,
    **{("POST", beacon): _beacon for beacon in urls.BEACONS},
    **{("GET", legacy): _legacy for legacy in urls.LEGACY},
}

# Pages whose address ends in a variable part: a challenge's token, a settings section.
_PREFIXED: tuple[tuple[str, Route], ...] = ((urls.CHALLENGE, _challenge), (urls.HUB, _hub))


def _route(request: Request) -> Route:
    if exact := _ROUTES.get((request.method, request.path)):
        return exact
    for prefix, route in _PREFIXED:
        if request.method == "GET" and request.path.startswith(prefix) and request.path != prefix:
            return route
    return _not_found


def dispatch(site: SiteState, request: Request) -> Response:
    """The site's answer to `request`."""
    if (status := site.fail_status) is not None:
        return _denied(status)
    return _route(request)(site, request)
