"""Scrubbing personal and secret values out of captured pages, so they can leave the machine.

Recorded pages and failure evidence end up in bug reports and fixtures. Before anything is
written, the member's email, name and profile address, LinkedIn member ids, CSRF and session
tokens, image addresses and every registered secret are replaced by placeholders. `scrub_har`
does the same for a whole HAR, and first takes out by structure what text rules cannot be trusted
to find: cookie and token headers, cookie values, sign-in form bodies, binary bodies.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from checker.core.redact import MIN_MASKED_LENGTH, any_encoding
from checker.core.redact import scrub as scrub_secrets

EMAIL = "member@example.invalid"
NAME = "Member Name"
NAME_PARTS = ("Member", "Name")
PROFILE = "/in/member/"
IMAGE = "https://media.example.invalid/image"
SECRET = "REDACTED"  # noqa: S105 -- the placeholder, not a secret

# LinkedIn's ids of a member, in URNs: urn:li:member:123, urn:li:fsd_profile:ACoAA...,
# urn:li:fs_miniProfile:..., urn:li:fs_memberBadges:... and kin.
_MEMBER_URN = re.compile(r"(urn:li:\w*(?:member|person|profile)\w*):[\w-]+", re.IGNORECASE)
# The member's opaque profile id ("ACoAA" and base64), also outside URNs: in URLs and JSON.
_PROFILE_ID = re.compile(r"\bACoAA[\w-]{8,}")
# The CSRF token LinkedIn derives from JSESSIONID ("ajax:" and 19 digits), quoted or not.
_CSRF = re.compile(r"ajax:\d{6,}")
_PROFILE_URL = re.compile(r"/in/[\w%-]+/?")
# Pictures of people: LinkedIn's media host, any other address of an image file, inline images.
_IMAGE_URL = re.compile(
    r"https?://(?:media[\w.-]*\.licdn\.com|[\w.-]+/[^\s\"'<>()]*\.(?:jpe?g|png|gif|webp|avif))[^\s\"'<>()]*",
    re.IGNORECASE,
)
_DATA_IMAGE = re.compile(r"data:image/[\w.+-]+;base64,[A-Za-z0-9+/=]+", re.IGNORECASE)
# JSON fields (LinkedIn embeds its JSON in pages HTML-escaped, hence &quot;) that hold a person's
# name or handle, or a token: their string values go, whoever they belong to.
_Q = r'(?:"|&quot;)'
_JSON_FIELD = re.compile(
    rf"({_Q}(?:[\w-]*(?:csrf|token|passw|secret)[\w-]*|firstName|lastName|maidenName|publicIdentifier"
    rf"|headline|occupation){_Q}\s*:\s*{_Q})((?:[^\"\\&]|\\.|&(?!quot;))*)",
    re.IGNORECASE,
)
_JSON_MEMBER_NUMBER = re.compile(rf"({_Q}(?:plainId|memberId){_Q}\s*:\s*)\d+")
# Form fields whose value is a secret: passwords, PINs, CSRF and other tokens.
_SECRET_FIELD = re.compile(r"passw|pin\b|secret|token|csrf|session_key|session_password", re.IGNORECASE)
_INPUT = re.compile(r"<(?:input|meta)\b[^>]*>", re.IGNORECASE)
_VALUE_ATTRIBUTE = re.compile(r"""(\s(?:value|content)\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)
_NAME_LABEL = re.compile(r"^(?:login as|sign in as)\s+", re.IGNORECASE)
_NAMING_ATTRIBUTES = re.compile(r"""\s(?:type|name|id|autocomplete)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.I)

# Headers whose values are credentials. Names are kept: which cookies and tokens a request
# carried is what a maintainer needs; their values are what nobody may see.
_SECRET_HEADERS = frozenset(
    {"cookie", "set-cookie", "csrf-token", "x-csrf-token", "authorization", "proxy-authorization"}
)
_TEXT_MIME = re.compile(r"^text/|json|javascript|ecmascript|xml|x-www-form-urlencoded", re.IGNORECASE)
_CODE_MIME = re.compile(r"javascript|ecmascript|^text/css", re.IGNORECASE)
_MEDIA_MIME = re.compile(r"^(?:image|font|audio|video)/", re.IGNORECASE)
DROPPED = "dropped by linkedin-ai-optout record"


@dataclass(frozen=True)
class Personal:
    """What is known of the member whose pages are captured, and the secrets seen while capturing."""

    email: str
    name: str | None = None
    more_names: tuple[str, ...] = ()
    """Other spellings of the member's name the pages showed."""
    secrets: tuple[str, ...] = ()
    """Cookie and token values seen in a recording; those shorter than the redaction minimum are
    ignored, like registered secrets (a short value cannot be told from ordinary text)."""

    @property
    def names(self) -> list[str]:
        return [name for name in dict.fromkeys((self.name, *self.more_names)) if name]


def scrub_text(text: str, personal: Personal, *, name_parts: bool = True) -> str:
    """`text` with the member's values, tokens, member ids, images and secrets replaced.

    With `name_parts`, each word of the member's name (three letters or more) is replaced on its
    own as well: pages greet members by first name. Leave it out for program code, where a name
    such as "Max" is also a word of the language."""
    text = scrub_secrets(text)
    for pattern, placeholder in _personal_patterns(personal, name_parts):
        text = pattern.sub(placeholder, text)
    text = _INPUT.sub(_scrub_secret_field, text)
    text = _JSON_FIELD.sub(rf"\1{SECRET}", text)
    text = _JSON_MEMBER_NUMBER.sub(r"\g<1>0", text)
    text = _MEMBER_URN.sub(rf"\1:{SECRET}", text)
    text = _PROFILE_ID.sub(f"ACoAA{SECRET}", text)
    text = _CSRF.sub(f"ajax:{SECRET}", text)
    text = _DATA_IMAGE.sub(IMAGE, text)
    text = _IMAGE_URL.sub(IMAGE, text)
    return _PROFILE_URL.sub(PROFILE, text)


@functools.lru_cache(maxsize=16)
def _personal_patterns(personal: Personal, name_parts: bool) -> list[tuple[re.Pattern[str], str]]:
    """The patterns of `personal`'s values, in the order they apply, each with its placeholder.
    Built once per member: a HAR has thousands of strings."""
    secrets = [secret for secret in personal.secrets if len(secret) >= MIN_MASKED_LENGTH]
    patterns = [
        (_any_form(secrets), SECRET),
        (_any_form([personal.email]), EMAIL),
        (_any_form(personal.names), NAME),
    ]
    if name_parts:
        for name in personal.names:
            for index, part in enumerate(re.split(r"[\s,]+", name)):
                if len(part) >= 3:
                    word = re.compile(rf"(?<![^\W_]){re.escape(part)}(?![^\W_])", re.IGNORECASE)
                    patterns.append((word, NAME_PARTS[min(index, len(NAME_PARTS) - 1)]))
    return [(pattern, placeholder) for pattern, placeholder in patterns if pattern.pattern]


def _any_form(values: Iterable[str]) -> re.Pattern[str]:
    """A pattern for each of `values` in any encoding (see redact.any_encoding), whatever its letter
    case; the longest first, so that a value inside another does not cut it. Empty for no values."""
    longest_first = sorted({value for value in values if value}, key=len, reverse=True)
    return re.compile("|".join(any_encoding(value) for value in longest_first), re.IGNORECASE)


def _scrub_secret_field(match: re.Match[str]) -> str:
    """An <input> or <meta> that holds a password, a PIN or a token, with its value replaced."""
    element = match.group(0)
    naming = " ".join(value for value in _NAMING_ATTRIBUTES.findall(element))
    if not _SECRET_FIELD.search(naming):
        return element
    return _VALUE_ATTRIBUTE.sub(rf'\1"{SECRET}"', element)


def member_names(candidates: Iterable[str], me_words: Iterable[str] = ()) -> list[str]:
    """The member's name from texts that hold it, as LinkedIn's controls label it: "Login as " and
    a trailing "Me" (in any of `me_words`) taken off; empty, overlong and email-like texts left out."""
    words = [word.lower() for word in me_words]
    names = []
    for candidate in candidates:
        text = _NAME_LABEL.sub("", " ".join(candidate.split()))
        for word in words:
            if text.lower().endswith(" " + word):
                text = text[: -len(word) - 1].rstrip()
        if 2 <= len(text) <= 80 and "@" not in text and text.lower() not in words:
            names.append(text)
    return list(dict.fromkeys(names))


def names_in_har(har: dict[str, Any], profile_path: str) -> list[str]:
    """The member's name ("firstName lastName") in the HAR's JSON answers from `profile_path`:
    LinkedIn's `/voyager/api/me` answers with the member's `miniProfile`."""
    names: list[str] = []
    for entry in har.get("log", {}).get("entries", []):
        if urlsplit(str(entry.get("request", {}).get("url", ""))).path == profile_path:
            names += _names_in_profile(str(entry.get("response", {}).get("content", {}).get("text", "")))
    return member_names(names)


def _names_in_profile(document: str) -> list[str]:
    try:
        value = json.loads(document)
    except ValueError:
        return []
    names: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            parts = [item.get(key) for key in ("firstName", "lastName")]
            names += [" ".join(p for p in parts if isinstance(p, str) and p)]
            stack += list(item.values())
        elif isinstance(item, list):
            stack += item
    return names


# --- HAR --------------------------------------------------------------------------------------


def har_secrets(har: dict[str, Any]) -> set[str]:
    """The cookie and token values a HAR carries: to be scrubbed wherever else they show up."""
    found: set[str] = set()
    for entry in har.get("log", {}).get("entries", []):
        for message in (entry.get("request", {}), entry.get("response", {})):
            for cookie in message.get("cookies", []):
                found.update(_unquoted(str(cookie.get("value", ""))))
            for header in message.get("headers", []):
                name, value = str(header.get("name", "")).lower(), str(header.get("value", ""))
                if name == "cookie":
                    for part in value.split(";"):
                        found.update(_unquoted(part.partition("=")[2]))
                elif name == "set-cookie":
                    for line in value.split("\n"):
                        found.update(_unquoted(line.partition("=")[2].partition(";")[0]))
                elif name in _SECRET_HEADERS:
                    found.update(_unquoted(value))
    return {value for value in found if len(value) >= MIN_MASKED_LENGTH}


def _unquoted(value: str) -> set[str]:
    value = value.strip()
    return {value, value.strip('"')} - {""}


def scrub_har(har: dict[str, Any], personal: Personal, *, sign_in_paths: Sequence[str]) -> dict[str, Any]:
    """A scrubbed copy of `har`: credentials out by structure, then `scrub_text` over every string.

    The body of any request to a path under `sign_in_paths` (the login and challenge forms)
    keeps only its field names. Binary bodies (pictures, fonts) are dropped: text rules cannot
    look into them."""
    har = json.loads(json.dumps(har))  # a deep copy of plain JSON
    log = har.get("log", {})
    entries = log.pop("entries", [])
    for entry in entries:
        request, response = entry.get("request", {}), entry.get("response", {})
        for message in (request, response):
            _scrub_credentials(message)
        _scrub_post_data(request, sign_in=_under(request.get("url", ""), sign_in_paths))
        code = _scrub_content(response.get("content", {}), personal)
        for key, value in entry.items():
            entry[key] = _scrub_strings(value, personal, name_parts=not (code and key == "response"))
    har = _scrub_strings(har, personal, name_parts=True)
    har.setdefault("log", {})["entries"] = entries
    return har


def _under(url: str, prefixes: Sequence[str]) -> bool:
    path = urlsplit(url).path
    return any(path == prefix or path.startswith(prefix.rstrip("/") + "/") for prefix in prefixes)


def _scrub_credentials(message: dict[str, Any]) -> None:
    for cookie in message.get("cookies", []):
        cookie["value"] = SECRET
    for header in message.get("headers", []):
        name = str(header.get("name", "")).lower()
        if name in _SECRET_HEADERS:
            header["value"] = _secret_header(name, str(header.get("value", "")))


def _secret_header(name: str, value: str) -> str:
    """The header with its credentials replaced and its structure (cookie names, attributes) kept."""
    if name == "cookie":
        names = [part.partition("=")[0].strip() for part in value.split(";") if part.strip()]
        return "; ".join(f"{cookie}={SECRET}" for cookie in names)
    if name == "set-cookie":
        lines = []
        for line in value.split("\n"):
            cookie, _, rest = line.partition("=")
            attributes = rest.partition(";")[2]
            lines.append(f"{cookie.strip()}={SECRET}" + (f";{attributes}" if attributes else ""))
        return "\n".join(lines)
    if name.endswith("authorization") and " " in value.strip():
        return f"{value.strip().split(' ', 1)[0]} {SECRET}"
    return SECRET


def _scrub_post_data(request: dict[str, Any], *, sign_in: bool) -> None:
    post = request.get("postData")
    if not isinstance(post, dict):
        return
    text = str(post.get("text", ""))
    form = "x-www-form-urlencoded" in str(post.get("mimeType", ""))
    fields = parse_qsl(text, keep_blank_values=True) if form else []
    if sign_in or fields:
        fields = [
            (name, SECRET if sign_in or _SECRET_FIELD.search(name) else value) for name, value in fields
        ]
        post["text"] = urlencode(fields, safe=SECRET) if form else ""
        post["params"] = [{"name": name, "value": value} for name, value in fields]
        if sign_in:
            post["comment"] = f"sign-in values {DROPPED}"


def _scrub_content(content: dict[str, Any], personal: Personal) -> bool:
    """Make the body text or drop it; return whether it is program code (JavaScript, CSS)."""
    mime = str(content.get("mimeType", ""))
    text = content.get("text")
    if not isinstance(text, str):
        return False
    if content.get("encoding") == "base64":
        decoded = _decoded_text(text, mime)
        if decoded is None:
            del content["text"], content["encoding"]
            content["comment"] = f"binary body {DROPPED}"
            return False
        content["text"] = decoded
        del content["encoding"]
    elif mime.lower().startswith("image/") and "svg" not in mime.lower():
        del content["text"]
        content["comment"] = f"picture {DROPPED}"
    return bool(_CODE_MIME.search(mime))


def _decoded_text(text: str, mime: str) -> str | None:
    """The base64 body as text, or None when it is a picture, a font or other binary data."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if _MEDIA_MIME.search(mime) and "svg" not in mime.lower():
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace") if _TEXT_MIME.search(mime) else None


def _scrub_strings(value: Any, personal: Personal, *, name_parts: bool) -> Any:
    """Every string inside `value` (not the keys: they are HAR's own names) scrubbed."""
    if isinstance(value, str):
        return scrub_text(value, personal, name_parts=name_parts)
    if isinstance(value, list):
        return [_scrub_strings(item, personal, name_parts=name_parts) for item in value]
    if isinstance(value, dict):
        return {key: _scrub_strings(item, personal, name_parts=name_parts) for key, item in value.items()}
    return value
