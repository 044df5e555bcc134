"""G-code lines read the way the firmware reads them, so a check cannot be fooled by spelling.

Marlin skips an `N<digits>` prefix, spaces between a letter and its number, leading zeros (`M0500` is
`M500`) and reads lower case; GRBL reads several words per line. Numbers have no exponent: Marlin's
`GCodeParser::value_float` stops a number at `E` or `X` and GRBL's `read_float` (nuts_bolts.c) reads digits and
one point only, so `X1e4` is X1 followed by E4 in both, and here. A line is first refused for any byte a
firmware might treat specially (control characters, `\\r`, non-ASCII), then stripped of comments and
checksum, then split into words. The result is one canonical spelling that checks and streams use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RAW_LINE_MAX = 256  # longer than any command our pipeline writes
COMMENTED_LINE_MAX = 65536  # slicers dump their settings as long comment lines

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PAREN_COMMENT = re.compile(r"\([^()]*\)")
_WORD = re.compile(r"\s*([A-Z])\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))?")
_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


class LineRejected(ValueError):
    """A line no firmware should see; `rule` names why."""

    def __init__(self, rule: str, detail: str = "") -> None:
        super().__init__(rule)
        self.rule = rule
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Word:
    letter: str
    text: str  # the number as written, sign and leading zeros kept
    value: float


@dataclass(frozen=True, slots=True)
class Line:
    """One parsed line: its command words (G, M, T) and parameter words, canonically spelled."""

    commands: tuple[str, ...]  # e.g. ("G1",) or ("G21", "G90") on GRBL; empty for a modal motion line
    params: dict[str, float]
    canonical: str


def parse_line(raw: str) -> Line | None:
    """The line's canonical form, or None when it holds only comments; raise LineRejected otherwise."""
    if len(raw) > COMMENTED_LINE_MAX:
        raise LineRejected("line_too_long")
    if not raw.isascii():
        raise LineRejected("non_ascii")
    if _CONTROL.search(raw):
        raise LineRejected("control_character")  # also in comments: a firmware ends the line at \r and runs the rest
    text = raw.split(";", 1)[0]
    if "$" in text:
        raise LineRejected("system_command")
    if len(text) > RAW_LINE_MAX:
        raise LineRejected("line_too_long")
    text = _PAREN_COMMENT.sub(" ", text)
    if "(" in text or ")" in text:
        raise LineRejected("unbalanced_comment")
    if "*" in text:
        text = _strip_checksum(text)
    text = text.strip().upper()
    if not text:
        return None
    words = _words(text)
    if words and words[0].letter == "N":
        if not words[0].text.isdigit():
            raise LineRejected("bad_line_number")
        words = words[1:]
    commands: list[str] = []
    params: dict[str, float] = {}
    parts: list[str] = []
    for word in words:
        # T is a command only where it opens the line (Marlin's GCodeParser::parse takes the first letter as the
        # command, later letters as parameters: `M204 T500` is a travel acceleration, not a tool change)
        if word.letter in "GM" or (word.letter == "T" and not parts):
            if word.text == "":
                raise LineRejected("command_without_number", word.letter)
            code = _command_code(word)
            commands.append(code)
            parts.append(code)
        else:
            if word.letter in params:
                raise LineRejected("repeated_parameter", word.letter)
            if word.text == "":
                params[word.letter] = float("nan")  # a flag such as `G28 X`: present, no value
                parts.append(word.letter)
            else:
                params[word.letter] = word.value
                parts.append(f"{word.letter}{_canonical_number(word.text)}")
    return Line(tuple(commands), params, " ".join(parts))


def _strip_checksum(text: str) -> str:
    body, _, checksum = text.rpartition("*")
    if not checksum.strip().isdigit():
        raise LineRejected("bad_checksum")
    expected = 0
    for byte in body.encode("ascii"):
        expected ^= byte
    if int(checksum.strip()) != expected:
        raise LineRejected("bad_checksum")
    return body


def _words(text: str) -> list[Word]:
    words: list[Word] = []
    position = 0
    while position < len(text):
        match = _WORD.match(text, position)
        if match is None or match.end() == position:
            if text[position:].strip() == "":
                break
            raise LineRejected("not_gcode", text[position : position + 10])
        letter, number = match.group(1), match.group(2) or ""
        words.append(Word(letter, number, float(number) if number else float("nan")))
        position = match.end()
    return words


def _command_code(word: Word) -> str:
    """`G01` -> `G1`, `M0500` -> `M500`, `G38.2` stays, `G1.0` -> `G1`; signs are not command numbers."""
    if word.text.startswith(("+", "-")):
        raise LineRejected("bad_command_number", word.letter + word.text)
    whole, _, fraction = word.text.partition(".")
    number = int(whole) if whole else 0
    fraction = fraction.rstrip("0")
    return f"{word.letter}{number}.{fraction}" if fraction else f"{word.letter}{number}"


def _canonical_number(text: str) -> str:
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("+-")
    whole, dot, fraction = body.partition(".")
    whole = whole.lstrip("0") or "0"
    return f"{sign}{whole}.{fraction}" if dot and fraction else f"{sign}{whole}"
