"""SSH signatures of files, the format of `ssh-keygen -Y sign` (OpenSSH's PROTOCOL.sshsig), with an
Ed25519 key: what `report --sign` writes beside a report, and `report verify` checks. An auditor
checks the same file with OpenSSH alone:

    ssh-keygen -Y verify -f allowed_signers -I IDENTITY -n linkedin-ai-optout -s FILE.sig < FILE

The signature covers SHA-512 of the file, the namespace and the format's magic, as OpenSSH's does.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

NAMESPACE = "linkedin-ai-optout"
_MAGIC = b"SSHSIG"
_VERSION = 1
_HASH = "sha512"
_KEY_TYPE = b"ssh-ed25519"
_BEGIN, _END = "-----BEGIN SSH SIGNATURE-----", "-----END SSH SIGNATURE-----"


class BadSignature(ValueError):
    """A signature that is malformed, of another namespace or key type, or that does not match."""


def public_line(key: Ed25519PublicKey) -> str:
    """The key as OpenSSH writes it: `ssh-ed25519 AAAA...`."""
    return key.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()


def fingerprint(key: Ed25519PublicKey) -> str:
    """`SHA256:...`, as `ssh-keygen -l` shows it."""
    digest = hashlib.sha256(_wire(key)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def sign(key: Ed25519PrivateKey, message: bytes, namespace: str = NAMESPACE) -> str:
    """The armored SSH signature of `message`."""
    signed = _signed_data(message, namespace)
    signature = _string(_KEY_TYPE) + _string(key.sign(signed))
    blob = (
        _MAGIC
        + struct.pack(">I", _VERSION)
        + _string(_wire(key.public_key()))
        + _string(namespace.encode())
        + _string(b"")
        + _string(_HASH.encode())
        + _string(signature)
    )
    text = base64.b64encode(blob).decode()
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "\n".join([_BEGIN, *lines, _END]) + "\n"


@dataclass(frozen=True)
class Verified:
    """Who signed: the signature's public key."""

    key: Ed25519PublicKey


def verify(armored: str, message: bytes, namespace: str = NAMESPACE) -> Verified:
    """Check `armored` against `message`; BadSignature saying why when it does not hold."""
    text = armored.strip()
    if not (text.startswith(_BEGIN) and text.endswith(_END)):
        raise BadSignature("not an SSH signature (no BEGIN/END SSH SIGNATURE lines)")
    try:
        blob = base64.b64decode("".join(text[len(_BEGIN) : -len(_END)].split()), validate=True)
    except ValueError:
        raise BadSignature("the signature is not valid base64") from None
    reader = _Reader(blob)
    if reader.take(6) != _MAGIC or reader.uint32() != _VERSION:
        raise BadSignature("not an SSH signature of version 1")
    public, signed_namespace = reader.string(), reader.string().decode(errors="replace")
    reader.string()  # reserved
    hash_name = reader.string().decode(errors="replace")
    signature = _Reader(reader.string())
    if signed_namespace != namespace:
        raise BadSignature(f"signed for the namespace {signed_namespace!r}, not {namespace!r}")
    if hash_name not in ("sha512", "sha256"):
        raise BadSignature(f"an unknown hash {hash_name!r}")
    key_reader = _Reader(public)
    if key_reader.string() != _KEY_TYPE or signature.string() != _KEY_TYPE:
        raise BadSignature("not an Ed25519 signature")
    key = Ed25519PublicKey.from_public_bytes(key_reader.string())
    try:
        key.verify(signature.string(), _signed_data(message, namespace, hash_name))
    except InvalidSignature:
        raise BadSignature("the signature does not match the file: it was changed after signing") from None
    return Verified(key)


def _signed_data(message: bytes, namespace: str, hash_name: str = _HASH) -> bytes:
    digest = hashlib.new(hash_name, message).digest()
    return _MAGIC + _string(namespace.encode()) + _string(b"") + _string(hash_name.encode()) + _string(digest)


def _wire(key: Ed25519PublicKey) -> bytes:
    return base64.b64decode(public_line(key).split()[1])


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, count: int) -> bytes:
        if self.at + count > len(self.data):
            raise BadSignature("the signature is cut short")
        part = self.data[self.at : self.at + count]
        self.at += count
        return part

    def uint32(self) -> int:
        (value,) = struct.unpack(">I", self.take(4))
        return int(value)

    def string(self) -> bytes:
        return self.take(self.uint32())
