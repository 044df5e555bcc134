"""The remote order's last step, instead of the machine's checklist: the name the part is picked up under."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from app.i18n import Text, t
from app.pages.steps import back_button
from app.pages.steps.visit import Screen

NAME_MAX = 40
NAME_RULE = t("Give a name of 1 to 40 characters.")


def name_ok(value: str) -> bool:
    value = (value or "").strip()
    return 1 <= len(value) <= NAME_MAX and value.isprintable()


class PickupName:
    def __init__(self, screen: Screen, on_back: Callable[[], None], on_send: Callable[[str], Text | None]) -> None:
        """Your name for pickup

        :param screen: the page the step is drawn on
        :param on_back: back to the price
        :param on_send: sends the order under a checked name; returns why it was refused, or None (it went on)
        """
        self.screen = screen
        self.on_send = on_send
        tr = screen.tr
        ui.label(tr(t("Your name for pickup"))).classes("text-4xl font-bold")
        self.name = (
            ui.input(tr(t("Name")), validation={tr(NAME_RULE): name_ok})
            .props(f"maxlength={NAME_MAX} autocomplete=name")
            .classes("w-full text-2xl")
            .mark("customer-name")
        )
        self.message = ui.label().classes("text-xl text-red-800").mark("order-message")
        with ui.row().classes("gap-4 mt-auto"):
            back_button(screen.lang, on_back)
            ui.button(tr(t("Send the order")), on_click=self.send, icon="send").props("size=xl color=green").classes(
                "min-h-[64px]"
            ).mark("send-order")

    def send(self) -> None:
        name = self.name.value or ""
        refused = self.on_send(name.strip()) if name_ok(name) else NAME_RULE
        if refused is not None:
            self.message.set_text(self.screen.tr(refused))
