"""What the category pages listed, remembered per account in the history database, and each change
reported once for all accounts (checker/store/listings.py), on real SQLite files."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from checker.core.outcome import Change, Listed
from checker.store.history import History
from checker.store.listings import Listings

AI = Listed("/settings/ai", "Data for Generative AI Improvement")
RESEARCH = Listed("/settings/research", "Social, economic and workplace research")
NEW = Listed("/settings/new", "Data sharing with Microsoft for AI")
KNOWN = {AI.path, RESEARCH.path}
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def listings(tmp_path: Path) -> Listings:
    history = History(tmp_path / "history.sqlite3")
    history.prepare()
    return Listings(history)


def seen(store: Listings, account: str, *items: Listed, at: datetime = T0) -> list[tuple[str, str]]:
    changes = store.remember(account, "privacy", list(items), KNOWN, seen_at=at)
    return [(change.change.value, change.path) for change in changes]


def test_the_first_reading_learns_and_a_later_one_tells_what_was_added_and_removed(tmp_path: Path) -> None:
    store = listings(tmp_path)
    assert seen(store, "a@example.com", AI, RESEARCH) == []
    assert seen(store, "a@example.com", AI, RESEARCH) == []
    assert seen(store, "a@example.com", AI, NEW) == [("added", NEW.path), ("removed", RESEARCH.path)]
    assert seen(store, "a@example.com", AI, NEW) == []


def test_an_item_the_catalog_does_not_know_going_away_is_no_change(tmp_path: Path) -> None:
    store = listings(tmp_path)
    seen(store, "a@example.com", AI)
    assert seen(store, "a@example.com", AI, NEW) == [("added", NEW.path)]
    assert seen(store, "a@example.com", AI) == []


def test_each_account_keeps_its_own_list_and_a_change_is_reported_once_for_all(tmp_path: Path) -> None:
    store = listings(tmp_path)
    seen(store, "eu@example.com", AI, RESEARCH)
    seen(store, "us@example.com", RESEARCH)  # another region: no AI item, and that is no change
    assert seen(store, "us@example.com", RESEARCH) == []
    assert seen(store, "eu@example.com", AI, RESEARCH, NEW) == [("added", NEW.path)]
    assert seen(store, "US@example.com", RESEARCH, NEW) == []  # the same change: already reported
    # It goes, and comes back: each turn is reported again, once.
    assert seen(store, "eu@example.com", AI, RESEARCH) == []  # NEW is not a catalog setting
    assert seen(store, "eu@example.com", AI) == [("removed", RESEARCH.path)]
    assert seen(store, "us@example.com", NEW) == []
    assert seen(store, "eu@example.com", AI, RESEARCH) == [("added", RESEARCH.path)]


def test_the_changes_are_kept_in_the_history_with_who_saw_them_and_when(tmp_path: Path) -> None:
    store = listings(tmp_path)
    seen(store, "a@example.com", AI)
    seen(store, "a@example.com", AI, NEW, at=T0 + timedelta(days=2))
    [change] = store.changes()
    assert (change.category, change.change, change.label, change.path) == (
        "privacy",
        Change.ADDED,
        NEW.label,
        NEW.path,
    )
    assert (change.account, change.seen_at) == ("a@example.com", T0 + timedelta(days=2))
    assert store.changes(since=T0 + timedelta(days=3)) == []
    with closing(sqlite3.connect(tmp_path / "history.sqlite3")) as db:
        assert db.execute("SELECT count(*) FROM site_changes").fetchone() == (1,)


def test_a_history_with_no_file_yet_has_no_changes(tmp_path: Path) -> None:
    assert Listings(History(tmp_path / "absent.sqlite3")).changes() == []
