"""The fixture site's Data Processing Objection form (checker/fixture_site/objection.py): members only,
what it accepts, what it keeps, and its confirmation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from checker.fixture_site import FixtureSite
from tests.fixture_site.fixture_http import EMAIL, Client, alice_site, sign_in

FORM = "/help/linkedin/ask/TS-DPRO"
AI_TRAINING = {
    "name": "Alice",
    "email": EMAIL,
    "objectionType": "GAI_CONTENT_TRAINING",
    "details": "I object.",
}


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    yield from alice_site()


def test_a_stranger_is_sent_to_sign_in_and_back_to_the_form(client: Client, site: FixtureSite) -> None:
    reply = client.get(FORM)
    assert reply.status == 302
    assert reply.location == "/login?session_redirect=%2Fhelp%2Flinkedin%2Fask%2FTS-DPRO"
    assert client.post_form(FORM, AI_TRAINING).status == 302
    assert site.objections == []


def test_a_member_sees_the_form_in_their_language_and_the_confirmation_with_a_case_number(
    client: Client, site: FixtureSite
) -> None:
    site.account(EMAIL).language = "fr"
    sign_in(client)
    form = client.get(FORM)
    assert '<html lang="fr">' in form.text
    assert 'data-form-id="TS-DPRO"' in form.text
    assert 'value="GAI_CONTENT_TRAINING"' in form.text
    confirmed = client.post_form(FORM, AI_TRAINING)
    [request] = site.objections
    assert (request.member, request.fields, request.by_person) == (EMAIL, AI_TRAINING, False)
    assert f'<span data-test-id="dpro-case-number">{request.reference}</span>' in confirmed.text
    assert "Merci, nous avons bien reçu votre demande" in confirmed.text


def test_other_needs_its_follow_up_and_an_incomplete_form_is_shown_again_unsent(
    client: Client, site: FixtureSite
) -> None:
    site.objection_form = "2024"
    sign_in(client)
    assert "GAI_CONTENT_TRAINING" not in client.get(FORM).text  # the form of 2024 has no such type
    again = client.post_form(FORM, {**AI_TRAINING, "objectionType": "OTHER"})
    assert 'role="alert"' in again.text
    assert site.objections == []
    client.post_form(FORM, {"name": "Alice", "email": EMAIL, "objectionType": "OTHER", "otherDetails": "AI"})
    assert [request.fields["objectionType"] for request in site.objections] == ["OTHER"]


def test_the_redesigned_form_accepts_nothing_the_tool_could_send(client: Client, site: FixtureSite) -> None:
    site.objection_form = "redesigned"
    sign_in(client)
    assert "objectionType" not in client.get(FORM).text
    assert client.post_form(FORM, AI_TRAINING).status == 200
    assert site.objections == []
