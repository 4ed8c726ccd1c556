"""Which addresses the tool talks to: https to any host, plain http only to this machine (the fixture
site, local test doubles), and a site given as its origin alone."""

from __future__ import annotations

import ipaddress
import logging
import re
import unicodedata
from typing import Any
from urllib.parse import SplitResult, urlsplit

from checker.core.errors import UsageError
from checker.core.safe_text import printable


def normalize_base_url(url: str) -> str:
    """Return the origin (`scheme://host[:port]`) of `url`, or raise UsageError.

    https is accepted for any host; plain http only for loopback hosts, which is how the
    fixture site and local test doubles are reached.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"malformed --base-url {url!r}: {exc}") from None
    host = parts.hostname
    if parts.scheme not in ("https", "http") or not host:
        raise UsageError(f"malformed --base-url {url!r}: expected https://HOST[:PORT]")
    if parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/"):
        raise UsageError(f"malformed --base-url {url!r}: give only the scheme, host and port")
    require_loopback_for_plain_http(parts, f"--base-url {url!r}")
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port is not None else "")


def require_loopback_for_plain_http(parts: SplitResult, what: str) -> None:
    """UsageError naming `what` when `parts` is plain http to a host other than this machine: the
    tool's rule for every address it sends to (its site, a collector)."""
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        raise UsageError(f"{what}: plain http is accepted only for loopback hosts")


def split_url(url: str, option: str) -> SplitResult:
    """`url` split, its port read; UsageError naming `option` for a control character (it would
    hide in a terminal or split a request's header) or an address that is not one (`[::1`, a port
    past 65535)."""
    control = next((char for char in url if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")), None)
    if control is not None:
        raise UsageError(f"{option}: the URL holds a control character (U+{ord(control):04X}): remove it")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number or out of range
    except ValueError as exc:
        raise UsageError(f"{option}: malformed URL: {exc}") from None
    return parts


def check_endpoint(endpoint: str) -> str:
    """`endpoint` if it can be a browser pool's address; UsageError naming it otherwise. Plain ws://
    and http:// are accepted to any host: a pool inside a cluster is commonly reached so."""
    endpoint = endpoint.strip()
    parts = split_url(endpoint, "--browser-endpoint")
    if parts.scheme not in ("ws", "wss", "http", "https") or not parts.hostname:
        raise UsageError(
            "--browser-endpoint: expected ws://HOST:PORT/... (Playwright's protocol) or "
            "http://HOST:PORT (Chrome DevTools)"
        )
    return endpoint


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine: `localhost`, 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def mask_endpoint(url: str) -> str:
    """How an endpoint the tool talks to (a browser pool, a collector) is shown: its scheme, host and
    port only. Its path and query may hold a token, and a user and password may come before the host."""
    parts = urlsplit(url)
    return printable(f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}")


# --- notification URLs (Apprise's) ----------------------------------------------------------

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_HOSTNAME = re.compile(r"(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}")


def mask_url(url: str) -> str:
    """`url` with everything that may be a secret cut: only the scheme, and the host and port when
    they look like a host name or an address (`json://127.0.0.1:8080/…`). Many services put a token
    where the host goes (`tgram://TOKEN/CHAT`), and those show as `tgram://…`."""
    scheme, separator, rest = url.partition("://")
    if not separator or not _SCHEME.fullmatch(scheme):
        return "…"
    netloc = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    if netloc.startswith("["):
        host, _, after = netloc[1:].partition("]")
        port = after.removeprefix(":")
    else:
        host, _, port = netloc.partition(":")
    if not _is_host(host):
        return f"{scheme}://…"
    shown = f"[{host}]" if ":" in host else host
    if port.isdigit():
        shown += f":{port}"
    return f"{scheme}://{shown}/…"


def _is_host(text: str) -> bool:
    if text == "localhost" or _HOSTNAME.fullmatch(text):
        return True
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def url_problem(url: str) -> str | None:
    """Why Apprise cannot use `url`, in words that show no secret; None when it can."""
    apprise = apprise_module()
    try:
        plugin = apprise.Apprise.instantiate(url)
    except Exception:  # a plugin's own parser may raise anything; the URL is unusable all the same
        plugin = None
    if plugin is None:
        return (
            f"not a notification URL Apprise knows ({mask_url(url)}): see Apprise's list of services "
            "and their URLs, https://github.com/caronc/apprise/wiki"
        )
    return None


def apprise_module() -> Any:
    """Apprise, imported only when a URL is at hand (it takes a while), its log kept to itself:
    its messages can name a URL's host, which for some services is a token."""
    import apprise

    logging.getLogger("apprise").propagate = False
    return apprise
