"""A careless login page: its form goes out by GET, and the answer copies what it got into the page.

With `SiteState.login_by_get` the Sign in button submits with `formmethod="get"`, so the password
sits in the address the browser goes to, percent-encoded as browsers encode a form; the site's
answer to that address writes each field back into the page as text, in attributes, in a JSON
island and in a link, each in the encoding a server's serializer gives it. It stands for the pages
whose evidence must still hold no password: the tests save evidence of it and look for one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from checker.fixture_site.templates import Html, tag, templates

FORM_BY_GET = {"submit_extra": Html(' formmethod="get"')}
"""What `login_by_get` changes in the classic login template."""


def page(language: str, fields: Mapping[str, str], target: str) -> bytes:
    """The answer to the form sent by GET to `target`: the fields copied into the page."""
    typed = fields.get("session_password", "")
    # Under a name no scrubbing rule knows, so only the value itself can give it away.
    copied = json.dumps({"typed": typed})
    island = copied.replace("<", "\\u003c").replace("/", "\\/")
    body = Html(
        "\n".join(
            [
                tag("h1", "This sign-in did not go through"),
                tag("p", f"You typed {typed}", id="echo-text"),
                tag("div", "", id="echo", data_typed=typed, data_copy=copied),
                tag("a", "Try again", id="again", href=target),
                Html(f'<script type="application/json" id="echo-json">{island}</script>'),
            ]
        )
    )
    return templates().document(language, "Sign in", tag("main", body, id="main-content"))
