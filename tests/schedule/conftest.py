"""The schedule tests' stand-in schedulers on PATH, odd paths for the tool, and a configured account."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.schedule.scheduling import Tools, configure_account, make_odd_paths, make_tools


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tools:
    return make_tools(tmp_path, monkeypatch)


@pytest.fixture
def odd_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_odd_paths(tmp_path, monkeypatch)


@pytest.fixture
def configured() -> str:
    return configure_account()
