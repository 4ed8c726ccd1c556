"""What the fixture site answers to each request, LinkedIn's ways included.

`dispatch` turns a parsed `Request` into a `Response`; the HTTP handler in
server.py only moves bytes. Redirects, cookies and failures follow LinkedIn:
protected pages send strangers to /login with a session_redirect, a correct
password may lead to a checkpoint instead of a session, and bots get HTTP 999.
"""

from __future__ import annotations

import http.client
import json
from http.cookies import Morsel
from urllib.parse import urlencode

from checker.fixture_site import echo, objection, pages, settings_routes, traps, urls
from checker.fixture_site.exchange import (
    NO_STORE,
    Request,
    Response,
    Route,
    foreign_login,
    html_page,
    json_reply,
    member,
    not_found,
    redirect,
    to_login,
)
from checker.fixture_site.model import Account, LoginOutcome
from checker.fixture_site.state import Session, SiteState
from checker.fixture_site.templates import templates

_ONE_YEAR = 365 * 24 * 3600


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
    return redirect(location, 303, _session_cookies(site.open_session(email)))


# -- before sign-in -------------------------------------------------------------


def _home(site: SiteState, request: Request) -> Response:
    return redirect(urls.FEED) if request.email else to_login(site, request)


def _login(site: SiteState, request: Request) -> Response:
    if origin := foreign_login(site, request.host):
        return redirect(origin + request.target)
    query = request.query
    session_redirect = query.get("session_redirect", "")
    if request.email:
        return redirect(urls.same_site(session_redirect))
    remembered = site.remembered_email(request.cookies.get("li_rm"))
    if remembered and query.get("fromSignIn") != "true":
        return html_page(
            pages.chooser(site.login_language, remembered, session_redirect, site.chooser_variant)
        )
    page = pages.login_form(
        site.login_variant,
        site.login_language,
        username=query.get("username", ""),
        session_redirect=session_redirect,
        trap=site.login_trap,
        trap_origin=site.trap_origin,
        by_get=site.login_by_get,
    )
    return html_page(site.person.typing_into(page))


def _authwall(site: SiteState, request: Request) -> Response:
    login_url = urls.login(session_redirect=request.query.get("sessionRedirect", ""))
    return html_page(pages.authwall(site.login_language, login_url))


def _me(site: SiteState, request: Request) -> Response:
    """LinkedIn's `GET /voyager/api/me`: 200 with the member's mini profile, only for a valid
    session and the CSRF token (JobNavigator PR #16 checks signed-in this way); or, when the site
    retires or breaks it (`me_api_status`), that status to everyone."""
    if (status := site.me_api_status) is not None:
        return json_reply(status, {"status": status})
    if request.email is None:
        return json_reply(401, {"status": 401})
    if request.headers.get("csrf-token") != request.cookies.get("JSESSIONID"):
        return json_reply(403, {"status": 403, "message": "CSRF check failed"})
    first, _, last = pages.display_name(request.email).partition(" ")
    profile = {"firstName": first, "lastName": last, "entityUrn": "urn:li:fs_miniProfile:ACoAAFixture"}
    return json_reply(200, {"miniProfile": profile, "plainId": 1})


def _login_frame(site: SiteState, request: Request) -> Response:
    return html_page(pages.login_frame(site.login_language, site.trap_origin))


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
        return html_page(page)
    return _after_sign_in(site, email, session_redirect)


def _after_sign_in(site: SiteState, email: str, session_redirect: str) -> Response:
    """Where a correct password leads: the page asked for with a session, or a checkpoint."""
    account = site.snapshot(email)
    if account.challenge is None:
        return _sign_in(site, account.email, urls.same_site(session_redirect))
    if account.challenge == "restricted":
        return redirect(urls.RESTRICTED, 303)
    token = site.issue_ticket(account.email, account.challenge)
    elsewhere = {"email_challenge": urls.EMAIL_CHALLENGE, "check_interstitial": urls.CHECK_INTERSTITIAL}
    if account.challenge in elsewhere:
        return redirect(f"{elsewhere[account.challenge]}?{urlencode({'token': token})}", 303)
    return redirect(urls.challenge(token), 303)


def _submit_login_by_get(site: SiteState, request: Request) -> Response:
    """The answer to a login form sent by GET (`login_by_get`, see echo.py); no such page else."""
    if not site.login_by_get:
        return not_found(site, request)
    return html_page(echo.page(site.login_language, request.query, request.target))


