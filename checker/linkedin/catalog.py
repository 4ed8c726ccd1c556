"""The catalog of data-use settings, `selectors/settings.toml`: what each setting is, where its page
is, how its switch is found and how its page saves it. Data, validated like the rules: a malformed
entry fails loudly, naming the file and the key.

Each entry becomes targets of the rules (see `Catalog.targets`): `<name>.item` (its item on the
category page), `<name>.switch` (its switch), and `<category>.page` (the category page itself), so
that they are found like every other target, layer by layer.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    switch: str = Field(pattern=r"^input\[role='switch'\]\[aria-labelledby='[A-Za-z0-9_-]+'\]$")
    save: Save
    source: str = Field(min_length=1)
    item: Texts
    label: Texts

    @model_validator(mode="after")
    def _english(self) -> Setting:
        _require_english(self.item, "item")
        _require_english(self.label, "label")
        return self


class Catalog(_Strict):
    schema_: Literal[1] = Field(alias="schema")
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

    def targets(self) -> dict[str, dict[str, Any]]:
        """The rules targets of every category and setting, as a rules file would spell them."""
        targets: dict[str, dict[str, Any]] = {}
        for slug, category in self.categories.items():
            targets[f"{slug}.page"] = {
                "what": f"the {english(category.name)} category page (its navigation entry, or heading)",
                "layers": [
                    {"css": f"nav a[href$='{category.path}'][aria-current='page']"},
                    {"role": "heading", "name": f"{slug}.name"},
                ],
            }
        for name, setting in self.settings.items():
            targets[f"{name}.item"] = {
                "what": f"the item of {setting.title!r} on its category page",
                "layers": [
                    {"css": f"main a[href$='{setting.path}']"},
                    {"role": "link", "name": f"{name}.item"},
                ],
            }
            targets[f"{name}.switch"] = {
                "what": f"the switch of {setting.title!r}",
                "state": "attached",
                "layers": [
                    {"css": setting.switch},
                    {"role": "switch", "name": f"{name}.label"},
                    {"label": f"{name}.label"},
                ],
            }
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
