"""The fixture site over plain HTTP: its pages, the setting API, failures, and what it records."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator

import pytest

from checker.core.resources import data_dir
from checker.fixture_site import (
    Account,
    FixtureSite,
    LoginAttempt,
    Received,
    SettingChange,
)
from tests.conftest import ROOT
from tests.fixture_site.fixture_http import (
    EMAIL,
    PASSWORD,
    PRIVACY,
    RESTLI,
    SAVE,
    SETTING,
    Client,
    alice_site,
    markup,
    save_body,
    sign_in,
)


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    yield from alice_site()


# -- pages after sign-in --------------------------------------------------------


def test_the_feed_has_the_me_menu_hidden_until_opened(client: Client) -> None:
    sign_in(client)
    feed = client.get("/feed/").text
    assert 'class="global-nav__primary-link global-nav__primary-link-me-menu-trigger"' in feed
    assert '<div id="me-menu" class="global-nav__me-content" hidden>' in feed
    assert 'href="/mypreferences/d/categories/account">Settings &amp; Privacy</a>' in feed


def test_pages_after_sign_in_speak_the_members_language(site: FixtureSite, client: Client) -> None:
    site.account(EMAIL).language = "fr"
    sign_in(client)
    feed = client.get("/feed/").text
    assert '<html lang="fr">' in feed
    assert "Préférences et confidentialité" in feed


def test_settings_content_waits_in_a_template_for_the_script(site: FixtureSite, client: Client) -> None:
    site.account(EMAIL).render_delay_ms = 750
    sign_in(client)
    page = client.get(SETTING).text
    assert '<main id="main">' in page
    assert "aria-busy" not in re.sub(r"<script>.*?</script>", "", page, flags=re.DOTALL)
    assert re.search(r'<template id="settings-content">.*role="switch".*</template>', page, re.DOTALL)
    state = json.loads(re.findall(r'id="settings-state">(.*?)</script>', page)[0])
    assert state["renderDelayMs"] == 750
    assert state["setting"]["enabled"] is True


def test_the_privacy_hub_lists_the_setting_with_its_state(site: FixtureSite, client: Client) -> None:
    site.account(EMAIL).ai_training = False
    sign_in(client)
    page = client.get(PRIVACY).text
    item = f'<a class="settings-item" href="{SETTING}">Data for Generative AI Improvement '
    assert item + '<span class="settings-item__state">Off</span></a>' in page
    assert f'<a href="{PRIVACY}" aria-current="page">Data privacy</a>' in page


def test_a_member_without_the_setting_is_sent_back_to_the_privacy_hub(
    site: FixtureSite, client: Client
) -> None:
    site.account(EMAIL).has_setting = False
    sign_in(client)
    assert (client.get(SETTING).status, client.get(SETTING).location) == (302, PRIVACY)
    assert "data-for-ai-improvement" not in client.get(PRIVACY).text


def test_drifted_markup_links_to_legacy_addresses_that_redirect(site: FixtureSite, client: Client) -> None:
    site.account(EMAIL).markup = "drifted"
    sign_in(client)
    feed = client.get("/feed/").text
    assert "global-nav__primary-link-me-menu-trigger" not in feed
    assert 'href="/psettings/"' in feed
    assert 'href="/psettings/data-for-ai-improvement"' in client.get(PRIVACY).text
    setting = client.get(SETTING).text
    assert 'aria-labelledby="allowDataForGenerativeAI"' not in setting
    assert 'role="switch" aria-label="Use my data for training content creation AI models"' in setting
    assert client.get("/psettings/").location == "/mypreferences/d/categories/account"
    assert client.get("/psettings/data-privacy").location == PRIVACY
    assert client.get("/psettings/data-for-ai-improvement").location == SETTING


def test_changed_markup_has_no_switch_on_the_setting_page(site: FixtureSite, client: Client) -> None:
    site.account(EMAIL).markup = "changed"
    sign_in(client)
    page = markup(client.get(SETTING))
    assert 'role="switch"' not in page
    assert "checkbox" not in page
    toggle = '<div class="toggle-v3" data-state="off" tabindex="0">'
    assert toggle + "<span>Let LinkedIn improve AI with my content</span></div>" in page


def test_an_unknown_page_is_a_404(client: Client) -> None:
    reply = client.get("/in/someone-else/")
    assert reply.status == 404
    assert "Page not found" in reply.text
    assert client.get("/mypreferences/d/categories/nonsense").status == 302  # login first


# -- the setting API ------------------------------------------------------------


@pytest.fixture
def quick_saves(site: FixtureSite) -> None:
    """Saves answered at once: these tests are about what the API accepts, not how long it takes."""
    site.account(EMAIL).save_delay_ms = 0


def test_the_settings_api_saves_the_switch_when_the_csrf_token_matches(
    site: FixtureSite, client: Client, quick_saves: None
) -> None:
    sign_in(client)
    reply = client.put_json(SAVE, save_body(False), {"csrf-token": client.csrf_token(), **RESTLI})
    assert (reply.status, json.loads(reply.text)) == (
        200,
        {"key": "allowDataForGenerativeAI", "value": False},
    )
    assert site.account(EMAIL).ai_training is False
    assert site.setting_changes == [SettingChange(EMAIL, enabled=False, accepted=True)]


@pytest.mark.parametrize("headers", [{}, {"csrf-token": "ajax:0000000000000000000"}])
def test_the_settings_api_refuses_a_request_without_the_right_csrf_token(
    site: FixtureSite, client: Client, headers: dict[str, str], quick_saves: None
) -> None:
    sign_in(client)
    assert client.put_json(SAVE, save_body(False), {**headers, **RESTLI}).status == 403
    assert site.account(EMAIL).ai_training is True
    assert site.setting_changes == [SettingChange(EMAIL, enabled=False, accepted=False)]


def test_the_settings_api_refuses_a_request_without_a_session(site: FixtureSite, client: Client) -> None:
    assert client.put_json(SAVE, save_body(False), {"csrf-token": "ajax:1", **RESTLI}).status == 403
    assert site.setting_changes == [SettingChange("", enabled=False, accepted=False)]


def test_a_failing_save_answers_500_and_keeps_the_state(
    site: FixtureSite, client: Client, quick_saves: None
) -> None:
    site.account(EMAIL).toggle_fails = True
    sign_in(client)
    headers = {"csrf-token": client.csrf_token(), **RESTLI}
    assert client.put_json(SAVE, save_body(False), headers).status == 500
    assert site.account(EMAIL).ai_training is True
    assert site.setting_changes == [SettingChange(EMAIL, enabled=False, accepted=False)]


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (save_body("no"), RESTLI),
        ({**save_body(False), "key": "allowAdsByAge"}, RESTLI),
        (save_body(False), {}),  # LinkedIn's pages always send the Rest.li protocol header
    ],
    ids=["not-a-boolean", "another-key", "no-restli-header"],
)
def test_the_settings_api_rejects_what_linkedins_page_would_not_send(
    site: FixtureSite, client: Client, body: object, headers: dict[str, str], quick_saves: None
) -> None:
    sign_in(client)
    assert client.put_json(SAVE, body, {"csrf-token": client.csrf_token(), **headers}).status == 400
    assert site.account(EMAIL).ai_training is True


def test_the_old_post_address_of_the_setting_does_not_save(site: FixtureSite, client: Client) -> None:
    sign_in(client)
    reply = client._send("POST", "/mypreferences/d/api/settings/data-for-ai-improvement", b"{}")
    assert reply.status == 404
    assert site.setting_changes == []


@pytest.mark.parametrize("beacon", ["/li/track", "/sensorCollect", "/rest/trackObserveApi/trackObserve"])
def test_tracking_beacons_are_answered_and_change_nothing(
    site: FixtureSite, client: Client, beacon: str
) -> None:
    sign_in(client)
    assert client._send("POST", beacon, b"{}").status == 204
    assert site.setting_changes == []


# -- a login page elsewhere, and failures -----------------------------------------


def test_login_origin_sends_every_login_to_the_foreign_origin(site: FixtureSite, client: Client) -> None:
    foreign = f"http://localhost:{site.port}"
    site.login_origin = foreign
    assert client.get("/feed/").location == f"{foreign}/login?session_redirect=%2Ffeed%2F"
    assert client.get("/login?fromSignIn=true").location == f"{foreign}/login?fromSignIn=true"
    assert client.get("/").location == f"{foreign}/login"


def test_the_foreign_login_page_is_served_and_records_what_it_receives(site: FixtureSite) -> None:
    foreign = f"localhost:{site.port}"
    site.login_origin = f"http://{foreign}"
    elsewhere = Client(site, host=foreign)
    assert elsewhere.get("/login").status == 200
    sign_in(elsewhere)
    assert site.login_attempts == [LoginAttempt(EMAIL, correct=True, host=foreign)]


@pytest.mark.parametrize(("status", "reason"), [(999, "Request denied"), (503, "Service Unavailable")])
def test_fail_status_answers_every_request_with_it(
    site: FixtureSite, client: Client, status: int, reason: str
) -> None:
    site.fail_status = status
    for reply in (client.get("/login"), client.get("/feed/"), sign_in(client)):
        assert (reply.status, reply.reason) == (status, reason)
        assert reply.text == f"<html><body>{reason}</body></html>"
    assert site.login_attempts == []
    site.fail_status = None
    assert client.get("/login").status == 200


# -- records, options, lifecycle ------------------------------------------------


def test_received_records_every_request_with_its_host_and_member(site: FixtureSite, client: Client) -> None:
    client.get("/login?session_redirect=%2Ffeed%2F")
    sign_in(client)
    client.get("/feed/")
    host = f"127.0.0.1:{site.port}"
    assert site.received == [
        Received("GET", "/login?session_redirect=%2Ffeed%2F", host, None),
        Received("POST", "/checkpoint/lg/login-submit", host, None),
        Received("GET", "/feed/", host, EMAIL),
    ]


def test_records_are_copies(site: FixtureSite, client: Client) -> None:
    client.get("/")
    site.received.clear()
    assert len(site.received) == 1


def test_every_page_has_a_length_and_is_not_cached(client: Client) -> None:
    for reply in (client.get("/login"), client.get("/nowhere"), sign_in(client), client.get("/feed/")):
        assert reply.headers["Content-Length"] == str(len(reply.text.encode()))
        assert reply.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "fields",
    [
        {"language": "xx"},
        {"markup": "x"},
        {"challenge": "fax"},
        {"challenge": "authenticator"},  # without a TOTP secret it could never be passed
        {"render_delay_ms": -1},
    ],
)
def test_an_account_with_an_unknown_value_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- each case has its own message
        Account(email=EMAIL, password=PASSWORD, **fields)  # type: ignore[arg-type]


def test_site_options_are_checked_when_set() -> None:
    with pytest.raises(ValueError, match="login_variant"):
        FixtureSite(login_variant="modern")
    site = FixtureSite()
    with pytest.raises(ValueError, match="login_origin"):
        site.login_origin = "localhost:8080"
    with pytest.raises(ValueError, match="fail_status"):
        site.fail_status = 42
    assert site.fail_status is None


def test_an_account_is_added_only_once(site: FixtureSite) -> None:
    with pytest.raises(ValueError, match="already"):
        site.add_account(Account(email=EMAIL.upper(), password="other"))


def test_stopping_closes_connections_a_client_keeps_open() -> None:
    site = FixtureSite()
    site.start()
    port = site.port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/login")
    connection.getresponse().read()  # the connection stays open: HTTP/1.1 keep-alive
    site.stop()
    with pytest.raises(OSError):  # noqa: PT011 -- refused or reset, depending on timing
        socket.create_connection(("127.0.0.1", port), timeout=1)
    with pytest.raises(RuntimeError):
        _ = site.base_url
    connection.close()


def test_english_and_french_have_the_same_texts_and_german_and_spanish_a_part_of_them() -> None:
    with (data_dir("fixtures") / "linkedin" / "strings.toml").open("rb") as file:
        strings = tomllib.load(file)
    assert set(strings) == {"en", "fr", "de", "es"}
    assert set(strings["en"]) == set(strings["fr"])
    assert set(strings["de"]) == set(strings["es"]) < set(strings["en"])


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_site_runs_on_its_own_until_interrupted(signum: signal.Signals) -> None:
    command = [sys.executable, "-m", "checker.fixture_site", "--port", "0", "--account", "b@example.com:pw"]
    # Started as a shell without job control starts a background job: SIGINT ignored.
    ignoring = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        # From the repository: importable there without installing.
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, ignoring)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        found = re.fullmatch(
            r"Fixture site at http://127\.0\.0\.1:(\d+) \(accounts: b@example\.com\)\n", banner
        )
        assert found, banner
        connection = http.client.HTTPConnection("127.0.0.1", int(found.group(1)), timeout=5)
        connection.request("GET", "/login")
        assert connection.getresponse().status == 200
        connection.close()
        process.send_signal(signum)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()  # a no-op once it has ended; never a test left waiting for it
        process.communicate()


# -- signed in, by the site's word; the 2026 navigation; the logged-out wall -------------------


def test_the_me_api_answers_200_only_to_a_session_with_its_csrf_token(client: Client) -> None:
    assert client._send("GET", "/voyager/api/me").status == 401
    sign_in(client)
    assert client._send("GET", "/voyager/api/me").status == 403  # no csrf-token header
    reply = client._send("GET", "/voyager/api/me", headers={"csrf-token": client.csrf_token()})
    assert reply.status == 200
    assert json.loads(reply.text)["miniProfile"]["firstName"] == "Alice"


def test_the_2026_navigation_names_the_me_control_after_the_member(site: FixtureSite, client: Client) -> None:
    site.account(EMAIL).nav = "2026"
    sign_in(client)
    feed = client.get("/feed/").text
    assert '<div id="meMenuV2WideComponentRef">' in feed
    assert 'aria-label="Alice Example Me"' in feed
    assert "global-nav__primary-link" not in re.sub(r"<!--.*?-->", "", feed, flags=re.DOTALL)


def test_strangers_can_be_sent_to_the_authwall_which_leads_to_the_login_page(
    site: FixtureSite, client: Client
) -> None:
    site.logged_out_wall = "authwall"
    reply = client.get("/feed/")
    assert (reply.status, reply.location) == (302, "/authwall?sessionRedirect=%2Ffeed%2F")
    assert 'href="/login?session_redirect=%2Ffeed%2F"' in client.get(reply.location).text
