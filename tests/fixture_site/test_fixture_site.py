"""The fixture site over plain HTTP: signing in, sessions, redirects and challenges."""

from __future__ import annotations

import html
import http.client
import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pyotp
import pytest

from checker.fixture_site import (
    FixtureSite,
    LoginAttempt,
)
from tests.conftest import run_python
from tests.fixture_site.fixture_http import (
    EMAIL,
    PASSWORD,
    PRIVACY,
    Client,
    alice_site,
    element,
    markup,
    sign_in,
)


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    yield from alice_site()


# -- signing in -----------------------------------------------------------------


def test_signing_in_sets_linkedins_session_cookies_and_lands_on_the_feed(client: Client) -> None:
    reply = sign_in(client)
    assert (reply.status, reply.location) == (303, "/feed/")
    set_cookies = reply.headers.get_all("Set-Cookie") or []
    li_at, jsessionid, li_rm = (
        next(c for c in set_cookies if c.startswith(n)) for n in ("li_at=", "JSESSIONID=", "li_rm=")
    )
    assert "HttpOnly" in li_at
    assert "Path=/" in li_at
    assert re.match(r'JSESSIONID="ajax:\d{19}"; Path=/', jsessionid)
    assert "HttpOnly" in li_rm
    assert "Max-Age=31536000" in li_rm
    assert client.get("/feed/").status == 200


def test_a_successful_sign_in_is_recorded_with_the_host_it_went_to(site: FixtureSite, client: Client) -> None:
    sign_in(client)
    assert site.login_attempts == [LoginAttempt(EMAIL, correct=True, host=f"127.0.0.1:{site.port}")]
    assert site.password_submissions(EMAIL.upper()) == 1


def test_wrong_password_renders_the_form_again_with_an_alert(site: FixtureSite, client: Client) -> None:
    reply = sign_in(client, password="wrong")
    assert reply.status == 200
    assert 'action="/checkpoint/lg/login-submit"' in reply.text
    password_error = element(reply, "error-for-password")
    assert "hidden" not in password_error
    assert html.escape("That's not the right password.") in password_error
    assert element(reply, "error-for-username").endswith(" hidden>")
    assert f'value="{EMAIL}"' in reply.text
    assert "li_at" not in client.cookies
    assert site.login_attempts == [LoginAttempt(EMAIL, correct=False, host=f"127.0.0.1:{site.port}")]


def test_an_unknown_email_is_reported_under_the_email_field(site: FixtureSite, client: Client) -> None:
    reply = client.post_form(
        "/checkpoint/lg/login-submit", {"session_key": "bob@example.com", "session_password": "x"}
    )
    assert html.escape("Couldn't find a LinkedIn account") in element(reply, "error-for-username")
    assert element(reply, "error-for-password").endswith(" hidden>")
    assert site.login_attempts[0].correct is False


def test_the_login_form_carries_a_csrf_param_and_the_session_redirect(client: Client) -> None:
    reply = client.get("/login?session_redirect=%2Fmypreferences%2Fd%2Fcategories%2Fprivacy")
    assert re.search(r'name="loginCsrfParam" value="[\w-]{16,}"', reply.text)
    assert 'name="session_redirect" value="/mypreferences/d/categories/privacy"' in reply.text
    assert '<html lang="en">' in reply.text
    assert "<title>Sign in | LinkedIn</title>" in reply.text


def test_the_redesigned_login_page_has_no_form_and_new_ids_on_every_render(
    site: FixtureSite, client: Client
) -> None:
    site.login_variant = "redesign"
    first, second = client.get("/login"), client.get("/login")
    assert "<form" not in markup(first)
    assert '<button type="button" class="sign-in-primary">Sign in</button>' in first.text
    ids = [re.findall(r'<input id="(_r_\w+_)"', page.text) for page in (first, second)]
    assert len(ids[0]) == 2
    assert ids[0] != ids[1]


def test_the_redesigned_login_page_has_apple_above_the_primary_button_and_a_hidden_field_copy(
    site: FixtureSite, client: Client
) -> None:
    site.login_variant = "redesign"
    text = client.get("/login").text
    assert text.index("Sign in with Apple") < text.index('class="sign-in-primary"')
    assert 'data-href="https://appleid.apple.com/auth/authorize"' in text
    assert text.count('autocomplete="current-password"') == 2
    assert '<div class="login-copy" style="display:none">' in text


