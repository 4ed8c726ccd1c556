"""Evidence of failed checks: saved on ui_changed, fix_failed and error, private, scrubbed, and few."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page
from structlog.testing import capture_logs

from checker.capture.evidence import KEEP, Failure, save_evidence
from checker.capture.scrub import NAME
from checker.core.outcome import Outcome
from checker.core.redact import register_secret
from checker.fixture_site import Account, FixtureSite
from checker.linkedin.locate import Site
from checker.linkedin.rules import load_rules
from tests.conftest import SHORT_TIMEOUT, Cli, add_account, check_args
from tests.run.test_interrupts import account_held

EMAIL = "ada.lovelace@example.com"
DISPLAY_NAME = "Ada Lovelace"  # what the fixture site (and LinkedIn) would call her
CANARY = "canary-Pa55word-7f3e"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BUNDLE_NAME = re.compile(r"\d{8}T\d{9}Z-[0-9a-f]{12}")


@pytest.fixture
def ada(cli: Cli, site: FixtureSite, real_keyring: object) -> Account:
    """A member whose email, name and password are easy to look for in what the tool saves."""
    site.add_account(Account(email=EMAIL, password=CANARY))
    add_account(cli, EMAIL, CANARY)
    return site.account(EMAIL)


def check(cli: Cli, site: FixtureSite, *extra: str, timeout: float = 5) -> tuple[int, dict[str, Any]]:
    code, document = cli.json(*check_args(site, *extra, timeout=timeout))
    [result] = document["results"]
    return code, result


def bundle_of(result: dict[str, Any], home: Path) -> Path:
    bundle = Path(result["evidence"])
    assert bundle.parent == home / "evidence"
    assert BUNDLE_NAME.fullmatch(bundle.name)
    return bundle


def summary(bundle: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((bundle / "evidence.json").read_text())
    return loaded


def assert_nothing_personal(data: bytes) -> None:
    lowered = data.lower()
    for value in (EMAIL, DISPLAY_NAME, "ada.lovelace", "ada%40", CANARY):
        assert value.lower().encode() not in lowered, value


def bundles(home: Path) -> list[str]:
    return sorted(path.name for path in (home / "evidence").iterdir())


# --- through the CLI --------------------------------------------------------------------------


def test_a_changed_page_leaves_a_private_scrubbed_bundle_named_in_the_result_and_the_history(
    cli: Cli, site: FixtureSite, ada: Account, isolated_home: Path
) -> None:
    ada.markup = "changed"
    code, result = check(cli, site, "--apply", timeout=SHORT_TIMEOUT)
    assert (code, result["outcome"]) == (4, "ui_changed")
    bundle = bundle_of(result, isolated_home)
    assert stat.S_IMODE((isolated_home / "evidence").stat().st_mode) == 0o700
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o700
    assert sorted(path.name for path in bundle.iterdir()) == ["evidence.json", "page.html", "page.png"]
    for path in bundle.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert_nothing_personal(path.read_bytes())
    assert (bundle / "page.png").read_bytes().startswith(PNG_SIGNATURE)
    html = (bundle / "page.html").read_text()
    assert 'class="toggle-v3"' in html  # the page the rules did not recognise
    assert 'id="linkedin-ai-optout-evidence-cover"' in html  # covered before it was captured
    saved = summary(bundle)
    assert (saved["outcome"], saved["step"]) == ("ui_changed", "opening Generative-AI training")
    assert saved["detail"] == result["detail"]
    assert saved["url"].endswith("/mypreferences/d/settings/data-for-ai-improvement")
    switch = saved["targets"]["generative_ai_training.switch"]
    assert switch["matches"] is False
    assert not any(layer["matches"] for layer in switch["layers"])
    assert saved["targets"]["privacy.page"]["matches"] is True
    [entry] = cli.json("history")[1]["entries"]
    assert entry["evidence"] == result["evidence"]


def test_a_fix_that_did_not_hold_leaves_evidence_of_the_page_after_the_reload(
    cli: Cli, site: FixtureSite, ada: Account, isolated_home: Path
) -> None:
    ada.toggle_fails = True
    code, result = check(cli, site, "--apply")
    assert (code, result["outcome"]) == (1, "fix_failed")
    saved = summary(bundle_of(result, isolated_home))
    assert (saved["outcome"], saved["step"]) == (
        "fix_failed",
        "verifying Generative-AI training after a reload",
    )
    first = load_rules().targets["generative_ai_training.switch"].layers[0]
    assert saved["targets"]["generative_ai_training.switch"]["layers"][0] == {
        "layer": "css[0]",
        "rule": first.model_dump(exclude_defaults=True),
        "matches": True,
    }


@pytest.mark.parametrize(
    ("break_the_site", "step", "detail"),
    [
        pytest.param(
            lambda site, _: setattr(site, "fail_status", 503),
            "signing in",
            "LinkedIn answered HTTP 503 for /mypreferences/d/settings/data-for-ai-improvement",
            id="http-error",
        ),
        pytest.param(
            lambda _, member: setattr(member, "render_delay_ms", 60_000),
            "opening Generative-AI training",
            "never finished rendering",
            id="never-renders",
        ),
    ],
)
def test_an_error_on_an_open_page_leaves_evidence_of_that_page(
    cli: Cli,
    site: FixtureSite,
    ada: Account,
    isolated_home: Path,
    break_the_site: Any,
    step: str,
    detail: str,
) -> None:
    break_the_site(site, ada)
    code, result = check(cli, site, timeout=SHORT_TIMEOUT)  # a page that never renders is waited out
    assert (code, result["outcome"]) == (4, "error")
    assert detail in result["detail"]
    bundle = bundle_of(result, isolated_home)
    saved = summary(bundle)
    assert (saved["outcome"], saved["step"], saved["not_captured"]) == ("error", step, {})
    assert (bundle / "page.png").read_bytes().startswith(PNG_SIGNATURE)


def test_evidence_of_a_login_page_that_tried_to_leak_the_password_holds_no_password(
    cli: Cli, site: FixtureSite, ada: Account, isolated_home: Path
) -> None:
    with FixtureSite() as elsewhere:
        site.login_trap = "script_sends_password"
        site.trap_origin = elsewhere.base_url
        code, result = check(cli, site, "--apply")
        assert (code, result["outcome"]) == (4, "error")
        bundle = bundle_of(result, isolated_home)
        assert summary(bundle)["step"] == "signing in"
        # The login page, or the feed when the click went out before the blocked leak was seen:
        # either way the page was captured, and holds nothing personal.
        assert (bundle / "page.html").stat().st_size > 0
        for path in bundle.iterdir():
            assert_nothing_personal(path.read_bytes())
        assert elsewhere.received == []


@pytest.mark.parametrize(("ai_training", "outcome"), [(False, "compliant"), (True, "non_compliant")])
def test_a_check_that_reads_the_setting_leaves_no_evidence(
    cli: Cli, site: FixtureSite, ada: Account, isolated_home: Path, ai_training: bool, outcome: str
) -> None:
    ada.ai_training = ai_training
    _, result = check(cli, site)
    assert (result["outcome"], result["evidence"]) == (outcome, None)
    assert not (isolated_home / "evidence").exists()
    assert cli.json("history")[1]["entries"][0]["evidence"] is None


def test_a_check_that_never_opened_a_page_has_no_evidence(
    cli: Cli, site: FixtureSite, ada: Account, isolated_home: Path
) -> None:
    with account_held(isolated_home, EMAIL):
        # The shortest timeout: the lock is waited for three times as long.
        code, document = cli.json(*check_args(site, timeout=1))
    [result] = document["results"]
    assert (code, result["outcome"], result["evidence"]) == (4, "error", None)
    assert not (isolated_home / "evidence").exists()


def test_only_the_newest_bundles_are_kept_and_links_among_them_are_not_followed(
    cli: Cli, site: FixtureSite, ada: Account, isolated_home: Path, tmp_path: Path
) -> None:
    root = isolated_home / "evidence"
    root.mkdir(mode=0o700)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the tool's")
    old = [f"20200101T0000000{minute:02d}Z-{'0' * 12}" for minute in range(KEEP + 1)]
    (root / old[0]).symlink_to(outside, target_is_directory=True)
    for name in old[1:]:
        (root / name).mkdir(mode=0o700)
        (root / name / "page.html").write_text("old")
    (root / "notes.txt").write_text("someone's notes")  # not a bundle: left alone
    ada.markup = "changed"
    _, result = check(cli, site, timeout=SHORT_TIMEOUT)
    new = Path(result["evidence"]).name
    assert bundles(isolated_home) == [*old[2:], new, "notes.txt"]
    assert (outside / "keep.txt").read_text() == "not the tool's"


def test_evidence_that_cannot_be_saved_leaves_the_result_as_it_was(
    cli: Cli, site: FixtureSite, ada: Account, isolated_home: Path
) -> None:
    (isolated_home / "evidence").write_text("a file where the folder belongs")
    ada.markup = "changed"
    result = cli(*check_args(site, "--json", timeout=SHORT_TIMEOUT))
    [checked] = json.loads(result.stdout)["results"]
    assert (result.exit_code, checked["outcome"], checked["evidence"]) == (4, "ui_changed", None)
    assert "no evidence saved" in result.stderr
    assert cli.json("history")[1]["entries"][0]["outcome"] == "ui_changed"


# --- the capture itself, in a real Chromium ---------------------------------------------------

# A page showing the member as LinkedIn's 2026 navigation does, her name again elsewhere, and a
# password a hostile page echoed.
PERSONAL_PAGE = f"""<!doctype html><html><head><title>Feed</title></head><body>
<nav><button id="meMenuV2WideComponentRef" aria-label="{DISPLAY_NAME} Me">
  <img class="global-nav__me-photo" alt="{DISPLAY_NAME}" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
  <span>{DISPLAY_NAME}</span> <span>Me</span></button></nav>
