"""Text from people made inert: no control characters, no bidirectional overrides.

A prompt, a file name or a display name is data. Control characters (C0, DEL, C1) can break
the store (PostgreSQL refuses NUL) and terminals; bidirectional controls can make the bot's
own words around an echoed prompt read in another order ("Trojan Source"). Both are
stripped where text enters the bot, so the store, the gateway and every echo see the same
plain text. Newlines and tabs stay in prompts (CR and CRLF become a newline); one-line
names lose them too.
"""

from __future__ import annotations

import re

# C0 except tab and newline, DEL, C1
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# LRE RLE PDF LRO RLO, LRI RLI FSI PDI, LRM RLM, ALM
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_DROP = re.compile(f"[{_CONTROLS}{_BIDI}]+")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029]")
_LINE_BREAKS = re.compile(r"[\t\n]+")


def inert(text: str) -> str:
    """The text without control or bidirectional-control characters; newlines and tabs kept."""
    return _DROP.sub("", _NEWLINES.sub("\n", text))


def inert_line(text: str) -> str:
    """`inert` for one-line text (names): newlines and tabs become one space."""
    return _LINE_BREAKS.sub(" ", inert(text)).strip()
