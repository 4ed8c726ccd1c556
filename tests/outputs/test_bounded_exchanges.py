"""Collectors (`check --report-to`) and notification services (`--notify`, Apprise's json://) that
misbehave, each a loopback Collector (tests/outputs/test_report_to.py): an answer that breaks off, one that
drips a byte at a time, one of 50 MB, a redirect to another host or scheme. Each exchange is bounded
as a whole, reads a short answer at most, follows no redirect, and fails as a warning that leaves
the exit code and the one JSON document on stdout as they were."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from checker.fixture_site import Account, FixtureSite
from checker.outputs import bounded_http
from tests.conftest import SHORT_TIMEOUT, Cli, check_args
from tests.outputs.test_report_to import DRIP_BYTES, MEGABYTE, Collector, serving


@pytest.fixture
def collector() -> Iterator[Collector]:
    """A collector, or a notification service at `json_url(collector)`."""
    with serving(Collector()) as running:
        yield running


@pytest.fixture
def short_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound on a whole exchange, 30 s in use, made one second here."""
    monkeypatch.setattr(bounded_http, "LIMIT_SECONDS", 1.0)


# --- collectors that misbehave ------------------------------------------------------------------


def post_warning(cli: Cli, site: FixtureSite, url: str) -> str:
    """Check with `--report-to url --json`: the exit code and the one document on stdout are the
    check's own, and the one warning is returned."""
    result = cli(*check_args(site, "--report-to", url, "--json"))
    assert result.exit_code == 1  # non_compliant, as without a collector
    document = json.loads(result.stdout)  # one document: json.loads refuses a second
    assert (document["exit_code"], document["results"][0]["outcome"]) == (1, "non_compliant")
    [warning] = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert "t0k3n" not in result.stderr
    assert "internal error" not in result.stderr
    return warning


@pytest.mark.parametrize("misbehave", ["drip_headers", "drip_body"])
def test_a_collector_that_drips_its_answer_is_cut_off_at_the_bound_for_the_whole_exchange(
    cli: Cli, site: FixtureSite, member: Account, collector: Collector, short_bound: None, misbehave: str
) -> None:
    collector.misbehave = misbehave
    warning = post_warning(cli, site, collector.url)
    assert warning.startswith(f"warning: the collector at http://127.0.0.1:{collector.server.server_port} ")
    assert "no complete answer within 1 s" in warning
    assert 0 < collector.sent < DRIP_BYTES  # each byte came within any per-read timeout; the whole did not


def test_a_collector_whose_answer_breaks_off_is_a_warning_not_an_internal_error(
    cli: Cli, site: FixtureSite, member: Account, collector: Collector
) -> None:
    collector.misbehave = "short"
    assert "the answer broke off" in post_warning(cli, site, collector.url)
    assert len(collector.received) == 1


def test_a_huge_answer_is_not_read_beyond_a_megabyte(
    cli: Cli, site: FixtureSite, member: Account, collector: Collector
) -> None:
    collector.misbehave = "huge"
    assert "its answer is longer than 1024 KiB, not read" in post_warning(cli, site, collector.url)
    # What the client took: a megabyte read, and what the sockets' buffers held when it closed.
    assert collector.sent < 25 * MEGABYTE


@pytest.mark.parametrize(
    ("status", "host", "elsewhere"),
    [
        (307, "127.0.0.2", "http://127.0.0.2:{port}"),  # another host: the POST would go there again
        (308, "127.0.0.1", "http://localhost.:{port}"),  # a name the https-or-loopback rule refuses
        (301, "127.0.0.2", "ftp://127.0.0.2:{port}"),  # another scheme
        (302, "127.0.0.1", "http://127.0.0.1:{port}"),  # the same host, another port
    ],
)
def test_a_redirect_is_not_followed_and_the_warning_says_where_it_pointed(
    cli: Cli,
    site: FixtureSite,
    member: Account,
    collector: Collector,
    status: int,
    host: str,
    elsewhere: str,
) -> None:
    with serving(Collector(host=host)) as other:
        where = elsewhere.format(port=other.server.server_port)
        collector.misbehave, collector.status = "redirect", status
        collector.location = f"{where}/in?token=t0k3n"
        warning = post_warning(cli, site, collector.url)
        assert other.received == []
    assert len(collector.received) == 1
    assert f"it answered HTTP {status}, a redirect to {where}, not followed" in warning


def test_a_path_with_a_space_or_an_accent_is_sent_percent_encoded(
    cli: Cli, site: FixtureSite, member: Account, collector: Collector
) -> None:
    port = collector.server.server_port
    url = f"http://127.0.0.1:{port}/fleet results/résultats?token=t0k3n&site=Zürich"
    assert cli(*check_args(site, "--report-to", url)).exit_code == 1
    [(path, _, _)] = collector.received
    assert path == "/fleet%20results/r%C3%A9sultats?token=t0k3n&site=Z%C3%BCrich"


# --- services that misbehave ------------------------------------------------------------------


def json_url(server: Collector) -> str:
    return f"json://127.0.0.1:{server.server.server_port}/hook"


def notify_warning(cli: Cli, site: FixtureSite, member: Account, url: str) -> str:
    """A check whose page changed, notified to `url`: the exit code and the one document on stdout
    are the check's own, and the one warning is returned."""
    member.markup = "changed"
    result = cli(*check_args(site, "--notify", url, "--json", timeout=SHORT_TIMEOUT))
    assert result.exit_code == 4
    assert json.loads(result.stdout)["results"][0]["outcome"] == "ui_changed"  # one document
    [warning] = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warning.startswith(f"warning: could not send the notification about {member.email} to json://")
    return warning


def test_a_service_that_drips_its_answer_is_cut_off_at_the_bound_for_the_whole_exchange(
    cli: Cli, site: FixtureSite, member: Account, collector: Collector, short_bound: None
) -> None:
    collector.misbehave = "drip_body"
    warning = notify_warning(cli, site, member, json_url(collector))
    assert "no complete answer within 1 s" in warning
    assert len(collector.received) == 1
    assert 0 < collector.sent < DRIP_BYTES


def test_a_huge_answer_from_a_service_is_not_read_beyond_a_megabyte(
    cli: Cli, site: FixtureSite, member: Account, collector: Collector
) -> None:
    collector.misbehave = "huge"
    assert "its answer is longer than 1024 KiB, not read" in notify_warning(
        cli, site, member, json_url(collector)
    )
    assert collector.sent < 25 * MEGABYTE


@pytest.mark.parametrize("status", [307, 302])
def test_a_service_that_redirects_does_not_get_the_message_sent_on_to_another_host(
    cli: Cli, site: FixtureSite, member: Account, collector: Collector, status: int
) -> None:
    with serving(Collector(host="127.0.0.2")) as other:
        where = f"http://127.0.0.2:{other.server.server_port}"
        collector.misbehave, collector.status, collector.location = "redirect", status, f"{where}/hook"
        warning = notify_warning(cli, site, member, json_url(collector))
        assert other.received == []
    assert len(collector.received) == 1
    assert f"it answered HTTP {status}, a redirect to {where}, not followed" in warning
