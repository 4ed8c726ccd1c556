"""Keeping secrets out of everything the tool prints, logs or records.

Secrets are registered the moment they are read from the keyring; `scrub` masks each registered
secret wherever it appears whole, as typed or in any encoding a browser or a serializer gives it
(`any_encoding`): percent-encoded (any character, either case, `+` for a space, partly or twice),
as HTML character references (named, decimal, hex), with JSON escapes, and JSON escapes inside an
HTML attribute. A secret is masked only as a whole
value, never inside a longer word, and only from a sensible length on: a two-letter password
cannot be told from the letters of "password", and masking it would corrupt what the site said
while hiding nothing. Log events also lose values under secret-sounding keys, and their text is
made safe to show. `first_line` is the one way to take an error's first line for a message: scrubbed.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import MutableMapping
from html.entities import html5
from typing import Any

from checker.core.safe_text import printable

MASK = "[REDACTED]"
MIN_MASKED_LENGTH = 6
"""Shorter secrets are not masked in text (see the module's docstring)."""

_SECRET_KEYS = re.compile(r"pass|secret|token|cookie|li_at|jsession|totp|pin|authorization", re.I)
_lock = threading.Lock()
_patterns: dict[str, re.Pattern[str]] = {}


def register_secret(value: str) -> None:
    """Remember `value` so it is masked wherever it would otherwise be shown."""
    if len(value) < MIN_MASKED_LENGTH:
        return
    with _lock:
        if value not in _patterns:
            _patterns[value] = _whole_value(value)


def _whole_value(secret: str) -> re.Pattern[str]:
    """A pattern for `secret` in any encoding, not flanked by letters or digits where its own first
    or last character is one (so "hunter2" is not masked inside "hunter22")."""
    before = r"(?<![^\W_])" if secret[0].isalnum() else ""
    after = r"(?![^\W_])" if secret[-1].isalnum() else ""
    return re.compile(before + any_encoding(secret) + after)


@functools.cache
def _entity_names() -> dict[str, list[str]]:
    """HTML5's names of each character, the longest first ("amp;" before "amp"); built when a
    secret is first registered, not at every start-up."""
    names: dict[str, list[str]] = {}
    for name, char in sorted(html5.items(), key=lambda item: -len(item[0])):
        names.setdefault(char, []).append(name)
    return names


_JSON_SHORT = frozenset('"\\/')
"""The characters JSON writes as a backslash and themselves."""


def any_encoding(value: str) -> str:
    """A regular expression for `value` however it was written out, character by character: each
    one as itself or in any of the encodings of `_character`. A browser encodes some characters
    of a form and not others (`~` as `%7E`, `*` as itself), so each character is matched on its
    own, not the value's encodings as wholes."""
    return "".join(_character(char) for char in value)


@functools.cache
def _character(char: str) -> str:
    """`char` as itself, percent-encoded (its UTF-8 bytes, hex in either case, also encoded twice
    as a URL inside a URL is), `+` for a space (a form's encoding), an HTML character reference
    (each name HTML5 gives it, decimal, hex; the `;` left out, as browsers allow), a JSON or
    JavaScript escape (`\\u007e`, `\\"`, `\\/`), or a JSON escape whose character is then an
    HTML reference (JSON in an attribute: `\\&quot;`)."""
    code = ord(char)
    forms = ["".join(f"%(?:25)?{_hex(byte, 2)}" for byte in char.encode())]
    if char == " ":
        forms.append(r"\+")
    references = [re.escape(f"&{name}") for name in _entity_names().get(char, ())]
    references += [f"&#0*{code};?", f"&#[xX]0*{_hex(code)};?"]
    forms += references
    units = [code] if code < 0x10000 else [0xD800 + ((code - 0x10000) >> 10), 0xDC00 + (code & 0x3FF)]
    forms.append("".join(rf"\\u{_hex(unit, 4)}" for unit in units))
    if char in _JSON_SHORT:
        forms.append(r"\\" + re.escape(char))
        forms += [r"\\" + reference for reference in references]
    # Itself last: a value that ends in "&" takes the whole "&amp;" of an attribute, not its "&".
    forms.append(re.escape(char))
    return "(?:" + "|".join(forms) + ")"


def _hex(value: int, width: int = 1) -> str:
    """`value` in hexadecimal, its letters in either case, at least `width` digits."""
    return "".join(
        f"[{digit}{digit.upper()}]" if digit.isalpha() else digit for digit in f"{value:0{width}x}"
    )


def scrub(text: str) -> str:
    """Return `text` with every registered secret replaced by a mask."""
    with _lock:
        patterns = sorted(_patterns.items(), key=lambda item: len(item[0]), reverse=True)
    for _, pattern in patterns:
        text = pattern.sub(MASK, text)
    return text


def first_line(source: BaseException | str) -> str:
    """The first line of an exception's message (its type's name when it has none) or of a text,
    with every registered secret masked: what a one-line reason may show of an error."""
    lines = str(source).strip().splitlines()
    if lines:
        return scrub(lines[0])
    return type(source).__name__ if isinstance(source, BaseException) else ""


def redact_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask values under secret-sounding keys and any registered secret."""
    for key, value in list(event.items()):
        if _SECRET_KEYS.search(key):
            event[key] = MASK
        elif isinstance(value, str):
            event[key] = _shown(value, multiline=key == "exception")
        elif not isinstance(value, int | float | bool | type(None)):
            event[key] = _shown(str(value), multiline=False)
    return event


def _shown(text: str, *, multiline: bool) -> str:
    text = scrub(text)
    if multiline:  # a traceback keeps its lines; each line is still made safe
        return "\n".join(printable(line) for line in text.split("\n"))
    return printable(text)
