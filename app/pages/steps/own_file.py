"""The own-file step: a design the customer brings, sent from their phone (a QR code to the page's inbox) or from
a USB stick on the kiosk (streamed to the same inbox)."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from app.i18n import t
from app.pages.steps import back_button
from app.pages.steps.visit import Screen
from ui_components.file_sender import FileSender
from ui_components.qr_handoff import QrHandoff


class OwnFile:
    def __init__(self, screen: Screen, inbox: str, public_base: str, on_back: Callable[[], None]) -> None:
        """Bring your own design

        The file arrives at the inbox (the server checks its size as it streams); the page that opened the inbox
        is called with it and moves the visit on.

        :param screen: the page the step is drawn on
        :param inbox: the open inbox the file is sent to
        :param public_base: the store's address as a phone reaches it
        :param on_back: called when the customer goes back
        """
        tr = screen.tr
        ui.label(tr(t("Bring your own design"))).classes("text-4xl font-bold")
        ui.label(tr(t("3-D models (STL, 3MF, OBJ) are printed; drawings (SVG) are engraved."))).classes("text-xl")
        with ui.row().classes("w-full gap-12 items-start"):
            with ui.column().classes("gap-3 items-center"):
                QrHandoff(f"{public_base}/send/{inbox}", tr(t("Scan with your phone and send the file from there.")))
            with ui.column().classes("gap-3"):
                ui.label(tr(t("Or from a USB stick:"))).classes("text-2xl")
                # the file goes to the same inbox as a phone's, streamed and size-checked by the server
                FileSender(
                    f"/inbox/{inbox}",
                    tr(t("Choose a file")),
                    screen.services.settings.uploads.max_file_bytes,
                    ".stl,.3mf,.obj,.svg",
                    on_sent=screen.touch,
                    on_refused=lambda: ui.notify(tr(t("This file is too large.")), type="warning"),
                ).classes("w-96").mark("usb-upload")
        with ui.row().classes("gap-4 mt-auto"):
            back_button(screen.lang, on_back)
