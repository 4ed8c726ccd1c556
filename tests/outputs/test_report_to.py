"""`check --report-to URL`: the result document posted to an organisation's collector (a loopback
HTTP server here, recording what it received), never a secret; a collector that fails is a warning."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from checker.fixture_site import Account, FixtureSite
from tests.conftest import Cli, check_args

MEGABYTE = 1024 * 1024
DRIP_SECONDS = 0.1  # a byte each tenth of a second: no read waits long, the whole takes long
DRIP_BYTES = 300  # 30 s of dripping in all, were nothing to cut it off


class Collector:
    """A collector endpoint: it keeps every POST (and GET), and answers `status`. With a `directory`, it also
    stores each body there as the next numbered .json file, as an organisation's collector would.

    `misbehave` makes it answer as a broken or hostile collector would: `short` (a Content-Length of
    100, 10 bytes sent), `drip_headers` and `drip_body` (a byte every DRIP_SECONDS), `huge` (50 MB
    as fast as the client takes them), `redirect` (`status` to `location`). `sent` counts the bytes
    of its answer the client took before it closed the connection."""

    def __init__(self, directory: Path | None = None, host: str = "127.0.0.1") -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 202
        self.misbehave: str | None = None
        self.location = ""
        self.sent = 0
        self.stopping = threading.Event()
        self.directory = directory
        if directory is not None:
            directory.mkdir()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                collector.received.append((self.path, dict(self.headers), body))
                if collector.directory is not None:
                    (collector.directory / f"{len(collector.received) - 1:04}.json").write_bytes(body)
                # An OSError: the client closed the connection, as a bounded client does.
                with suppress(OSError):
                    collector.answer(self)

            do_GET = do_POST  # what a client that follows a 301 or a 302 sends

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_port}/fleet/results?token=t0k3n"

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        misbehave = self.misbehave
        if misbehave == "drip_headers":
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
            self._drip(handler)
            return
        handler.send_response(self.status)
        if misbehave == "redirect":
            handler.send_header("Location", self.location)
        length = {"short": 100, "drip_body": DRIP_BYTES, "huge": 50 * MEGABYTE}.get(misbehave or "", 0)
        handler.send_header("Content-Length", str(length))
        handler.end_headers()
        if misbehave == "short":
            handler.wfile.write(b"0123456789")
            handler.close_connection = True
        elif misbehave == "drip_body":
            self._drip(handler)
        elif misbehave == "huge":
            chunk = b"x" * 65536
            while self.sent < length and not self.stopping.is_set():
                handler.wfile.write(chunk)
                self.sent += len(chunk)

    def _drip(self, handler: BaseHTTPRequestHandler) -> None:
        for _ in range(DRIP_BYTES):
            if self.stopping.wait(DRIP_SECONDS):
                return
            handler.wfile.write(b"x")
            handler.wfile.flush()
            self.sent += 1


@contextmanager
def serving(running: Collector) -> Iterator[Collector]:
    thread = threading.Thread(target=running.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.stopping.set()
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
        ("http://127.0.0.1:9/in\x1b[2J?token=t0k3n", "a control character (U+001B)"),
        ("http://127.0.0.1:9/in\nX-Injected: 1", "a control character (U+000A)"),
        ("https://collector example.com/in", "'collector example.com' is not a host name"),
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
