"""Evidence of every reading (`check --evidence always`): covered screenshots and their details,
hashed into the history's chain, pruned by age but never while a recent row names them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

from checker.core.outcome import Proof, utc_now
from checker.fixture_site import Account, FixtureSite
from checker.store.history import History
from tests.capture.test_evidence import DISPLAY_NAME, EMAIL, PNG_SIGNATURE, ada, assert_nothing_personal
from tests.conftest import Cli, check_args, check_result

__all__ = ["ada"]  # the fixture, used by name


def check(cli: Cli, site: FixtureSite, *extra: str) -> tuple[int, dict[str, Any]]:
    code, document = cli.json(*check_args(site, *extra))
    [result] = document["results"]
    return code, result


def kept(result: dict[str, Any], home: Path) -> tuple[Path, dict[str, str]]:
    """The result's evidence folder and hashes, each hash checked against its file."""
    folder = Path(result["proof"]["path"])
    hashes: dict[str, str] = result["proof"]["sha256"]
    assert folder.parent == home / "evidence" / "readings"
    assert sorted(path.name for path in folder.iterdir()) == sorted(hashes)
    for name, digest in hashes.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    return folder, hashes


def details(folder: Path, stage: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((folder / f"{stage}.json").read_text())
    return loaded


def write_config(home: Path, text: str) -> None:
    home.mkdir(mode=0o700, exist_ok=True)
    (home / "config.toml").write_text(text)


def test_a_fix_keeps_the_page_as_read_and_after_the_reload_with_hashes_in_the_chained_row(
    cli: Cli, site: FixtureSite, ada: Account, isolated_home: Path
) -> None:
    code, result = check(cli, site, "--apply", "--evidence", "always")
    assert (code, result["outcome"]) == (0, "fixed")
    # On the site's side: one save, kept; the covered pages loaded nothing more while captured.
    assert [(c.email, c.enabled, c.accepted) for c in site.setting_changes] == [(EMAIL, False, True)]
    assert ada.ai_training is False
    folder, hashes = kept(result, isolated_home)
    assert sorted(hashes) == ["after-reload.json", "after-reload.png", "read.json", "read.png"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE((folder / name).stat().st_mode) == 0o600 for name in hashes)
    read, after = details(folder, "read"), details(folder, "after-reload")
    assert (read["state"], after["state"]) == ("on", "off")
    for summary in (read, after):
        assert summary["url"].startswith(site.base_url + "/mypreferences/")
        assert summary["setting"] == "generative_ai_training"
        assert summary["captured_at"].endswith("Z")
        assert summary["tool_version"]
        assert summary["browser_version"]
        assert "content creation AI" in summary["switch"]  # the switch's accessible name
    for name in hashes:
        data = (folder / name).read_bytes()
        if name.endswith(".png"):
            assert data.startswith(PNG_SIGNATURE)
        assert_nothing_personal(data)
    # The history keeps the same, and the chain covers it: a hash changed in the row is caught.
    code, history = cli.json("history")
    assert history["entries"][0]["proof"] == result["proof"]
    assert cli("history", "verify").exit_code == 0
    with sqlite3.connect(isolated_home / "history.sqlite3") as db:
        db.execute(
            "UPDATE checks SET proof_sha256 = replace(proof_sha256, ?, ?)", (hashes["read.png"], "0" * 64)
        )
    verify = cli("history", "verify")
    assert verify.exit_code == 1
    assert "row 1 was changed" in verify.stdout + verify.stderr


def test_a_reading_alone_keeps_one_picture_and_the_default_keeps_none(
    cli: Cli, site: FixtureSite, ada: Account, isolated_home: Path
) -> None:
    code, result = check(cli, site)
    assert (code, result["outcome"], "proof" in result) == (1, "non_compliant", False)
    assert site.setting_changes == []
    assert not (isolated_home / "evidence").exists()
    write_config(isolated_home, 'evidence = "always"\n')
    code, result = check(cli, site)
    assert (code, result["outcome"]) == (1, "non_compliant")
    folder, hashes = kept(result, isolated_home)
    assert sorted(hashes) == ["read.json", "read.png"]
    assert details(folder, "read")["state"] == "on"
    assert (site.setting_changes, ada.ai_training) == ([], True)  # a reading touches nothing
    assert DISPLAY_NAME not in (folder / "read.json").read_text()
    # The command line wins over the file.
    code, result = check(cli, site, "--evidence", "failure")
    assert "proof" not in result


def test_old_evidence_is_pruned_by_age_unless_a_recent_row_names_it(
    cli: Cli, site: FixtureSite, ada: Account, isolated_home: Path
) -> None:
    write_config(isolated_home, 'evidence = "always"\nevidence_days = 30\n')
    readings = isolated_home / "evidence" / "readings"
    readings.mkdir(parents=True, mode=0o700)
    old = (utc_now() - timedelta(days=31)).strftime("%Y%m%dT%H%M%S000Z")
    recent = (utc_now() - timedelta(days=29)).strftime("%Y%m%dT%H%M%S000Z")
    for name in ("a", "b", "c"):
        (readings / f"{old}-{name * 12}-generative_ai_training").mkdir()
    (readings / f"{recent}-{'d' * 12}-generative_ai_training").mkdir()
    (readings / "not-ours").mkdir()
    # A row of the last 30 days names the old folder "a" (a check recorded just after midnight of a
    # folder's name, say): it stays.
    named = readings / f"{old}-{'a' * 12}-generative_ai_training"
    History.in_home(isolated_home).record(
        dataclasses.replace(check_result(account=EMAIL), proof=Proof(path=str(named), sha256=())),
        tool_version="t",
        browser_version="b",
    )
    _, result = check(cli, site)
    folder, _ = kept(result, isolated_home)
    assert sorted(path.name for path in readings.iterdir()) == sorted(
        [named.name, f"{recent}-{'d' * 12}-generative_ai_training", "not-ours", folder.name]
    )


def test_a_bad_evidence_value_in_the_config_file_is_named(cli: Cli, isolated_home: Path) -> None:
    write_config(isolated_home, 'evidence = "sometimes"\n')
    result = cli("check", "--base-url", "https://www.linkedin.com")
    assert result.exit_code == 4  # a config error, as docs/reference.md says
    assert f'{isolated_home / "config.toml"}: evidence: expected "failure"' in result.stderr
    write_config(isolated_home, "evidence_days = 0\n")
    result = cli("check", "--base-url", "https://www.linkedin.com")
    assert result.exit_code == 4  # a config error, as docs/reference.md says
    assert "evidence_days: expected a whole number of days" in result.stderr


def test_a_report_links_the_latest_evidence_and_hands_over_checked_copies(
    cli: Cli, site: FixtureSite, ada: Account, isolated_home: Path, tmp_path: Path
) -> None:
    check(cli, site, "--evidence", "always")
    _, result = check(cli, site, "--apply", "--evidence", "always")
    folder, hashes = kept(result, isolated_home)
    # Without --evidence-dir the page links the folder on this machine; the JSON names it.
    page = cli("report", "--format", "html").stdout
    assert f'href="{folder.as_uri()}"' in page
    [row] = json.loads(cli("report", "--format", "json").stdout)["rows"]
    assert row["proof"] == str(folder)
    # Handed over: the latest reading's files copied beside the report, linked relatively.
    out = tmp_path / "audit"
    out.mkdir()
    handed = cli("report", "-o", str(out / "report.html"), "--evidence-dir", str(out / "evidence"))
    assert handed.exit_code == 0, handed.stderr
    copy = out / "evidence" / folder.name
    assert sorted(path.name for path in copy.iterdir()) == sorted(hashes)
    assert all((copy / name).read_bytes() == (folder / name).read_bytes() for name in hashes)
    assert f'href="evidence/{folder.name}"' in (out / "report.html").read_text()
    again = cli("report", "--format", "json", "--evidence-dir", str(out / "evidence"))
    [row] = json.loads(again.stdout)["rows"]
    assert row["proof"] == str(copy)


def test_evidence_changed_after_the_check_stops_the_hand_over_and_writes_nothing(
    cli: Cli, site: FixtureSite, ada: Account, isolated_home: Path, tmp_path: Path
) -> None:
    _, result = check(cli, site, "--evidence", "always")
    folder, _ = kept(result, isolated_home)
    (folder / "read.json").write_text((folder / "read.json").read_text().replace('"on"', '"off"'))
    handed = cli("report", "-o", str(tmp_path / "report.html"), "--evidence-dir", str(tmp_path / "evidence"))
    assert handed.exit_code == 1
    assert f"{folder / 'read.json'}: does not match the SHA-256 its history row holds" in handed.stderr
    assert not (tmp_path / "report.html").exists()
    assert not (tmp_path / "evidence").exists()