<main><p id="post">{DISPLAY_NAME} shared a post</p><p id="contact">Write to {EMAIL}</p>
<p id="echo">You typed {CANARY}</p>
<input id="typed-email" value=""><input id="typed-password" type="password" value="">
<img id="picture" alt="" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>"""


def a_site() -> Site:
    return Site(origin="http://127.0.0.1:9", rules=load_rules(), timeout_ms=5_000)


def a_failure() -> Failure:
    return Failure(email=EMAIL, outcome=Outcome.UI_CHANGED, detail="not recognised", step="signing in")


async def test_the_screenshot_is_taken_of_a_page_whose_name_pictures_and_secrets_are_covered(
    page: Page, home: Path
) -> None:
    register_secret(CANARY)
    await page.set_content(PERSONAL_PAGE)
    await page.fill("#typed-email", EMAIL)
    await page.fill("#typed-password", CANARY)
    blur = "el => getComputedStyle(el).filter"
    assert await page.eval_on_selector("#picture", blur) == "none"

    with capture_logs():
        bundle = await save_evidence(page, a_site(), home, a_failure())

    assert bundle is not None
    # What the screenshot showed is what the page shows now: it is about to close.
    for covered in ("#picture", "#meMenuV2WideComponentRef", ".global-nav__me-photo"):
        assert await page.eval_on_selector(covered, blur) == "blur(12px)", covered
    shown = await page.inner_text("body")
    assert_nothing_personal(shown.encode())
    assert NAME in await page.inner_text("#meMenuV2WideComponentRef")
    assert await page.inner_text("#post") == f"{NAME} shared a post"  # the photo's alt named her
    assert await page.input_value("#typed-email") == "member@example.invalid"
    assert await page.input_value("#typed-password") == ""
    for path in bundle.iterdir():
        assert_nothing_personal(path.read_bytes())
    assert (bundle / "page.png").read_bytes().startswith(PNG_SIGNATURE)


async def test_a_page_already_closed_gives_no_evidence_and_no_bundle(page: Page, home: Path) -> None:
    await page.close()
    with capture_logs() as logs:
        assert await save_evidence(page, a_site(), home, a_failure()) is None
    assert [(e["log_level"], e["event"]) for e in logs] == [
        ("warning", "no evidence saved: the page was already closed")
    ]
    assert not (home / "evidence").exists()
