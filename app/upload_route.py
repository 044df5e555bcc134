"""The upload route: a customer's file for an open inbox, streamed to disk with the size limit enforced while the
bytes arrive, and refused past it. The body is never held in memory: the process that holds the machines must never
be the one that runs out of it.

The kiosk's USB-stick upload and the phone's `/send` page both post here (multipart form, one file); the file then
goes to the page that opened the inbox (app/handoff.py).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from fastapi import HTTPException, Request
from fastapi.responses import PlainTextResponse
from nicegui import app
from python_multipart.multipart import MultipartParser, parse_options_header

from app.config import UploadLimits
from app.handoff import Handoffs

log = logging.getLogger(__name__)

FORM_OVERHEAD = 64 * 1024  # a form's boundaries and part headers around the file itself
# the server closes the connection with its refusal; otherwise it would read (and drop) the rest of the body
CLOSE = {"Connection": "close"}


class TooLarge(Exception):
    """More bytes arrived than the limit allows."""


class _OneFile:
    """Writes the form's file part to `sink` as it arrives, counting its bytes; remembers the file's name."""

    def __init__(self, sink: tempfile._TemporaryFileWrapper[bytes], limit: int) -> None:
        self.sink, self.limit = sink, limit
        self.size = 0
        self.filename: str | None = None
        self._header_field = b""
        self._header_value = b""
        self._in_file = False
        self._files = 0

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._add("_header_field", data[start:end]),
            "on_header_value": lambda data, start, end: self._add("_header_value", data[start:end]),
            "on_header_end": self._header_end,
            "on_part_data": self._part_data,
        }

    def _add(self, name: str, data: bytes) -> None:
        setattr(self, name, (getattr(self, name) + data)[:1024])  # part headers are short; a long one is cut

    def _part_begin(self) -> None:
        self._in_file = False

    def _header_end(self) -> None:
        if self._header_field.lower() == b"content-disposition":
            _, options = parse_options_header(self._header_value)
            name = options.get(b"filename")
            if name is not None and self._files == 0:  # the first file only; other fields and files are ignored
                self.filename = name.decode("utf-8", "replace")
                self._in_file = True
                self._files += 1
        self._header_field = self._header_value = b""

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file:
            return
        self.size += end - start
        if self.size > self.limit:
            raise TooLarge
        self.sink.write(data[start:end])


async def receive_file(request: Request, limits: UploadLimits, folder: Path) -> tuple[bytes, str]:
    """Read one file from a multipart upload as it streams in; refuse (413) as soon as it passes the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limits.max_file_bytes + FORM_OVERHEAD:
        raise HTTPException(status_code=413, detail="too large", headers=CLOSE)  # said before a byte is read
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise HTTPException(status_code=400, detail="one file, sent as a form")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".part") as sink:
        part = _OneFile(sink, limits.max_file_bytes)
        parser = MultipartParser(boundary, part.callbacks())  # type: ignore[arg-type]
        received = 0
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > limits.max_file_bytes + FORM_OVERHEAD:
                    raise TooLarge
                parser.write(chunk)
            parser.finalize()
        except TooLarge:
            log.info("an upload from %s was refused past %d bytes", _peer(request), limits.max_file_bytes)
            raise HTTPException(status_code=413, detail="too large", headers=CLOSE) from None
        if part.filename is None or part.size == 0:
            raise HTTPException(status_code=400, detail="no file")
        sink.flush()
        sink.seek(0)
        data = await asyncio.to_thread(sink.read)  # up to the limit from disk: not on the event loop
        return data, part.filename


def register_upload_route(handoffs: Handoffs, limits: UploadLimits, folder: Path) -> None:
    @app.post("/inbox/{token}")
    async def upload(token: str, request: Request) -> PlainTextResponse:
        if not _same_origin(request):  # another site's page posting in a customer's browser
            raise HTTPException(status_code=403)
        if not handoffs.inbox_open(token):  # nobody waits for a file here: not a byte is read
            raise HTTPException(status_code=404)
        data, filename = await receive_file(request, limits, folder)
        if not handoffs.deliver(token, data, filename):
            raise HTTPException(status_code=410, detail="the inbox closed meanwhile")
        return PlainTextResponse("received")


def _same_origin(request: Request) -> bool:
    """Browsers send Origin on every cross-site post; a client without one is no browser and carries no one's
    cookies (the inbox token in the address is the capability)."""
    origin = request.headers.get("origin")
    return origin is None or urlparse(origin).netloc == request.headers.get("host", "")


def _peer(request: Request) -> str:
    return request.client.host if request.client else "?"
