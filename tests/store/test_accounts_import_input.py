"""`accounts import` given input it must refuse: option-shaped emails, a field or a file too large
for an accounts file, more accounts than one import takes, one email given two passwords; and an
import stopped half-way leaves no keyring entry without its account. Real CLI, real keyring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.store import accounts_import
from checker.store.accounts import AccountList
from checker.store.accounts_import import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    ImportReport,
    import_accounts,
    read_rows,
)
from checker.store.credentials import CredentialStore
from tests.conftest import Cli


def imported(cli: Cli, path: Path, stdin: str) -> tuple[int, list[str], str]:
    """Exit code, stderr's lines and stdout of `accounts import PATH --passwords-stdin`."""
    result = cli("accounts", "import", str(path), "--passwords-stdin", input=stdin)
    return result.exit_code, result.stderr.splitlines(), result.stdout


def test_rows_whose_email_reads_like_an_option_are_refused_naming_the_value(
    cli: Cli, real_keyring: CredentialStore, tmp_path: Path
) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text(
        "email,label,groups\n--browser-path=./evil@x.org,,\n"
        "--browser-endpoint=ws://127.0.0.1:9/x@x.org,,\nalice@example.com,,\n"
    )
    stdin = "alice@example.com\tpw a\n"
    result = cli("accounts", "import", str(path), "--passwords-stdin", "--json", input=stdin)
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert [(o["line"], o["reason"]) for o in report["skipped"]] == [
        (2, "not an email address: '--browser-path=./evil@x.org' (it starts with '-', like an option)"),
        (
            3,
            "not an email address: '--browser-endpoint=ws://127.0.0.1:9/x@x.org' (it starts with '-', "
            "like an option)",
        ),
    ]
    assert [o["email"] for o in report["added"]] == ["alice@example.com"]
    assert real_keyring.get_password("--browser-path=./evil@x.org") is None


def test_a_password_line_whose_email_reads_like_an_option_imports_nothing(
    cli: Cli, real_keyring: CredentialStore, tmp_path: Path, isolated_home: Path
) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text("alice@example.com,,\n")
    code, errors, _ = imported(cli, path, "alice@example.com\tpw\n--browser-path=./evil@x.org\tpw\n")
    assert (code, errors) == (
        2,
        [
            "error: standard input, line 2: not an email address: '--browser-path=./evil@x.org' (it "
            "starts with '-', like an option); nothing was imported"
        ],
    )
    assert not (isolated_home / "accounts.json").exists()


def test_one_email_given_two_passwords_is_refused_and_the_others_are_added(
    cli: Cli, real_keyring: CredentialStore, tmp_path: Path
) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text("alice@example.com,,\nbob@example.com,,\n")
    stdin = "alice@example.com\tfirst\nbob@example.com\tbob pw\nALICE@example.com\tsecond\n"
    code, errors, out = imported(cli, path, stdin)
    assert code == 2
    assert out.splitlines() == [
        "added    line 2: bob@example.com",
        "refused  line 1: alice@example.com: standard input gives it on lines 1 and 3; nothing was stored",
    ]
    assert real_keyring.get_password("alice@example.com") is None
    assert real_keyring.get_password("bob@example.com") == "bob pw"
    assert "first" not in "".join(errors) + out
    assert "second" not in "".join(errors) + out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "email,label,groups\nalice@example.com," + "x" * 1_000_000 + ",\n",
            "line 2: cannot be read as CSV (field larger than field limit (131072)); nothing was imported",
        ),
        (
            "".join(f"user{n}@example.com,,\n" for n in range(MAX_ROWS + 1)),
            f": more than {MAX_ROWS} accounts (line {MAX_ROWS + 1}); nothing was imported: import at "
            f"most {MAX_ROWS} at a time (the OS keyring slows with every entry it holds; see accounts "
            "import --help)",
        ),
        (
            "# padding\n" * (MAX_FILE_BYTES // 10 + 1),
            f": larger than 4 MiB, more than an import of {MAX_ROWS} accounts needs; nothing was imported",
        ),
    ],
    ids=["a 1 MB field", "too many accounts", "too large a file"],
)
def test_a_file_no_import_should_take_is_refused_in_one_line_and_nothing_is_imported(
    cli: Cli, real_keyring: CredentialStore, tmp_path: Path, isolated_home: Path, content: str, message: str
) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text(content)
    code, errors, out = imported(cli, path, "alice@example.com\tpw\nuser0@example.com\tpw\n")
    assert (code, errors, out) == (2, [f"error: {path}{'' if message[0] == ':' else ', '}{message}"], "")
    assert real_keyring.get_password("alice@example.com") is None
    assert real_keyring.get_password("user0@example.com") is None
    assert not (isolated_home / "accounts.json").exists()


def test_an_import_stopped_half_way_keeps_the_saved_accounts_and_no_keyring_entry_without_one(
    real_keyring: CredentialStore, tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Saved every 10 accounts, not every SAVE_EVERY: the same steps, a tenth of the keyring's calls.
    save_every = 10
    monkeypatch.setattr(accounts_import, "SAVE_EVERY", save_every)
    total, stop_at = save_every * 2, save_every + save_every // 2
    path = tmp_path / "fleet.csv"
    path.write_text("".join(f"user{n}@example.com,,\n" for n in range(total)))
    report = ImportReport()
    rows = read_rows(path, report)
    accounts = AccountList.in_home(isolated_home)

    def password_for(email: str) -> str:
        if email == f"user{stop_at}@example.com":
            raise KeyboardInterrupt  # Ctrl-C while the import runs
        return f"pw of {email}"

    with pytest.raises(KeyboardInterrupt):
        import_accounts(rows, accounts, real_keyring, password_for, report, asks=False)
    # The first save_every accounts were saved with their passwords; the ones after were not, and
    # their keyring entries are gone again.
    saved = [f"user{n}@example.com" for n in range(save_every)]
    assert accounts.emails() == saved
    assert all(real_keyring.get_password(email) == f"pw of {email}" for email in saved)
    assert [n for n in range(save_every, total) if real_keyring.get_password(f"user{n}@example.com")] == []
