"""The catalog of data-use settings, `selectors/settings.toml`: what each setting is, where its page
is, how its switch is found and how its page saves it. Data, validated like the rules: a malformed
entry fails loudly, naming the file and the key.

Each entry becomes targets of the rules (see `Catalog.entry_targets`): `<name>.item` (its item on the
category page), `<name>.switch` (its switch), and `<category>.page` (the category page itself), so
that they are found like every other target, layer by layer. How, is data too: the file's
`[targets]` templates, with each entry's values in place of their placeholders.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from checker.linkedin.targets import Target

# A setting's name as reports, history and `--setting` spell it.
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
ALL = "all"
"""`--setting all`: every setting of the catalog."""

# A text, or several where LinkedIn words the same thing differently.
Words = str | Annotated[list[str], Field(min_length=1)]
Texts = Annotated[dict[str, Words], Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Save(_Strict):
    """The request a setting's page sends to save its switch: watched, never sent by the tool."""

    method: Literal["PUT", "POST", "PATCH"]
    path: str = Field(pattern=r"^/")


class Category(_Strict):
    """A settings category page (Data privacy, Advertising data) that lists its settings."""

    path: str = Field(pattern=r"^/")
    name: Texts

    @model_validator(mode="after")
    def _english(self) -> Category:
        _require_english(self.name, "name")
        return self


class Setting(_Strict):
    """One data-use setting: what it is for, its page, its switch, its save and its words."""

    title: str = Field(min_length=1)
    uses: str = Field(min_length=1)
    category: str
    path: str = Field(pattern=r"^/")
    switch: str = Field(
        pattern=r"^input\[role='switch'\](\[aria-labelledby='[A-Za-z0-9_-]+'\]|#[A-Za-z][A-Za-z0-9_-]*)$"
    )
    save: Save | None = None
    """None where no public source shows the request: then the reload alone decides."""
    source: str = Field(min_length=1)
    since: date
    """When the catalog learned the setting."""
    item: Texts
    label: Texts

    @model_validator(mode="after")
    def _english(self) -> Setting:
        _require_english(self.item, "item")
        _require_english(self.label, "label")
        return self


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# What each template may name: a category's values, and a setting's.
_CATEGORY_VALUES = ("key", "path", "title")
_SETTING_VALUES = ("key", "path", "switch", "title")


class Templates(_Strict):
    """The targets each category (`page`) and each setting (`item`, `switch`) becomes: their texts
    hold {key} (the entry's key), {path}, {title} and, for a setting, {switch}."""

    page: Target
    item: Target
    switch: Target

    @model_validator(mode="after")
    def _known_placeholders(self) -> Templates:
        for name, known in (
            ("page", _CATEGORY_VALUES),
            ("item", _SETTING_VALUES),
            ("switch", _SETTING_VALUES),
        ):
            for where, text in _texts(getattr(self, name).model_dump(), name):
                for placeholder in _PLACEHOLDER.findall(text):
                    if placeholder not in known:
                        names = ", ".join(f"{{{value}}}" for value in known)
                        raise ValueError(f"{where}: unknown placeholder {{{placeholder}}} (known: {names})")
        return self


def _texts(value: Any, where: str) -> list[tuple[str, str]]:
    """Every text in a dumped template, each with its keys in the file."""
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _texts(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _texts(item, f"{where}.{index}")]
    return []


def _filled(template: Target, values: dict[str, str]) -> dict[str, Any]:
    """`template` as a rules file would spell the target, each placeholder replaced by its value."""

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return _PLACEHOLDER.sub(lambda match: values[match.group(1)], value)
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    return dict(fill(template.model_dump(exclude_defaults=True)))


class Catalog(_Strict):
    schema_: Literal[1] = Field(alias="schema")
    targets: Templates
    categories: Annotated[dict[str, Category], Field(min_length=1)]
    settings: Annotated[dict[str, Setting], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        for name, setting in self.settings.items():
            if not _is_name(name):
                raise ValueError(f"settings.{name}: a name is lower-case letters, digits and _")
            if setting.category not in self.categories:
                raise ValueError(
                    f"settings.{name}.category: {setting.category!r} is not one of the categories: "
                    + ", ".join(self.categories)
                )
        paths = [setting.path for setting in self.settings.values()]
        repeated = sorted({path for path in paths if paths.count(path) > 1})
        if repeated:
            raise ValueError(f"two settings have the page {repeated[0]}")
        return self

    def __getitem__(self, name: str) -> Setting:
        return self.settings[name]

    def names(self) -> list[str]:
        """Every setting's name, in the catalog's order."""
        return list(self.settings)

    def category_of(self, name: str) -> Category:
        return self.categories[self.settings[name].category]

    def entry_targets(self) -> dict[str, dict[str, Any]]:
        """The rules targets of every category and setting (the `[targets]` templates filled in), as
        a rules file would spell them."""
        targets: dict[str, dict[str, Any]] = {}
        for slug, category in self.categories.items():
            values = {"key": slug, "path": category.path, "title": english(category.name)}
            targets[f"{slug}.page"] = _filled(self.targets.page, values)
        for name, setting in self.settings.items():
            values = {"key": name, "path": setting.path, "switch": setting.switch, "title": setting.title}
            targets[f"{name}.item"] = _filled(self.targets.item, values)
            targets[f"{name}.switch"] = _filled(self.targets.switch, values)
        return targets

    def texts(self) -> dict[str, dict[str, Words]]:
        """The words of the targets above, per language, under the keys the targets use."""
        tables: dict[str, dict[str, Words]] = {}
        for slug, category in self.categories.items():
            for language, words in category.name.items():
                tables.setdefault(language, {})[f"{slug}.name"] = words
        for name, setting in self.settings.items():
            for key, texts in (("item", setting.item), ("label", setting.label)):
                for language, words in texts.items():
                    tables.setdefault(language, {})[f"{name}.{key}"] = words
        return tables


def _is_name(name: str) -> bool:
    return re.fullmatch(NAME_PATTERN, name) is not None


def _require_english(texts: dict[str, Words], key: str) -> None:
    if "en" not in texts:
        raise ValueError(f"{key}: English (en) is the reference language and is required")


def english(texts: dict[str, Words]) -> str:
    """The first English wording of `texts`."""
    words = texts["en"]
    return words if isinstance(words, str) else words[0]
