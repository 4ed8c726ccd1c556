"""`report --evidence-dir DIR`: the evidence of the readings a report links, copied into one folder
to hand over with it (see checker/capture/readings.py).

Every file is checked against the SHA-256 its history row holds before anything is copied: a file
that no longer matches stops the report (exit 1, naming it), since handing it over would vouch for
it. A folder no longer there (pruned, or kept on another machine for a merged document) is a
warning, and its row links nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from checker.core.errors import CheckerError, ConfigError, ExitCode
from checker.outputs.fleet import Record, Row
from checker.store.home import ensure_private_dir, write_private_file

_FILE_NAME = re.compile(r"[a-z][a-z-]*\.(?:png|json)")


def hand_over(
    rows: list[Row], records: Sequence[Record], into: Path, warn: Callable[[str], None]
) -> list[Row]:
    """Copy the evidence each row links into `into` (created when absent, its parent must exist);
    return the rows with their `proof` pointing at the copies."""
    hashes = {
        record.result.proof.path: dict(record.result.proof.sha256)
        for record in records
        if record.result.proof is not None
    }
    checked: dict[str, dict[str, bytes]] = {}
    for row in rows:
        if row.proof is None or row.proof in checked:
            continue
        files = _checked_files(Path(row.proof), hashes.get(row.proof, {}), warn)
        if files is not None:
            checked[row.proof] = files
    try:
        ensure_private_dir(into)
    except ConfigError as exc:
        raise ConfigError(f"--evidence-dir: {exc}") from None
    copies: dict[str, str] = {}
    for folder, files in checked.items():
        target = into / Path(folder).name
        for name, data in files.items():
            write_private_file(target / name, data)
        copies[folder] = str(target)
    return [dataclasses.replace(row, proof=copies.get(row.proof or "")) for row in rows]


def _checked_files(
    folder: Path, expected: dict[str, str], warn: Callable[[str], None]
) -> dict[str, bytes] | None:
    """The files of `folder` its row names, each matching its hash; None (with a warning) when the
    folder is gone."""
    if not folder.is_dir():
        warn(f"the evidence {folder} is no longer there (pruned, or on another machine): not copied")
        return None
    files = {}
    for name, digest in sorted(expected.items()):
        if not _FILE_NAME.fullmatch(name):  # the row is data: it names no path outside its folder
            raise CheckerError(f"{folder}: its history row names a file {name!r}", ExitCode.ACTION_NEEDED)
        path = folder / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CheckerError(
                f"{path}: cannot read it ({exc.strerror}); its history row names it", ExitCode.ACTION_NEEDED
            ) from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise CheckerError(
                f"{path}: does not match the SHA-256 its history row holds: it was changed after the"
                " check; nothing was written",
                ExitCode.ACTION_NEEDED,
            )
        files[name] = data
    return files
