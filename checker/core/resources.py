"""Where the data shipped with the tool lives: the selector files and the fixture pages.

In a source checkout they sit at the top of the repository; a built wheel carries
them inside the package under `checker/_data/`.
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # checker/, this module being in checker/core/


def data_dir(name: str) -> Path:
    """Return the directory of shipped data called `name` ("selectors" or "fixtures")."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name
