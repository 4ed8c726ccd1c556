"""The house's shape: folders by question, each importing only the folders below it, no import circle,
no module too long to read. Read from the source with `ast`, so a late import inside a function
counts as much as one at the top."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

CHECKER = Path(__file__).resolve().parent.parent / "checker"

# Top to bottom: a folder may import the folders after it, never one before it.
LAYERS = ["cli", "run", "schedule", "capture", "outputs", "store", "linkedin", "fixture_site", "core"]
# The package itself (its version), and its entry points, which only hand over to the folders.
ENTRY_POINTS = {"checker", "checker.__main__", "checker.browser", "checker.mounted_secrets"}
MAX_LINES = 450


def modules() -> dict[str, Path]:
    found = {}
    for path in CHECKER.rglob("*.py"):
        parts = path.relative_to(CHECKER.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(path: Path) -> Iterator[str]:
    """Every `checker` module `path` imports, wherever in the file the import stands."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.split(".")[0] == "checker")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "checker":
            # `from checker.x import y` imports the module checker.x.y when there is one.
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def folder(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for target in imports_of(path):
            # A name in a module (not a module itself) counts as its module.
            while target not in known and "." in target:
                target = target.rsplit(".", 1)[0]
            if target != name:
                edges[name].add(target)
    return edges


def test_every_module_is_in_a_folder_by_question_or_is_an_entry_point() -> None:
    loose = [name for name in modules() if folder(name) is None and name not in ENTRY_POINTS]
    assert loose == []


def test_each_folder_imports_only_the_folders_below_it() -> None:
    upward = []
    for name, targets in graph().items():
        source = folder(name)
        for target in targets:
            destination = folder(target)
            if source and destination and LAYERS.index(destination) < LAYERS.index(source):
                upward.append(f"{name} -> {target}")
    assert upward == []


def test_no_import_circle() -> None:
    edges = graph()
    done: set[str] = set()
    circles = []

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            circles.append(path[path.index(node) :])
            return
        if node in done:
            return
        for target in sorted(edges.get(node, ())):
            visit(target, [*path, node])
        done.add(node)

    for name in sorted(edges):
        visit(name, [])
    assert circles == []


@pytest.mark.parametrize("path", sorted(CHECKER.rglob("*.py")), ids=str)
def test_no_module_is_too_long_to_read(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_the_old_addresses_that_deployments_name_still_work() -> None:
    from checker.mounted_secrets import MountedSecrets as Old
    from checker.store.mounted_secrets import MountedSecrets

    assert Old is MountedSecrets


def test_the_tests_folders_mirror_the_packages_folders() -> None:
    """A test of checker/X/ lives in tests/X/; the project-wide ones (this one) at tests/ itself."""
    tests = Path(__file__).resolve().parent
    folders = {path.name for path in tests.iterdir() if path.is_dir() and path.name[0] not in "._"}
    packages = {path.parent.name for path in CHECKER.glob("*/__init__.py")}
    assert folders - packages == set()
