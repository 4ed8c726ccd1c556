"""`report`: the history (or collected documents) per account and setting, as CSV, JSON or HTML;
`--sign` writes an SSH signature beside it, `report key` gives an auditor the public key, and
`report verify` checks a signed report (checker/outputs/sshsig.py)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from checker.cli.help import Command, command_group
from checker.cli.options import Group
from checker.cli.signals import HeldSignals
from checker.core.console import say, stdout, warning
from checker.core.errors import CheckerError, ExitCode, UsageError
from checker.core.outcome import SiteChange, iso
from checker.store.home import home_path

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from checker.outputs.fleet import Record
    from checker.store.objections import Objection

report_app = command_group(
    "Report per account and setting; `report key` and `report verify` for signed reports.", runs_alone=True
)


class ReportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    JSONL = "jsonl"
    OCSF = "ocsf"
    HTML = "html"


_SUFFIXES = {
    ".csv": ReportFormat.CSV,
    ".json": ReportFormat.JSON,
    ".jsonl": ReportFormat.JSONL,
    ".html": ReportFormat.HTML,
    ".htm": ReportFormat.HTML,
}


def _report_format(given: ReportFormat | None, output: Path | None) -> ReportFormat:
    """--format, else the one the output file's extension names, else CSV; UsageError when --format
    and the extension name different ones (a CSV in `report.html` opens as garbage)."""
    named = _SUFFIXES.get(output.suffix.lower()) if output is not None else None
    if given is not None and named is not None and given is not named:
        raise UsageError(
            f"--format {given} does not match {output}: give --format {named}, or a file ending in .{given}"
        )
    return given or named or ReportFormat.CSV


@report_app.callback()
def report(
    ctx: typer.Context,
    report_format: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            help="csv (one row per account and setting), json, jsonl (the rows as JSON Lines), ocsf"
            " (OCSF Compliance Findings, one a line), or html (one self-contained page: a summary, a"
            " chart per day, a table that sorts and filters). Default: the one --output's extension"
            " names, else csv.",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="Only checks from this UTC date (YYYY-MM-DD) or time on."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write there (replaced at once); else stdout."),
    ] = None,
    merge: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE_OR_DIR",
            exists=True,
            help="Report the result documents a collector stored (from check --report-to) instead of"
            " the history: a file, or a directory's *.json files (not its subdirectories); repeatable.",
        ),
    ] = None,
    group: Group = None,
    sign: Annotated[
        bool,
        typer.Option(
            "--sign",
            help="Sign the report: FILE.sig beside --output's FILE, an SSH signature an auditor checks"
            " with ssh-keygen -Y verify (see report key).",
        ),
    ] = False,
    evidence_dir: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Copy the evidence of the readings the report links (check --evidence always) into"
            " DIR, each file checked against its history row, and link the copies.",
        ),
    ] = None,
) -> None:
    """Report per account and setting, from the history (or the documents of --merge): the latest
    state, when it last changed, drift events, the last error and its evidence; `report key` and
    `report verify` for signed reports."""
    if ctx.invoked_subcommand is not None:
        return
    if sign and output is None:
        raise UsageError("--sign needs --output FILE: the signature is written beside it, as FILE.sig")
    with HeldSignals():
        from checker.linkedin.rules import load_catalog
        from checker.outputs.fleet import (
            Record,
            as_csv,
            as_json,
            as_jsonl,
            build_rows,
            chain_sentence,
            in_period,
            with_objections,
            write_report,
        )
        from checker.outputs.html import as_html
        from checker.outputs.merge import load_records
        from checker.outputs.results import site_change_sentence
        from checker.store.accounts import AccountList, group_members
        from checker.store.emails import email_key
        from checker.store.history import History
        from checker.store.listings import Listings
        from checker.store.objections import Objections

    report_format = _report_format(report_format, output)
    start = _parse_since(since) if since is not None else None
    accounts = AccountList.in_home(home_path()).entries()  # for --group and the labels
    members = group_members(accounts, group) if group else None
    changes: list[SiteChange] = []
    chain: dict[str, Any] | None = None  # the history's hash chain, as verified now
    objections: dict[str, Objection] = {}  # each account's latest, from the history
    if merge:
        records = load_records(merge, warn=warning)
        source = _merged_source(records, len(merge))
    else:
        history = History.in_home(home_path())
        records = [Record(entry.result) for entry in history.entries(limit=ALL_ENTRIES)]
        changes = Listings(history).changes(since=start)
        objections = Objections(history).latest()
        found = history.verify()
        chain = {"rows": found.rows, "head": found.head, "intact": found.intact, "problem": found.problem}
        source = "the history of linkedin-ai-optout on this machine"
    if members is not None:
        records = [record for record in records if email_key(record.result.account) in members]
    period = in_period(records, start)
    rows = build_rows(period, labels={email_key(account.email): account.label for account in accounts})
    rows = with_objections(rows, objections)
    key = _signing_key(create=True) if sign else None  # the keyring, asked before anything is written
    links: dict[str, str] = {}
    if evidence_dir is not None:
        from checker.outputs.evidence_copy import hand_over

        rows = hand_over(rows, period, evidence_dir, warning)
        if output is not None:  # handed over together: the report links the copies beside it
            links = {row.proof: _relative(row.proof, output.parent) for row in rows if row.proof}
    if report_format is ReportFormat.HTML:
        titles = {name: setting.title for name, setting in load_catalog().settings.items()}
        text = as_html(
            rows,
            period,
            since=start,
            source=source,
            titles=titles,
            site_changes=changes,
            chain=chain,
            links=links,
        )
    elif report_format is ReportFormat.CSV:
        text = as_csv(rows)  # one row per account and setting: the rest goes to stderr
        for change in changes:
            say(f"note: {site_change_sentence(change)} (seen {iso(change.seen_at)} on {change.account})")
        if chain is not None and (chain["rows"] or not chain["intact"]):
            say(f"note: {chain_sentence(chain)}")
    elif report_format is ReportFormat.JSONL:
        text = as_jsonl(rows)
    elif report_format is ReportFormat.OCSF:
        from checker.outputs.ocsf import as_ocsf

        text = as_ocsf(rows, {name: setting.title for name, setting in load_catalog().settings.items()})
    else:
        text = as_json(rows, changes, chain)
    if output is None:
        sys.stdout.write(text)
        return
    write_report(output, text)
    said = f"wrote {len(rows)} row{'s' if len(rows) != 1 else ''} to {output}"
    if key is not None:
        from checker.outputs.sshsig import sign as sign_file

        signature = output.with_name(output.name + ".sig")
        write_report(signature, sign_file(key, text.encode("utf-8")))
        said += f", signed in {signature}"
    say(said)


def _relative(path: str, start: Path) -> str:
    """`path` as a link from a page in `start`: relative, with forward slashes."""
    return Path(os.path.relpath(Path(path).resolve(), start.resolve())).as_posix()


def _merged_source(records: list[Record], paths: int) -> str:
    hosts = len({record.host for record in records if record.host})
    return (
        f"the result documents in {paths} merged path{'s' if paths != 1 else ''}:"
        f" {len(records)} distinct check{'s' if len(records) != 1 else ''}"
        f" from {hosts} host{'s' if hosts != 1 else ''}"
    )


ALL_ENTRIES = -1
"""SQLite's LIMIT -1: no limit."""