def test_the_redesigned_login_answers_its_fetch_with_json_an_error_or_where_to_go(
    site: FixtureSite, client: Client
) -> None:
    site.login_variant = "redesign"
    fields = {"session_key": EMAIL, "session_password": "wrong"}
    json_accept = {"accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
    refused = client._send("POST", "/checkpoint/lg/login-submit", urlencode(fields).encode(), json_accept)
    assert refused.status == 401
    assert json.loads(refused.text)["error"].startswith("That's not the right password.")
    fields["session_password"] = PASSWORD
    accepted = client._send("POST", "/checkpoint/lg/login-submit", urlencode(fields).encode(), json_accept)
    assert (accepted.status, json.loads(accepted.text)) == (200, {"redirect": "/feed/"})
    assert "li_at" in client.cookies


def test_login_pages_speak_the_login_language(site: FixtureSite, client: Client) -> None:
    site.login_language = "fr"
    reply = client.get("/login")
    assert '<html lang="fr">' in reply.text
    assert '<label for="password">Mot de passe</label>' in reply.text
    assert 'aria-label="S&#x27;identifier"' in reply.text


# -- sessions and redirects -----------------------------------------------------


def test_a_protected_page_redirects_to_login_with_a_session_redirect(client: Client) -> None:
    reply = client.get(PRIVACY)
    assert (reply.status, reply.location) == (
        302,
        "/login?session_redirect=%2Fmypreferences%2Fd%2Fcategories%2Fprivacy",
    )


def test_signing_in_returns_to_the_session_redirect(client: Client) -> None:
    assert sign_in(client, session_redirect=PRIVACY).location == PRIVACY


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/feed/", "feed/"])
def test_signing_in_ignores_a_session_redirect_off_the_site(client: Client, target: str) -> None:
    assert sign_in(client, session_redirect=target).location == "/feed/"


def test_the_root_leads_to_the_feed_or_to_login(client: Client) -> None:
    assert client.get("/").location == "/login"
    sign_in(client)
    assert client.get("/").location == "/feed/"


def test_expired_sessions_force_a_new_login_through_the_remember_me_chooser(
    site: FixtureSite, client: Client
) -> None:
    sign_in(client)
    site.expire_sessions(EMAIL)
    assert client.get("/feed/").location == "/login?session_redirect=%2Ffeed%2F"
    chooser = client.get("/login?session_redirect=%2Ffeed%2F")
    assert '<main class="remember-me">' in chooser.text
    assert "<h1>Welcome back</h1>" in chooser.text
    assert f'data-email="{EMAIL}"' in chooser.text
    assert ">Alice Example</button>" in chooser.text
    assert (
        'href="/login?fromSignIn=true&amp;session_redirect=%2Ffeed%2F">Sign in using another account'
        in chooser.text
    )
    form = client.get("/login?fromSignIn=true&session_redirect=%2Ffeed%2F")
    assert 'class="login__form"' in form.text


def test_signing_out_ends_the_session_but_keeps_the_member_remembered(client: Client) -> None:
    sign_in(client)
    reply = client.get("/m/logout/")
    assert (reply.status, reply.location) == (302, "/login")
    assert set(client.cookies) == {"li_rm"}
    assert client.get("/feed/").status == 302
    assert "remember-me" in client.get("/login").text


def test_a_stolen_session_cookie_stops_working_after_sign_out(client: Client) -> None:
    sign_in(client)
    stolen = dict(client.cookies)
    client.get("/m/logout/")
    client.cookies = stolen
    assert client.get("/feed/").status == 302


# -- challenges -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("challenge", "marker"),
    [
        ("email_pin", 'id="input__email_verification_pin"'),
        ("authenticator", 'id="input__phone_verification_pin"'),
        ("captcha", 'id="captcha-internal" src="/checkpoint/challenge/captcha-frame" title="Captcha"'),
        ("captcha_arkose", 'src="https://client-api.arkoselabs.com/fc/gc/" title="Captcha"'),
        ("sms", '<form id="two-step-challenge"'),
        ("app_approval", "<h1>Check your LinkedIn app</h1>"),
    ],
)
def test_a_challenged_sign_in_goes_to_a_checkpoint_without_session_cookies(
    site: FixtureSite, client: Client, challenge: str, marker: str
) -> None:
    account = site.account(EMAIL)
    account.challenge, account.totp_secret = challenge, pyotp.random_base32()
    reply = sign_in(client)
    assert reply.status == 303
    assert reply.location.startswith("/checkpoint/challenge/")
    assert "li_at" not in client.cookies
    assert marker in client.get(reply.location).text
    assert site.login_attempts[0].correct is True


