"""The key that signs reports (`report --sign`): Ed25519, made on first use and kept in the keyring
(or the mounted-secrets backend) under the home's name, never in a file. Who holds the keyring holds
the key: the public half is what an auditor trusts (`report key`)."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from filelock import Timeout

from checker.core.errors import ConfigError
from checker.store.credentials import CredentialStore
from checker.store.home import private_lock
from checker.store.sessions import key_name

_LOCK = ".signing-key.lock"


def identity() -> str:
    """Who signs, as an auditor's allowed_signers file names it."""
    return f"linkedin-ai-optout@{socket.gethostname()}"


def signing_key(credentials: CredentialStore, home: Path, *, create: bool) -> Ed25519PrivateKey | None:
    """The home's signing key; when there is none, a new one kept in the keyring if `create`, else
    None. KeyringUnavailable when the keyring cannot give or keep it."""
    name = key_name(home)
    key = _decoded(credentials.get_signing_key(name))
    if key is not None or not create:
        return key
    lock = private_lock(home / _LOCK)
    try:
        lock.acquire(timeout=4 * credentials.timeout)
    except Timeout:
        raise ConfigError(f"{home / _LOCK}: another run is making the signing key: try again") from None
    try:
        # Another run may have made it meanwhile: that one is kept, or its signatures would not verify.
        key = _decoded(credentials.get_signing_key(name))
        if key is None:
            key = Ed25519PrivateKey.generate()
            raw = key.private_bytes_raw()
            credentials.set_signing_key(name, base64.urlsafe_b64encode(raw).decode())
        return key
    finally:
        lock.release()


def _decoded(text: str | None) -> Ed25519PrivateKey | None:
    if not text:
        return None
    try:
        return Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(text))
    except ValueError:
        raise ConfigError(
            "the report signing key in the keyring is not an Ed25519 key: remove the keyring's"
            " linkedin-ai-optout:report-signing-key entry to make a new one (old signatures then no longer"
            " match report key)"
        ) from None
