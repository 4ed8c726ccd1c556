"""The read-only keyring backend for a mounted Kubernetes Secret, loaded by keyring itself from
PYTHON_KEYRING_BACKEND in real processes, reading a directory laid out as kubelet lays one out, and
used by the real CLI against the fixture site."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path

import pyotp
import pytest
from keyring.errors import InitError, KeyringError, PasswordDeleteError, PasswordSetError

from checker.fixture_site import Account, FixtureSite
from checker.store.mounted_secrets import (
    BACKEND_ENV,
    BACKEND_NAME,
    SECRETS_DIR_ENV,
    SESSION_KEY_FILE,
    MountedSecrets,
)
from tests.conftest import check_args, run_cli, run_python

EMAIL = "Member+Seat3@Example.com"  # `+` and capitals: no Secret key could spell it
PASSWORD = "correct horse battery staple"
SESSION_KEY = base64.b64encode(bytes(range(224, 256))).decode()  # as `openssl rand -base64 32`: + and /
READ_ONLY = "are read-only: they are managed by the orchestrator (a Kubernetes Secret), not by this tool"


def kubelet_volume(
    root: Path, files: dict[str, str], *, stamp: str = "2026_11_23_09_30_00.000000001"
) -> Path:
    """A directory as kubelet mounts a Secret: the files in a timestamped directory, `..data` a link to
    it, and each key a link through `..data` (mode 0644, kubelet's default)."""
    root.mkdir(exist_ok=True)
    data = root / f"..{stamp}"
    data.mkdir()
    for name, text in files.items():
        (data / name).write_text(text)
        (data / name).chmod(0o644)
    link = root / "..data"
    fresh = root / "..data_tmp"
    fresh.symlink_to(data.name)
    fresh.replace(link)  # kubelet's atomic swap: a new ..data replaces the old one by rename
    for name in files:
        if not (root / name).is_symlink():
            (root / name).symlink_to(f"..data/{name}")
    return root


def account_file(email: str = EMAIL, password: str = PASSWORD, totp: str | None = None) -> str:
    lines = [f"email: {email}", f"password: {password}"] + ([f"totp: {totp}"] if totp else [])
    return "\n".join(lines) + "\n"


def mounted_env(secrets: Path, backend: str = BACKEND_NAME) -> dict[str, str]:
    return os.environ | {BACKEND_ENV: backend, SECRETS_DIR_ENV: str(secrets)}


def configure(home: Path, *emails: str) -> None:
    """The accounts file, as the CronJob's init container copies it from its ConfigMap."""
    home.mkdir(mode=0o700, exist_ok=True)
    (home / "accounts.json").write_text(json.dumps({"accounts": list(emails)}))


Mount = Callable[[dict[str, str]], MountedSecrets]


@pytest.fixture
def mount(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Mount:
    """Mounts files as kubelet mounts a Secret, and gives the backend that reads them."""

    def mounted(files: dict[str, str]) -> MountedSecrets:
        monkeypatch.setenv(SECRETS_DIR_ENV, str(kubelet_volume(tmp_path / "mounted", files)))
        return MountedSecrets()

    return mounted


# --- how keyring chooses it ---------------------------------------------------------------------

ASK_KEYRING = """
import json, sys, keyring
ring = keyring.get_keyring()
print(json.dumps([f"{type(ring).__module__}.{type(ring).__name__}"]
                 + [keyring.get_password(service, user) for service, user in json.loads(sys.argv[1])]))
"""


# Its name now, and the one deployments made before the tool's folders still give.
@pytest.mark.parametrize("backend", [BACKEND_NAME, "checker.mounted_secrets.MountedSecrets"])
def test_keyring_loads_the_backend_from_python_keyring_backend_and_reads_a_kubelet_volume(
    tmp_path: Path, backend: str
) -> None:
    secrets = kubelet_volume(
        tmp_path / "secrets",
        {"seat-3": account_file(totp="JBSWY3DPEHPK3PXP"), SESSION_KEY_FILE: SESSION_KEY + "\n"},
    )
    asked = [
        ["linkedin-ai-optout", "member+seat3@example.com"],  # any spelling of the email
        ["linkedin-ai-optout:totp", EMAIL],
        ["linkedin-ai-optout", "other@example.com"],
        ["linkedin-ai-optout:totp", "other@example.com"],
        ["linkedin-ai-optout:session-key", "any-directory-hash"],
        ["some-other-service", EMAIL],
    ]
    done = run_python("-c", ASK_KEYRING, json.dumps(asked), env=mounted_env(secrets, backend))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        BACKEND_NAME,
        PASSWORD,
        "JBSWY3DPEHPK3PXP",
        None,
        None,
        SESSION_KEY,
        None,
    ]


DISCOVER = """
import json, keyring, keyring.backend
import checker.store.mounted_secrets  # imported, so registered with keyring: it must still never be picked
from checker.store.mounted_secrets import MountedSecrets
from importlib.metadata import entry_points
print(json.dumps({
    "viable": MountedSecrets.viable,
    "all": [type(ring).__name__ for ring in keyring.backend.get_all_keyring()],
    "chosen": type(keyring.get_keyring()).__name__,
    "entry_points": [ep.value for ep in entry_points(group="keyring.backends")],
}))
"""


def test_keyring_discovery_never_picks_the_backend_even_once_it_is_imported(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != BACKEND_ENV}
    secrets = kubelet_volume(tmp_path / "secrets", {"seat-3": account_file()})
    env |= {SECRETS_DIR_ENV: str(secrets), "XDG_CONFIG_HOME": str(tmp_path / "no-keyringrc")}
    done = run_python("-c", DISCOVER, env=env)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["viable"] is False
    assert "MountedSecrets" not in found["all"]
    assert found["chosen"] != "MountedSecrets"
    assert not any("checker" in value for value in found["entry_points"])


# --- the files ----------------------------------------------------------------------------------


def test_an_account_file_is_read_through_kubelets_links_one_trailing_newline_and_blanks_dropped(
    mount: Mount,
) -> None:
    ring = mount({"seat-3": f"\r\n  email:  {EMAIL}  \r\n\npassword:\t{PASSWORD}\r\n"})
    assert ring.get_password("linkedin-ai-optout", EMAIL) == PASSWORD
    assert ring.get_password("linkedin-ai-optout:totp", EMAIL) is None


def test_a_secret_kubelet_updates_by_swapping_its_data_link_is_read_at_once(mount: Mount) -> None:
    ring = mount({"seat-3": account_file(password="old password")})
    assert ring.get_password("linkedin-ai-optout", EMAIL) == "old password"
    update = {"seat-3": account_file(password="new password")}
    kubelet_volume(ring.directory, update, stamp="2026_11_24_00_00_00.000000001")
    assert ring.get_password("linkedin-ai-optout", EMAIL) == "new password"


NOT_A_LINE = (
    "line 2 is not `email: ...`, `password: ...` or `totp: ...` (an account file holds those lines only)"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"email: {EMAIL}\nhunter2:secret-ish\n", NOT_A_LINE),
        (f"email: {EMAIL}\nhunter2\n", NOT_A_LINE),
        (f"email: {EMAIL}\npassword: a\npassword: hunter2\n", "line 3: a second `password:` line"),
        (f"email: {EMAIL}\n", "no `password:` line, or an empty one"),
        (f"email: {EMAIL}\npassword:   \n", "no `password:` line, or an empty one"),
        ("password: hunter2\n", "no `email:` line, or an empty one"),
        ("email: not-an-email\npassword: hunter2\n", "the `email:` line does not hold an email address"),
        (  # an option, were it ever put on a command line
            "email: --browser-path=./evil@x.org\npassword: hunter2\n",
            "the `email:` line does not hold an email address",
        ),
        ("email: a@example.test\npassword: hunter2\n", "the `email:` line does not hold an email address"),
    ],
)
def test_a_malformed_account_file_is_named_with_its_line_and_never_quoted(
    mount: Mount, text: str, message: str
) -> None:
    ring = mount({"seat-3": text})
    with pytest.raises(KeyringError) as raised:
        ring.get_password("linkedin-ai-optout", EMAIL)
    assert str(raised.value) == f"{ring.directory / 'seat-3'}: {message}"
    assert "hunter2" not in str(raised.value)
    assert "secret-ish" not in str(raised.value)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: path.mkdir(), "is a directory, not a secret file: remove it from the mount"),
        (lambda path: path.write_bytes(b"x" * 70_000), "is larger than 64 KiB: not a secret file"),
        (lambda path: path.write_bytes(b"email: caf\xe9@example.com\n"), "is not UTF-8 text"),
        (lambda path: path.symlink_to("..data/gone"), "cannot be read: No such file or directory"),
    ],
)
def test_an_entry_that_is_no_secret_file_is_refused_naming_it(
    mount: Mount, make: Callable[[Path], object], message: str
) -> None:
    ring = mount({"seat-3": account_file()})
    make(ring.directory / "odd")
    with pytest.raises(KeyringError) as raised:
        ring.get_password("linkedin-ai-optout", EMAIL)
    assert str(raised.value) == f"{ring.directory / 'odd'} {message}"


