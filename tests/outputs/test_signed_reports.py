"""Signed reports (`report --sign`, `report key`, `report verify`): an SSH signature an auditor checks
with the real `ssh-keygen -Y verify`, made with an Ed25519 key kept in the real keyring."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from checker.store.history import History
from tests.conftest import Cli
from tests.store.test_history import record

NAMESPACE = "linkedin-ai-optout"


@pytest.fixture
def history(isolated_home: Path, real_keyring: object) -> History:
    isolated_home.mkdir(mode=0o700)
    history = History.in_home(isolated_home)
    for minutes, account in enumerate(["a@example.com", "b@example.com"]):
        record(history, account, minutes)
    return history


def ssh_keygen_verify(allowed: Path, identity: str, report: Path) -> subprocess.CompletedProcess[str]:
    """Exactly the auditor's command."""
    with report.open("rb") as stdin:
        return subprocess.run(
            ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", identity, "-n", NAMESPACE,
             "-s", f"{report}.sig"],
            stdin=stdin, capture_output=True, text=True, check=False,
        )  # fmt: skip


def test_a_signed_report_verifies_with_ssh_keygen_and_a_changed_byte_does_not(
    cli: Cli, history: History, tmp_path: Path
) -> None:
    report = tmp_path / "fleet.csv"
    result = cli("report", "-o", str(report), "--sign")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.endswith(f"wrote 2 rows to {report}, signed in {report}.sig\n")
    key = cli("report", "key")
    assert key.exit_code == 0, key.stderr
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(key.stdout)
    identity = key.stdout.split()[0]
    assert identity.startswith("linkedin-ai-optout@")
    assert f'namespaces="{NAMESPACE}" ssh-ed25519 ' in key.stdout
    good = ssh_keygen_verify(allowed, identity, report)
    assert good.returncode == 0, good.stderr
    assert f'Good "{NAMESPACE}" signature for {identity}' in good.stdout
    ours = cli("report", "verify", str(report))
    assert (ours.exit_code, ours.stdout.startswith(f"{report}: good signature by {identity}")) == (0, True)
    # One byte changed: both refuse it.
    data = bytearray(report.read_bytes())
    data[len(data) // 2] ^= 0x01
    report.write_bytes(bytes(data))
    assert ssh_keygen_verify(allowed, identity, report).returncode != 0
    changed = cli("report", "verify", str(report))
    assert changed.exit_code == 1
    assert changed.stderr == (
        f"error: {report}: bad signature: the signature does not match the file: it was changed"
        " after signing\n"
    )


def test_the_key_is_made_once_and_kept_in_the_keyring(cli: Cli, history: History, tmp_path: Path) -> None:
    first, second = cli("report", "key").stdout, cli("report", "key").stdout
    assert first == second
    for name in ("one.json", "two.html"):
        assert cli("report", "-o", str(tmp_path / name), "--sign").exit_code == 0
    # The key is in the keyring only: the home holds no more than the empty lock of its making.
    [lock] = history.path.parent.glob("*key*")
    assert (lock.name, lock.stat().st_size) == (".signing-key.lock", 0)
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(first)
    for name in ("one.json", "two.html"):
        assert ssh_keygen_verify(allowed, first.split()[0], tmp_path / name).returncode == 0


def test_sign_needs_an_output_file(cli: Cli, history: History) -> None:
    result = cli("report", "--sign")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --sign needs --output FILE: the signature is written beside it, as FILE.sig\n"
    )


def test_a_report_without_its_signature_is_named(cli: Cli, history: History, tmp_path: Path) -> None:
    report = tmp_path / "fleet.csv"
    assert cli("report", "-o", str(report)).exit_code == 0
    cli("report", "key")
    result = cli("report", "verify", str(report))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot read {report}.sig: No such file or directory")
