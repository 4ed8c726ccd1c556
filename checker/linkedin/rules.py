"""Loads and validates `selectors/*.toml`: where things are on LinkedIn's pages, as typed rules.

A malformed file fails loudly, naming the file and the key.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from checker.core.errors import ConfigError, UsageError
from checker.core.resources import data_dir
from checker.core.safe_text import printable
from checker.linkedin.catalog import ALL, Catalog, Words, english
from checker.linkedin.targets import LAYER_KINDS, CssLayer, LabelLayer, RoleLayer, Target, TextLayer

# Targets the code looks up; a rules file without one of them is rejected up front.
REQUIRED_TARGETS = frozenset(
    {
        "login_username",
        "login_password",
        "login_submit",
        "login_error",
        "remember_me_other_account",
        "challenge_email_pin",
        "challenge_authenticator",
        "challenge_sms",
        "challenge_app_approval",
        "challenge_captcha",
        "challenge_restricted",
        "challenge_code_input",
        "challenge_submit",
        "me_menu",
        "feed_nav_link",
        "settings_nav",
        "category_item",
        "listed_item",
        "member_name",
        "member_covers",
        "setting_page_content",
    }
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Paths(_Strict):
    feed: str
    login: str
    login_submit: str
    me_api: str
    challenges: list[str]
    walls: list[str]
    objection_form: str


class Load(_Strict):
    """What an unattended check does not load (see `checker.linkedin.browser.lean_args`)."""

    images: bool
    unresolved_hosts: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9*.-]+$")]]
    reachable_hosts: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9*.-]+$")]]
    """Hosts besides the site's origin that a check's browser may reach (see checker/linkedin/egress.py)."""


class Rules(_Strict):
    schema_: Literal[1] = Field(alias="schema")
    paths: Paths
    load: Load
    targets: dict[str, Target]
    # A text, or several where LinkedIn words the same thing differently (sources disagree, or an
    # A/B test). English is the reference and has every key; another language may have only
    # some (the menu's words, say): its other keys are simply not tried in that language.
    text: dict[str, dict[str, Words]]
    catalog: Catalog
    """The settings a check can look at (selectors/settings.toml), their targets merged into
    `targets` and their words into `text` under keys the file's own cannot have (they hold a dot)."""

    @model_validator(mode="before")
    @classmethod
    def _with_catalog(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("catalog"), Catalog):
            return data
        catalog: Catalog = data["catalog"]
        text = {language: dict(table) for language, table in data.get("text", {}).items()}
        for language, table in catalog.texts().items():
            text.setdefault(language, {}).update(table)
        return {**data, "targets": {**data.get("targets", {}), **catalog.entry_targets()}, "text": text}

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        missing = REQUIRED_TARGETS - self.targets.keys()
        if missing:
            raise ValueError(f"missing targets: {', '.join(sorted(missing))}")
        if REFERENCE_LANGUAGE not in self.text:
            raise ValueError(f"no [text.{REFERENCE_LANGUAGE}] table")
        used = {key for target in self.targets.values() for key in _text_keys(target)}
        for target_name, target in self.targets.items():
            for key in _text_keys(target):
                if key not in self.text[REFERENCE_LANGUAGE]:
                    raise ValueError(
                        f"targets.{target_name} uses text key {key!r} missing from text.{REFERENCE_LANGUAGE}"
                    )
        for language, table in self.text.items():
            unused = sorted(table.keys() - used)
            if unused:
                raise ValueError(f"text.{language}.{unused[0]}: no target uses this text key")
        return self

    def css(self, target: str) -> list[str]:
        """The CSS selectors of a target's language-independent layers."""
        return [layer.css for layer in self.targets[target].layers if isinstance(layer, CssLayer)]

    def names(self, key: str) -> list[str]:
        """Every text under `key`, in every language that has it, without repeats."""
        names: list[str] = []
        for table in self.text.values():
            value = table.get(key, [])
            names.extend([value] if isinstance(value, str) else value)
        return list(dict.fromkeys(names))

    def name_pattern(self, key: str, *, exact: bool = False) -> re.Pattern[str]:
        """A pattern matching an accessible name that starts with the text under `key`, followed by
        a space, a punctuation mark or nothing ("Me" must not match "Messaging"); that is the
        text, when `exact`."""
        alternatives = "|".join(re.escape(name) for name in self.names(key))
        # A lookahead, not \b: the pattern runs in the browser, where \b is ASCII-only.
        end = r"\s*$" if exact else r"(?=[\s.,;:!?]|$)"
        return re.compile(rf"^\s*(?:{alternatives}){end}", re.IGNORECASE)


