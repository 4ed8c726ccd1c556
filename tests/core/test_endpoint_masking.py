"""How an endpoint the tool talks to is shown in its messages (checker.core.urls.mask_endpoint): a
browser pool's and a collector's address, with nothing that may be a secret."""

from __future__ import annotations

import pytest

from checker.core.urls import mask_endpoint


@pytest.mark.parametrize(
    ("endpoint", "shown"),
    [
        ("ws://127.0.0.1:3000/playwright?token=s3cret", "ws://127.0.0.1:3000"),
        ("wss://pool.example.com/chromium/playwright", "wss://pool.example.com"),
        ("https://collector.example.com:8443/in/T0KEN?key=s3cret", "https://collector.example.com:8443"),
        ("http://[::1]:9222", "http://[::1]:9222"),
    ],
)
def test_an_endpoint_is_shown_without_its_path_and_query(endpoint: str, shown: str) -> None:
    assert mask_endpoint(endpoint) == shown


def test_a_user_and_password_before_the_host_are_not_shown() -> None:
    assert mask_endpoint("wss://me:pa55@pool.example.com/x") == "wss://pool.example.com"


def test_control_characters_in_the_host_are_shown_as_escapes() -> None:
    assert mask_endpoint("ws://pool\x1b.example:3000/") == "ws://pool\\x1b.example:3000"
