"""Which addresses the tool talks to: https to any host, plain http only to this machine (the fixture
site, local test doubles), and a site given as its origin alone."""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any
from urllib.parse import urlsplit

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
    if parts.scheme == "http" and not is_loopback(host):
        raise UsageError(f"--base-url {url!r}: plain http is accepted only for loopback hosts")
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port is not None else "")


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
