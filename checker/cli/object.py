"""`object`: object to LinkedIn's training of AI models on an account's data (GDPR Article 21),
through LinkedIn's Data Processing Objection form; the member submits it (checker/run/objection.py)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from checker.cli.options import DEFAULT_WAIT_MINUTES, MAX_WAIT_MINUTES, BrowserPath, wait_seconds
from checker.cli.signals import HeldSignals
from checker.core.console import notice, say, stdout
from checker.core.errors import CheckerError, ExitCode
from checker.core.urls import normalize_base_url
from checker.store.home import DEFAULT_BASE_URL, home_path

if TYPE_CHECKING:
    from checker.run.objection import Letter


def object_to_training(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The account that objects.")],
    print_only: Annotated[
        bool,
        typer.Option(
            "--print", help="Only print the explanation, the text and the form's address; open nothing."
        ),
    ] = False,
    language: Annotated[
        str | None,
        typer.Option(
            metavar="CODE",
            help="The text's language: en, fr, de, nl, it or es. Default: the form page's language,"
            " or with --print (or without a display) your locale's; else English.",
        ),
    ] = None,
    base_url: Annotated[
        str, typer.Option(metavar="URL", help="The site of the form; plain http only for loopback hosts.")
    ] = DEFAULT_BASE_URL,
    browser_path: BrowserPath = None,
    wait: Annotated[
        float,
        typer.Option(
            max=MAX_WAIT_MINUTES, metavar="MINUTES", help="Wait at most this long for you to submit the form."
        ),
    ] = DEFAULT_WAIT_MINUTES,
) -> None:
    """Object to LinkedIn's use of your data for training AI (EU, EEA, UK, Switzerland): the
    setting covers only content-creating models and does not undo past training. Opens LinkedIn's
    Data Processing Objection form in a window signed in with the saved session, fills it with a
    prepared objection, and waits for you to read and submit it (the tool never does); LinkedIn's
    confirmation is then recorded in the history as objection_submitted. Exit 0 when recorded (or
    printed, with --print); 2 for bad input; 3 when you must act (no display: the text is printed; no
    working saved session; nothing submitted in time); 4 when the form is not recognised (nothing is
    filled, and the text is printed)."""
    with HeldSignals():
        from checker.run import objection
        from checker.store.accounts import AccountList
        from checker.store.emails import validate_email

    origin = normalize_base_url(base_url)
    seconds = wait_seconds(wait)
    email = validate_email(email)
    chosen = objection.asked_language(language) if language is not None else None
    accounts = AccountList.in_home(home_path())
    if print_only:
        fallback = chosen or objection.environment_language(os.environ)
        _print_letter(objection.letter(accounts.resolve(email) or email, origin, fallback))
        return
    account = accounts.require(email)
    with HeldSignals():
        from checker.core import loop
        from checker.linkedin.browser import display_available
        from checker.store.objections import RECORD
        from checker.store.stores import prepare_stores

    if not display_available():
        _print_letter(objection.letter(account, origin, chosen or objection.environment_language(os.environ)))
        raise CheckerError(
            "object shows LinkedIn's form in a browser window, and there is no display ($DISPLAY and"
            " $WAYLAND_DISPLAY are empty): send the text above yourself, or run object in your desktop"
            " session",
            ExitCode.ATTENTION,
        )
    # What the objection ends with (the history, the session) is checked before the window opens.
    stores = prepare_stores(notice, history=True)
    assert stores.history is not None
    result = loop.run(
        objection.object_in_person(
            account,
            origin,
            stores.sessions,
            stores.history,
            stores.home,
            language=chosen,
            browser_path=browser_path,
            wait_seconds=seconds,
            say=say,
        )
    )
    if isinstance(result, objection.Letter):
        _print_letter(result)
        raise CheckerError(
            "LinkedIn's objection form was not one the tool recognises, so nothing was filled: send the"
            " text above yourself, at the address above",
            ExitCode.FAILURE,
        )
    reference = f" (reference {result.reference})" if result.reference else ""
    say(
        f"LinkedIn confirmed the objection of {account}{reference}: recorded in the history as"
        f" {RECORD} at {result.to_json()['submitted_at']}."
    )


def _print_letter(letter: Letter) -> None:
    """The explanation, the form's address and the text, on stdout: what the member needs to object."""
    with HeldSignals():
        from checker.run.objection import EXPLANATION

    stdout.print(
        f"{EXPLANATION}\n\n"
        f"LinkedIn's Data Processing Objection form: {letter.form_url}\n"
        "There, choose the type of objection about training AI models that create content (or Other),"
        f" and send this text ({letter.language}):\n\n{letter.text}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
