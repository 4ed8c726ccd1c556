"""The repository layout promises the project makes."""

from __future__ import annotations

import selectors
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_selectors_still_gives_the_standard_library_module() -> None:
    assert hasattr(selectors, "DefaultSelector")
    assert Path(selectors.__file__).parent == Path(sys.modules["os"].__file__).parent


def test_the_selectors_directory_is_data_and_never_a_python_package() -> None:
    assert not (ROOT / "selectors" / "__init__.py").exists()
    assert not list((ROOT / "selectors").glob("*.py"))
