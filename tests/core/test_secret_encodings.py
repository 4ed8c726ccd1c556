"""The password masked in every encoding a browser or a serializer gives it: percent-encoded (any
character, either case, `+` for a space, twice), HTML references (named, decimal, hex) and JSON
escapes, with passwords of every printable ASCII class. Through the real evidence path too: a login
form sent by GET and a page that copies the password into its text, attributes and JSON."""

from __future__ import annotations

import html
import json
import re
import string
from collections.abc import Callable
from html.entities import html5
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import pytest

from checker.core.redact import MASK, register_secret, scrub
from checker.fixture_site import Account, FixtureSite
from tests.conftest import SHORT_TIMEOUT, Cli, add_account, check_args

PUNCTUATION = string.punctuation + " "
PASSWORDS = [f"Zq{char}canary{char}7" for char in PUNCTUATION]
EVERY_CLASS = "Ab1 " + string.punctuation + "z"  # letters, digits, a space, each punctuation character

_NAMES = {char: name for name, char in sorted(html5.items(), reverse=True) if name.endswith(";")}


def browser_form(value: str) -> str:
    """As a browser encodes a form (application/x-www-form-urlencoded): `~` as %7E, `*` kept."""
    return "".join(
        char if char.isalnum() or char in "*-._" else "+" if char == " " else f"%{ord(char):02X}"
        for char in value
    )


def json_escaped(value: str) -> str:
    return json.dumps(value)[1:-1]


ENCODINGS: dict[str, Callable[[str], str]] = {
    "as typed": lambda value: value,
    "a browser's form": browser_form,
    "quote": lambda value: quote(value, safe=""),
    "quote_plus": lambda value: quote_plus(value, safe=""),
    "every character, lower-case hex": lambda value: "".join(f"%{byte:02x}" for byte in value.encode()),
    "percent-encoded twice": lambda value: quote(quote(value, safe=""), safe=""),
    "html.escape": html.escape,
    "a browser's attribute": lambda value: (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    ),
    "HTML5 names": lambda value: "".join(f"&{_NAMES[char]}" if char in _NAMES else char for char in value),
    "decimal references": lambda value: "".join(f"&#{ord(char)};" for char in value),
    "hex references": lambda value: "".join(f"&#x{ord(char):X};" for char in value),
    "json.dumps": json_escaped,
    "JSON for a script element": lambda value: (
        json_escaped(value).replace("/", "\\/").replace("<", "\\u003c").replace("&", "\\u0026")
    ),
    "JSON, every character as \\u": lambda value: "".join(f"\\u{ord(char):04x}" for char in value),
    "JSON in an attribute": lambda value: html.escape(json_escaped(value)),
}


@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_a_registered_password_is_masked_in_each_encoding_with_every_character(
    encode: Callable[[str], str],
) -> None:
    for password in [*PASSWORDS, EVERY_CLASS]:
        register_secret(password)
        encoded = encode(password)
        assert scrub(f"<{encoded}>") == f"<{MASK}>", (password, encoded)


def test_a_longer_word_that_starts_with_the_password_is_not_masked() -> None:
    register_secret("Zqcanary7")
    assert scrub("Zqcanary7 Zqcanary77 Zq%63anary7") == f"{MASK} Zqcanary77 {MASK}"


# --- through the CLI: evidence of a careless login page --------------------------------------


def decoded_views(text: str) -> list[str]:
    """`text` and what each decoding (and each pair of them) makes of it."""
    decoders: list[Callable[[str], str]] = [html.unescape, unquote, unquote_plus, _json_unescaped]
    views = [text]
    for first in decoders:
        views.append(first(text))
        views += [second(first(text)) for second in decoders]
    return views


def _json_unescaped(text: str) -> str:
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda match: chr(int(match.group(1), 16)), text)
    return re.sub(r"\\([\"\\/])", r"\1", text)


@pytest.mark.parametrize(
    "password",
    [EVERY_CLASS, "pass~word~42", "correct horse 42 battery", '~&<"password">&'],
    ids=["every-class", "tilde", "spaces", "starts-and-ends-with-punctuation"],
)
def test_evidence_of_a_login_form_sent_by_get_holds_the_password_in_no_encoding(
    cli: Cli, site: FixtureSite, real_keyring: object, isolated_home: Path, password: str
) -> None:
    email = "ada@example.com"
    site.add_account(Account(email=email, password=password))
    add_account(cli, email, password)
    site.login_by_get = True  # the address, then the page, hold what was typed (see echo.py)
    code, document = cli.json(*check_args(site, timeout=SHORT_TIMEOUT))
    [result] = document["results"]
    assert (code, result["outcome"]) == (4, "ui_changed")
    bundle = Path(result["evidence"])
    url = json.loads((bundle / "evidence.json").read_text())["url"]
    assert "/checkpoint/lg/login-submit?" in url
    assert url.endswith(f"&session_password={MASK}")
    page = (bundle / "page.html").read_text()
    assert f'<p id="echo-text">You typed {MASK}</p>' in page
    assert f'data-typed="{MASK}"' in page
    assert f'data-copy="{{&quot;typed&quot;: &quot;{MASK}&quot;}}"' in page
    assert f'{{"typed": "{MASK}"}}</script>' in page
    for path in bundle.iterdir():
        for view in decoded_views(path.read_bytes().decode("utf-8", "replace")):
            assert password not in view, path.name
