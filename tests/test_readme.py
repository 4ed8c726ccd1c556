"""The README and the guides in docs/ stay true: every command line they show names a command that
exists and options that command has, every file or folder of the repository the layout names is
there, every relative link leads to a file and a heading that exist, every exit code they list is one
the tool has; and the README stays short, with the risk notice near its top."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from checker.core.errors import ExitCode
from tests.conftest import Cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
MAINTAINERS = ROOT / "docs" / "maintainers.md"


def text_of(path: Path) -> str:
    return path.read_text()


def prose_of(path: Path) -> str:
    """The file without its fenced blocks, whose `#` lines are comments, not headings."""
    return re.sub(r"^```.*?^```", "", text_of(path), flags=re.MULTILINE | re.DOTALL)


def shown_command_lines(path: Path) -> list[str]:
    """Each `linkedin-ai-optout ...` line of a file's examples, its comment and redirections cut,
    and the usage of each row of its command table."""
    text = text_of(path)
    lines = []
    for line in text.splitlines():
        shown = line.strip().removeprefix("$ ")
        if shown.startswith("linkedin-ai-optout "):
            shown = re.split(r"\s+#\s", shown)[0]
            lines.append(re.split(r"\s[<>]\s?", shown)[0].strip())
    # The command table: | `accounts add EMAIL [--password-stdin] ...` | what it does |
    if "| command | what it does |" in text:
        table = text[text.index("| command | what it does |") :]
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


LINES = [(path, line) for path in DOCS for line in shown_command_lines(path)]
PROJECT_FOLDERS = ("checker", "selectors", "fixtures", "tests", "bench", "scripts", "deploy", "docs")


def test_the_docs_show_command_lines() -> None:
    assert len(LINES) > 20  # the parsing above still finds them
    assert len(shown_command_lines(README)) >= 5


@pytest.mark.parametrize(
    ("path", "line"), LINES, ids=[f"{path.relative_to(ROOT)}: {line}" for path, line in LINES]
)
def test_each_command_line_the_docs_show_exists_with_its_options(cli: Cli, path: Path, line: str) -> None:
    command, options = command_and_options(line)
    result = cli(*command, "--help")
    assert result.exit_code == 0, f"{path.name}: {line}: {result.stderr}"
    for option in options:
        assert option in result.stdout, f"{path.name}: {line}: `{' '.join(command)}` has no {option}"


def test_every_path_of_the_layout_exists() -> None:
    text = text_of(MAINTAINERS)
    layout = text[text.index("## Architecture") :]
    layout = layout[: layout.index("```", layout.index("```") + 3)]
    names = set(re.findall(r"\b[A-Za-z_][\w-]*\.(?:py|toml|yaml|md)\b", layout))
    names -= {"config.toml"}  # the user's
    folders = {path.name for path in (ROOT / "checker").iterdir() if (path / "__init__.py").is_file()}
    omitted = {folder for folder in folders if f"  {folder}/ " not in layout}
    assert omitted == set(), "folders of checker/ the layout does not name"
    ours = [path.name for top in PROJECT_FOLDERS for path in (ROOT / top).rglob("*")]
    for name in names:
        assert name in ours, f"the layout in {MAINTAINERS.name} names {name}, which is not in the project"
    for top in re.findall(r"^(\S+/)\s", layout, re.MULTILINE):
        assert (ROOT / top).is_dir(), top


def test_the_readme_is_short() -> None:
    assert len(text_of(README).splitlines()) <= 200, "the README is for a member; move details to docs/"


def test_the_readme_gives_the_risk_notice_near_its_top() -> None:
    top = " ".join(text_of(README).splitlines()[:40])
    assert "LinkedIn's User Agreement forbids automated access" in top


def test_the_readme_names_the_test_command_and_the_demo() -> None:
    readme = text_of(README)
    assert "make test " in readme  # CI runs the README's test command (.ci/run)
    assert "make demo " in readme
    assert "On a fresh" in readme


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but hyphens dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    return {anchor(heading) for heading in re.findall(r"^#{1,6} (.+)$", prose_of(path), re.MULTILINE)}


LINKS = [
    (path, target)
    for path in DOCS
    for target in re.findall(r"\]\(([^)\s]+)\)", prose_of(path))
    if not re.match(r"[a-z][a-z+.-]*:", target)  # https:, mailto: ...
]


def test_the_docs_have_relative_links() -> None:
    assert len(LINKS) > 20


@pytest.mark.parametrize(
    ("path", "target"), LINKS, ids=[f"{path.relative_to(ROOT)}: {target}" for path, target in LINKS]
)
def test_each_relative_link_leads_to_a_file_and_a_heading(path: Path, target: str) -> None:
    file, _, heading = target.partition("#")
    destination = (path.parent / file).resolve() if file else path
    assert destination.exists(), f"{path.name} links to {target}, which does not exist"
    if heading and destination.suffix == ".md":
        assert heading in anchors_of(destination), f"{path.name} links to {target}: no such heading"


def listed_exit_codes(path: Path) -> list[int]:
    """The codes of the first column of each table whose heading starts `| code |` or `| exit code |`."""
    codes = []
    tables = re.findall(r"^\| (?:exit )?code \|.*\n\|[-|]+\|\n((?:\|.*\n?)+)", text_of(path), re.MULTILINE)
    for table in tables:
        for row in table.splitlines():
            codes += [int(code) for code in re.findall(r"\d+", row.split("|")[1])]
    return codes


@pytest.mark.parametrize("name", ["README.md", "docs/reference.md"])
def test_every_exit_code_listed_is_one_of_the_tool(name: str) -> None:
    codes = listed_exit_codes(ROOT / name)
    assert codes, f"{name} lists no exit code any more"
    assert set(codes) <= set(ExitCode), f"{name} lists codes the tool does not have"
    assert set(codes) == set(ExitCode), f"{name} leaves out some of the tool's exit codes"
