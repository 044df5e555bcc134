"""Where a template's text may go: the outline its .toml declares, and the check of a rendered design against it.

A template declares its part's outline as a rectangle whose width and height are small expressions of its
settings (`width = "max(30, len(name) * text_size * 0.72 + 14.5)"`), which texts must stay inside it, and how
to name them in a message. The rendered design is measured before any price is shown; text that leaves the
part (a `|` stretched to 258 mm on a 60 mm sign, twelve `W` beyond the end of a tag) is refused in plain words.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.config import UploadLimits
from app.designs.problems import DesignRejected, reject
from app.i18n import Localized, t

TOLERANCE_MM = 0.5  # curves and rounding in OpenSCAD's output
_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {"max": max, "min": min, "len": len}


class OutlineError(ValueError):
    """A template's outline declaration cannot be used; the message says why."""


@dataclass(frozen=True)
class Outline:
    width: str  # expressions of the template's settings, in mm
    height: str
    texts: tuple[str, ...]  # the text settings that must stay inside
    text_name: dict[str, str]  # "The name" / "Der Name": how the message names the text, by language
    part_name: dict[str, str]  # "the tag" / "den Anhänger": how it names the part

    def size(self, values: Mapping[str, Any]) -> tuple[float, float]:
        return evaluate(self.width, values), evaluate(self.height, values)


def outline_from(meta: Any, setting_names: set[str]) -> Outline | None:
    """The outline a template's metadata declares (None when it declares none); raise OutlineError when broken."""
    if meta is None:
        return None
    if not isinstance(meta, dict):
        raise OutlineError("[outline] must be a table")
    try:
        outline = Outline(
            str(meta["width"]),
            str(meta["height"]),
            tuple(str(name) for name in meta["texts"]),
            {str(k): str(v) for k, v in dict(meta["text"]).items()},
            {str(k): str(v) for k, v in dict(meta["part"]).items()},
        )
    except (KeyError, TypeError, ValueError) as e:
        raise OutlineError(f"[outline] needs width, height, texts, text and part ({e})") from e
    unknown = [n for n in outline.texts if n not in setting_names]
    if unknown or "en" not in outline.text_name or "en" not in outline.part_name:
        raise OutlineError(f"[outline] names unknown settings {unknown} or lacks English names")
    for expression in (outline.width, outline.height):
        _check_names(expression, setting_names)
    return outline


def check_fits(outline: Outline, values: Mapping[str, Any], rendered: Path, kind: str) -> None:
    """Refuse a rendered design (STL or SVG) that is larger than its declared outline."""
    room_w, room_h = outline.size(values)
    width, height = _measure(rendered, kind)
    over_w, over_h = width / max(room_w, 1e-9), height / max(room_h, 1e-9)
    if width <= room_w + TOLERANCE_MM and height <= room_h + TOLERANCE_MM:
        return
    text = Localized(outline.text_name)
    part = Localized(outline.part_name)
    longest = max((str(values.get(name, "")) for name in outline.texts), key=len)
    if over_h > over_w:  # it grew upwards: a tall mark stretched with the text, not too many letters
        raise _refusal(
            t("{text}: too tall for {part}.", text=text, part=part),
            t("Leave out tall marks such as | or [ ], or choose another font."),
        )
    # the text's width taken as proportional to its letters: an estimate, hence "about"
    letters = max(1, min(len(longest) - 1, math.floor(len(longest) / over_w)))
    raise _refusal(
        t("{text}: too long for {part}.", text=text, part=part),
        t("Use fewer letters (at most about {n}), or a narrower font.", n=letters),
    )


def _refusal(message: Any, action: Any) -> DesignRejected:
    return reject("design.text_outside", message, action)


def _measure(rendered: Path, kind: str) -> tuple[float, float]:
    """Width and height of the rendered design in mm (a 3-D part seen from above)."""
    from app.designs.mesh_formats import read_stl
    from app.designs.svg import read_svg

    data = rendered.read_bytes()
    limits = UploadLimits()
    if kind == "svg":
        drawing = read_svg(data, limits)
        return drawing.width_mm, drawing.height_mm
    vertices = read_stl(data, limits).vertices
    width, height = np.ptp(vertices[:, :2], axis=0)
    return float(width), float(height)


def evaluate(expression: str, values: Mapping[str, Any]) -> float:
    """A small arithmetic expression over the settings: numbers, names, + - * /, max(), min(), len()."""
    return float(_value(ast.parse(expression, mode="eval").body, values))


def _value(node: ast.AST, values: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_value(node.left, values), _value(node.right, values))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_value(node.operand, values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
        return _FUNCTIONS[node.func.id](*(_value(arg, values) for arg in node.args))
    raise OutlineError(f"not allowed in an outline: {ast.dump(node)[:60]}")


def _check_names(expression: str, setting_names: set[str]) -> None:
    """Fail at load time, not at a customer's quote: only numbers, settings, + - * / and the three functions."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as e:
        raise OutlineError(f"[outline] {expression!r}: {e}") from e
    allowed = (ast.Expression, ast.Constant, ast.Name, ast.BinOp, ast.UnaryOp, ast.USub, ast.Call, ast.Load)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in setting_names and node.id not in _FUNCTIONS:
            raise OutlineError(f"[outline] {expression!r}: no setting called {node.id!r}")
        if not isinstance(node, allowed + tuple(_OPERATORS)):
            raise OutlineError(f"[outline] {expression!r}: {type(node).__name__} is not allowed")
