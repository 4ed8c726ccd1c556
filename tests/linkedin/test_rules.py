"""The selector rules: the shipped file is valid, and a malformed one fails naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.core.errors import ConfigError
from checker.linkedin.rules import load_rules, rules_path


def shipped_text() -> str:
    return rules_path().read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "linkedin.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_rules_load_with_english_french_german_and_spanish() -> None:
    rules = load_rules()
    assert set(rules.text) == {"en", "fr", "de", "es"}
    assert rules.names("privacy.name")[-2:] == ["Privacidad de datos", "Confidencialidad de datos"]
    assert rules.targets["generative_ai_training.switch"].layers[0].model_dump() == {
        "css": "input[role='switch'][aria-labelledby='allowDataForGenerativeAI']"
    }


def test_name_patterns_match_every_language_and_not_longer_words() -> None:
    pattern = load_rules().name_pattern("me")
    assert pattern.match("Me")
    assert pattern.match("vous")
    assert not pattern.match("Messaging")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '{ css = "#username" }',
            '{ csss = "#username" }',
            "targets.login_username.layers.0: a layer needs one of",
        ),
        (
            '{ css = "#username" }',
            '{ css = "#username", role = "link" }',
            "targets.login_username.layers.0.role: unknown key",
        ),
        ("schema = 1", "schema = 1\ncolour = 2", "colour: unknown key"),
        ('me = "Me"\n', "", "targets.me_menu uses text key 'me' missing from text.en"),
        ("[targets.category_item]", "[targets.category_itm]", "missing targets: category_item"),
    ],
)
def test_a_malformed_rules_file_names_the_file_and_the_key(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = shipped_text()
    assert old in text
    path = write(tmp_path, text.replace(old, new, 1))
    with pytest.raises(ConfigError) as error:
        load_rules(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_a_text_layer_before_a_css_layer_is_rejected(tmp_path: Path) -> None:
    text = shipped_text().replace(
        '  { css = ".signin-other-account" },\n  { role = "link", name = "another_account" },',
        '  { role = "link", name = "another_account" },\n  { css = ".signin-other-account" },',
    )
    with pytest.raises(ConfigError, match=r"remember_me_other_account.*css layers must come before"):
        load_rules(write(tmp_path, text))


def test_a_file_that_is_not_toml_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_rules(write(tmp_path, "schema = [1"))


def test_a_language_may_name_only_some_texts_but_never_an_unused_key(tmp_path: Path) -> None:
    partial = shipped_text() + '\n[text.it]\nme = "Tu"\n'
    assert "Tu" in load_rules(write(tmp_path, partial)).names("me")
    with pytest.raises(ConfigError, match=r"text\.it\.colour: no target uses this text key"):
        load_rules(write(tmp_path, partial + 'colour = "x"\n'))