def _submit_login_answer(
    site: SiteState, email: str, session_redirect: str, outcome: LoginOutcome
) -> Response:
    """The 2026 page's fetch: a JSON answer, the error shown inline, or where to go (with cookies)."""
    if outcome is not LoginOutcome.ACCEPTED:
        error = site.login_error_text or templates().text(site.login_language, outcome.value)
        return json_reply(401, {"error": error})
    moved = _after_sign_in(site, email, session_redirect)
    location = dict(moved.headers)["Location"]
    cookies = tuple(header for header in moved.headers if header[0] == "Set-Cookie")
    body = json.dumps({"redirect": location}).encode()
    return Response(200, body, (("Content-Type", "application/json"), NO_STORE, *cookies))


def _challenge(site: SiteState, request: Request) -> Response:
    token = request.query.get("token") or request.path.removeprefix(urls.CHALLENGE)
    ticket = site.ticket(token)
    if ticket is None:
        return to_login(site, request)
    return html_page(pages.challenge(ticket.kind, site.login_language, ticket.token))


def _verify(site: SiteState, request: Request) -> Response:
    form = request.form
    ticket = site.ticket(form.get("token", ""))
    if ticket is None:
        return to_login(site, request)
    if site.verify(ticket, form.get("pin", "").strip()):
        return _sign_in(site, ticket.email, urls.FEED)
    page = pages.challenge(ticket.kind, site.login_language, ticket.token, failed=True)
    return html_page(page)


def _app_approval_status(site: SiteState, request: Request) -> Response:
    """What the app-approval page asks until the member approves in the app (see person.py): then
    the session's cookies, and where to go."""
    ticket = site.ticket(request.query.get("token", ""))
    if ticket is None or ticket.kind != "app_approval":
        return json_reply(404, {"status": 404})
    if not site.person.notified(ticket.token, ticket.email):
        return json_reply(200, {"approved": False})
    cookies = tuple(("Set-Cookie", cookie) for cookie in _session_cookies(site.open_session(ticket.email)))
    body = json.dumps({"approved": True, "redirect": urls.FEED}).encode()
    return Response(200, body, (("Content-Type", "application/json"), NO_STORE, *cookies))


def _captcha_frame(site: SiteState, request: Request) -> Response:
    return html_page(pages.captcha_frame(site.login_language))


def _restricted(site: SiteState, request: Request) -> Response:
    return html_page(pages.restricted(site.login_language))


# -- signed in ------------------------------------------------------------------


def _logout(site: SiteState, request: Request) -> Response:
    site.close_session(request.cookies.get("li_at"))
    expired = [_cookie("li_at", "", max_age=0), _cookie("JSESSIONID", "", max_age=0)]
    return redirect(urls.LOGIN, cookies=expired)


@member
def _feed(site: SiteState, request: Request, account: Account) -> Response:
    return html_page(pages.feed(account))


# -- everything else ------------------------------------------------------------


def _collect(site: SiteState, request: Request) -> Response:
    """The traps' collector, on their other origin: keeps the password a hostile page sent it."""
    site.collect(request.query.get("p", "") or request.body.decode("utf-8", "replace"))
    return Response(204, headers=(NO_STORE,))


def _denied(status: int) -> Response:
    # LinkedIn turns bots away with a bare page and its own status 999.
    reason = http.client.responses.get(status, "Request denied")
    body = f"<html><body>{reason}</body></html>".encode()
    return Response(status, body, (("Content-Type", "text/html"), NO_STORE), reason)


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
    ("GET", urls.LOGIN_SUBMIT): _submit_login_by_get,
    ("GET", urls.CAPTCHA_FRAME): _captcha_frame,
    ("GET", urls.APP_APPROVAL_STATUS): _app_approval_status,
    ("POST", urls.CHALLENGE_VERIFY): _verify,
    ("GET", urls.RESTRICTED): _restricted,
    ("GET", urls.LOGOUT): _logout,
    ("GET", urls.FEED): _feed,
    ("GET", traps.COLLECT): _collect,
    ("POST", traps.COLLECT): _collect,
    **settings_routes.ROUTES,
    **objection.ROUTES,
}

# Addresses that end in a variable part: a challenge's token, a settings section, a setting's key
# in the save API, a file pages load.
_PREFIXED: tuple[tuple[str, str, Route], ...] = (
    ("GET", urls.CHALLENGE, _challenge),
    *settings_routes.PREFIXED,
)


def _route(request: Request) -> Route:
    if exact := _ROUTES.get((request.method, request.path)):
        return exact
    for method, prefix, route in _PREFIXED:
        if request.method == method and request.path.startswith(prefix) and request.path != prefix:
            return route
    return not_found


def dispatch(site: SiteState, request: Request) -> Response:
    """The site's answer to `request`."""
    if (status := site.fail_status) is not None:
        return _denied(status)
    return _route(request)(site, request)
