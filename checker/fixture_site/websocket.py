"""Just enough of RFC 6455 for the traps' other origin to accept a WebSocket and keep what it is sent.

A real collector would speak the whole protocol; this one only has to show, in the tests, that a
naive driver's password reaches it and the tool's never does.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from io import BufferedIOBase

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _BINARY, _CLOSE = 0x1, 0x2, 0x8


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept answer to a handshake's Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()  # noqa: S324 -- the RFC's


def messages(stream: BufferedIOBase) -> Iterator[bytes]:
    """The payloads of the data frames the client sends, until it closes or the stream ends."""
    while header := stream.read(2):
        if len(header) < 2:
            return
        opcode, length = header[0] & 0x0F, header[1] & 0x7F
        if length >= 126:
            size = 2 if length == 126 else 8
            length = int.from_bytes(stream.read(size), "big")
        mask = stream.read(4) if header[1] & 0x80 else b"\0\0\0\0"
        payload = bytes(byte ^ mask[i % 4] for i, byte in enumerate(stream.read(length)))
        if opcode == _CLOSE:
            return
        if opcode in (_TEXT, _BINARY):
            yield payload
