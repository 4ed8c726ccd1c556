"""`object`: the member's objection through LinkedIn's Data Processing Objection form, through the real
command line against the fixture site's form (checker/fixture_site/objection.py).

The windows show on a virtual X display of the tests' own (tests/run/conftest.py). The member is the
fixture site's: on the form's page their hand presses Submit once every field shows a value, and
marks the request as theirs, so the site can tell it from one the tool would have sent.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from checker.fixture_site import Account, FixtureSite
from checker.fixture_site.pages import display_name
from checker.run import person
from checker.run.objection import letter
from checker.store.emails import email_key
from checker.store.history import History
from checker.store.objections import Objection, Objections
from tests.conftest import Cli, account_held, check_args

FORM = "/help/linkedin/ask/TS-DPRO"


def object_args(site: FixtureSite, email: str, *extra: str) -> list[str]:
    return ["object", email, "--base-url", site.base_url, *extra]


def sign_in_once(cli: Cli, site: FixtureSite, member: Account) -> None:
    """A check signs in with the password and saves the session `object` opens the form with."""
    code, document = cli.json(*check_args(site))
    assert (code, document["results"][0]["outcome"]) == (1, "non_compliant")


def objections(home: Path) -> dict[str, Objection]:
    return Objections(History.in_home(home)).latest()


def as_sent(text: str) -> str:
    """`text` as a browser sends a text area's value: every line break as CR LF."""
    return text.replace("\n", "\r\n")


def form_requests(site: FixtureSite) -> list[str]:
    return [f"{received.method} {received.path}" for received in site.received if received.path == FORM]


# -- --print, and no display -----------------------------------------------------------------


def test_print_explains_the_setting_and_gives_the_text_and_the_forms_address_opening_nothing(
    cli: Cli, site: FixtureSite, isolated_home: Path
) -> None:
    result = cli(*object_args(site, "someone@example.com", "--print", "--language", "fr"))
    assert result.exit_code == 0, result.stderr
    assert "covers only the AI models\nthat create content" in result.stdout
    assert "does not undo training already done" in result.stdout
    assert f"LinkedIn's Data Processing Objection form: {site.base_url}{FORM}\n" in result.stdout
    french = letter("someone@example.com", site.base_url, "fr").text
    assert result.stdout.rstrip().endswith(french)
    assert "Je m'oppose, en vertu de l'article 21" in french
    assert "Mon compte : someone@example.com" in french
    assert site.received == []
    assert not isolated_home.exists()


