"""Which characters a font can draw, so text a template cannot render is refused with a clear message."""

from __future__ import annotations

import subprocess
from functools import cache

from fontTools.ttLib import TTFont


class FontMissing(RuntimeError):
    """A template's font is not installed; OpenSCAD would silently draw another one."""


@cache
def font_file(font: str) -> str:
    """The file fontconfig picks for an OpenSCAD font name such as 'Liberation Sans:style=Bold'."""
    result = subprocess.run(
        ["fc-match", "--format=%{family}\n%{file}", font],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    families, _, path = result.stdout.strip().partition("\n")
    wanted = font.split(":", 1)[0].strip().lower()
    if wanted not in [f.strip().lower() for f in families.split(",")]:
        raise FontMissing(f"font '{font}' is not installed (fontconfig offers '{families}' instead)")
    return path


@cache
def drawable_codepoints(font: str) -> frozenset[int]:
    path = font_file(font)
    with TTFont(path, lazy=True) as tt:
        cmap = tt.getBestCmap() or {}
        return frozenset(cmap)


def undrawable_characters(font: str, text: str) -> set[str]:
    codepoints = drawable_codepoints(font)
    return {c for c in text if c != " " and ord(c) not in codepoints}


# The fonts a store offers designers (installed with `fonts-liberation`): a template may use only these, so what a
# customer sees is what the machine makes on every store's server.
STORE_FONTS = (
    "Liberation Sans",
    "Liberation Sans:style=Bold",
    "Liberation Serif",
    "Liberation Serif:style=Bold",
    "Liberation Mono",
    "Liberation Mono:style=Bold",
)
WIDTH_PROBES = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@cache
def widest_letter(font: str) -> str:
    """The letter or digit this font draws widest (its advance width): the longest text a customer can type."""
    path = font_file(font)
    with TTFont(path, lazy=True) as tt:
        cmap = tt.getBestCmap() or {}
        metrics = tt["hmtx"].metrics
        return max(WIDTH_PROBES, key=lambda c: metrics.get(cmap.get(ord(c), ""), (0, 0))[0])
