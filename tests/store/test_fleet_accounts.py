"""A fleet's accounts: labels and groups in the accounts file, `check --group`, and `accounts import`
from a CSV file with the passwords asked for or read from standard input. Through the real CLI and
the real keyring."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from checker.fixture_site import Account, FixtureSite
from checker.store.credentials import CredentialStore
from tests.conftest import Cli, add_account, check_args, run_cli_in_a_terminal


def listed(cli: Cli) -> list[dict[str, object]]:
    code, document = cli.json("accounts", "list")
    assert code == 0
    accounts: list[dict[str, object]] = document["accounts"]
    return accounts


def test_an_account_carries_a_label_and_groups(cli: Cli, real_keyring: CredentialStore) -> None:
    result = cli(
        "accounts", "add", "r1@example.com", "--label", "Recruiter seat 1", "--group", "recruiting",
        "--group", "emea", "--password-stdin", input="pw\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    add_account(cli, "plain@example.com", "pw")
    assert listed(cli) == [
        {
            "email": "r1@example.com",
            "label": "Recruiter seat 1",
            "groups": ["recruiting", "emea"],
            "session_saved": False,
        },
        {"email": "plain@example.com", "session_saved": False},  # as it always was
    ]
    # Adding again changes the groups given and keeps the rest.
    cli("accounts", "add", "R1@example.com", "--group", "brand", "--password-stdin", input="pw2\n")
    assert listed(cli)[0] == {
        "email": "r1@example.com",
        "label": "Recruiter seat 1",
        "groups": ["brand"],
        "session_saved": False,
    }
    assert real_keyring.get_password("r1@example.com") == "pw2"
    text = cli("accounts", "list").stdout.splitlines()
    assert [line.split("  ")[0] for line in text[2:]] == ["r1@example.com", "plain@example.com"]
    assert [word.strip() for word in text[2].split("  ") if word] == [
        "r1@example.com",
        "Recruiter seat 1",
        "brand",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--group", "two words"], "not a group name: 'two words'"),
        (["--group", "-flag"], "not a group name: '-flag'"),
        (["--label", "x" * 201], "not a label"),
    ],
)
def test_a_bad_group_or_label_is_refused_before_the_keyring_changes(
    cli: Cli, real_keyring: CredentialStore, isolated_home: Path, args: list[str], message: str
) -> None:
    result = cli("accounts", "add", "a@example.com", *args, "--password-stdin", input="pw\n")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {message}")
    assert real_keyring.get_password("a@example.com") is None
    assert not (isolated_home / "accounts.json").exists()


def test_a_bad_group_in_the_accounts_file_is_named_with_the_file(cli: Cli, isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o700)
    path = isolated_home / "accounts.json"
    path.write_text(json.dumps({"accounts": [{"email": "a@example.com", "groups": ["ok", "no way"]}]}))
    result = cli("accounts", "list")
    assert result.exit_code == 4
    assert result.stderr.strip() == (
        f"error: {path}: accounts[0].groups[1]: not a group name: 'no way' (letters, digits, '.', '_' "
        "and '-', starting with a letter or digit)"
    )
    path.write_text(json.dumps({"accounts": [{"email": "a@example.com", "team": "x"}]}))
    assert cli("accounts", "list").stderr.strip() == (
        f"error: {path}: accounts[0].team: unknown key; an account's entry has email, label and groups"
    )


@pytest.fixture
def grouped(cli: Cli, site: FixtureSite, real_keyring: CredentialStore) -> dict[str, list[str]]:
    groups = {
        "a@example.com": ["recruiting"],
        "b@example.com": ["brand"],
        "c@example.com": ["Recruiting", "x"],
    }
    for email, names in groups.items():
        site.add_account(Account(email=email, password="pw"))
        args = [arg for name in names for arg in ("--group", name)]
        assert cli("accounts", "add", email, *args, "--password-stdin", input="pw\n").exit_code == 0
    return groups


def test_check_group_checks_the_groups_members_only(
    cli: Cli, site: FixtureSite, grouped: dict[str, list[str]]
) -> None:
    _, document = cli.json(*check_args(site, "--group", "RECRUITING"))  # groups ignore letter case
    assert [result["account"] for result in document["results"]] == ["a@example.com", "c@example.com"]
    assert site.password_submissions("b@example.com") == 0
    _, document = cli.json(*check_args(site, "--group", "brand", "--group", "x"))
    assert [result["account"] for result in document["results"]] == ["b@example.com", "c@example.com"]
    _, document = cli.json(*check_args(site, "c@example.com", "--group", "recruiting"))
    assert [result["account"] for result in document["results"]] == ["c@example.com"]


def test_an_unknown_group_is_exit_2_before_anything_runs(
    cli: Cli, site: FixtureSite, grouped: dict[str, list[str]]
) -> None:
    result = cli(*check_args(site, "--group", "finance"))
    assert (result.exit_code, result.stderr.strip()) == (
        2,
        "error: --group: no account is in the group 'finance'",
    )
    result = cli(*check_args(site, "b@example.com", "--group", "recruiting"))
    assert (result.exit_code, result.stderr.strip()) == (
        2,
        "error: --group: none of the accounts named is in the group",
    )
    assert site.received == []


# --- accounts import ----------------------------------------------------------------------------

CSV = """email,label,groups
alice@example.com,Recruiter seat 1,recruiting;emea
bob@example.com,"Brand, EMEA",brand
not-an-email,Nobody,
carol@example.com,,
alice@example.com,Again,
dave@example.com,Dave,ok,hunter2
"""


def test_import_adds_each_account_with_its_password_from_standard_input(
    cli: Cli, real_keyring: CredentialStore, tmp_path: Path
) -> None:
    add_account(cli, "carol@example.com", "carol's own")
    path = tmp_path / "fleet.csv"
    path.write_text(CSV)
    passwords = "alice@example.com\talice pw\nBOB@example.com\tbob pw\ncarol@example.com\tnew\n"
    result = cli("accounts", "import", str(path), "--passwords-stdin", "--json", input=passwords)
    assert result.exit_code == 2  # some rows were malformed
    report = json.loads(result.stdout)
    assert [(o["line"], o["email"]) for o in report["added"]] == [
        (2, "alice@example.com"),
        (3, "bob@example.com"),
    ]
    assert [(o["line"], o["email"], o["reason"]) for o in report["skipped"]] == [
        (4, None, "not an email address: 'not-an-email'"),
        (6, "alice@example.com", "listed already on line 2"),
        (7, None, "expected email,label,groups, found 4 columns (a password is never read from the file)"),
        (5, "carol@example.com", "already configured; left as it is"),
    ]
    assert report["refused"] == []
    assert listed(cli) == [
        {"email": "carol@example.com", "session_saved": False},
        {
            "email": "alice@example.com",
            "label": "Recruiter seat 1",
            "groups": ["recruiting", "emea"],
            "session_saved": False,
        },
        {"email": "bob@example.com", "label": "Brand, EMEA", "groups": ["brand"], "session_saved": False},
    ]
    assert real_keyring.get_password("alice@example.com") == "alice pw"
    assert real_keyring.get_password("bob@example.com") == "bob pw"
    assert real_keyring.get_password("carol@example.com") == "carol's own"  # left as it was
    assert "hunter2" not in result.stdout + result.stderr


def test_import_asks_for_each_missing_password_and_refuses_an_account_given_none(
    cli: Cli, real_keyring: CredentialStore, tmp_path: Path, isolated_home: Path
) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text("alice@example.com,Alice,\nbob@example.com,Bob,\n")  # no header: fine too
    answers = [(b"Password for alice@example.com", b"typed for alice\n"), (b"Password for bob", b"\n")]
    code, shown = run_cli_in_a_terminal("accounts", "import", str(path), answers=answers)
    assert code == 2, shown
    lines = [line.strip() for line in shown.splitlines() if line.strip()]
    assert lines == [
        "Password for alice@example.com:",
        "Password for bob@example.com:",
        "added    line 1: alice@example.com",
        "refused  line 2: bob@example.com: no password given; nothing was stored",
        "1 added, 0 skipped, 1 refused.",
    ]
    assert real_keyring.get_password("alice@example.com") == "typed for alice"
    assert real_keyring.get_password("bob@example.com") is None  # no account, no keyring entry
    assert [account["email"] for account in listed(cli)] == ["alice@example.com"]


def test_a_clean_import_is_exit_0(cli: Cli, real_keyring: CredentialStore, tmp_path: Path) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text("email,label,groups\n# staff who asked for help\na@example.com,,helpdesk\n")
    result = cli("accounts", "import", str(path), "--passwords-stdin", input="a@example.com\tpw\n")
    assert result.exit_code == 0, result.stderr
    assert listed(cli) == [{"email": "a@example.com", "groups": ["helpdesk"], "session_saved": False}]


def test_a_malformed_password_line_imports_nothing_and_never_echoes_the_password(
    cli: Cli, real_keyring: CredentialStore, tmp_path: Path, isolated_home: Path
) -> None:
    path = tmp_path / "fleet.csv"
    path.write_text("a@example.com,,\nb@example.com,,\n")
    stdin = "a@example.com\tpw a\nb@example.com secret-with-no-tab\n"
    result = cli("accounts", "import", str(path), "--passwords-stdin", input=stdin)
    assert (result.exit_code, result.stderr.strip()) == (
        2,
        "error: standard input, line 2: expected EMAIL<TAB>PASSWORD; nothing was imported",
    )
    assert real_keyring.get_password("a@example.com") is None
    assert not (isolated_home / "accounts.json").exists()


def test_an_unreadable_import_file_is_named_in_one_line(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    result = cli("accounts", "import", str(missing), "--passwords-stdin", input="")
    assert (result.exit_code, result.stderr.strip()) == (
        4,
        f"error: cannot read {missing}: No such file or directory",
    )
    binary = tmp_path / "fleet.csv"
    binary.write_bytes(b"\xff\xfe\x00a")
    result = cli("accounts", "import", str(binary), "--passwords-stdin", input="")
    assert (result.exit_code, result.stderr.strip()) == (4, f"error: {binary}: not UTF-8 text")


def test_report_group_shows_the_groups_members_only_with_their_labels(
    cli: Cli, site: FixtureSite, grouped: dict[str, list[str]]
) -> None:
    assert (
        cli(
            "accounts", "add", "a@example.com", "--label", "Seat A", "--password-stdin", input="pw\n"
        ).exit_code
        == 0
    )
    assert cli(*check_args(site)).exit_code == 1
    result = cli("report", "--format", "json", "--group", "recruiting")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    assert [row["account"] for row in rows] == ["a@example.com", "c@example.com"]
    assert [row["label"] for row in rows] == ["Seat A", None]  # the accounts file's label, when any
    csv_rows = list(csv.DictReader(io.StringIO(cli("report", "--group", "recruiting").stdout)))
    assert [(row["account"], row["label"]) for row in csv_rows] == [
        ("a@example.com", "Seat A"),
        ("c@example.com", ""),
    ]
    result = cli("report", "--group", "finance")
    assert (result.exit_code, result.stderr.strip(), result.stdout) == (
        2,
        "error: --group: no account is in the group 'finance'",
        "",
    )
