"""`check --report-to URL`: self-service fleets. Each person's scheduled check posts its result
document (the `--json` one: accounts, settings, outcomes; never a password, a cookie or a page) to
the organisation's collector, any HTTPS endpoint; the admin never holds anyone's password.

The POST goes through `requests` (Apprise's own HTTP client) under checker/outputs/bounded_http.py: 30 s
for the whole exchange, a short answer read and discarded, no redirect followed. A collector that
does not take the document is a warning: the results are in the history, and the next run posts
again. A path or query with spaces or letters such as `é` is sent percent-encoded, as a browser
sends it.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from checker import __version__
from checker.core.errors import UsageError
from checker.core.safe_text import printable
from checker.core.urls import mask_endpoint, require_loopback_for_plain_http, split_url


def check_report_url(url: str) -> str:
    """`url` if a result document may be posted there: https, or plain http to this machine; the
    URL may carry a path and a query (a collector's token, say). UsageError naming it otherwise."""
    url = url.strip()
    parts = split_url(url, "--report-to")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError("--report-to: expected https://HOST[:PORT]/PATH")
    require_loopback_for_plain_http(parts, "--report-to")
    if parts.username or parts.password:
        raise UsageError(
            "--report-to: put no user or password in the URL; a token in its path or query works"
        )
    import requests

    try:
        requests.Request("POST", url).prepare()  # the host as requests would send to it
    except (requests.RequestException, ValueError):
        raise UsageError(f"--report-to: {printable(parts.hostname)!r} is not a host name") from None
    return url


def post_report(url: str, document: dict[str, Any]) -> str | None:
    """POST the result document to `url`; None when the collector took it (2xx), else why not, in
    one line, with the URL's path and query left out (they may hold a token)."""
    import requests

    from checker.outputs.bounded_http import bounded, failure

    body = json.dumps({**document, "host": socket.gethostname(), "tool_version": __version__}).encode()
    headers = {"Content-Type": "application/json", "User-Agent": f"linkedin-ai-optout/{__version__}"}
    shown = mask_endpoint(url)
    with bounded() as exchange:
        try:
            response = requests.post(url, data=body, headers=headers, timeout=exchange.remaining())
        except (requests.RequestException, OSError, ValueError) as exc:
            return f"the collector at {shown} did not take the document: {failure(exc, exchange)}"
    if not 200 <= response.status_code < 300:
        return f"the collector at {shown} answered HTTP {response.status_code}"
    return None
