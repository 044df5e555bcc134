"""OctoPrint's REST API through octorest, wrapped where octorest falls short.

octorest sets no timeouts, raises bare RuntimeError with the status in its text, and drops the upload's
select/print flags. Here every call has a timeout, errors become fabkiosk's own (`MachineOffline`,
`AuthFailed`, `Conflict`), reads are retried with backoff, and commands never are: a command that timed out
may still have acted, and sending it again could act twice.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from octorest import OctoRest

from machine_adapters.base import MachineError, MachineOffline

T = TypeVar("T")
READ_RETRIES = (0.2, 0.6)  # seconds to wait before the second and third try of a read
_STATUS = re.compile(r"\((\d{3})\)\s*$")


class AuthFailed(MachineError):
    """OctoPrint refused fabkiosk's application key."""


class Conflict(MachineError):
    """OctoPrint refused the command in its current state (HTTP 409): not printing, not operational, ..."""


class OctoPrintFailed(MachineError):
    """OctoPrint answered with an error fabkiosk has no better name for."""


class _TimeoutSession(requests.Session):
    """A requests session that never waits forever, and counts what it sends (for back-off checks)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.requests_sent = 0

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        self.requests_sent += 1
        return super().request(method, url, *args, **kwargs)


class OctoPrintApi:
    """One OctoPrint server. Thread-safe; every method either returns OctoPrint's answer or raises one of ours."""

    def __init__(self, url: str, api_key: str, timeout: float = 5.0, sleep: Callable[[float], None] = time.sleep):
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.session = _TimeoutSession(timeout)
        self._sleep = sleep
        self._client: OctoRest | None = None
        self._lock = threading.Lock()

    @property
    def requests_sent(self) -> int:
        return self.session.requests_sent

    def _octorest(self) -> OctoRest:
        # octorest checks the key with a first request when it is made; a refused key raises there
        if self._client is None:
            self._client = OctoRest(url=self.url, apikey=self.api_key, session=self.session)
        return self._client

    def _call(self, fn: Callable[[OctoRest], T], *, retry: bool) -> T:
        waits = READ_RETRIES if retry else ()
        for attempt in range(len(waits) + 1):
            try:
                with self._lock:
                    return fn(self._octorest())
            except (requests.ConnectionError, requests.Timeout) as e:
                if attempt == len(waits):
                    raise MachineOffline(f"OctoPrint at {self.url} does not answer") from e
                self._sleep(waits[attempt])
            except RuntimeError as e:
                raise _translated(e) from e
        raise AssertionError("unreachable")

    # --- reads: safe to repeat ---------------------------------------------------------------------------

    def connection(self) -> dict[str, Any]:
        return dict(self._call(lambda c: c.connection_info(), retry=True))

    def printer(self) -> dict[str, Any] | None:
        """Temperatures and state; None while the printer is not connected (OctoPrint answers 409 then)."""
        try:
            return dict(self._call(lambda c: c.printer(), retry=True))
        except Conflict:
            return None

    def job(self) -> dict[str, Any]:
        return dict(self._call(lambda c: c.job_info(), retry=True))

    # --- commands: never repeated ------------------------------------------------------------------------

    def connect(self, port: str, baud: int) -> None:
        kwargs: dict[str, Any] = {"baudrate": baud}
        if port and port != "AUTO":
            kwargs["port"] = port
        self._call(lambda c: c.connect(**kwargs), retry=False)

    def upload_and_print(self, name: str, program_text: str) -> None:
        """Upload a program and start it in one request: the flags go as form fields, where OctoPrint reads them."""
        files = {"file": (name, program_text.encode("ascii"), "application/octet-stream")}
        form = {"select": "true", "print": "true"}
        self._call(lambda c: c._post("/api/files/local", files=files, data=form), retry=False)

    def pause(self) -> None:
        self._call(lambda c: c.pause(), retry=False)

    def resume(self) -> None:
        self._call(lambda c: c.resume(), retry=False)

    def cancel(self) -> None:
        self._call(lambda c: c.cancel(), retry=False)

    def commands(self, lines: list[str]) -> None:
        """Send recipe lines through the command API (the only G-code this adapter sends itself)."""
        self._call(lambda c: c.gcode(lines), retry=False)


def _translated(error: RuntimeError) -> MachineError:
    text = str(error)
    found = _STATUS.search(text)
    status = int(found.group(1)) if found else 0
    if status in (401, 403):
        return AuthFailed("OctoPrint refused fabkiosk's application key")
    if status == 409:
        return Conflict("OctoPrint cannot do this in its current state")
    return OctoPrintFailed(f"OctoPrint answered with an error (HTTP {status or 'unknown'})")
