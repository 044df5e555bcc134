"""The file sender: a file chooser that sends the chosen file straight to an upload address of the server."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui


class FileSender(ui.element):
    def __init__(
        self,
        url: str,
        label: str,
        max_bytes: int,
        accept: str,
        on_sent: Callable[[], object],
        on_refused: Callable[[], object],
    ) -> None:
        """File sender

        Quasar's uploader posting the file as a form to `url` (app/upload_route.py streams it to disk and refuses it
        past the limit while it arrives). NiceGUI's own upload element is not used: it takes a file of any size.

        :param url: the server's upload address for this file (an inbox)
        :param label: the button's words, in the reader's language
        :param max_bytes: larger files are refused in the browser already (the server refuses them anyway)
        :param accept: the file types offered, e.g. ".stl,.svg"
        :param on_sent: called once the server took the file
        :param on_refused: called when the file is too large, or the server refused it
        """
        super().__init__("q-uploader")
        self._props.update(
            {
                "url": url,
                "field-name": "file",
                "auto-upload": True,
                "accept": accept,
                "max-file-size": max_bytes,
                "label": label,
                "data-upload-url": url,  # where the file goes, readable in the page (tests send files there)
            }
        )
        self.on("uploaded", lambda: on_sent(), [])
        self.on("failed", lambda: on_refused(), [])
        self.on("rejected", lambda: on_refused(), [])
