"""`record` end to end: the real CLI, a real Chromium, the real keyring, the fixture site; and the
recorded HAR replayed offline through the tool's own steps, with no server running."""

from __future__ import annotations

import html
import json
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from playwright.async_api import Browser

from checker.capture.recording import Bundle, snapshot
from checker.capture.scrub import EMAIL, NAME, member_names
from checker.core.errors import UsageError
from checker.core.outcome import SETTING
from checker.core.urls import normalize_base_url
from checker.fixture_site import Account, FixtureSite
from checker.fixture_site.pages import display_name
from checker.linkedin.browser import new_context
from checker.linkedin.locate import Site
from checker.linkedin.login import AccountSecrets, open_signed_in
from checker.linkedin.navigate import open_setting
from checker.linkedin.rules import load_rules
from checker.linkedin.setting import read_switch_state
from checker.store.credentials import CredentialStore
from checker.store.sessions import SessionStore
from tests.conftest import SHORT_TIMEOUT, Cli, add_account, check_args


def record_args(site: FixtureSite, email: str, out: Path, *extra: str, timeout: float = 5) -> list[str]:
    return ["record", email, "--base-url", site.base_url, "--timeout", f"{timeout:g}", "-o", str(out), *extra]


def manifest(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "bundle.json").read_text()))


def rendered(page: Path) -> str:
    """The page's markup outside the <template> its script renders from."""
    return page.read_text().split("<template")[0]


def page_files(out: Path) -> list[str]:
    return sorted(path.name for path in out.glob("*.html"))


@pytest.mark.parametrize("login_page", ["classic", "redesign"])
def test_a_recording_holds_each_page_as_the_tool_left_it_and_a_har_and_clicks_nothing(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path, isolated_home: Path, login_page: str
) -> None:
    site.login_variant = login_page  # the 2026 page signs in by script, without a form
    out = tmp_path / "bundle"
    result = cli(*record_args(site, member.email, out))
    assert result.exit_code == 0, result.stderr
    assert "the setting is on, and nothing was clicked" in result.stdout
    document = manifest(out)
    assert (document["completed"], document["state"], document["switch_clicked"]) == (True, "on", False)
    assert document["signed_in_with"] == "password"
    files = [page["file"] for page in document["pages"]]
    assert (
        files
        == page_files(out)
        == [
            "01-login.html",
            "02-feed.html",  # where the member's name is learnt, so that it can be scrubbed
            "03-mypreferences-d-settings-data-for-ai-improvement.html",
        ]
    )
    # The settings pages render from a <template> in the browser: captured rendered, as the tool saw them.
    assert 'role="switch"' in rendered(out / files[2])
    har = json.loads((out / "walk.har").read_text())
    urls = [entry["request"]["url"] for entry in har["log"]["entries"]]
    assert site.base_url + "/mypreferences/d/settings/data-for-ai-improvement" in urls
    assert site.setting_changes == []
    assert not [r for r in site.received if r.method == "PUT"]
    assert member.ai_training is True
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in out.iterdir()} == {0o600}
    assert list(isolated_home.glob(".record-*")) == []  # the raw HAR, password and all, is gone


def forms(value: str) -> set[str]:
    """Every spelling under which a value could leak, lower-cased: as is, URL-encoded, escaped."""
    return {
        form.lower()
        for form in (
            value,
            quote(value, safe=""),
            quote_plus(value),
            html.escape(value),
            json.dumps(value)[1:-1],
        )
    }


@pytest.mark.parametrize("login_page", ["classic", "redesign"])
def test_no_canary_secret_or_personal_value_survives_the_scrub(
    cli: Cli, site: FixtureSite, real_keyring: object, isolated_home: Path, tmp_path: Path, login_page: str
) -> None:
    site.login_variant = login_page
    email = "Quokka.Zyxwv+Canary@Example.org"
    password = "Canary-Pa55word-7Qx!"
    site.add_account(Account(email=email, password=password))
    add_account(cli, email, password)
    assert cli(*check_args(site)).exit_code == 1  # a session to expire, so the chooser shows
    sessions = SessionStore.in_home(isolated_home, CredentialStore())
    origin = normalize_base_url(site.base_url)
    old_cookies = [cookie["value"] for cookie in sessions.load(email, origin)["cookies"]]  # type: ignore[index]
    site.expire_sessions(email)

    out = tmp_path / "bundle"
    result = cli(*record_args(site, email, out))
    assert result.exit_code == 0, result.stderr
    # The walk met every canary: the chooser showed the name and email, the login took the password.
    assert site.password_submissions(email) == 2
    new_cookies = [cookie["value"] for cookie in sessions.load(email, origin)["cookies"]]  # type: ignore[index]
    assert NAME in (out / "01-login.html").read_text()
    assert EMAIL in (out / "01-login.html").read_text()

    name = display_name(email)
    canaries = {password, email, name, *name.split(), *old_cookies, *new_cookies}
    canaries |= {value.strip('"').removeprefix("ajax:") for value in [*old_cookies, *new_cookies]}
    files = sorted(out.iterdir())
    assert len(files) >= 6
    for path in files:
        data = path.read_bytes().lower()
        for canary in canaries:
            for form in forms(canary):
                assert form.encode() not in data, f"{canary!r} survives in {path.name}"


