"""Outside text made safe to show: in a terminal, a text file or a spreadsheet cell.

Findings and errors quote text that comes from outside: DNS records (TXT can hold any
bytes), banners and replies from mail servers, what the user typed. Shown as it is, such
text could drive the terminal (ESC sequences clear the screen or set the title), break a
line or a CSV row (CR, LF, U+2028), or reorder what the reader sees (bidi controls). So
every character that is not meant to be seen is replaced by a visible escape, written as
in Python: ``\\x1b``, ``\\u202e``, ``\\U000e0041``; newline, carriage return and tab as
``\\n``, ``\\r``, ``\\t``. Advisors can then see that something odd was there.

What is replaced:

- C0 controls U+0000-U+001F, DEL U+007F and C1 controls U+0080-U+009F (category Cc);
  newlines too: summaries, titles and errors are single-line, so one finding stays one line
  and one CSV row.
- format characters (category Cf): bidi embeddings, overrides and isolates (U+202A-U+202E,
  U+2066-U+2069), marks (U+200E, U+200F, U+061C), zero-width characters (U+200B-U+200D,
  U+2060, U+FEFF), soft hyphen, tag characters;
- line and paragraph separators U+2028, U+2029 (categories Zl, Zp);
- lone surrogates (category Cs), which some decoders leave behind and which cannot be
  written as UTF-8.

Everything else, letters of every script and emoji included, is kept. Backslashes are not
doubled: this is for reading, not a reversible encoding; JSON output keeps the raw data.
"""

from __future__ import annotations

import unicodedata

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# Named explicitly too, so they are caught whatever Unicode version Python ships.
_BIDI_CONTROLS = frozenset(
    chr(cp) for cp in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
)
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    cp = ord(char)
    if cp <= 0xFF:
        return f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _unsafe(char: str) -> bool:
    return char in _BIDI_CONTROLS or unicodedata.category(char) in _UNSAFE_CATEGORIES


def safe_text(value: object) -> str:
    """``value`` as one line of text with no control, bidi or invisible format characters.

    None becomes ""; other values are turned into text with str().
    """
    text = "" if value is None else str(value)
    if text.isprintable():  # the usual case: nothing to replace
        return text
    return "".join(_escape(char) if _unsafe(char) else char for char in text)
