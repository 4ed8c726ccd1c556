"""The README stays true: every command line it shows names a command that exists and options that
command has, and every file or folder of the repository it names in its layout is there."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import Cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def shown_command_lines() -> list[str]:
    """Each `linkedin-ai-optout ...` line of the README's examples, its comment and redirections cut."""
    lines = []
    for line in README.splitlines():
        text = line.strip().removeprefix("$ ")
        if text.startswith("linkedin-ai-optout "):
            text = re.split(r"\s+#\s", text)[0]
            lines.append(re.split(r"\s[<>]\s?", text)[0].strip())
    # The command table: | `accounts add EMAIL [--password-stdin] ...` | what it does |
    table = README[README.index("| command | what it does |") :]
    for row in table[: table.index("\n\n")].splitlines()[2:]:
        usage = row.split("`")[1].replace("\\|", "|")
        lines.append("linkedin-ai-optout " + re.sub(r"[\[\]|]", " ", usage))
    return lines


def command_and_options(line: str) -> tuple[list[str], list[str]]:
    words = shlex.split(line)[1:]
    command = []
    for word in words:
        if word.startswith("-") or "@" in word or "." in word or "/" in word or word.isupper():
            break
        command.append(word)
    options = [word.split("=")[0] for word in words if word.startswith("--")]
    return command, options


LINES = shown_command_lines()
PROJECT_FOLDERS = ("checker", "selectors", "fixtures", "tests", "bench", "scripts", "deploy")


def test_the_readme_shows_command_lines() -> None:
    assert len(LINES) > 20  # the parsing above still finds them


@pytest.mark.parametrize("line", LINES)
def test_each_command_line_the_readme_shows_exists_with_its_options(cli: Cli, line: str) -> None:
    command, options = command_and_options(line)
    result = cli(*command, "--help")
    assert result.exit_code == 0, f"{line}: {result.stderr}"
    for option in options:
        assert option in result.stdout, f"{line}: `{' '.join(command)}` has no {option}"


def test_every_path_of_the_readme_layout_exists() -> None:
    layout = README[README.index("## Architecture") :]
    layout = layout[: layout.index("```", layout.index("```") + 3)]
    names = set(re.findall(r"\b[A-Za-z_][\w-]*\.(?:py|toml|yaml)\b", layout)) - {"config.toml"}  # the user's
    folders = {path.name for path in (ROOT / "checker").iterdir() if (path / "__init__.py").is_file()}
    omitted = {folder for folder in folders if f"  {folder}/ " not in layout}
    assert omitted == set(), "folders of checker/ the layout does not name"
    ours = [path.name for top in PROJECT_FOLDERS for path in (ROOT / top).rglob("*")]
    for name in names:
        assert name in ours, f"the README's layout names {name}, which is not in the project"
    for top in re.findall(r"^(\S+/)\s", layout, re.MULTILINE):
        assert (ROOT / top).is_dir(), top