def test_two_files_for_one_account_are_refused_naming_both(mount: Mount) -> None:
    ring = mount({"a": account_file(), "b": account_file(email=EMAIL.lower(), password="other")})
    with pytest.raises(KeyringError) as raised:
        ring.get_password("linkedin-ai-optout", "other@example.com")
    a, b = ring.directory / "a", ring.directory / "b"
    assert str(raised.value) == f"{a} and {b} are both for {EMAIL.lower()}: keep one of them"


@pytest.mark.parametrize("key", ["not base64!", "c2hvcnQ=", ""])
def test_a_session_key_file_that_holds_no_32_byte_key_is_refused_with_how_to_make_one(
    mount: Mount, key: str
) -> None:
    ring = mount({SESSION_KEY_FILE: key})
    with pytest.raises(KeyringError) as raised:
        ring.get_password("linkedin-ai-optout:session-key", "any")
    assert str(raised.value) == (
        f"{ring.directory / SESSION_KEY_FILE} is not a session key: it must be 32 random bytes in base64 "
        "(make one with: openssl rand -base64 32)"
    )


def test_a_missing_directory_is_an_init_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRETS_DIR_ENV, str(tmp_path / "not-mounted"))
    with pytest.raises(InitError, match=f"directory {tmp_path / 'not-mounted'} \\({SECRETS_DIR_ENV}\\)"):
        MountedSecrets()


