"""The store's start page: the catalog by designer and the machines it runs on."""

from __future__ import annotations

from nicegui import ui

from app.i18n import t
from app.services import Services

KIND_LABELS = {
    "fdm_printer": t("3D printer"),
    "laser_engraver": t("Laser engraver"),
    "cnc_router": t("CNC router"),
}


STATE_LABELS = {
    "offline": t("Not available"),
    "connecting": t("Starting up"),
    "idle": t("Ready"),
    "heating": t("Busy"),
    "running": t("Busy"),
    "pausing": t("Busy"),
    "paused": t("Busy"),
    "cancelling": t("Busy"),
    "finishing": t("Busy"),
    "halted": t("Waiting for staff"),
    "alarm": t("Waiting for staff"),
    "link_lost": t("Waiting for staff"),
}


def register(services: Services) -> None:
    settings = services.settings

    @ui.page("/")
    def start_page(lang: str = settings.default_language) -> None:
        if lang not in settings.languages:
            lang = settings.default_language
        with ui.column().classes("w-full items-center gap-6 p-8"):
            ui.label(settings.store_name).classes("text-4xl font-bold")
            ui.label(t("What would you like to make?").render(lang)).classes("text-2xl")
            with ui.row().classes("gap-6 justify-center"):
                for template in services.catalog.values():
                    with ui.card().classes("w-72 p-6"):
                        ui.label(template.title_in(lang)).classes("text-xl font-bold")
                        ui.label(template.description_in(lang)).classes("text-lg")
                        ui.label(
                            t("by {name}, {city}", name=template.designer.name, city=template.designer.city).render(
                                lang
                            )
                        ).classes("text-base italic")
                        kinds = ", ".join(KIND_LABELS[k].render(lang) for k in template.machine_kinds)
                        ui.label(kinds).classes("text-base")
            ui.label(t("Machines in this store").render(lang)).classes("text-2xl mt-4")
            with ui.row().classes("gap-4"):
                for machine in services.machines.values():
                    with ui.card().classes("p-4"):
                        ui.label(machine.name).classes("text-lg font-bold")
                        ui.label(KIND_LABELS[machine.kind.value].render(lang))
                        running = services.fleet.machines.get(machine.id) if services.fleet else None
                        state = (
                            STATE_LABELS.get(running.status.state.value, t("Not available"))
                            if running
                            else t("Not available")
                        )
                        ui.label(state.render(lang)).classes("text-base")
            with ui.row().classes("gap-4"):
                for code in settings.languages:
                    ui.link(code.upper(), f"/?lang={code}").classes("text-xl p-3")
