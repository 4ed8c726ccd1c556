"""Everything a run that signs in reads and writes, prepared in one go: the home, the quarantine,
the keyring, the saved sessions, and (for a check) the history, each checked usable before the
browser touches LinkedIn. `check`, `record` and `accounts login` all start here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from checker.store.credentials import CredentialStore
from checker.store.history import History
from checker.store.home import prepare_home
from checker.store.quarantine import Quarantine
from checker.store.sessions import SessionStore


@dataclass(frozen=True)
class Stores:
    """What a run reads and writes, each checked usable before the browser touches LinkedIn."""

    home: Path
    credentials: CredentialStore
    sessions: SessionStore
    quarantine: Quarantine
    history: History | None
    """None for a run that records no check (`record`, `accounts login`)."""


def prepare_stores(notice: Callable[[str], None], *, history: bool) -> Stores:
    """The home and every store the run writes to, checked and created where absent (what was done
    goes to `notice`); raises CheckerError naming the first that is not usable."""
    home = prepare_home(notice)
    prepared_history = None
    if history:
        prepared_history = History.in_home(home)
        prepared_history.prepare()
    credentials = CredentialStore()
    sessions = SessionStore.in_home(home, credentials)
    sessions.prepare()
    quarantine = Quarantine.in_home(home)
    quarantine.prepare()
    return Stores(home, credentials, sessions, quarantine, prepared_history)
