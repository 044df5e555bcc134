"""The kiosk's steps, in order, and how a step shows a design's problems."""

from __future__ import annotations

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
