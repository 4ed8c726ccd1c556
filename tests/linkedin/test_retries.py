"""Retries with backoff: page loads are tried again after a 429, a 5xx or a dropped connection, within
bounds; LinkedIn's 999, a password submission and the switch's save never are. End to end through the
real CLI against the fixture site, asserting on what the site received."""

from __future__ import annotations

import http.client
from datetime import UTC, datetime
from typing import Any

import pytest

from checker.fixture_site import Account, FixtureSite, Received, Transient
from checker.fixture_site.urls import AI_SETTING, AI_SETTING_SAVE, LOGIN_SUBMIT
from checker.linkedin.retry import RetryPolicy, parse_retry_after
from tests.conftest import Cli, check_args

Document = dict[str, Any]


def run_check(cli: Cli, site: FixtureSite, *extra: str) -> tuple[int, Document]:
    code, document = cli.json(*check_args(site, *extra))
    [result] = document["results"]
    return code, result


START = AI_SETTING
"""The check's first page: the first setting's own page."""


def first_loads(site: FixtureSite) -> list[Received]:
    """The loads of the check's first page before any password went out, and its retries."""
    loads = []
    for received in site.received:
        if received.path == LOGIN_SUBMIT:
            break
        if received.method == "GET" and received.path == START:
            loads.append(received)
    return loads


# -- through the CLI --------------------------------------------------------------------------------


