"""Scrubbing captured text and HARs: every personal and secret value goes, the page stays readable."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from checker.capture.scrub import (
    EMAIL,
    IMAGE,
    NAME,
    PROFILE,
    SECRET,
    Personal,
    har_secrets,
    member_names,
    names_in_har,
    scrub_har,
    scrub_text,
)
from checker.core.redact import register_secret

ADA = Personal(email="ada.lovelace@example.org", name="Ada Lovelace")


@pytest.mark.parametrize(
    "written",
    [
        "ada.lovelace@example.org",
        "ADA.LOVELACE@EXAMPLE.ORG",
        "ada.lovelace%40example.org",
        "ada.lovelace%2540example.org",
        "ada.lovelace\\u0040example.org",
        "ada.lovelace&#64;example.org",
    ],
)
def test_the_email_goes_however_it_is_written(written: str) -> None:
    assert scrub_text(f"signed in as {written}.", ADA) == f"signed in as {EMAIL}."


def test_the_name_goes_whole_and_word_by_word_but_not_inside_other_words() -> None:
    text = "Ada Lovelace Me | Welcome, Ada! ADA LOVELACE wrote about Adaptive Lovelaces"
    assert scrub_text(text, ADA) == (f"{NAME} Me | Welcome, Member! {NAME} wrote about Adaptive Lovelaces")


def test_program_code_keeps_words_that_happen_to_be_a_first_name() -> None:
    max_ = Personal(email="m@example.org", name="Max Mustermann")
    code = "const top = Math.max(a, b); // Max Mustermann"
    assert scrub_text(code, max_, name_parts=False) == f"const top = Math.max(a, b); // {NAME}"
    assert "Math.Member" in scrub_text(code, max_)


def test_more_spellings_of_the_name_go_too() -> None:
    personal = Personal(email="a@example.org", name="Ada Lovelace", more_names=("Augusta Ada King",))
    assert scrub_text("Augusta Ada King, Countess", personal) == f"{NAME}, Countess"


def test_member_ids_profiles_tokens_and_pictures_are_replaced() -> None:
    text = (
        "urn:li:member:12345 urn:li:fsd_profile:ACoAABcdEfGh123 urn:li:fs_miniProfile:ACoAAXyz12345678 "
        '/in/ada-lovelace-1815/ "miniProfileUrn":"ACoAAZZZZZZZZZZZZ" csrf "ajax:1234567890123456789" '
        "https://media.licdn.com/dms/image/v2/abc/profile-displayphoto?e=1&t=x "
        "https://static.example.com/pics/ada.jpg data:image/png;base64,iVBORw0KGgo= "
        "urn:li:settingEntity:1207"
    )
    scrubbed = scrub_text(text, ADA)
    for gone in (
        "12345",
        "ACoAABcd",
        "ACoAAXyz",
        "ada-lovelace-1815",
        "ACoAAZZZ",
        "1234567890",
        "licdn",
        "ada.jpg",
    ):
        assert gone not in scrubbed
    assert f"urn:li:member:{SECRET}" in scrubbed
    assert f"urn:li:fsd_profile:{SECRET}" in scrubbed
    assert PROFILE in scrubbed
    assert scrubbed.count(IMAGE) == 3
    assert "urn:li:settingEntity:1207" in scrubbed  # the setting's id is no one's


def test_json_fields_with_names_handles_and_tokens_go_also_html_escaped() -> None:
    text = (
        '{"firstName":"Grace","lastName":"Hopper","publicIdentifier":"ghopper","plainId":987654,'
        '"loginCsrfParam":"c0ffee","title":"Data privacy"} '
        "{&quot;firstName&quot;:&quot;Grace&quot;,&quot;csrfToken&quot;:&quot;t0k3n&quot;}"
    )
    scrubbed = scrub_text(text, ADA)
    for gone in ("Grace", "Hopper", "ghopper", "987654", "c0ffee", "t0k3n"):
        assert gone not in scrubbed
    assert '"title":"Data privacy"' in scrubbed


def test_password_pin_and_token_fields_lose_their_values_other_fields_keep_theirs() -> None:
    page = (
        '<input type="password" id="password" value="hunter22">'
        '<input type="hidden" name="loginCsrfParam" value="abc-def">'
        "<input name='pin' value=123456>"
        '<meta name="csrf-token" content="xyz-987">'
        '<input type="text" name="search" value="settings">'
    )
    scrubbed = scrub_text(page, ADA)
    for gone in ("hunter22", "abc-def", "123456", "xyz-987"):
        assert gone not in scrubbed
    assert 'value="settings"' in scrubbed


def test_registered_secrets_and_values_seen_while_recording_are_masked() -> None:
    register_secret("registered-Secret-42")
    personal = Personal(email="a@example.org", secrets=("CookieValue_123456", "short"))
    scrubbed = scrub_text("registered-secret-42 registered-Secret-42 cookievalue_123456 short", personal)
    assert "registered-Secret-42" not in scrubbed
    assert "cookievalue_123456" not in scrubbed.lower()
    assert scrubbed.endswith(" short")  # too short to tell from ordinary text, like registered ones


# --- HAR --------------------------------------------------------------------------------------


def entry(
    url: str,
    *,
    method: str = "GET",
    request_headers: list[dict[str, str]] | None = None,
    response_headers: list[dict[str, str]] | None = None,
    post: dict[str, Any] | None = None,
    content: dict[str, Any] | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": method,
        "url": url,
        "headers": request_headers or [],
        "cookies": [{"name": "li_at", "value": "LiAtValue-0123456789"}],
    }
    if post is not None:
        request["postData"] = post
    return {
        "request": request,
        "response": {
            "status": 200,
            "headers": response_headers or [],
            "cookies": [{"name": "JSESSIONID", "value": '"ajax:1111111111111111111"', "httpOnly": False}],
            "content": content or {"size": 0, "mimeType": "text/html"},
        },
    }


def har_of(*entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "log": {"version": "1.2", "pages": [{"title": "Ada Lovelace | LinkedIn"}], "entries": list(entries)}
    }


def scrubbed_har(*entries: dict[str, Any]) -> dict[str, Any]:
    har = har_of(*entries)
    personal = Personal(ADA.email, ADA.name, secrets=tuple(har_secrets(har)))
    return scrub_har(har, personal, sign_in_paths=["/checkpoint/lg/login-submit", "/checkpoint/challenge/"])


def test_cookie_and_token_headers_keep_their_names_and_attributes_and_lose_their_values() -> None:
    har = scrubbed_har(
        entry(
            "https://www.linkedin.com/feed/",
            request_headers=[
                {
                    "name": "Cookie",
                    "value": 'li_at=LiAtValue-0123456789; JSESSIONID="ajax:1111111111111111111"',
                },
                {"name": "csrf-token", "value": "ajax:1111111111111111111"},
                {"name": "Authorization", "value": "Bearer eyJhbGciOi.payload.sig"},
                {"name": "Accept", "value": "text/html"},
            ],
            response_headers=[
                {
                    "name": "Set-Cookie",
                    "value": "li_at=NewLiAt-9876543210; Path=/; HttpOnly\nlang=v=2&lang=en-us",
                }
            ],
        )
    )
    request, response = har["log"]["entries"][0]["request"], har["log"]["entries"][0]["response"]
    headers = {h["name"]: h["value"] for h in request["headers"]}
    assert headers == {
        "Cookie": f"li_at={SECRET}; JSESSIONID={SECRET}",
        "csrf-token": SECRET,
        "Authorization": f"Bearer {SECRET}",
        "Accept": "text/html",
    }
    assert response["headers"][0]["value"] == f"li_at={SECRET}; Path=/; HttpOnly\nlang={SECRET}"
    assert request["cookies"][0]["value"] == response["cookies"][0]["value"] == SECRET
    assert har["log"]["pages"][0]["title"] == f"{NAME} | LinkedIn"


def test_a_cookie_value_seen_in_a_header_is_scrubbed_wherever_else_it_shows() -> None:
    echoed = {"size": 40, "mimeType": "text/html", "text": "<p>debug: LiAtValue-0123456789</p>"}
    har = scrubbed_har(entry("https://www.linkedin.com/feed/", content=echoed))
    assert "LiAtValue" not in json.dumps(har)


def test_a_sign_in_body_keeps_only_its_field_names() -> None:
    body = "session_key=ada.lovelace%40example.org&session_password=pw-Unique-123&loginCsrfParam=c1"
    post = {"mimeType": "application/x-www-form-urlencoded", "text": body, "params": []}
    har = scrubbed_har(entry("https://www.linkedin.com/checkpoint/lg/login-submit", method="POST", post=post))
    scrubbed = har["log"]["entries"][0]["request"]["postData"]
    assert scrubbed["text"] == f"session_key={SECRET}&session_password={SECRET}&loginCsrfParam={SECRET}"
    assert [p["name"] for p in scrubbed["params"]] == ["session_key", "session_password", "loginCsrfParam"]
    assert "pw-Unique" not in json.dumps(har)


def test_a_json_sign_in_body_is_dropped_whole() -> None:
    post = {"mimeType": "application/json", "text": '{"u":"x","p":"pw-Unique-123"}'}
    har = scrubbed_har(
        entry("https://www.linkedin.com/checkpoint/challenge/verify", method="POST", post=post)
    )
    assert har["log"]["entries"][0]["request"]["postData"]["text"] == ""


def test_other_form_bodies_lose_only_their_secret_fields() -> None:
    post = {"mimeType": "application/x-www-form-urlencoded", "text": "q=privacy&csrfToken=t0k3n-value"}
    har = scrubbed_har(entry("https://www.linkedin.com/search", method="POST", post=post))
    assert har["log"]["entries"][0]["request"]["postData"]["text"] == f"q=privacy&csrfToken={SECRET}"


def test_pictures_and_binary_bodies_are_dropped_and_encoded_text_is_scrubbed_as_text() -> None:
    def encoded(data: bytes, mime: str) -> dict[str, Any]:
        return {
            "size": len(data),
            "mimeType": mime,
            "text": base64.b64encode(data).decode(),
            "encoding": "base64",
        }

    har = scrubbed_har(
        entry(
            "https://media.licdn.com/photo", content=encoded(b"\x89PNG\r\n\x1a\nAda Lovelace", "image/png")
        ),
        entry("https://www.linkedin.com/font.woff2", content=encoded(b"wOF2\x00\x01\xff\xfe", "font/woff2")),
        entry("https://www.linkedin.com/api", content=encoded(b'{"firstName":"Ada"}', "application/json")),
    )
    photo, font, api = (e["response"]["content"] for e in har["log"]["entries"])
    assert "text" not in photo
    assert "text" not in font
    assert api == {"size": 19, "mimeType": "application/json", "text": f'{{"firstName":"{SECRET}"}}'}
    assert "Ada" not in json.dumps(har)


def test_scripts_keep_words_that_are_a_part_of_the_name() -> None:
    personal = Personal(email="m@example.org", name="Max Mustermann")
    script = {"size": 10, "mimeType": "application/javascript", "text": "return Math.max(a, b)"}
    har = scrub_har(
        har_of(entry("https://static.licdn.com/app.js", content=script)), personal, sign_in_paths=[]
    )
    assert har["log"]["entries"][0]["response"]["content"]["text"] == "return Math.max(a, b)"


def test_scrubbing_a_har_leaves_the_original_untouched() -> None:
    har = har_of(entry("https://www.linkedin.com/feed/"))
    before = json.dumps(har)
    scrub_har(har, ADA, sign_in_paths=[])
    assert json.dumps(har) == before


def test_the_name_is_read_from_the_labels_linkedin_gives_the_members_controls() -> None:
    labels = ["Ada Lovelace Me", "Login as Ada  Lovelace", "Me", "Vous", "a@b.org", "", "Ada Lovelace Vous"]
    assert member_names(labels, ["Me", "Vous"]) == ["Ada Lovelace"]


def test_the_name_is_read_from_the_sites_answer_about_the_member() -> None:
    profile = {"miniProfile": {"firstName": "Ada", "lastName": "Lovelace"}, "plainId": 1}
    answer = {"size": 1, "mimeType": "application/json", "text": json.dumps(profile)}
    feed = {"size": 1, "mimeType": "application/json", "text": '{"firstName": "Grace", "lastName": "Hopper"}'}
    har = har_of(
        entry("https://www.linkedin.com/voyager/api/me", content=answer),
        entry("https://www.linkedin.com/voyager/api/feed", content=feed),
    )
    assert names_in_har(har, "/voyager/api/me") == ["Ada Lovelace"]
