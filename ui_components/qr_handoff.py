"""A QR code with the address under it, for handing a job (or an upload) over to a phone."""

from __future__ import annotations

import segno
from nicegui import ui


def qr_svg(url: str, scale: int = 8) -> str:
    """The QR code of `url` as inline SVG markup (made by segno from our own URL, never from customer text)."""
    return segno.make(url, error="m").svg_inline(scale=scale, dark="#111", light="#fff")


class QrHandoff(ui.column):
    def __init__(self, url: str, caption: str, code: str | None = None) -> None:
        """QR hand-off

        A QR code to scan, the caption saying what it does, and the short code to type instead.

        :param url: where the phone goes
        :param caption: what scanning does, in the reader's language
        :param code: a short code for typing instead of scanning, if any
        """
        super().__init__()
        self.url = url
        self.mark("qr-handoff")
        self.classes("items-center gap-2")
        with self:
            ui.html(qr_svg(url), sanitize=False).classes("bg-white p-2 rounded").props("data-testid=qr").mark("qr")
            ui.label(caption).classes("text-xl text-center")
            if code:
                ui.label(code).classes("text-4xl font-mono tracking-widest").props("data-testid=short-code").mark(
                    "short-code"
                )
