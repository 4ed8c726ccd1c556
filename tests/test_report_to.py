"""`check --report-to URL`: the result document posted to an organisation's collector (a loopback
HTTP server here, recording what it received), never a secret; a collector that fails is a warning."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from checker.fixture_site import Account, FixtureSite
from tests.conftest import Cli, check_args


class Collector:
    """A collector endpoint: it keeps every POST, and answers `status`. With a `directory`, it also
    stores each body there as the next numbered .json file, as an organisation's collector would."""

    def __init__(self, directory: Path | None = None) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 202
        self.directory = directory
        if directory is not None:
            directory.mkdir()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                collector.received.append((self.path, dict(self.headers), body))
                if collector.directory is not None:
                    (collector.directory / f"{len(collector.received) - 1:04}.json").write_bytes(body)
                self.send_response(collector.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/fleet/results?token=t0k3n"


@contextmanager
def serving(running: Collector) -> Iterator[Collector]:
    thread = threading.Thread(target=running.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.server.shutdown()
        running.server.server_close()
        thread.join()


@pytest.fixture
def collector() -> Iterator[Collector]:
    with serving(Collector()) as running:
        yield running


def test_the_result_document_is_posted_to_the_collector_without_secrets(
    cli: Cli, site: FixtureSite, member: Account, collector: Collector
) -> None:
    code, document = cli.json(*check_args(site, "--report-to", collector.url))
    assert code == 1
    [(path, headers, body)] = collector.received
    assert path == "/fleet/results?token=t0k3n"
    assert headers["Content-Type"] == "application/json"
    posted = json.loads(body)
    assert posted["results"] == document["results"]
    assert posted["exit_code"] == 1
    assert posted["host"] == socket.gethostname()
    assert member.password.encode() not in body
    for cookie in ("li_at", "JSESSIONID"):
        assert cookie.encode() not in body


def test_a_collector_that_fails_is_a_warning_and_the_exit_code_stands(
    cli: Cli, site: FixtureSite, member: Account, collector: Collector
) -> None:
    collector.status = 503
    result = cli(*check_args(site, "--report-to", collector.url))
    assert result.exit_code == 1
    assert f"warning: the collector at http://127.0.0.1:{collector.server.server_port} answered HTTP 503" in (
        result.stderr
    )
    assert "t0k3n" not in result.stderr  # the URL's query may be a token
    assert len(collector.received) == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://collector.example.com/in", "plain http is accepted only for loopback hosts"),
        ("ftp://127.0.0.1/in", "expected https://HOST[:PORT]/PATH"),
        ("https://user:pw@collector.example.com/in", "no user or password in the URL"),
    ],
)
def test_a_collector_url_that_is_not_safe_is_refused_before_the_run(
    cli: Cli, site: FixtureSite, url: str, message: str
) -> None:
    result = cli(*check_args(site, "--report-to", url))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --report-to: ")
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert site.received == []
