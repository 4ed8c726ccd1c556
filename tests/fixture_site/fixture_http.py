"""The fixture site spoken to over plain HTTP, for its own tests: a client that keeps cookies and
never follows redirects, and Alice's account."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from checker.fixture_site import Account, FixtureSite

EMAIL = "alice.example@example.com"
PASSWORD = "correct horse"
SETTING = "/mypreferences/d/settings/data-for-ai-improvement"
PRIVACY = "/mypreferences/d/categories/privacy"
SAVE = "/mysettings-api/settingsApiSettings/allowDataForGenerativeAI"
RESTLI = {"x-restli-protocol-version": "2.0.0"}


def save_body(value: object) -> dict[str, object]:
    """The body LinkedIn's settings page sends to save the generative-AI switch."""
    return {
        "settingDisplayType": "TOGGLE",
        "entityUrn": "urn:li:settingEntity:1207",
        "key": "allowDataForGenerativeAI",
        "value": value,
        "hasChild": False,
    }


@dataclass
class Reply:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    text: str

    @property
    def location(self) -> str:
        return self.headers["Location"]


@dataclass
class Client:
    """A cookie-keeping HTTP client that never follows redirects, so tests see every hop."""

    site: FixtureSite
    host: str | None = None  # a Host header other than the site's own
    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, target: str) -> Reply:
        return self._send("GET", target)

    def post_form(self, target: str, fields: dict[str, str]) -> Reply:
        content_type = {"Content-Type": "application/x-www-form-urlencoded"}
        return self._send("POST", target, urlencode(fields).encode(), content_type)

    def put_json(self, target: str, value: object, headers: dict[str, str] | None = None) -> Reply:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return self._send("PUT", target, json.dumps(value).encode(), all_headers)

    def csrf_token(self) -> str:
        return self.cookies["JSESSIONID"].strip('"')

    def _send(
        self, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        all_headers = dict(headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if self.host:
            all_headers["Host"] = self.host
        connection = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=10)
        try:
            connection.request(method, target, body, all_headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.reason, response.headers, response.read().decode())
        finally:
            connection.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            self._keep(header)
        return reply

    def _keep(self, set_cookie: str) -> None:
        for name, morsel in SimpleCookie(set_cookie).items():
            if morsel["max-age"] == "0":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.coded_value


def alice_site() -> Iterator[FixtureSite]:
    """A running site with Alice's account, not signed in: each test file's `site` fixture."""
    with FixtureSite() as running:
        running.add_account(Account(email=EMAIL, password=PASSWORD))
        yield running


def sign_in(client: Client, password: str = PASSWORD, session_redirect: str = "") -> Reply:
    fields = {"session_key": EMAIL, "session_password": password, "session_redirect": session_redirect}
    return client.post_form("/checkpoint/lg/login-submit", fields)


def markup(reply: Reply) -> str:
    """The page without its scripts, whose code mentions the very markup it builds."""
    return re.sub(r"<script>.*?</script>", "", reply.text, flags=re.DOTALL)


def element(reply: Reply, element_id: str) -> str:
    """The opening tag and text of the element with that id."""
    found = re.search(rf'<[^>]*\bid="{element_id}"[^>]*>[^<]*', reply.text)
    assert found, f"no #{element_id} in the page"
    return found.group(0)
