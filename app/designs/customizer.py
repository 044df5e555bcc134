"""OpenSCAD customizer parameters: parsed from the .scad file itself, and customer values checked against them.

Understands the annotations designers use since the Thingiverse customizer: `x = 5; // [0:10]`,
`[min:step:max]`, `[max]`, choices `[a, b, c]` and `[value:label, ...]`, a string's maximum length
`name = "Anna"; // 12`, a number's step `size = 5; // 0.5`, booleans, `/* [Tab] */` groups and
`/* [Hidden] */`. The comment line just above an assignment is its description.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.designs.problems import DesignRejected, Problem, Severity
from app.i18n import Localized, t

MAX_TEXT_LENGTH = 200  # hard cap even where a template declares none

_ASSIGNMENT = re.compile(
    r"""^\s*(?P<name>[A-Za-z_]\w*)\s*=\s*(?P<value>"(?:[^"\\]|\\.)*"|[^;]*?)\s*;\s*(?://\s*(?P<note>.*?))?\s*$"""
)
_TAB = re.compile(r"^\s*/\*\s*\[(?P<tab>[^\]]+)\]\s*\*/\s*$")
_COMMENT = re.compile(r"^\s*//\s?(?P<text>.*)$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DEFINITION = re.compile(r"^\s*(module|function)\b")


@dataclass(frozen=True)
class ParameterDef:
    name: str
    description: str
    group: str


@dataclass(frozen=True)
class NumberParam(ParameterDef):
    default: float
    minimum: float | None
    maximum: float | None
    step: float | None
    integer: bool

    @property
    def is_slider(self) -> bool:
        return self.minimum is not None and self.maximum is not None


@dataclass(frozen=True)
class ChoiceParam(ParameterDef):
    default: str | float
    options: tuple[tuple[str | float, str], ...]  # (value, label)

    @property
    def values(self) -> tuple[str | float, ...]:
        return tuple(v for v, _ in self.options)


@dataclass(frozen=True)
class TextParam(ParameterDef):
    default: str
    max_length: int


@dataclass(frozen=True)
class BoolParam(ParameterDef):
    default: bool


Parameter = NumberParam | ChoiceParam | TextParam | BoolParam


def parse_parameters(source: str) -> list[Parameter]:
    """The customizable parameters of an OpenSCAD file, in file order, hidden ones left out."""
    params: list[Parameter] = []
    group = "Parameters"
    hidden = False
    description = ""
    depth = 0
    for line in source.splitlines():
        if depth == 0 and _DEFINITION.match(line):
            break  # the customizer reads parameters up to the first module or function
        tab = _TAB.match(line)
        if tab and depth == 0:
            name = tab.group("tab").strip()
            hidden = name.lower() == "hidden"
            if name.lower() != "global":
                group = name
            description = ""
            continue
        comment = _COMMENT.match(line)
        if comment and depth == 0:
            description = comment.group("text").strip()
            continue
        assignment = _ASSIGNMENT.match(line) if depth == 0 else None
        if assignment and not hidden:
            param = _parameter_from(
                assignment.group("name"),
                assignment.group("value"),
                assignment.group("note"),
                description,
                group,
            )
            if param is not None:
                params.append(param)
        description = ""
        depth += _brace_balance(line)
    return params


def _brace_balance(line: str) -> int:
    code = re.sub(r'"(?:[^"\\]|\\.)*"', "", line.split("//", 1)[0])
    return code.count("{") - code.count("}")


def _parameter_from(name: str, value: str, note: str | None, description: str, group: str) -> Parameter | None:
    note = (note or "").strip()
    bracket = re.fullmatch(r"\[(.*)\]", note)
    default = _literal(value)
    if default is None:
        return None  # an expression or vector: not customizable
    common = {"name": name, "description": description, "group": group}
    if isinstance(default, bool):
        return BoolParam(**common, default=default)
    if bracket:
        inner = bracket.group(1).strip()
        range_ = _range(inner)
        if range_ is not None and isinstance(default, float):
            low, step, high = range_
            integer = all(_is_whole(v) for v in (default, low, high) if v is not None) and (
                step is None or _is_whole(step)
            )
            return NumberParam(**common, default=default, minimum=low, maximum=high, step=step, integer=integer)
        options = _options(inner, numeric=isinstance(default, float))
        if options:
            return ChoiceParam(**common, default=default, options=options)
        return None
    if isinstance(default, str):
        max_length = int(note) if note.isdigit() else MAX_TEXT_LENGTH
        return TextParam(**common, default=default, max_length=min(max(max_length, 1), MAX_TEXT_LENGTH))
    step = float(note) if _NUMBER.match(note) and float(note) > 0 else None
    integer = _is_whole(default) and (step is None or _is_whole(step))
    return NumberParam(**common, default=default, minimum=None, maximum=None, step=step, integer=integer)


def _literal(value: str) -> str | float | bool | None:
    value = value.strip()
    if value in ("true", "false"):
        return value == "true"
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    if _NUMBER.match(value):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _range(inner: str) -> tuple[float | None, float | None, float | None] | None:
    parts = [p.strip() for p in inner.split(":")]
    if not all(_NUMBER.match(p) for p in parts):
        return None
    numbers = [float(p) for p in parts]
    if len(numbers) == 1:
        return (0.0, None, numbers[0])
    if len(numbers) == 2:
        return (numbers[0], None, numbers[1])
    if len(numbers) == 3:
        return (numbers[0], numbers[1], numbers[2])
    return None


def _options(inner: str, numeric: bool) -> tuple[tuple[str | float, str], ...]:
    options: list[tuple[str | float, str]] = []
    for item in (i.strip() for i in inner.split(",")):
        if not item:
            continue
        raw_value, _, label = item.partition(":")
        raw_value, label = raw_value.strip(), label.strip()
        value: str | float
        if numeric:
            if not _NUMBER.match(raw_value):
                return ()
            value = float(raw_value)
        else:
            value = raw_value.strip('"')
        options.append((value, label or raw_value.strip('"')))
    return tuple(options)


def _is_whole(value: float | None) -> bool:
    return value is not None and float(value).is_integer()


# --- checking customer values -------------------------------------------------------------------

CharChecker = Callable[[str], set[str]]  # returns the characters a font cannot draw


def check_values(
    params: list[Parameter],
    values: Mapping[str, Any],
    undrawable: CharChecker | None = None,
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, str | float | bool]:
    """Every parameter's value, defaults filled in, each checked; raise DesignRejected listing all problems.

    `labels` holds the designer's translations of each parameter's description, by name and language.
    """
    by_name = {p.name: p for p in params}
    problems: list[Problem] = []
    for name in values:
        if name not in by_name:
            problems.append(
                Problem(
                    "param.unknown",
                    Severity.ERROR,
                    t("This design has no setting called '{name}'.", name=str(name)[:60]),
                    t("Choose one of the settings shown."),
                    field=str(name)[:60],
                )
            )
    result: dict[str, str | float | bool] = {}
    for param in params:
        try:
            result[param.name] = (
                _check(param, values[param.name], undrawable, _label(param, labels))
                if param.name in values
                else param.default
            )
        except _Invalid as e:
            problems.append(e.problem)
    if problems:
        raise DesignRejected(problems)
    return result


class _Invalid(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _fail(param: ParameterDef, code: str, message: Any, action: Any) -> _Invalid:
    return _Invalid(Problem(code, Severity.ERROR, message, action, field=param.name))


def _label(param: ParameterDef, labels: Mapping[str, Mapping[str, str]] | None) -> Localized:
    return Localized({"en": param.description or param.name, **((labels or {}).get(param.name) or {})})


def _check(param: Parameter, value: Any, undrawable: CharChecker | None, label: Localized) -> str | float | bool:
    if isinstance(param, BoolParam):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        raise _fail(param, "param.not_bool", t("'{label}' must be on or off.", label=label), t("Tap the switch."))
    if isinstance(param, NumberParam):
        return _check_number(param, value, label)
    if isinstance(param, ChoiceParam):
        for option in param.values:
            if option == value or (isinstance(option, float) and _as_number(value) == option) or str(option) == value:
                return option
        raise _fail(
            param,
            "param.not_a_choice",
            t("'{label}' has no such choice.", label=label),
            t("Pick one of the choices shown."),
        )
    return _check_text(param, value, label, undrawable)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and len(value) <= 40 and _NUMBER.match(plain := _plain_number(value)):
        number = float(plain)
    else:
        return None
    return number if math.isfinite(number) else None


def _plain_number(text: str) -> str:
    """A typed number in the form Python reads: digits of any script as ASCII (full-width and Arabic-Indic digits
    are digits like any other, so all are taken alike), and a decimal comma as a point (`95,0` is how German
    keyboards write 95.0). A number with both a comma and a point is left as it is and refused: which one is the
    thousands separator cannot be known."""
    text = unicodedata.normalize("NFKC", text).strip().replace("\u066b", ".").replace("\u2212", "-")
    text = "".join(str(unicodedata.digit(c)) if c.isdigit() and not c.isascii() else c for c in text)
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    return text


def _check_number(param: NumberParam, value: Any, label: Localized) -> float:
    number = _as_number(value)
    if number is None:
        raise _fail(
            param,
            "param.not_a_number",
            t("'{label}' must be a number.", label=label),
            t("Use the slider or type a number such as {example}.", example=_fmt(param.default)),
        )
    low = param.minimum if param.minimum is not None else -1e6
    high = param.maximum if param.maximum is not None else 1e6
    if not low <= number <= high:
        raise _fail(
            param,
            "param.out_of_range",
            t("'{label}' must be between {low} and {high}.", label=label, low=_fmt(low), high=_fmt(high)),
            t("Choose a value in that range."),
        )
    if param.step and param.minimum is not None:
        steps = (Decimal(str(number)) - Decimal(str(param.minimum))) / Decimal(str(param.step))
        if abs(steps - steps.to_integral_value()) > Decimal("0.000001"):
            raise _fail(
                param,
                "param.off_step",
                t("'{label}' goes in steps of {step}.", label=label, step=_fmt(param.step)),
                t("Use the slider to pick a value."),
            )
    if param.integer and not number.is_integer():
        raise _fail(
            param,
            "param.not_whole",
            t("'{label}' must be a whole number.", label=label),
            t("Use the slider to pick a value."),
        )
    return float(int(number)) if param.integer else number


def _check_text(param: TextParam, value: Any, label: Localized, undrawable: CharChecker | None) -> str:
    if not isinstance(value, str):
        raise _fail(param, "param.not_text", t("'{label}' must be text.", label=label), t("Type some letters."))
    # one form for the same letters: `e` + a combining accent (as some phones send it) becomes `é`; a
    # non-breaking or other fixed-width space is a space
    text = "".join(" " if unicodedata.category(c) == "Zs" else c for c in unicodedata.normalize("NFC", value))
    if len(text) > param.max_length:
        raise _fail(
            param,
            "param.too_long",
            t("'{label}' can be at most {n} characters long.", label=label, n=param.max_length),
            t("Shorten the text."),
        )
    bad = {c for c in text if not c.isprintable() or c in "\u2028\u2029"}
    if bad:
        raise _fail(
            param,
            "param.control_chars",
            t("'{label}' contains characters that cannot be used.", label=label),
            t("Use letters, digits and punctuation only, on one line."),
        )
    missing = undrawable(text) if undrawable else set()
    if missing:
        # a mark that combines with the letter before it is shown on a dotted circle, so it can be seen
        shown = " ".join(f"\u25cc{c}" if unicodedata.category(c)[0] == "M" else c for c in sorted(missing))[:40]
        raise _fail(
            param,
            "param.undrawable",
            t("The font of this design cannot draw: {chars}", chars=shown),
            t("Leave these characters out or replace them."),
        )
    return text


def _fmt(number: float) -> str:
    return f"{number:g}"


def describe(param: Parameter) -> str:
    """One line for the command line: name, type and allowed values."""
    if isinstance(param, NumberParam):
        rng = f" {_fmt(param.minimum)}..{_fmt(param.maximum)}" if param.is_slider else ""  # type: ignore[arg-type]
        step = f" step {_fmt(param.step)}" if param.step else ""
        return f"{param.name}: number{rng}{step} (default {_fmt(param.default)})"
    if isinstance(param, ChoiceParam):
        return f"{param.name}: one of {', '.join(str(v) for v in param.values)} (default {param.default})"
    if isinstance(param, TextParam):
        return f"{param.name}: text, at most {param.max_length} characters (default {param.default!r})"
    return f"{param.name}: true or false (default {str(param.default).lower()})"
