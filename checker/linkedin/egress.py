"""Where a check's browser may connect: the site's own hosts, and no other host by any channel.

Routing requests in Playwright sees most of what a page sends, but not all: a beacon or a
keepalive fetch sent while a page unloads leaves unseen (tests/linkedin/test_login_channels.py shows it
with a naive driver). So each browser context that signs in gets a proxy that is a dead end.
The site's origin and its own hosts (`reachable_hosts` in selectors/linkedin.toml) bypass it; every
other connection, whatever sent it (a request, a beacon, a WebSocket, an image, a prefetch, a new
window, a page unloading), reaches the gate instead, which answers 403 and notes the host, never
the path: a path may carry the password. WebSockets to other hosts are also refused inside the
page (Playwright's `route_web_socket`), so they are named as what they are.

The gate listens on this machine's loopback. A browser of a pool on another machine cannot reach
it, so such a context gets a proxy address that cannot resolve: the same dead end, unobserved.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from playwright.async_api import BrowserContext, ProxySettings, WebSocketRoute

from checker.core.logs import get_logger

log = get_logger()

# The proxy a remote browser is given: ".invalid" never resolves, so nothing gets through.
UNREACHABLE_PROXY = "http://egress-refused.invalid:9"
_REFUSAL = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_HEAD_SECONDS = 2.0  # how long the gate waits for a connection to say where it wants to go


@dataclass(frozen=True)
class Attempt:
    """Something in the browser tried to reach `host` ("HOST:PORT") by `channel`; it was refused."""

    host: str
    channel: str  # "a request", "a connection" (HTTPS or WebSocket, tunnelled), "a WebSocket"


def host_of(url: str) -> str:
    """HOST:PORT of `url`, the port always given (a proxy's CONNECT names it so)."""
    parts = urlsplit(url)
    default = {"http": 80, "ws": 80, "https": 443, "wss": 443}.get(parts.scheme, 0)
    host = parts.hostname or ""
    return f"{host}:{parts.port or default}"


def matches(host: str, patterns: list[str]) -> bool:
    """Whether HOST:PORT `host` is one of `patterns` (a host, `*.domain`, or `host:port`)."""
    name = host.rsplit(":", 1)[0]
    return any(fnmatch.fnmatchcase(host if ":" in pattern else name, pattern) for pattern in patterns)


class EgressGate:
    """A dead-end proxy for one browser context, and the record of what tried to get out."""

    def __init__(self, origin: str, reachable_hosts: list[str]) -> None:
        self.allowed = [host_of(origin), *reachable_hosts]
        self.attempts: list[Attempt] = []
        self._listeners: list[Callable[[Attempt], None]] = []
        self._handlers: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    def allows(self, url: str) -> bool:
        return matches(host_of(url), self.allowed)

    @property
    def proxy(self) -> ProxySettings:
        """Playwright's proxy settings for the context: everything not allowed goes to the gate.
        Chromium sends loopback addresses direct unless told otherwise (`<-loopback>`), and that
        rule must come first."""
        server = UNREACHABLE_PROXY
        if self._server is not None:
            server = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return {"server": server, "bypass": ",".join(["<-loopback>", *self.allowed])}

    async def start(self, *, listen: bool) -> None:
        """Listen on loopback when the browser runs on this machine (`listen`); else stay unreachable."""
        if listen:
            self._server = await asyncio.start_server(self._accepted, "127.0.0.1", 0)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        self._handlers.clear()

    async def attach(self, context: BrowserContext) -> None:
        """Refuse the context's WebSockets to other hosts in the page itself, naming them."""
        await context.route_web_socket(lambda url: not self.allows(url), self._refuse_socket)

    def subscribe(self, listener: Callable[[Attempt], None]) -> Callable[[], None]:
        """Call `listener` with every attempt from now on; returns the call that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def settled(self) -> None:
        """Wait (briefly) until every connection the gate accepted has said where it wanted to go."""
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=_HEAD_SECONDS)

    def _note(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)
        log.info("blocked a connection to another host", host=attempt.host, channel=attempt.channel)
        for listener in list(self._listeners):
            listener(attempt)

    async def _refuse_socket(self, socket: WebSocketRoute) -> None:
        self._note(Attempt(host_of(socket.url), "a WebSocket"))
        await socket.close(code=1008, reason="refused")

    def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(self._refuse(reader, writer))
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def _refuse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            with contextlib.suppress(TimeoutError, OSError, ValueError, asyncio.IncompleteReadError):
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _HEAD_SECONDS)
                line, *fields = head.decode("latin-1").split("\r\n")
                method, _, rest = line.partition(" ")
                target = rest.split(" ", 1)[0]
                if method == "CONNECT":
                    self._note(Attempt(target, "a connection"))
                elif method:
                    self._note(Attempt(host_of(target), _channel(fields)))
                writer.write(_REFUSAL)
                await writer.drain()
        finally:
            writer.close()


def _channel(fields: list[str]) -> str:
    """How a plain-http request was sent, from its Sec-Purpose and Sec-Fetch-Dest headers."""
    headers = dict(field.lower().partition(":")[::2] for field in fields if field)
    if "prefetch" in headers.get("sec-purpose", ""):
        return "a prefetch"
    destination = headers.get("sec-fetch-dest", "").strip()
    return {"image": "an image", "document": "a navigation"}.get(destination, "a request")


@contextlib.asynccontextmanager
async def egress_gate(origin: str, reachable_hosts: list[str], *, listen: bool) -> AsyncIterator[EgressGate]:
    """A started gate for one context, always closed."""
    gate = EgressGate(origin, reachable_hosts)
    await gate.start(listen=listen)
    try:
        yield gate
    finally:
        await gate.close()
