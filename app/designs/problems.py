"""Structured problems found in a design: a code for programs, plain words for people."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.i18n import Text


class Severity(StrEnum):
    ERROR = "error"  # the design cannot be made as it is
    WARNING = "warning"  # it can be made, but the customer should know
    INFO = "info"  # something was done for the customer (a repair)


@dataclass(frozen=True)
class Problem:
    code: str
    severity: Severity
    message: Text
    action: Text | None = None
    field: str = ""  # the parameter or input it concerns, if any
    suggested_scale: float | None = None  # a fix the customer may choose (units), never applied silently

    def render(self, lang: str) -> str:
        text = self.message.render(lang)
        return f"{text} {self.action.render(lang)}" if self.action else text


class DesignRejected(Exception):
    """A design source cannot be used; carries the problems in plain words."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.render("en") for p in problems))
        self.problems = problems


def reject(code: str, message: Text, action: Text | None = None, field: str = "") -> DesignRejected:
    """A DesignRejected with one error, ready to raise."""
    return DesignRejected([Problem(code, Severity.ERROR, message, action, field)])
