"""Recorded pages are the suite's fixtures: every bundle in fixtures/recordings/ is replayed through
the tool's own steps with no server (checker/run/replay.py), and `check --replay DIR` says what a
check would. Adding a recording is adding a folder: the tests below find it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from playwright.async_api import Browser

from checker.core.resources import data_dir
from checker.run.replay import Recording, replay
from tests.conftest import Cli

RECORDINGS = sorted(path for path in (data_dir("fixtures") / "recordings").iterdir() if path.is_dir())


def test_the_project_ships_recordings_of_each_navigation_and_language() -> None:
    assert {path.name for path in RECORDINGS} >= {"classic-en", "nav-2026-en", "classic-fr", "nav-2026-fr"}


@pytest.mark.parametrize("path", RECORDINGS, ids=[path.name for path in RECORDINGS])
async def test_each_recording_replays_to_the_state_it_recorded_through_the_same_pages(
    browser: Browser, path: Path
) -> None:
    recording = Recording.read(path)
    replayed = await replay(browser, recording, timeout_ms=5000)
    manifest = recording.manifest
    if manifest["completed"]:
        assert replayed.result.state_before.value == manifest["state"], replayed.result.detail
    else:
        assert replayed.result.outcome.value == manifest["outcome"], replayed.result.detail
    assert replayed.pages == recording.pages


def test_check_replay_says_what_check_would_and_touches_no_keyring_and_no_home(
    cli: Cli, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")  # any use fails
    on = data_dir("fixtures") / "recordings" / "nav-2026-en"
    code, document = cli.json("check", "--replay", str(on), "--timeout", "5")
    [result] = document["results"]
    assert (code, result["outcome"], result["state_before"]) == (1, "non_compliant", "on")
    assert result["detail"].endswith("run with --apply to switch it off")
    table = cli("check", "--replay", str(data_dir("fixtures") / "recordings" / "classic-en"))
    assert table.exit_code == 0, table.stderr
    assert "already off" in table.stdout
    assert not isolated_home.exists()


def test_a_recording_whose_page_changed_replays_to_ui_changed(cli: Cli, tmp_path: Path) -> None:
    copy = tmp_path / "changed"
    shutil.copytree(data_dir("fixtures") / "recordings" / "classic-en", copy)
    har = copy / "walk.har"
    # LinkedIn renames the switch and rewords it: the page holds nothing the rules know.
    text = har.read_text().replace("allowDataForGenerativeAI", "allowDataForGenAIRenamed")
    text = text.replace("Use my data for training content creation AI models", "Another wording")
    har.write_text(text.replace('role=\\"switch\\"', 'role=\\"checkbox\\"'))
    code, document = cli.json("check", "--replay", str(copy), "--timeout", "2")
    assert (code, document["results"][0]["outcome"]) == (4, "ui_changed")


@pytest.mark.parametrize(
    ("extra", "named"),
    [(["--apply"], "--apply"), (["--dry-run"], "--dry-run"), (["a@example.com"], "EMAIL")],
)
def test_a_replay_refuses_what_would_act_or_choose_accounts(cli: Cli, extra: list[str], named: str) -> None:
    result = cli("check", "--replay", str(RECORDINGS[0]), *extra)
    assert result.exit_code == 2
    assert result.stderr == f"error: --replay reads a recording and changes nothing: drop {named}\n"


def test_a_directory_that_holds_no_recording_is_named_in_one_line(cli: Cli, tmp_path: Path) -> None:
    result = cli("check", "--replay", str(tmp_path), "--json")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: --replay: {tmp_path} holds no recording of linkedin-ai-optout")
    assert result.stderr.count("\n") == 1
    assert json.loads(result.stdout)["exit_code"] == 2