def test_writes_and_deletions_are_refused_in_one_line_unless_nothing_changes(mount: Mount) -> None:
    backend = mount({"seat-3": account_file()})
    backend.set_password("linkedin-ai-optout", EMAIL, PASSWORD)  # what is mounted already: no change
    with pytest.raises(PasswordSetError) as refused:
        backend.set_password("linkedin-ai-optout", EMAIL, "another password")
    assert str(refused.value) == (
        f"the mounted secrets in {backend.directory} {READ_ONLY}; "
        "change the Secret to add or change an account"
    )
    with pytest.raises(PasswordSetError, match="add a session-key key to the Secret"):
        backend.set_password("linkedin-ai-optout:session-key", "any", SESSION_KEY)
    with pytest.raises(PasswordDeleteError) as not_deleted:
        backend.delete_password("linkedin-ai-optout", EMAIL)
    assert str(not_deleted.value).endswith(f"{READ_ONLY}; remove the account's file from the Secret")
    assert backend.get_password("linkedin-ai-optout", EMAIL) == PASSWORD


# --- through the CLI ----------------------------------------------------------------------------


def test_accounts_add_fails_in_one_line_with_exit_4_and_writes_nothing(
    tmp_path: Path, isolated_home: Path
) -> None:
    secrets = kubelet_volume(tmp_path / "secrets", {"seat-3": account_file()})
    before = {path: path.read_text() for path in secrets.rglob("*") if path.is_file()}
    result = run_cli(
        "accounts",
        "add",
        "new@example.com",
        "--password-stdin",
        env=mounted_env(secrets),
        stdin="pw-canary\n",
    )
    assert (result.returncode, result.stdout) == (4, "")
    assert result.stderr.splitlines() == [
        f"error: the keyring failed: PasswordSetError: the mounted secrets in {secrets} {READ_ONLY}; "
        "change the Secret to add or change an account"
    ]
    assert "pw-canary" not in result.stderr
    assert not (isolated_home / "accounts.json").exists()
    assert {path: path.read_text() for path in secrets.rglob("*") if path.is_file()} == before