def _text_keys(target: Target) -> list[str]:
    keys: list[str] = []
    for layer in target.layers:
        if isinstance(layer, RoleLayer) and layer.name:
            keys.append(layer.name)
        elif isinstance(layer, LabelLayer):
            keys.append(layer.label)
        elif isinstance(layer, TextLayer):
            keys.append(layer.text)
    return keys


SELECTORS_ENV = "LINKEDIN_AI_OPTOUT_SELECTORS"
REFERENCE_LANGUAGE = "en"


def rules_path() -> Path:
    """The selector file in use: `$LINKEDIN_AI_OPTOUT_SELECTORS` when set (a patched copy, for
    when LinkedIn changes before a release does), else the one shipped with the tool."""
    override = os.environ.get(SELECTORS_ENV)
    return Path(override).expanduser() if override else data_dir("selectors") / "linkedin.toml"


CATALOG_FILE = "settings.toml"


def catalog_path(rules_file: Path) -> Path:
    """The catalog beside the rules file in use, or the shipped one when a patched rules file
    comes alone."""
    beside = rules_file.parent / CATALOG_FILE
    return beside if beside.is_file() else data_dir("selectors") / CATALOG_FILE


def load_rules(path: Path | None = None, catalog: Path | None = None) -> Rules:
    """Read and validate a rules file and the settings catalog; raise ConfigError naming the file
    and the key."""
    path = path or rules_path()
    catalog = catalog or catalog_path(path)
    loaded = _catalog_at(catalog)
    # The catalog goes in already validated, so an error below is the rules file's.
    rules = _validated(path, Rules, catalog=loaded)
    return rules


def load_catalog() -> Catalog:
    """The settings catalog in use (beside the rules file in use), validated; ConfigError naming
    the file and the key when it is malformed."""
    return _catalog_at(catalog_path(rules_path()))


@functools.cache
def _catalog_at(path: Path) -> Catalog:
    return _validated(path, Catalog)


def setting_names(asked: Iterable[str]) -> tuple[str, ...]:
    """The catalog's names for `asked` (`all` for every setting), in the catalog's order, each once;
    UsageError naming an unknown one and the known ones (ConfigError for a malformed catalog)."""
    catalog = load_catalog()
    wanted = set()
    for name in asked:
        if name == ALL:
            wanted.update(catalog.names())
        elif name in catalog.settings:
            wanted.add(name)
        else:
            known = ", ".join([ALL, *catalog.names()])
            raise UsageError(f"unknown setting {printable(repr(name))}; the settings are: {known}")
    return tuple(name for name in catalog.names() if name in wanted)


def category_title(category: str) -> str:
    """A category's English name (`privacy`: Data privacy), or its key when the catalog has none."""
    categories = load_catalog().categories
    return english(categories[category].name) if category in categories else category


def every_setting(names: Iterable[str]) -> bool:
    """Whether `names` is the whole catalog: such a run also notices what LinkedIn adds or drops."""
    return set(names) == set(load_catalog().names())


_Model = TypeVar("_Model", bound=BaseModel)


def _validated(path: Path, model: type[_Model], **extra: object) -> _Model:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}): is it the selector file?") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return model.model_validate({**raw, **extra})
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in _file_location(first["loc"]))
        raise ConfigError(f"{path}: {location or 'top level'}: {_message(first)}") from None


def _file_location(loc: tuple[int | str, ...]) -> list[int | str]:
    """The error's location as keys of the file: pydantic adds the chosen layer kind after
    `layers.N`, which is not a key the user wrote."""
    keys: list[int | str] = []
    for index, part in enumerate(loc):
        after_layer_index = index >= 2 and loc[index - 2] == "layers" and isinstance(loc[index - 1], int)
        if not (after_layer_index and part in LAYER_KINDS):
            keys.append(part)
    return keys


def _message(error: object) -> str:
    assert isinstance(error, dict)
    if error.get("type") == "extra_forbidden":
        return "unknown key"
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")