def test_the_name_the_2026_me_control_shows_is_learned_and_scrubbed_from_every_file(
    cli: Cli, site: FixtureSite, real_keyring: object, tmp_path: Path
) -> None:
    email = "Wombat.Xylophage@example.net"
    site.add_account(Account(email=email, password="a long canary password", nav="2026"))
    add_account(cli, email, "a long canary password")
    out = tmp_path / "bundle"
    assert cli(*record_args(site, email, out)).exit_code == 0
    feed = next(page["file"] for page in manifest(out)["pages"] if page["file"].endswith("-feed.html"))
    assert f'aria-label="{NAME} Me"' in (out / feed).read_text()
    name = display_name(email)
    for path in out.iterdir():
        data = path.read_bytes().lower()
        for canary in (name, *name.split()):
            assert canary.lower().encode() not in data, f"{canary!r} survives in {path.name}"


@pytest.mark.parametrize(
    "markup",
    [
        '<div id="meMenuV2WideComponentRef"><button aria-label="Ada Lovelace Me"><img alt=""></button></div>',
        '<button class="global-nav__me"><img class="global-nav__me-photo" alt="Ada Lovelace">Me</button>',
        '<button class="member-profile__details"><img alt="Ada Lovelace"><p>a***@gmail.com</p></button>',
        '<button class="member-profile__details">Ada Lovelace</button>',
        '<div aria-label="Login as Ada Lovelace" role="button">A</div>',
    ],
)
async def test_the_members_name_is_read_where_the_me_control_and_the_chooser_show_it(
    browser: Browser, markup: str
) -> None:
    async with new_context(browser, storage_state=None, timeout_ms=5000) as context:
        page = await context.new_page()
        await page.set_content(f'{markup}<span class="post">Grace Hopper</span>')
        captured = await snapshot(page, load_rules().css("member_name"))
    assert member_names(captured["names"], ["Me"]) == ["Ada Lovelace"]
    assert "Grace Hopper" in captured["html"]


@dataclass(frozen=True)
class OfflineRecording:
    """A recording of a fixture site that is no longer running."""

    out: Path
    email: str
    origin: str
    port: int


@pytest.fixture
def offline_recording(cli: Cli, real_keyring: object, tmp_path: Path) -> OfflineRecording:
    out = tmp_path / "bundle"
    with FixtureSite() as site:
        site.light = True
        account = Account(email="replay@example.com", password="replay password 1234", ai_training=False)
        site.add_account(account)
        add_account(cli, account.email, account.password)
        assert cli(*check_args(site)).exit_code == 0  # signs in: the recording walks a saved session
        result = cli(*record_args(site, account.email, out))
        assert result.exit_code == 0, result.stderr
        return OfflineRecording(out, account.email, normalize_base_url(site.base_url), site.port)


async def test_a_recorded_walk_replays_offline_to_the_state_it_recorded(
    offline_recording: OfflineRecording, isolated_home: Path, browser: Browser
) -> None:
    recording = offline_recording
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", recording.port), timeout=1).close()
    recorded = manifest(recording.out)
    assert (recorded["signed_in_with"], recorded["state"]) == ("saved session", "off")
    saved = SessionStore.in_home(isolated_home, CredentialStore()).load(recording.email, recording.origin)
    site = Site(origin=recording.origin, rules=load_rules(), timeout_ms=5000)

    async def no_password() -> str | None:
        raise AssertionError("the replay asked for the password")

    async with new_context(browser, storage_state=saved, timeout_ms=5000) as context:
        await context.route_from_har(recording.out / "walk.har", not_found="abort")
        page = await context.new_page()
        secrets = AccountSecrets(recording.email, no_password, no_password)
        took_password = await open_signed_in(page, site, secrets)
        switch = await open_setting(page, site, SETTING)
        assert took_password is False
        assert (await read_switch_state(switch)).value == recorded["state"]


