"""`report --merge`: the fleet's checks from the documents a collector stored, one file for each
POST of `check --report-to` (the `check --json` document with the `host` and `tool_version` that
posted it), instead of the local history.

Every file is read and checked before anything is reported: one that is not JSON, not a result
document, or has a bad field stops the report with a `ConfigError` naming the file (exit 4). A
document with only an `error` (a run that could not start) holds no result and is skipped with a
warning. The same result posted twice (same account, setting and time) counts once.

Whoever could write to the collector's directory wrote these files: their texts (account, setting,
detail, evidence, host) are made `printable` as they are read, as the site's texts are before they
are recorded, so no escape sequence or control character reaches a terminal, a CSV or a page.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path

from checker.core.errors import ConfigError
from checker.core.outcome import CheckResult
from checker.core.safe_text import printable
from checker.outputs.fleet import Record, pair_key

SUFFIX = ".json"


def load_records(paths: Iterable[Path], warn: Callable[[str], None]) -> list[Record]:
    """The checks in `paths`: files, and directories' `*.json` files (not their subdirectories,
    nor hidden files, such as a collector's half-written temporary ones), each result once."""
    records: dict[tuple[str, str, datetime], Record] = {}
    for file in _files(paths, warn):
        for record in _read(file, warn):
            result = record.result
            records.setdefault((*pair_key(result), result.checked_at), record)
    return list(records.values())


def _files(paths: Iterable[Path], warn: Callable[[str], None]) -> Iterator[Path]:
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        try:
            found = sorted(
                entry
                for entry in path.iterdir()
                if entry.name.endswith(SUFFIX) and not entry.name.startswith(".") and not entry.is_dir()
            )
        except OSError as exc:
            raise ConfigError(f"{_shown(path)}: cannot read the directory ({exc.strerror or exc})") from None
        if not found:
            warn(f"{_shown(path)}: no {SUFFIX} files in it")
        yield from found


def _read(file: Path, warn: Callable[[str], None]) -> list[Record]:
    try:
        text = file.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"{_shown(file)}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise _malformed(file, "not UTF-8 text") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _malformed(file, f"not JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise _malformed(file, "JSON nested too deeply") from None
    if not isinstance(document, dict):
        raise _malformed(file, "not a JSON object")
    if "results" not in document:
        if "error" not in document:
            raise _malformed(file, "no results")
        error = document["error"]
        message = error.get("message") if isinstance(error, dict) else error
        warn(f"{_shown(file)}: skipped, a run that could not start ({printable(str(message))[:200]})")
        return []
    results, host = document["results"], document.get("host")
    if not isinstance(results, list):
        raise _malformed(file, "results: expected a list")
    if host is not None and not isinstance(host, str):
        raise _malformed(file, f"host: expected a text, not {type(host).__name__}")
    records = []
    for index, item in enumerate(results):
        if not isinstance(item, dict):
            raise _malformed(file, f"results[{index}]: expected an object")
        try:
            result = CheckResult.from_json(item)
        except ValueError as exc:
            raise _malformed(file, f"results[{index}].{exc}") from None
        records.append(Record(_shown_result(result), printable(host) if host else None))
    return records


def _shown_result(result: CheckResult) -> CheckResult:
    """`result` with its texts made printable, as a check makes the site's before recording them."""
    return dataclasses.replace(
        result,
        account=printable(result.account),
        setting=printable(result.setting),
        detail=printable(result.detail),
        evidence=None if result.evidence is None else printable(result.evidence),
    )


def _malformed(file: Path, problem: str) -> ConfigError:
    return ConfigError(
        f"{_shown(file)}: not a result document of `check --report-to`: {printable(problem)};"
        " fix the file or move it aside"
    )


def _shown(path: Path) -> str:
    return printable(str(path))
