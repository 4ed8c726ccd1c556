"""The password goes to the site's own origin and nowhere else, whatever the login page does.

Each hostile page (see checker/fixture_site/traps.py) would hand the password to a second
fixture site on another origin; the check must end in `error` and that site must receive nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from checker.fixture_site import Account, FixtureSite
from tests.conftest import SHORT_TIMEOUT, Cli, check_args


@pytest.fixture
def elsewhere() -> Iterator[FixtureSite]:
    """Another origin, with a look-alike login page, that records everything it receives."""
    with FixtureSite() as other:
        yield other


def run_into_trap(cli: Cli, site: FixtureSite, elsewhere: FixtureSite, trap: str) -> dict:  # type: ignore[type-arg]
    site.login_trap = trap
    site.trap_origin = elsewhere.base_url
    # A login form it will not fill is waited out, as one it does not find (a password in a frame).
    code, document = cli.json(*check_args(site, "--apply", timeout=SHORT_TIMEOUT))
    [result] = document["results"]
    assert code == 4
    return result  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "trap",
    ["navigate_after_email", "navigate_on_password_focus", "script_sends_password"],
)
def test_a_login_page_that_moves_or_leaks_while_the_form_is_filled_is_abandoned(
    cli: Cli, site: FixtureSite, member: Account, elsewhere: FixtureSite, trap: str
) -> None:
    result = run_into_trap(cli, site, elsewhere, trap)
    assert result["outcome"] == "error"
    assert result["detail"].startswith("stopped signing in: ")
    assert elsewhere.base_url.removeprefix("http://") in result["detail"]
    assert "no password was sent" not in result["detail"]
    assert elsewhere.received == []
    assert site.setting_changes == []


@pytest.mark.parametrize(
    ("trap", "words"),
    [
        ("form_posts_elsewhere", "the login form's password field would send it to"),
        ("button_formaction_elsewhere", "the login form's Sign in button would send it to"),
        ("password_in_frame", "a password field is inside a frame"),
    ],
)
def test_a_login_form_that_would_send_the_password_elsewhere_is_refused_before_typing(
    cli: Cli, site: FixtureSite, member: Account, elsewhere: FixtureSite, trap: str, words: str
) -> None:
    result = run_into_trap(cli, site, elsewhere, trap)
    assert result["outcome"] == "error"
    assert words in result["detail"]
    assert result["detail"].endswith("the password was not typed")
    assert elsewhere.received == []
    assert site.login_attempts == []