def test_a_page_answered_503_twice_is_loaded_again_and_the_check_succeeds(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    site.transient = [503, 503]
    result = cli(*check_args(site, "--apply", "--json"))
    assert result.exit_code == 0, result.stdout
    assert len(first_loads(site)) == 3
    assert len(site.transient) == 0  # both 503s were served
    assert result.stderr.count("page load failed; trying again") == 2  # each retry is logged
    assert member.ai_training is False


def test_a_connection_reset_without_an_answer_is_tried_again(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    site.transient = [Transient(status=None), Transient(status=None)]
    code, result = run_check(cli, site)
    assert (code, result["outcome"]) == (1, "non_compliant")
    assert len(first_loads(site)) == 3
    assert len(site.transient) == 0


def test_a_connection_that_keeps_being_reset_is_an_error_naming_the_network_error(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    site.transient = [Transient(status=None)] * 4
    code, result = run_check(cli, site)
    assert (code, result["outcome"]) == (4, "error")
    assert result["detail"].startswith(f"network error opening {START}: net::ERR_")
    assert result["detail"].endswith(" (3 attempts)")
    assert len(first_loads(site)) == 3


def test_a_429_with_retry_after_is_not_asked_again_before_that_time(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    # Two seconds: more than the first backoff alone (at most one second) would wait.
    site.transient = [Transient(429, retry_after="2")]
    code, result = run_check(cli, site)
    assert (code, result["outcome"]) == (1, "non_compliant")
    first, second = first_loads(site)
    # A lower bound on the site's own clock: the second request came at least that much later.
    assert second.at - first.at >= 2.0


def test_a_retry_after_longer_than_the_timeout_ends_the_check_without_waiting_or_asking_again(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    site.transient = [Transient(429, retry_after="3600")]
    code, result = run_check(cli, site)
    assert (code, result["outcome"]) == (4, "error")
    assert result["detail"] == (
        f"LinkedIn answered HTTP 429 for {START} (1 attempt; it asked to wait 3600 s, "
        "longer than --timeout allows: try again later)"
    )
    assert len(first_loads(site)) == 1


def test_a_site_that_keeps_answering_503_is_given_up_on_after_three_attempts(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    site.fail_status = 503
    code, result = run_check(cli, site)
    assert (code, result["outcome"]) == (4, "error")
    assert result["detail"] == f"LinkedIn answered HTTP 503 for {START} (3 attempts)"
    assert len(first_loads(site)) == 3


def test_linkedins_999_is_never_retried(cli: Cli, site: FixtureSite, member: Account) -> None:
    site.transient = [999]
    code, result = run_check(cli, site)
    assert (code, result["outcome"]) == (4, "error")
    assert result["detail"] == f"LinkedIn answered HTTP 999 for {START}"
    # One request to a page, and nothing after it: a second load would have been answered normally.
    assert [r.path for r in site.received if r.method == "GET" and r.path != "/favicon.ico"] == [START]


def test_a_password_submission_answered_503_is_not_sent_again(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    site.transient = [Transient(503, path=LOGIN_SUBMIT)]
    code, result = cli.json(*check_args(site)[:-2], "--timeout", "3", "--apply")
    [result] = result["results"]
    assert code == 4
    assert result["outcome"] in ("ui_changed", "error")
    assert [r.method for r in site.received if r.path == LOGIN_SUBMIT] == ["POST"]
    assert len(site.transient) == 0
    assert member.ai_training is True


def test_a_save_answered_503_is_not_sent_again(cli: Cli, site: FixtureSite, member: Account) -> None:
    site.transient = [Transient(503, path=AI_SETTING_SAVE)]
    code, result = run_check(cli, site, "--apply")
    assert (code, result["outcome"]) == (1, "fix_failed")
    assert result["detail"].endswith("(it answered the save with HTTP 503)")
    assert [r.method for r in site.received if r.path == AI_SETTING_SAVE] == ["PUT"]
    assert site.setting_changes == []  # the 503 came before the site applied anything
    assert member.ai_training is True


# -- the policy --------------------------------------------------------------------------------------


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    now = datetime(2026, 11, 23, 9, 30, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(" 0 ", now) == 0.0
    assert parse_retry_after("Mon, 23 Nov 2026 09:30:45 GMT", now) == 45.0
    assert parse_retry_after("Mon, 23 Nov 2026 09:29:00 GMT", now) == 0.0  # already past
    for unusable in (None, "", "soon", "-5", "1.5"):
        assert parse_retry_after(unusable, now) is None


def test_backoff_doubles_with_jitter_up_to_its_cap_and_never_undercuts_retry_after() -> None:
    policy = RetryPolicy(attempts=6, first_backoff_seconds=1.0, max_backoff_seconds=4.0)
    for _ in range(200):
        waits = [policy.wait_seconds(retry) for retry in range(1, 6)]
        for wait, ceiling in zip(waits, [1, 2, 4, 4, 4], strict=True):
            assert ceiling / 2 <= wait <= ceiling
        assert policy.wait_seconds(1, retry_after=7.0) == 7.0
    assert len({policy.wait_seconds(3) for _ in range(20)}) > 1  # jittered, not in step


def test_a_policy_without_attempts_is_refused() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)


# -- the fixture site's transient answers -----------------------------------------------------------


def get(site: FixtureSite, path: str, accept: str = "text/html") -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    connection.request("GET", path, headers={"Accept": accept})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_transient_answers_are_given_once_each_in_order_to_page_loads_only(site: FixtureSite) -> None:
    site.transient = [Transient(429, retry_after="7"), 503]
    assert get(site, "/voyager/api/me", accept="application/json").status == 401  # not a page load
    limited = get(site, "/login")
    assert (limited.status, limited.getheader("Retry-After")) == (429, "7")
    unavailable = get(site, "/feed/")
    assert (unavailable.status, unavailable.getheader("Retry-After")) == (503, None)
    assert get(site, "/login").status == 200
    assert [r.path for r in site.received] == ["/voyager/api/me", "/login", "/feed/", "/login"]


def test_a_transient_reset_closes_the_connection_without_an_answer(site: FixtureSite) -> None:
    site.transient = [Transient(status=None, path="/login")]
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        get(site, "/login")
    assert get(site, "/login").status == 200


def test_transient_answers_are_checked_when_set(site: FixtureSite) -> None:
    with pytest.raises(ValueError, match="transient"):
        site.transient = [42]
    with pytest.raises(ValueError, match="status"):
        Transient(1000)
    assert len(site.transient) == 0