def test_accounts_add_of_the_password_mounted_lists_the_account_and_changes_no_secret(
    tmp_path: Path, isolated_home: Path
) -> None:
    secrets = kubelet_volume(tmp_path / "secrets", {"seat-3": account_file()})
    result = run_cli("accounts", "add", EMAIL, "--password-stdin", env=mounted_env(secrets), stdin=PASSWORD)
    assert result.returncode == 0, result.stderr
    assert json.loads((isolated_home / "accounts.json").read_text())["accounts"] == [EMAIL]


def test_accounts_remove_of_a_mounted_account_fails_and_the_account_stays(
    tmp_path: Path, isolated_home: Path
) -> None:
    secrets = kubelet_volume(tmp_path / "secrets", {"seat-3": account_file()})
    configure(isolated_home, EMAIL)
    result = run_cli("accounts", "remove", EMAIL, env=mounted_env(secrets))
    assert result.returncode == 4
    assert result.stderr.splitlines() == [
        f"error: the keyring would not delete the password: the mounted secrets in {secrets} are "
        "read-only: they are managed by the orchestrator (a Kubernetes Secret), not by this tool; "
        "remove the account's file from the Secret"
    ]
    assert json.loads((isolated_home / "accounts.json").read_text())["accounts"] == [EMAIL]


def test_doctor_and_check_name_a_secrets_directory_that_is_not_mounted(
    tmp_path: Path, isolated_home: Path, site: FixtureSite
) -> None:
    site.add_account(Account(email=EMAIL, password=PASSWORD))
    configure(isolated_home, EMAIL)
    env = mounted_env(tmp_path / "not-mounted")
    reason = (
        f"the keyring failed: InitError: the mounted secrets directory {tmp_path / 'not-mounted'} "
        f"({SECRETS_DIR_ENV}) does not exist or is not a directory: mount the Secret there, or set "
        f"{SECRETS_DIR_ENV} to where it is mounted"
    )
    doctor = run_cli("doctor", "--json", env=env)
    [keyring] = [finding for finding in json.loads(doctor.stdout)["findings"] if finding["name"] == "keyring"]
    assert (doctor.returncode, keyring["ok"]) == (4, False)
    assert keyring["detail"].startswith(reason)

    check = run_cli(*check_args(site, "--json"), env=env)
    error = json.loads(check.stdout)["error"]
    assert (check.returncode, error["exit_code"]) == (4, 4)
    assert error["message"] == f"{keyring['detail']}; {keyring['fix']}"  # doctor's words, before the browser
    assert check.stderr.splitlines() == [f"error: {error['message']}"]
    assert site.received == []


def test_check_signs_in_with_the_mounted_password_and_totp_and_says_why_no_session_is_kept(
    tmp_path: Path, isolated_home: Path, site: FixtureSite
) -> None:
    totp = pyotp.random_base32()
    site.add_account(Account(email=EMAIL, password=PASSWORD, challenge="authenticator", totp_secret=totp))
    secrets = kubelet_volume(tmp_path / "secrets", {"seat-3": account_file(totp=totp)})
    configure(isolated_home, EMAIL)

    first = run_cli(*check_args(site, "--apply", "--json"), env=mounted_env(secrets))
    [result] = json.loads(first.stdout)["results"]
    assert (first.returncode, result["outcome"]) == (0, "fixed"), first.stderr
    assert site.account(EMAIL).ai_training is False
    assert site.password_submissions(EMAIL) == 1
    assert [(kind, correct) for _, kind, correct in site.challenge_attempts] == [("authenticator", True)]
    # No session key is mounted: the session is not kept, and the warning says how to keep it.
    assert f"could not save the session of {EMAIL}: " in first.stderr
    assert (
        "add a session-key key to the Secret (32 random bytes, base64: openssl rand -base64 32)"
        in first.stderr
    )
    assert PASSWORD not in first.stdout + first.stderr
    assert totp not in first.stdout + first.stderr

    second = run_cli(*check_args(site, "--json"), env=mounted_env(secrets))
    assert json.loads(second.stdout)["results"][0]["outcome"] == "compliant"
    assert site.password_submissions(EMAIL) == 2  # nothing saved, so it signed in again


