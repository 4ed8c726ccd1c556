"""`accounts add/list/remove/unlock/login`: the accounts to check, their passwords in the OS keyring.

Adding and removing are all or nothing: the keyring and the accounts file change together, or
neither does. Listing reads only. `login` lets a person sign in themselves (checker/run/person.py).

Each command imports what it uses when it runs: the keyring, the cryptography, pyotp and the browser
are long imports, and only some commands need each.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from checker.cli.help import Command, command_group
from checker.cli.options import DEFAULT_WAIT_MINUTES, MAX_WAIT_MINUTES, BrowserPath, wait_seconds
from checker.cli.signals import HeldSignals
from checker.core.console import notice, say, stdout
from checker.core.errors import UsageError
from checker.core.redact import register_secret
from checker.core.safe_text import printable
from checker.core.urls import normalize_base_url
from checker.store.home import DEFAULT_BASE_URL, home_path, prepare_home

accounts_app = command_group("Manage the accounts to check (passwords live in the OS keyring).")


@accounts_app.command("add", cls=Command)
def accounts_add(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The account's LinkedIn sign-in email.")],
    password_stdin: Annotated[
        bool,
        typer.Option(
            help="Read the password from the first line of standard input"
            " (with --totp, the secret from the second)."
        ),
    ] = False,
    totp: Annotated[
        bool,
        typer.Option(help="Also store the account's authenticator (TOTP) secret, to answer code challenges."),
    ] = False,
    label: Annotated[
        str | None, typer.Option(metavar="TEXT", help="A name for the account in reports (a fleet's seat).")
    ] = None,
    group: Annotated[
        list[str] | None,
        typer.Option(metavar="NAME", help="A group the account is in, for `check --group`; repeatable."),
    ] = None,
) -> None:
    """Store an account's password in the OS keyring (asked with hidden input)."""
    with HeldSignals():
        from checker.store.accounts import AccountList
        from checker.store.credentials import CredentialStore
        from checker.store.emails import validate_email, validate_group, validate_label
        from checker.store.quarantine import Quarantine

    email = validate_email(email)
    label = validate_label(label) if label is not None else None
    groups = tuple(map(validate_group, group)) if group else None
    if not password_stdin:
        _need_a_terminal("the password", "--password-stdin")
    password, secret = _read_secrets(password_stdin=password_stdin, totp=totp)
    home = prepare_home(notice)
    accounts = AccountList.in_home(home)
    known = accounts.resolve(email)  # also checks the accounts file before the keyring changes
    account = known or email
    quarantine = Quarantine.in_home(home)
    quarantine.prepare()
    undo = CredentialStore().store(account, password, secret)
    try:
        accounts.add(account, label=label, groups=groups)
    except BaseException:
        undo()  # no keyring entry without its account
        raise
    say(f"{'Updated' if known else 'Added'} {account}; the password is in the keyring.")
    if quarantine.release(account):
        say("Its password is no longer held back: the next check may sign in with it.")


def _need_a_terminal(what: str, option: str) -> None:
    """Hidden input is typed on a terminal; from a pipe or a file it would be read as it is, after a
    warning that it may be echoed. Without a terminal, say how to give `what` instead."""
    if not sys.stdin.isatty():
        raise UsageError(f"no terminal to ask for {what}: give it on standard input with {option}")


def _read_secrets(*, password_stdin: bool, totp: bool) -> tuple[str, str | None]:
    if password_stdin:
        lines = sys.stdin.read().splitlines()
        password = lines[0] if lines else ""
        secret = lines[1].strip() if totp and len(lines) > 1 else ""
    else:
        password = typer.prompt("Password", hide_input=True, default="", show_default=False)
        secret = typer.prompt("TOTP secret", hide_input=True, default="", show_default=False) if totp else ""
    register_secret(password)
    if not password:
        raise UsageError("empty password: nothing was stored")
    if not totp:
        return password, None
    register_secret(secret)
    _check_totp_secret(secret)
    return password, secret


def _check_totp_secret(secret: str) -> None:
    with HeldSignals():
        import pyotp

    compact = secret.replace(" ", "").upper()
    try:
        decoded = base64.b32decode(compact + "=" * (-len(compact) % 8))
    except (binascii.Error, ValueError):
        raise UsageError(
            "the TOTP secret is not valid base32 (letters A-Z, digits 2-7): nothing was stored"
        ) from None
    try:
        pyotp.TOTP(compact).now()
    except ValueError as exc:
        # pyotp's own rule (NIST SP 800-63B); LinkedIn's secrets are 32 characters, 160 bits.
        raise UsageError(
            f"the TOTP secret is too short: {len(decoded) * 8} bits, and pyotp refuses it ({exc}): "
            "nothing was stored"
        ) from None


