"""The fixture site as a real HTTP server on a loopback port, run on a background thread.

`FixtureSite` is the object tests hold: the site's state and records (see
state.py) plus the server's lifecycle. The handler here only moves bytes
between the socket and `routes.dispatch`.
"""

from __future__ import annotations

import contextlib
import functools
import select
import socket
import struct
import sys
import threading
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from checker.fixture_site import routes, websocket
from checker.fixture_site.exchange import Request, Response
from checker.fixture_site.model import Received
from checker.fixture_site.state import SiteState

_LOOPBACK = "127.0.0.1"


def _cookies(header: str) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return {}  # a browser that sends garbage is a stranger to the site
    return {name: morsel.value for name, morsel in jar.items()}


class _Handler(BaseHTTPRequestHandler):
    """Reads a request, records it, and writes the routes' answer with a Content-Length."""

    protocol_version = "HTTP/1.1"

    def __init__(self, *args: Any, site: SiteState, **kwargs: Any) -> None:
        self.site = site  # set first: the base class handles the request while constructing
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self._websocket()
        else:
            self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read `FixtureSite.received`, not a log."""

    def _serve(self) -> None:
        request = self._read()
        # Recorded as it arrives (tests watch for requests still being answered); the size of the
        # answer's body is added once it has been written.
        number = self.site.record(Received(request.method, request.target, request.host, request.email))
        transient = self.site.take_transient(request.method, request.path, request.headers.get("accept", ""))
        if transient is None:
            response = routes.dispatch(self.site, request)
        elif transient.status is None:
            self._reset()
            return
        else:
            response = routes.transient(transient.status, transient.retry_after)
        self._write(response)
        self.site.record_bytes(number, len(response.body))

    def _websocket(self) -> None:
        """Accept a WebSocket (the traps' collector) and keep every message the page sends on it."""
        request = self._read()
        self.site.record(Received(request.method, request.target, request.host, request.email))
        self.site.collect(request.query.get("p", ""))
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", websocket.accept_key(request.headers["sec-websocket-key"]))
        self.end_headers()
        self.wfile.flush()
        for message in websocket.messages(self.rfile):
            self.site.collect(message.decode("utf-8", "replace"))
        self.close_connection = True

    def _reset(self) -> None:
        """Drop the connection with no answer: closed at once, with a TCP reset rather than an end
        of stream, as a proxy that gives up on a backend does."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()  # the descriptor closes once the request's reader and writer do
        self.close_connection = True

    def _read(self) -> Request:
        length = int(self.headers.get("Content-Length") or 0)
        cookies = _cookies(self.headers.get("Cookie", ""))
        return Request(
            method=self.command,
            target=self.path,
            host=self.headers.get("Host", ""),
            headers={name.lower(): value for name, value in self.headers.items()},
            cookies=cookies,
            body=self.rfile.read(length),
            email=self.site.signed_in_email(cookies.get("li_at")),
            client_gone=self._client_gone,
        )

    def _client_gone(self) -> bool:
        """Whether the browser closed the connection: how it abandons a request it no longer wants."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _write(self, response: Response) -> None:
        self.send_response(response.status, response.reason)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)


class _Server(ThreadingHTTPServer):
    """A threading HTTP server that can drop its open keep-alive connections when stopping.

    Browsers keep connections open; without this a stopped site would still
    answer on them, and joining the request threads would wait for the browser.
    """

    def __init__(self, port: int, site: SiteState) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self.site = site
        super().__init__((_LOOPBACK, port), functools.partial(_Handler, site=site))

    def process_request(self, request: Any, client_address: Any) -> None:
        self.site.count_connection()
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A connection dropped by stop() or by the browser is no fault of the site; anything
        # else is a bug and gets the usual traceback.
        if not isinstance(sys.exception(), OSError):
            super().handle_error(request, client_address)

    def drop_connections(self) -> None:
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):  # the peer may have closed it meanwhile
                connection.shutdown(socket.SHUT_RDWR)


class FixtureSite(SiteState):
    """An offline double of LinkedIn on 127.0.0.1; use it as a context manager, or start/stop."""

    def __init__(
        self,
        *,
        login_variant: str = "classic",
        login_language: str = "en",
        login_origin: str | None = None,
        fail_status: int | None = None,
        port: int = 0,
    ) -> None:
        super().__init__(
            login_variant=login_variant,
            login_language=login_language,
            login_origin=login_origin,
            fail_status=fail_status,
        )
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fixture site is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{_LOOPBACK}:{self.port}"

    def start(self) -> None:
        """Bind the port and serve on a daemon thread."""
        if self._server is not None:
            raise RuntimeError("the fixture site is already running")
        self._server = _Server(self._requested_port, self)
        # A short poll keeps stop() quick; serve_forever only checks for shutdown between polls.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fixture-site:{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close every connection and join the server's threads."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.drop_connections()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