def test_a_recording_like_an_unattended_check_fetches_no_images(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path
) -> None:
    result = cli(*record_args(site, member.email, tmp_path / "bundle"))
    assert result.exit_code == 0, result.stderr
    paths = [r.path for r in site.received]
    assert "/feed/" in paths  # the page with dozens of images was on the way
    assert [path for path in paths if path.startswith("/media/")] == []


def test_a_directory_holding_other_files_is_refused_before_the_site_is_touched(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path
) -> None:
    out = tmp_path / "notes"
    out.mkdir()
    (out / "todo.txt").write_text("mine")
    result = cli(*record_args(site, member.email, out))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {out} is not empty and holds no earlier recording")
    assert len(result.stderr.strip().splitlines()) == 1
    assert [path.name for path in out.iterdir()] == ["todo.txt"]
    assert site.received == []


def test_an_earlier_recording_is_replaced_whole(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path
) -> None:
    out = tmp_path / "bundle"
    assert cli(*record_args(site, member.email, out)).exit_code == 0
    (out / "09-left-over.html").write_text("from before")
    assert cli(*record_args(site, member.email, out)).exit_code == 0
    assert manifest(out)["signed_in_with"] == "saved session"
    assert page_files(out) == sorted(page["file"] for page in manifest(out)["pages"])
    assert site.password_submissions(member.email) == 1


def test_a_walk_that_meets_changed_markup_is_recorded_as_far_as_it_went_and_exits_4(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path
) -> None:
    member.markup = "changed"
    out = tmp_path / "bundle"
    result = cli(*record_args(site, member.email, out, timeout=SHORT_TIMEOUT))
    assert result.exit_code == 4
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ui_changed: ")
    assert str(out) in line
    document = manifest(out)
    assert (document["completed"], document["outcome"], document["state"]) == (False, "ui_changed", "unknown")
    last = document["pages"][-1]
    assert (last["captured"], last["url"]) == (
        "as the walk ended",
        site.base_url + "/mypreferences/d/settings/data-for-ai-improvement",
    )
    assert "toggle-v3" in (out / last["file"]).read_text()  # what the rules did not recognise
    assert site.setting_changes == []


def test_a_challenge_stops_the_recording_with_exit_3(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path
) -> None:
    member.challenge = "email_pin"
    result = cli(*record_args(site, member.email, tmp_path / "bundle"))
    assert result.exit_code == 3
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: needs_attention: ")
    assert site.challenge_attempts == []
    assert manifest(tmp_path / "bundle")["outcome"] == "needs_attention"


def test_an_unknown_account_is_a_usage_error(cli: Cli, site: FixtureSite, tmp_path: Path) -> None:
    result = cli(*record_args(site, "nobody@example.com", tmp_path / "bundle"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown account: nobody@example.com")
    assert not (tmp_path / "bundle").exists()


def test_an_empty_directory_open_to_others_is_tightened_and_said(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    out.mkdir(mode=0o755)
    out.chmod(0o755)
    notes: list[str] = []
    Bundle(out).prepare(notes.append)
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert notes == [f"tightened {out} to mode 0700 (it was 0755): the recording is yours only"]


@pytest.mark.parametrize(
    "files",
    [
        {"bundle.json": '{"format": "something else"}', "01-feed.html": ""},
        {"walk.har": "{}", "01-feed.html": ""},  # parts without a manifest could be anybody's
        {"bundle.json": '{"format": "linkedin-ai-optout record"}', "notes.txt": ""},
    ],
)
def test_a_directory_that_is_not_an_earlier_recording_is_refused(
    tmp_path: Path, files: dict[str, str]
) -> None:
    out = tmp_path / "bundle"
    out.mkdir()
    for name, text in files.items():
        (out / name).write_text(text)
    with pytest.raises(UsageError, match="is not empty and holds no earlier recording"):
        Bundle(out).prepare(lambda _: None)


def test_a_file_or_a_link_is_no_directory_to_record_into(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    (tmp_path / "link").symlink_to(tmp_path)
    for name in ("file", "link"):
        with pytest.raises(UsageError, match="is not a directory"):
            Bundle(tmp_path / name).prepare(lambda _: None)