@accounts_app.command("list", cls=Command)
def accounts_list(json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the configured accounts: each one's label and groups, whether it has a saved session, and
    whether its password is held back (and why). Writes nothing."""
    with HeldSignals():
        from checker.store.accounts import AccountList
        from checker.store.emails import email_key
        from checker.store.quarantine import Quarantine

    home = home_path()
    entries = AccountList.in_home(home).entries()
    rows: list[dict[str, Any]] = []
    if entries:
        # A session counts as saved when it decrypts, with the key in the keyring: only then are the
        # keyring and the cryptography loaded.
        with HeldSignals():
            from checker.store.credentials import CredentialStore
            from checker.store.sessions import SessionStore

        sessions = SessionStore.in_home(home, CredentialStore())
        held = {email_key(hold.account): hold for hold in Quarantine.in_home(home).held()}  # read once
        # A label, groups and a hold only where an account has them: the document stays as it was.
        rows = []
        for entry in entries:
            hold = held.get(email_key(entry.email))
            rows.append(
                {
                    "email": entry.email,
                    **({"label": entry.label} if entry.label else {}),
                    **({"groups": list(entry.groups)} if entry.groups else {}),
                    "session_saved": sessions.has_any(entry.email),
                    **({"held_back": {"cause": hold.cause, "since": hold.since}} if hold else {}),
                }
            )
    if json_output:
        print(json.dumps({"accounts": rows}))
    elif not rows:
        stdout.print("No accounts. Add one with: linkedin-ai-optout accounts add EMAIL", markup=False)
    else:
        _print_accounts(rows)


def _print_accounts(rows: list[dict[str, Any]]) -> None:
    """One line an account, its columns lined up; a held-back password says why (since when: --json)."""
    with HeldSignals():
        from rich import box
        from rich.table import Table
        from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for name in ("account", "label", "groups", "session", "password"):
        # Only the user's own words may be cut short, never an email or a state.
        table.add_column(name, no_wrap=True, overflow="ellipsis" if name in ("label", "groups") else "fold")
    for row in rows:
        held = row.get("held_back")
        table.add_row(
            *map(
                Text,  # never markup: a label is the user's text
                [
                    printable(row["email"]),
                    printable(row.get("label", "")),
                    printable(", ".join(row.get("groups", []))),
                    "saved" if row["session_saved"] else "",
                    f"held back ({held['cause']})" if held else "",
                ],
            )
        )
    stdout.print(table)


@accounts_app.command("remove", cls=Command)
def accounts_remove(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The account to forget.")],
) -> None:
    """Remove an account: its keyring entries, its saved sessions, its place in the list."""
    with HeldSignals():
        from checker.store.accounts import AccountList
        from checker.store.credentials import CredentialStore
        from checker.store.emails import validate_email
        from checker.store.quarantine import Quarantine
        from checker.store.sessions import SessionStore

    email = validate_email(email)
    accounts = AccountList.in_home(home_path())
    account = accounts.require(email, addable=False)
    # Everything that could stop the removal is checked before the keyring changes.
    home = prepare_home(notice)
    sessions = SessionStore.in_home(home, CredentialStore())
    sessions.check_can_forget(account)
    undo = CredentialStore().remove(account)
    try:
        accounts.remove(account)
    except BaseException:
        undo()  # the account stays, with its password
        raise
    sessions.forget_account(account)
    Quarantine.in_home(home).release(account)
    say(f"Removed {account}.")


@accounts_app.command("unlock", cls=Command)
def accounts_unlock(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The account to let sign in again.")],
) -> None:
    """Let checks send an account's password again, after LinkedIn refused it or asked for a person."""
    with HeldSignals():
        from checker.store.accounts import AccountList
        from checker.store.emails import validate_email
        from checker.store.quarantine import Quarantine

    email = validate_email(email)
    account = AccountList.in_home(home_path()).require(email, addable=False)
    released = Quarantine.in_home(prepare_home(notice)).release(account)
    if released is None:
        say(f"{account} was not held back; nothing to do.")
    else:
        say(f"{account} may sign in again (held back since {released.since[:10]}, after {released.cause}).")


@accounts_app.command("login", cls=Command)
def accounts_login(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The account to sign in as.")],
    base_url: Annotated[
        str, typer.Option(metavar="URL", help="The site to sign in to; plain http only for loopback hosts.")
    ] = DEFAULT_BASE_URL,
    browser_path: BrowserPath = None,
    wait: Annotated[
        float,
        typer.Option(
            max=MAX_WAIT_MINUTES, metavar="MINUTES", help="Wait at most this long for you to sign in."
        ),
    ] = DEFAULT_WAIT_MINUTES,
) -> None:
    """Open a browser window on LinkedIn's sign-in page and let you sign in yourself (PIN, CAPTCHA,
    app approval, single sign-on); then save the session, encrypted, and lift any quarantine. The
    tool types nothing, and never uses the stored password."""
    with HeldSignals():
        from checker.core import loop
        from checker.linkedin.locate import Site
        from checker.linkedin.rules import load_rules
        from checker.run.person import WINDOW_TIMEOUT_MS, require_display, sign_in_in_person
        from checker.store.accounts import AccountList
        from checker.store.emails import validate_email
        from checker.store.sessions import key_name
        from checker.store.stores import prepare_stores

    origin = normalize_base_url(base_url)
    seconds = wait_seconds(wait)
    email = validate_email(email)
    account = AccountList.in_home(home_path()).require(email)
    require_display("accounts login")  # before anything is written or opened
    # Everything the sign-in ends with is checked before the person spends any effort on it.
    stores = prepare_stores(notice, history=False)
    # The keyring answers, so the session can be saved.
    stores.credentials.get_session_key(key_name(stores.home))
    site = Site(origin=origin, rules=load_rules(), timeout_ms=WINDOW_TIMEOUT_MS)
    loop.run(
        sign_in_in_person(
            account,
            site,
            stores.sessions,
            stores.home,
            browser_path=browser_path,
            wait_seconds=seconds,
            say=say,
        )
    )
    say(f"Signed in as {account}: the session is saved, encrypted; checks will use it.")
    if (released := stores.quarantine.release(account)) is not None:
        since = released.since[:10]
        say(f"Its password is no longer held back (it was since {since}, after {released.cause}).")


@accounts_app.command("import", cls=Command)
def accounts_import(
    file: Annotated[
        Path, typer.Argument(metavar="FILE.csv", help="Rows of email,label,groups (groups split by ';').")
    ],
    passwords_stdin: Annotated[
        bool,
        typer.Option(
            help="Read the passwords as EMAIL<TAB>PASSWORD lines from standard input, instead of "
            "asking for each with hidden input."
        ),
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print what was done as JSON.")] = False,
) -> None:
    """Add the accounts a CSV file lists (never passwords: those are asked for, or read from standard
    input); report what was added, skipped (malformed, or already there) and refused. Exit 0 when
    every row was added or already there, 2 when a row was malformed, had no password, or was given
    two passwords on standard input.
    A file of more than 2,000 accounts (or 4 MiB) is refused: the OS keyring slows
    with every entry it holds (gnome-keyring saves its whole file on each change), and 2,000 take a
    few minutes. A larger fleet mounts its passwords as files instead (deploy/kubernetes)."""
    with HeldSignals():
        from checker.store.accounts import AccountList
        from checker.store.accounts_import import ImportReport, import_accounts, read_passwords, read_rows
        from checker.store.credentials import CredentialStore

    report = ImportReport()
    rows = read_rows(file, report)
    if not passwords_stdin:
        _need_a_terminal("the passwords", "--passwords-stdin (EMAIL<TAB>PASSWORD lines)")
    passwords = read_passwords(sys.stdin.read()) if passwords_stdin else None
    # Everything that could stop every row is checked before the first password is asked for.
    home = prepare_home(notice)
    accounts = AccountList.in_home(home)
    accounts.entries()
    credentials = CredentialStore()
    if rows:
        credentials.probe()

    def password_for(email: str) -> str | None:
        if passwords is not None:
            return passwords.get(email)
        typed = typer.prompt(
            f"Password for {email}", hide_input=True, default="", show_default=False, err=True
        )
        register_secret(typed)
        return str(typed)

    import_accounts(rows, accounts, credentials, password_for, report, asks=passwords is None)
    if json_output:
        print(json.dumps(report.to_json()))
    else:
        for outcome in report.added:
            stdout.print(f"added    line {outcome.line}: {outcome.email}", markup=False, soft_wrap=True)
        for word, outcomes in (("skipped", report.skipped), ("refused", report.refused)):
            for outcome in outcomes:
                who = f"{outcome.email}: " if outcome.email else ""
                stdout.print(
                    f"{word:<8} line {outcome.line}: {who}{outcome.reason}", markup=False, soft_wrap=True
                )
        say(f"{len(report.added)} added, {len(report.skipped)} skipped, {len(report.refused)} refused.")
    raise typer.Exit(report.exit_code)
