"""A scripted NiceGUI page client: the page's HTML over HTTP, then socket.io as the page's own script speaks it.

It sees what a browser would (the elements, their event listeners, the updates pushed to it) and can send any
event, to its own page or, forged, with another page's ids: what a script on the store network could do.
"""

from __future__ import annotations

import ast
import asyncio
import json
import re
import uuid
from typing import Any
from urllib.parse import urlencode

import aiohttp
import socketio

QUERY = re.compile(r"query: (\{.*?\}),\s*\n")
ELEMENTS = re.compile(r"parseElements\(String\.raw`(.*?)`\)", re.S)


class PageClient:
    def __init__(self, base: str, cookies: dict[str, str] | None = None) -> None:
        self.base = base
        self.cookies = cookies or {}
        self.sio = socketio.AsyncClient(reconnection=False)
        self.client_id = ""
        self.elements: dict[str, dict[str, Any]] = {}
        self.updates = 0  # element updates pushed to this page
        self.sio.on("update", self._update)

    async def _update(self, data: Any) -> None:
        if isinstance(data, dict):
            for key, element in data.items():
                if key.isdigit() and isinstance(element, dict):
                    self.elements[key] = element
                    self.updates += 1

    async def open(self, path: str = "/?lang=en") -> str:
        async with (
            aiohttp.ClientSession(cookies=self.cookies) as http,
            http.get(self.base + path) as response,
        ):
            html = await response.text()
        found, elements = QUERY.search(html), ELEMENTS.search(html)
        assert found and elements, "not a NiceGUI page"
        self.elements = json.loads(elements.group(1))
        query = ast.literal_eval(found.group(1))  # the page writes it as a Python dict
        self.client_id = query["client_id"]
        query |= {"tab_id": str(uuid.uuid4()), "document_id": str(uuid.uuid4()), "old_tab_id": ""}
        await self.sio.connect(
            f"{self.base}?{urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items()})}",
            socketio_path="/_nicegui_ws/socket.io",
            transports=["websocket"],
            wait_timeout=30,
        )
        return html

    def texts(self) -> list[str]:
        return [str(e.get("text", "")) for e in self.elements.values()] + [
            str(e.get("props", {}).get("label", "")) for e in self.elements.values()
        ]

    def find(self, testid: str) -> str:
        return next(key for key, e in self.elements.items() if e.get("props", {}).get("data-testid") == testid)

    async def send(
        self, element_id: str, event: str = "click", args: list[Any] | None = None, as_client: str = ""
    ) -> None:
        """Every listener of this event type on the element; `as_client`: another page's id, forged."""
        element = self.elements.get(element_id, {})
        for listener in element.get("events", []):
            if listener.get("type") == event:
                await self.sio.emit(
                    "event",
                    {
                        "id": int(element_id),
                        "client_id": as_client or self.client_id,
                        "listener_id": listener["listener_id"],
                        "args": [json.dumps(a) for a in (args or [])],
                    },
                )

    async def send_everything(self, skip: frozenset[str] = frozenset()) -> None:
        """Every listener of every element the page has shown: clicks, and every box ticked; `skip`: elements
        with these labels or test ids (ways back), so the page keeps moving forward."""
        for element_id, element in list(self.elements.items()):
            props = element.get("props", {})
            label = str(props.get("label", ""))
            if {label, str(props.get("data-testid", ""))} & skip or 0 < len(label) <= 2:
                continue  # a way back, or a key of the on-screen keyboard (the text would only grow)
            if "scene" in str(element.get("tag", "")):
                continue  # the 3-D preview's pointer events carry coordinates, not decisions
            for listener in element.get("events", []):
                kind = listener.get("type", "")
                if not kind.startswith("update:"):
                    await self.send(element_id, kind)
                elif "checkbox" in str(element.get("tag", "")):  # values elsewhere would only spoil the design
                    await self.send(element_id, kind, [True])
        await asyncio.sleep(0.2)

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