@pytest.mark.parametrize(
    ("locale", "opening"),
    [("it_IT.UTF-8", "Mi oppongo"), ("nl-BE", "Ik maak"), ("pt_BR.UTF-8", "I object"), ("", "I object")],
)
def test_print_writes_in_the_locales_language_when_it_has_a_text_for_it_else_english(
    cli: Cli, site: FixtureSite, monkeypatch: pytest.MonkeyPatch, locale: str, opening: str
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", locale)
    result = cli(*object_args(site, "someone@example.com", "--print"))
    assert result.exit_code == 0, result.stderr
    assert f"\n{opening}" in result.stdout


def test_an_unknown_language_is_one_line_naming_it_and_the_known_ones_exit_2(
    cli: Cli, site: FixtureSite
) -> None:
    result = cli(*object_args(site, "someone@example.com", "--print", "--language", "xx"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: unknown language 'xx': the objection is written in de, en, es, fr, it, nl"
    ]
    assert result.stdout == ""


def test_without_a_display_object_says_so_and_prints_what_print_prints_exit_3(
    cli: Cli, site: FixtureSite, member: Account, no_display: None
) -> None:
    printed = cli(*object_args(site, member.email, "--print", "--language", "de"))
    result = cli(*object_args(site, member.email, "--language", "de"))
    assert result.exit_code == 3
    assert result.stdout == printed.stdout
    assert "Widerspruch nach Artikel 21 DSGVO" in result.stdout
    [line] = result.stderr.splitlines()
    assert line.startswith("error: object shows LinkedIn's form in a browser window, and there is no display")
    assert site.received == []


# -- in a window ------------------------------------------------------------------------------


def test_the_form_is_filled_signed_in_left_for_the_member_to_submit_and_the_confirmation_recorded(
    cli: Cli, site: FixtureSite, member: Account, display: str, isolated_home: Path
) -> None:
    sign_in_once(cli, site, member)
    member.language = "fr"
    site.person_submits_objection = True
    before = datetime.now(UTC)
    result = cli(*object_args(site, member.email, "--wait", "1"))
    after = datetime.now(UTC)
    assert result.exit_code == 0, result.stderr
    # One request, and the member's hand pressed Submit: the tool only filled the fields.
    [request] = site.objections
    assert request.by_person is True
    assert request.member == member.email
    assert request.fields == {
        "name": display_name(member.email),
        "email": member.email,
        "objectionType": "GAI_CONTENT_TRAINING",
        "details": as_sent(letter(member.email, site.base_url, "fr").text),  # the page's language
        "otherDetails": "",
    }
    assert form_requests(site) == [f"GET {FORM}", f"POST {FORM}"]
    assert site.password_submissions(member.email) == 1  # the saved session opened the form
    recorded = objections(isolated_home)[email_key(member.email)]
    assert (recorded.account, recorded.reference) == (member.email, request.reference)
    assert before <= recorded.submitted_at <= after
    assert f"(reference {request.reference}): recorded in the history as objection_submitted" in result.stderr
    with sqlite3.connect(History.in_home(isolated_home).path) as db:
        rows = db.execute("SELECT account, reference FROM objections").fetchall()
    assert rows == [(member.email, request.reference)]


def test_the_tool_never_submits_the_form_itself_and_records_nothing_unconfirmed(
    cli: Cli, site: FixtureSite, member: Account, display: str, isolated_home: Path
) -> None:
    sign_in_once(cli, site, member)
    result = cli(*object_args(site, member.email, "--wait", "0.05"))
    assert result.exit_code == 3
    assert "press its Submit button yourself" in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last == "error: LinkedIn showed no confirmation within 0.05 minutes: nothing was recorded"
    assert form_requests(site) == [f"GET {FORM}"]
    assert site.objections == []
    assert objections(isolated_home) == {}


def test_the_form_of_2024_gets_other_with_the_text_in_its_follow_up(
    cli: Cli, site: FixtureSite, member: Account, display: str, isolated_home: Path
) -> None:
    sign_in_once(cli, site, member)
    site.objection_form = "2024"
    site.person_submits_objection = True
    result = cli(*object_args(site, member.email, "--wait", "1", "--language", "nl"))
    assert result.exit_code == 0, result.stderr
    [request] = site.objections
    assert request.by_person is True
    assert request.fields["objectionType"] == "OTHER"
    assert request.fields["otherDetails"] == as_sent(letter(member.email, site.base_url, "nl").text)
    assert email_key(member.email) in objections(isolated_home)


def test_a_form_it_does_not_recognise_is_left_untouched_and_the_text_printed_instead_exit_4(
    cli: Cli, site: FixtureSite, member: Account, display: str, isolated_home: Path
) -> None:
    sign_in_once(cli, site, member)
    site.objection_form = "redesigned"
    site.person_submits_objection = True  # they would press Submit on a form the tool had filled
    result = cli(*object_args(site, member.email, "--wait", "1"))
    assert result.exit_code == 4
    assert result.stdout.rstrip().endswith(letter(member.email, site.base_url, "en").text)
    assert f"{site.base_url}{FORM}" in result.stdout
    assert result.stderr.splitlines()[-1] == (
        "error: LinkedIn's objection form was not one the tool recognises, so nothing was filled: send"
        " the text above yourself, at the address above"
    )
    assert form_requests(site) == [f"GET {FORM}"]
    assert site.objections == []
    assert objections(isolated_home) == {}


def test_an_account_without_a_saved_session_is_sent_to_accounts_login_before_any_window(
    cli: Cli, site: FixtureSite, member: Account, display: str
) -> None:
    result = cli(*object_args(site, member.email))
    assert result.exit_code == 3
    assert result.stderr.splitlines()[-1] == (
        f"error: {member.email} has no saved session to open the form with: sign in with"
        f" `linkedin-ai-optout accounts login {member.email}`, then run object again"
    )
    assert site.received == []


def test_a_saved_session_the_site_no_longer_accepts_is_sent_to_accounts_login(
    cli: Cli, site: FixtureSite, member: Account, display: str
) -> None:
    sign_in_once(cli, site, member)
    site.expire_sessions(member.email)
    result = cli(*object_args(site, member.email))
    assert result.exit_code == 3
    assert "no longer works (LinkedIn asked to sign in)" in result.stderr.splitlines()[-1]
    assert site.objections == []
    assert site.password_submissions(member.email) == 1  # object never types the password


def test_object_while_another_run_holds_the_account_says_so_and_opens_no_form(
    cli: Cli,
    site: FixtureSite,
    member: Account,
    display: str,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sign_in_once(cli, site, member)
    monkeypatch.setattr(person, "WINDOW_TIMEOUT_MS", 300)  # the lock is waited for three times that
    with account_held(isolated_home, member.email):
        result = cli(*object_args(site, member.email))
    assert result.exit_code == 4
    assert result.stderr.splitlines()[-1] == (
        f"error: {member.email}: another run is checking this account; try again after it"
    )
    assert form_requests(site) == []
    assert site.objections == []
    assert objections(isolated_home) == {}


# -- the record --------------------------------------------------------------------------------


def test_latest_gives_each_accounts_newest_objection_under_any_spelling(home: Path) -> None:
    history = History.in_home(home)
    assert Objections(history).latest() == {}  # no file yet: nothing, and nothing created
    assert not history.path.exists()
    history.prepare()
    moment = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    first = Objection("Ann@Example.com", moment, "260105-000001")
    newer = Objection("Ann@Example.com", moment.replace(hour=10), None)
    other = Objection("bob@example.com", moment, "260105-000002")
    for objection in (newer, first, other):
        Objections(history).record(objection)
    assert Objections(history).latest() == {"ann@example.com": newer, "bob@example.com": other}
    assert newer.to_json() == {
        "account": "Ann@Example.com",
        "submitted_at": "2026-01-05T10:30:00.000Z",
        "reference": None,
    }
