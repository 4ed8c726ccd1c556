"""One bound for each HTTP exchange the tool starts after a run: the result document posted to a
collector (`check --report-to`) and each notification Apprise sends. Inside `bounded()`:

- the whole exchange (connect, send, every read of the answer) ends within `LIMIT_SECONDS` in all,
  however slowly the other side drips its answer: a timer then shuts down every socket the exchange
  connected, which ends any read still waiting on one;
- at most `MAX_ANSWER_BYTES` of an answer are read; a longer one is refused, not held in memory;
- no redirect is followed. The URL is one a person wrote down: a 307 or 308 would send the whole
  document again to a place nobody named, a 301 or 302 would turn the POST into a GET and lose it.
  A redirect is a failure that names where it pointed, so the URL can be corrected.

Apprise's plugins call `requests.post()` themselves, with a session made inside that call, so no
session of ours can carry the rules: `requests.Session.send` is wrapped once instead, and does
nothing new outside `bounded()`. The sockets are found through Python's `socket.connect` audit
event, which every client raises (requests, http.client, smtplib; TLS or not), so the time bound
covers every plugin, not only those that speak HTTP. A name lookup that hangs is the one step no
socket reaches: it is bounded by the system resolver's own timeout.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, NoReturn
from urllib.parse import urljoin, urlsplit

import requests

from checker.core.safe_text import printable

LIMIT_SECONDS = 30.0
"""The whole exchange, from connecting to the last byte of the answer."""
MAX_ANSWER_BYTES = 1024 * 1024
"""A collector's or a service's answer is a status and a few words; a megabyte is plenty."""
_CHUNK = 64 * 1024


class Refused(requests.RequestException):
    """An answer the tool does not take: a redirect, or one longer than `MAX_ANSWER_BYTES`. A
    `requests` error, so Apprise's plugins count it a failed delivery like any other."""


class Exchange:
    """One bounded exchange: its deadline, and copies of the sockets it connected (a copy stays
    reachable when TLS takes the original over), shut down when time runs out."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self._refused: str | None = None
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []

    def why_not(self) -> str | None:
        """Why the exchange failed when the bound or the rules made it fail, else None. Apprise
        tells its caller only that a delivery failed; this says what the tool knows of why."""
        if self._refused is not None:
            return self._refused
        return f"no complete answer within {self.seconds:g} s" if self.expired else None

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # out of descriptors: the socket's own timeout still holds
            copy = sock.dup()
            with self._lock:
                self._sockets.append(copy)
                if self.expired:  # connected just as time ran out
                    _shut_down(copy)

    def cut_off(self) -> None:
        with self._lock:
            self.expired = True
            for copy in self._sockets:
                _shut_down(copy)

    def close(self) -> None:
        with self._lock:
            for copy in self._sockets:
                copy.close()
            self._sockets.clear()

    def send(
        self,
        send: Callable[..., requests.Response],
        session: requests.Session,
        request: requests.PreparedRequest,
        **kwargs: Any,
    ) -> requests.Response:
        """`session.send(request)` under the exchange's rules: the answer read whole, or an error."""
        kwargs.update(allow_redirects=False, stream=True, timeout=_clamped(kwargs.get("timeout"), self))
        response = send(session, request, **kwargs)
        try:
            if response.is_redirect:
                self._refuse(
                    f"it answered HTTP {response.status_code}, a redirect{_to(response)}, not followed"
                )
            body = self._read(response)
        finally:
            response.close()
        if self.expired:  # cut off midway: what was read is no answer
            raise requests.Timeout(self.why_not())
        response._content = body  # what the caller reads as response.content, as requests keeps it
        return response

    def _read(self, response: requests.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                self._refuse(f"its answer is longer than {MAX_ANSWER_BYTES // 1024} KiB, not read")
            chunks.append(chunk)
        return b"".join(chunks)

    def _refuse(self, why: str) -> NoReturn:
        self._refused = why
        raise Refused(why)


_current: ContextVar[Exchange | None] = ContextVar("bounded_http_exchange", default=None)
_install_lock = threading.Lock()
_installed = False


@contextlib.contextmanager
def bounded() -> Iterator[Exchange]:
    """Run an exchange (in this thread and in those started with a copy of its context, as Apprise
    does) under the rules in the module's docstring."""
    _install()
    exchange = Exchange(LIMIT_SECONDS)
    timer = threading.Timer(exchange.seconds, exchange.cut_off)
    timer.daemon = True
    token = _current.set(exchange)
    timer.start()
    try:
        yield exchange
    finally:
        timer.cancel()
        _current.reset(token)
        exchange.close()


def failure(exc: BaseException, exchange: Exchange) -> str:
    """Why an exchange failed, in a few words that show no URL (its path and query may hold a
    token): the time bound, a refused answer, or the network's reason."""
    if (known := exchange.why_not()) is not None:
        return known
    if isinstance(exc, requests.ConnectTimeout):
        return "the connection timed out"
    if isinstance(exc, requests.Timeout):
        return "the answer timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return "the answer broke off or could not be decoded"
    reason = _os_reason(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS failed{f' ({reason})' if reason else ''}"
    if isinstance(exc, requests.ConnectionError):
        return f"the connection failed{f' ({reason})' if reason else ''}"
    return reason or type(exc).__name__


def _install() -> None:
    """Wrap `requests.Session.send` and start watching sockets, once per process."""
    global _installed
    with _install_lock:
        if _installed:
            return
        original = requests.Session.send

        def send(
            session: requests.Session, request: requests.PreparedRequest, **kwargs: Any
        ) -> requests.Response:
            exchange = _current.get()
            if exchange is None:
                return original(session, request, **kwargs)
            return exchange.send(original, session, request, **kwargs)

        requests.Session.send = send  # type: ignore[method-assign,assignment]
        sys.addaudithook(_audit)
        _installed = True


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect" and (exchange := _current.get()) is not None:
        exchange.watch(args[0])


def _shut_down(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side, or never connected
        sock.shutdown(socket.SHUT_RDWR)


def _clamped(timeout: Any, exchange: Exchange) -> tuple[float, float]:
    """requests' (connect, read) timeouts, none beyond what is left of the exchange."""
    left = max(exchange.remaining(), 0.001)
    parts = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return (min(parts[0] or left, left), min(parts[1] or left, left))


def _to(response: requests.Response) -> str:
    """` to ORIGIN` of a redirect's Location: its scheme and host, never its path or query."""
    target = urlsplit(urljoin(response.url or "", response.headers.get("location", "")))
    if not target.scheme or not target.netloc:
        return ""
    return f" to {printable(target.scheme)}://{printable(target.netloc.rpartition('@')[2])}"


def _os_reason(exc: BaseException) -> str:
    """The operating system's words for the first OSError behind `exc` ("Connection refused")."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        item = todo.pop(0)
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, OSError) and item.strerror:
            return printable(item.strerror)
        todo += [*item.args, getattr(item, "reason", None), item.__cause__, item.__context__]
    return ""
