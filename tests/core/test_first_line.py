"""`first_line`: the one way an error's first line goes into a message, a record or a log, with every
registered secret masked."""

from __future__ import annotations

from checker.core.redact import MASK, first_line, register_secret

SECRET = "hunter2-first-line-9c41"


def test_the_first_line_of_an_error_is_taken_and_a_registered_secret_in_it_is_masked() -> None:
    register_secret(SECRET)
    error = RuntimeError(f"  the site refused password={SECRET}\n  at line 2 {SECRET}\n")
    assert first_line(error) == f"the site refused password={MASK}"


def test_a_secret_in_any_encoding_is_masked_in_a_text_too() -> None:
    register_secret(SECRET)
    assert first_line(f"GET /login?p={SECRET.replace('-', '%2D')}\nmore") == f"GET /login?p={MASK}"


def test_an_error_without_a_message_is_named_by_its_type_and_empty_text_stays_empty() -> None:
    assert first_line(TimeoutError()) == "TimeoutError"
    assert first_line("\n  \n") == ""
