"""Text from the site and from files, made safe to show: no control or formatting characters.

Whatever LinkedIn's pages say, or a file holds, may contain escape sequences that move the
terminal's cursor, bidirectional overrides that reorder what a reader sees, or line breaks that
forge extra lines in a log. `printable` keeps the words and makes the rest visible as escapes.
"""

from __future__ import annotations

import unicodedata

_BLANKS = {"\t": " ", "\n": " ", "\r": " "}


def printable(text: str) -> str:
    """`text` on one line: tabs and line breaks become spaces, every other control or format
    character (ESC, DEL, C1 controls, bidirectional overrides) becomes a visible escape."""
    return "".join(_shown(char) for char in text)


def _shown(char: str) -> str:
    if char in _BLANKS:
        return _BLANKS[char]
    if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char