def test_with_a_mounted_session_key_the_session_is_kept_and_the_next_check_sends_no_password(
    tmp_path: Path, isolated_home: Path, site: FixtureSite
) -> None:
    site.add_account(Account(email=EMAIL, password=PASSWORD))
    secrets = kubelet_volume(tmp_path / "secrets", {"seat-3": account_file(), SESSION_KEY_FILE: SESSION_KEY})
    configure(isolated_home, EMAIL)

    first = run_cli(*check_args(site, "--json"), env=mounted_env(secrets))
    assert json.loads(first.stdout)["results"][0]["outcome"] == "non_compliant"
    assert "could not save the session" not in first.stderr
    listed = run_cli("accounts", "list", "--json", env=mounted_env(secrets))
    assert [row["session_saved"] for row in json.loads(listed.stdout)["accounts"]] == [True]

    second = run_cli(*check_args(site, "--apply", "--json"), env=mounted_env(secrets))
    assert (second.returncode, json.loads(second.stdout)["results"][0]["outcome"]) == (0, "fixed")
    assert site.password_submissions(EMAIL) == 1  # the saved session was used


def test_a_malformed_account_file_fails_doctor_naming_the_file_and_never_its_content(
    tmp_path: Path, isolated_home: Path
) -> None:
    secrets = kubelet_volume(tmp_path / "secrets", {"seat-3": f"email: {EMAIL}\npasword: pw-canary\n"})
    doctor = run_cli("doctor", env=mounted_env(secrets))
    assert doctor.returncode == 4
    [failed] = [line for line in doctor.stdout.splitlines() if line.startswith("FAIL keyring")]
    assert f"{secrets / 'seat-3'}: line 2 is not `email: ...`" in failed
    assert "pw-canary" not in doctor.stdout + doctor.stderr


@pytest.mark.parametrize(
    ("chosen", "why"),
    [
        (
            "checker.mounted_secret.MountedSecrets",
            "ModuleNotFoundError: No module named 'checker.mounted_secret'",
        ),
        (
            "checker.store.mounted_secrets.Mounted",
            "AttributeError: module 'checker.store.mounted_secrets' has no attribute",
        ),
    ],
)
def test_a_misspelt_backend_is_named_in_one_line_by_doctor_and_check(
    tmp_path: Path, isolated_home: Path, site: FixtureSite, chosen: str, why: str
) -> None:
    site.add_account(Account(email=EMAIL, password=PASSWORD))
    configure(isolated_home, EMAIL)
    env = os.environ | {BACKEND_ENV: chosen, "DBUS_SESSION_BUS_ADDRESS": ""}
    said = f"{BACKEND_ENV}={chosen!r} names no keyring backend ({why}"
    doctor = run_cli("doctor", "--json", env=env)
    [keyring] = [finding for finding in json.loads(doctor.stdout)["findings"] if finding["name"] == "keyring"]
    assert (doctor.returncode, keyring["ok"]) == (4, False)
    assert keyring["detail"].startswith(said)
    assert "D-Bus" not in keyring["detail"] + keyring["fix"]  # a pod's advice is not a desktop's
    assert keyring["fix"].startswith(f"{BACKEND_ENV}={chosen} chose this backend")
    check = run_cli(*check_args(site, "--json"), env=env)
    error = json.loads(check.stdout)["error"]
    assert (check.returncode, error["message"]) == (4, f"{keyring['detail']}; {keyring['fix']}")
    assert "internal error" not in check.stderr
    assert site.received == []