def test_the_email_pin_challenge_rejects_a_wrong_pin_then_signs_in(site: FixtureSite, client: Client) -> None:
    site.account(EMAIL).challenge = "email_pin"
    token = sign_in(client).location.removeprefix("/checkpoint/challenge/")
    wrong = client.post_form("/checkpoint/challenge/verify", {"token": token, "pin": "000000"})
    assert wrong.status == 200
    assert '<div role="alert" class="alert">' in wrong.text
    right = client.post_form("/checkpoint/challenge/verify", {"token": token, "pin": "123456"})
    assert (right.status, right.location) == (303, "/feed/")
    assert client.get("/feed/").status == 200
    assert site.challenge_attempts == [(EMAIL, "email_pin", False), (EMAIL, "email_pin", True)]


def test_the_authenticator_challenge_accepts_a_current_totp_code(site: FixtureSite, client: Client) -> None:
    secret = pyotp.random_base32()
    account = site.account(EMAIL)
    account.challenge, account.totp_secret = "authenticator", secret
    token = sign_in(client).location.removeprefix("/checkpoint/challenge/")
    reply = client.post_form(
        "/checkpoint/challenge/verify", {"token": token, "pin": pyotp.TOTP(secret).now()}
    )
    assert reply.location == "/feed/"
    assert [attempt.correct for attempt in site.challenge_attempts] == [True]


def test_a_passed_challenge_cannot_be_used_again(site: FixtureSite, client: Client) -> None:
    site.account(EMAIL).challenge = "email_pin"
    token = sign_in(client).location.removeprefix("/checkpoint/challenge/")
    client.post_form("/checkpoint/challenge/verify", {"token": token, "pin": "123456"})
    assert client.get(f"/checkpoint/challenge/{token}").location == "/login"


def test_the_captcha_frame_lets_nobody_through(site: FixtureSite, client: Client) -> None:
    site.account(EMAIL).challenge = "captcha"
    token = sign_in(client).location.removeprefix("/checkpoint/challenge/")
    assert "not a robot" in client.get("/checkpoint/challenge/captcha-frame").text
    reply = client.post_form("/checkpoint/challenge/verify", {"token": token, "pin": "123456"})
    assert reply.status == 200
    assert "li_at" not in client.cookies


def test_a_restricted_account_lands_on_the_restricted_page(site: FixtureSite, client: Client) -> None:
    site.account(EMAIL).challenge = "restricted"
    reply = sign_in(client)
    assert (reply.status, reply.location) == (303, "/checkpoint/restricted")
    assert "li_at" not in client.cookies
    page = client.get("/checkpoint/restricted").text
    assert '<main class="restricted-account" data-test-id="restricted-account">' in page
    assert "<h1>Your account has been restricted</h1>" in page


# -- serving it on its own: linkedin-ai-optout-site ----------------------------------------------


def test_the_site_command_is_installed_with_the_tool_and_documents_its_options() -> None:
    command = Path(sys.executable).parent / "linkedin-ai-optout-site"
    shown = subprocess.run([command, "--help"], capture_output=True, text=True, check=True).stdout
    assert shown.startswith("usage: linkedin-ai-optout-site")
    for option in ("--port", "--account EMAIL:PASSWORD", "--language", "--variant", "--setting"):
        assert option in shown


def test_the_site_serves_every_account_given_until_ctrl_c() -> None:
    serving = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "checker.fixture_site",
            "--port",
            "0",
            "--account",
            "a@example.com:pw-a",
            "--account",
            "b@example.com:pw-b",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert serving.stdout is not None
        line = serving.stdout.readline()
        match = re.fullmatch(r"Fixture site at http://127\.0\.0\.1:(\d+) \(accounts: (.*)\)\n", line)
        assert match is not None, line
        assert match[2] == "a@example.com, b@example.com"
        connection = http.client.HTTPConnection("127.0.0.1", int(match[1]), timeout=10)
        connection.request("GET", "/login")
        assert connection.getresponse().status == 200
        connection.close()
    finally:
        serving.send_signal(signal.SIGINT)
        _, errors = serving.communicate(timeout=30)
    assert (serving.returncode, errors) == (0, "")


def test_a_port_in_use_is_one_line_and_exit_4() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = run_python("-m", "checker.fixture_site", "--port", str(port))
    assert (process.returncode, process.stdout) == (4, "")
    assert process.stderr == (
        f"error: port {port} on 127.0.0.1 is in use: stop what uses it, or choose another with --port\n"
    )
