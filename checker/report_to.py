"""`check --report-to URL`: self-service fleets. Each person's scheduled check posts its result
document (the `--json` one: accounts, settings, outcomes; never a password, a cookie or a page) to
the organisation's collector, any HTTPS endpoint; the admin never holds anyone's password.

The standard library's HTTP client is enough for one POST. A collector that does not answer is a
warning: the results are in the history, and the next run posts again.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from checker import __version__
from checker.config import is_loopback
from checker.errors import UsageError
from checker.redact import scrub

TIMEOUT_SECONDS = 30.0


def check_report_url(url: str) -> str:
    """`url` if a result document may be posted there: https, or plain http to this machine; the
    URL may carry a path and a query (a collector's token, say). UsageError naming it otherwise."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError as exc:
        raise UsageError(f"--report-to: malformed URL: {exc}") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError("--report-to: expected https://HOST[:PORT]/PATH")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError("--report-to: plain http is accepted only for loopback hosts; use https")
    if parts.username or parts.password:
        raise UsageError(
            "--report-to: put no user or password in the URL; a token in its path or query works"
        )
    return url.strip()


def post_report(url: str, document: dict[str, Any]) -> str | None:
    """POST the result document to `url`; None when the collector took it (2xx), else why not, in
    one line, with the URL's path and query left out (they may hold a token)."""
    body = json.dumps({**document, "host": socket.gethostname(), "tool_version": __version__}).encode()
    request = urllib.request.Request(  # noqa: S310 -- check_report_url allows https and loopback http only
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": f"linkedin-ai-optout/{__version__}"},
    )
    shown = _shown(url)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 -- as above
            response.read()
    except urllib.error.HTTPError as exc:
        return f"the collector at {shown} answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"could not reach the collector at {shown}: {scrub(str(reason))}"
    return None


def _shown(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
