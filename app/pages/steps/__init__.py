"""The customer's steps, one module each, composed by the kiosk (`/`) and remote orders (`/order`).

Every step is a component that draws itself where it is made, from the visit's state (`visit.Visit`) and the page it
is on (`visit.Screen`), and tells its page what the customer did through callbacks: it never moves the visit on by
itself. Here: the steps' names, and what several steps draw the same way (problems in words, the Back button).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from nicegui import ui

from app.designs.problems import Problem
from app.i18n import t


class Step(StrEnum):
    CATALOG = "catalog"
    UPLOAD = "upload"
    PERSONALISE = "personalise"
    PRICE = "price"
    MACHINE = "machine"
    RUNNING = "running"
    HANDOFF = "handoff"


STEP_WORDS = {
    Step.CATALOG: t("Choose"),
    Step.PERSONALISE: t("Personalise"),
    Step.PRICE: t("Price"),
    Step.MACHINE: t("At the machine"),
    Step.RUNNING: t("Making"),
}


def show_problems(problems: list[Problem], lang: str) -> None:
    for problem in problems:
        icon = {"error": "error", "warning": "warning", "info": "info"}[problem.severity.value]
        colour = {"error": "text-red-800", "warning": "text-orange-800", "info": "text-gray-700"}[
            problem.severity.value
        ]
        with ui.row().classes(f"items-start gap-2 no-wrap {colour}"):
            ui.icon(icon, size="32px")
            ui.label(problem.render(lang)).classes("text-xl")


def back_button(lang: str, on_back: Callable[[], object]) -> ui.button:
    """The way back from a step, the same on every step."""
    return (
        ui.button(t("Back").render(lang), on_click=on_back, icon="arrow_back")
        .props("outline size=xl")
        .classes("min-h-[64px]")
    )