def _parse_since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since: expected a date (YYYY-MM-DD) or an ISO time, not {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@report_app.command("key", cls=Command)
def key() -> None:
    """Print the public key that signs reports, as a line of an auditor's allowed_signers file
    (made on first use, and kept in the keyring)."""
    with HeldSignals():
        from checker.outputs.sshsig import NAMESPACE, public_line
        from checker.store.signing_key import identity

    private = _signing_key(create=True)
    assert private is not None
    stdout.print(
        f'{identity()} namespaces="{NAMESPACE}" {public_line(private.public_key())}',
        markup=False,
        soft_wrap=True,
    )


@report_app.command("verify", cls=Command)
def verify(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The signed report; FILE.sig beside it.")],
) -> None:
    """Check a signed report against this machine's signing key, as ssh-keygen -Y verify would:
    exit 0 when FILE is as it was signed, 1 when it was changed or signed by another key."""
    with HeldSignals():
        from checker.outputs.sshsig import BadSignature, fingerprint
        from checker.outputs.sshsig import verify as verify_signature
        from checker.store.signing_key import identity

    signature = file.with_name(file.name + ".sig")
    try:
        message, armored = file.read_bytes(), signature.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(f"cannot read {exc.filename}: {exc.strerror}") from None
    ours = _signing_key(create=False)
    if ours is None:
        raise CheckerError(
            "no report signing key on this machine: verify with ssh-keygen -Y verify and the signer's"
            " allowed_signers line",
            ExitCode.FAILURE,
        )
    try:
        signer = verify_signature(armored, message).key
    except BadSignature as exc:
        raise CheckerError(f"{file}: bad signature: {exc}", ExitCode.ACTION_NEEDED) from None
    if fingerprint(signer) != fingerprint(ours.public_key()):
        raise CheckerError(
            f"{file}: signed by another key ({fingerprint(signer)}), not this machine's",
            ExitCode.ACTION_NEEDED,
        )
    stdout.print(
        f"{file}: good signature by {identity()} (ED25519 {fingerprint(signer)})",
        markup=False,
        soft_wrap=True,
    )


def _signing_key(*, create: bool) -> Ed25519PrivateKey | None:
    with HeldSignals():
        from checker.store.credentials import CredentialStore
        from checker.store.home import prepare_home
        from checker.store.signing_key import signing_key

    home = prepare_home(lambda _: None) if create else home_path()
    return signing_key(CredentialStore(), home, create=create)
