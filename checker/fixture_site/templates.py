"""HTML building blocks: the templates and texts in fixtures/linkedin, escaped unless marked safe.

Templates are `string.Template`s: `$name` is a slot filled by the caller and
`$t_key` is the text `key` of strings.toml in the page's language. Every value
is html-escaped on the way in unless it is `Html`, markup built here already.
"""

from __future__ import annotations

import functools
import html
import json
import tomllib
from collections.abc import Iterable
from pathlib import Path
from string import Template

from checker.core.resources import data_dir


class Html(str):
    """Markup that is safe to insert as it is."""


def escape(value: str) -> Html:
    """`value` as markup: text is escaped, `Html` passes through."""
    return value if isinstance(value, Html) else Html(html.escape(value))


def join(parts: Iterable[str], separator: str = "\n") -> Html:
    return Html(separator.join(escape(part) for part in parts))


def tag(name: str, content: str = "", **attributes: str | bool | None) -> Html:
    """One element. Attribute names are Python names: `class_` and `aria_current` become
    `class` and `aria-current`; None and False leave the attribute out, True writes it bare."""
    rendered = "".join(_attribute(key, value) for key, value in attributes.items())
    return Html(f"<{name}{rendered}>{escape(content)}</{name}>")


def _attribute(key: str, value: str | bool | None) -> str:
    if value is None or value is False:
        return ""
    name = key.rstrip("_").replace("_", "-")
    return f" {name}" if value is True else f' {name}="{html.escape(value)}"'


def script_json(value: object) -> Html:
    """`value` as JSON to embed in a <script> element, which must not see a `</`."""
    return Html(json.dumps(value).replace("<", "\\u003c"))


class Templates:
    """The page templates and the en/fr texts of one fixtures directory."""

    def __init__(self, directory: Path) -> None:
        with (directory / "strings.toml").open("rb") as file:
            texts = tomllib.load(file)
        english = {key: str(text) for key, text in texts["en"].items()}
        self._texts: dict[str, dict[str, str]] = {
            language: english | {key: str(text) for key, text in table.items()}
            for language, table in texts.items()
        }
        self._slots = {
            language: {f"t_{key}": escape(text) for key, text in table.items()}
            for language, table in self._texts.items()
        }
        self._templates = {
            path.stem: Template(path.read_text(encoding="utf-8")) for path in directory.glob("*.html")
        }

    def text(self, language: str, key: str) -> str:
        return self._texts[language][key]

    def render(self, template: str, language: str, /, **slots: str) -> Html:
        """`template` with its slots and texts filled in; a missing one is a KeyError."""
        values = self._slots[language] | {key: escape(value) for key, value in slots.items()}
        return Html(self._templates[template].substitute(values))

    def document(self, language: str, title: str, body: Html) -> bytes:
        """A whole page around `body`, encoded for the wire."""
        page = self.render("document", language, lang=language, title=f"{title} | LinkedIn", body=body)
        return page.encode("utf-8")


@functools.cache
def templates() -> Templates:
    """The shipped templates, read once per process."""
    return Templates(data_dir("fixtures") / "linkedin")
