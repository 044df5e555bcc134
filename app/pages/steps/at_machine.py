"""The kiosk's at-the-machine step: what the customer can see for themselves, confirmed once, then Start.

What only staff can know (the router's stock clamped and its work zero set) is never asked of the customer: staff
confirm it on the machine's card in the console (the ready handshake), and until they have, this step says that a
staff member is preparing the machine and Start stays off.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from app.i18n import Text, t
from app.jobs import JobService
from app.machine_settings import STAFF_READIES
from app.pages.common import store_text
from app.pipeline import QuoteResult
from app.production.quotes import format_money
from machine_adapters.base import Machine

# What the customer checks with their own eyes, per machine kind; {material} and {colour} are filled in.
CUSTOMER_CHECKS: dict[str, tuple[Text, ...]] = {
    "fdm_printer": (t("The build plate is empty."), t("The loaded material is {colour} {material}.")),
    "laser_engraver": (
        t("The sheet on the bed is {material}."),
        t("The lid is closed."),
        t("The extraction is running."),
    ),
    "cnc_router": (t("The stock on the bed is {material}."), t("The door is closed.")),
}
# What only staff know (STAFF_READIES), confirmed by them on the machine's card before a customer may start.
STAFF_CHECKS: dict[str, tuple[Text, ...]] = {
    "cnc_router": (t("The stock is clamped."), t("Work zero was set by the staff.")),
}


class AtMachine(ui.column):
    def __init__(
        self,
        machine: Machine,
        result: QuoteResult,
        jobs: JobService,
        sheet_name: str,
        lang: str,
        on_touch: Callable[[], None],
        on_start: Callable[[ui.label], Awaitable[None]],
        on_frame: Callable[[ui.label], Awaitable[None]],
        on_back: Callable[[], None],
    ) -> None:
        """At the machine

        The list of what to look at (with the material's colour), one confirmation that it is all as shown and the
        price is accepted, then Start. Lasers and routers also offer to trace the outline first.

        :param machine: the machine the job goes to
        :param result: the quote the customer accepted
        :param jobs: the job service (for the staff's ready handshake)
        :param sheet_name: the sheet material's name in the reader's language (lasers and routers)
        :param lang: the reader's language
        :param on_touch: called at every tap (the kiosk's idle timer)
        :param on_start: called with the message label when Start is tapped
        :param on_frame: called with the message label when "Show where it goes" is tapped
        :param on_back: called when the customer goes back (the job made for this visit is given up)
        """
        super().__init__()
        self.classes("w-full gap-4 grow")
        self._jobs, self._machine_id, self._on_touch = jobs, machine.profile.id, on_touch
        kind = machine.profile.kind.value
        material = machine.profile.materials.get(result.plan.material)
        colour = store_text(material.colour) if material and material.colour else ""
        fields = {"material": sheet_name if kind != "fdm_printer" else result.plan.material, "colour": colour}
        tr: Callable[[Text], str] = lambda text: text.render(lang)  # noqa: E731
        with self:
            ui.label(tr(t("At {machine}: please check", machine=store_text(machine.profile.name)))).classes(
                "text-4xl font-bold"
            ).props("role=heading aria-level=1")
            with ui.column().classes("gap-3 text-3xl"):
                for item in CUSTOMER_CHECKS.get(kind, ()):
                    with ui.row().classes("items-center gap-4 no-wrap"):
                        ui.icon("visibility", size="40px").classes("text-gray-700")
                        ui.label(tr(Text(item.msgid, fields))).mark("check-item")
                        if "{colour}" in item.msgid and material and material.colour_hex:
                            ui.element("div").classes("w-12 h-12 rounded-full border").style(
                                f"background: {material.colour_hex}"
                            )
                for item in STAFF_CHECKS.get(kind, ()):
                    with ui.row().classes("items-center gap-4 no-wrap text-gray-700 text-2xl"):
                        ui.icon("verified_user", size="36px")
                        ui.label(tr(item))
            name = store_text(machine.profile.name)
            preparing = t("A staff member is preparing {machine} for your job. Please wait.", machine=name)
            self.waiting = ui.label(tr(preparing)).classes("text-2xl text-orange-900").mark("staff-prepares")
            money = format_money(result.quote.total, result.quote.currency, lang)
            self.confirm = ui.checkbox(
                tr(t("Yes, it is all as shown, and I accept the price of {price}.", price=money)),
                on_change=lambda: self._update(touched=True),
            ).classes("text-3xl font-bold")
            self.confirm.props("size=xl data-testid=confirm").mark("confirm")
            self.message = ui.label().classes("text-2xl text-red-800")
            with ui.row().classes("gap-4 mt-auto"):
                ui.button(tr(t("Back")), on_click=on_back, icon="arrow_back").props("outline size=xl").classes(
                    "min-h-[72px]"
                )
                if kind in ("laser_engraver", "cnc_router"):
                    ui.button(
                        tr(t("Show where it goes")), on_click=lambda: on_frame(self.message), icon="crop_free"
                    ).props("size=xl outline").classes("min-h-[72px] text-2xl").mark("frame")
                self.start = ui.button(tr(t("Start")), on_click=lambda: on_start(self.message), icon="play_arrow")
                self.start.props("size=xl color=green-9 data-testid=start").classes("min-h-[72px] text-3xl px-12").mark(
                    "start"
                )
        self._staff_ready = kind in STAFF_READIES
        if self._staff_ready:
            ui.timer(1.0, self._update)  # staff confirm on the console; a memory read, no query
        self._update()

    def _update(self, touched: bool = False) -> None:
        if touched:
            self._on_touch()
        waiting = self._staff_ready and self._jobs.machine_settings.get(self._machine_id).needs_clearing
        self.waiting.set_visibility(waiting)
        self.start.set_enabled(bool(self.confirm.value) and not waiting)
