"""OctoPrint's own serial host, for comparison: a real `octoprint serve` (from .venv-octoprint) printing a file
to a firmware simulator on a pty, or with its virtual printer. Used by the OctoPrint tests and bench/stream_marlin.py;
loopback only; stopped by PID afterwards."""

from __future__ import annotations

import contextlib
import http.client
import json
import secrets
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OCTOPRINT = ROOT / ".venv-octoprint" / "bin" / "octoprint"
USER = "fabkiosk"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OctoPrintServer:
    """A real OctoPrint on loopback with its own base folder, an admin user and a known application key.

    `virtual_printer` switches on OctoPrint's bundled virtual printer with these settings (port "VIRTUAL").
    """

    def __init__(self, virtual_printer: dict[str, object] | None = None) -> None:
        if not OCTOPRINT.exists():
            raise RuntimeError("OctoPrint is not installed in .venv-octoprint: run `make test` once")
        self._dir = tempfile.TemporaryDirectory(prefix="fabkiosk-octoprint-")
        base = Path(self._dir.name)
        self.key = secrets.token_hex(16)
        (base / "config.yaml").write_text(
            json.dumps(
                {
                    "server": {
                        "firstRun": False,
                        "onlineCheck": {"enabled": False},
                        "pluginBlacklist": {"enabled": False},
                        "seenWizards": {"corewizard": 4},
                    },
                    "plugins": {
                        "virtual_printer": {"enabled": virtual_printer is not None, **(virtual_printer or {})},
                        "tracking": {"enabled": False},
                        "errortracking": {"enabled": False},
                    },
                    "serial": {"additionalPorts": ["/dev/pts/*"], "autoconnect": False, "log": False},
                }
            )
        )
        subprocess.run(
            [
                str(OCTOPRINT),
                "--basedir",
                str(base),
                "user",
                "add",
                "--password",
                secrets.token_hex(8),
                "--admin",
                USER,
            ],
            check=True,
            capture_output=True,
        )
        keys = base / "data" / "appkeys"
        keys.mkdir(parents=True, exist_ok=True)
        (keys / "keys.yaml").write_text(json.dumps({USER: [{"app_id": "fabkiosk", "api_key": self.key}]}))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.start()

    def start(self) -> None:
        """Serve on the port and base folder chosen at construction; return once the API answers."""
        base = Path(self._dir.name)
        self.process = subprocess.Popen(
            [
                str(OCTOPRINT),
                "serve",
                "--iknowwhatimdoing",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--basedir",
                str(base),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                self.call("GET", "/api/version")
                break
            except (urllib.error.URLError, http.client.HTTPException, OSError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("OctoPrint did not start") from None
                time.sleep(0.3)

    def call(self, method: str, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"X-Api-Key": self.key, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return json.loads(text) if text else {}

    def connect(self, port: str) -> None:
        self.call("POST", "/api/connection", {"command": "connect", "port": port, "baudrate": 115200})
        deadline = time.monotonic() + 30
        while self.call("GET", "/api/connection")["current"]["state"] != "Operational":  # type: ignore[index]
            if time.monotonic() > deadline:
                raise RuntimeError("OctoPrint did not connect to the simulator")
            time.sleep(0.2)

    def disconnect(self) -> None:
        self.call("POST", "/api/connection", {"command": "disconnect"})

    def print_file(self, name: str, gcode: str) -> None:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n{gcode}\r\n",
            f'--{boundary}\r\nContent-Disposition: form-data; name="select"\r\n\r\ntrue\r\n',
            f'--{boundary}\r\nContent-Disposition: form-data; name="print"\r\n\r\ntrue\r\n',
            f"--{boundary}--\r\n",
        ]
        request = urllib.request.Request(
            self.url + "/api/files/local",
            data="".join(parts).encode(),
            method="POST",
            headers={"X-Api-Key": self.key, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        urllib.request.urlopen(request, timeout=30).read()

    def cancel(self) -> None:
        with contextlib.suppress(urllib.error.HTTPError):  # nothing printing
            self.call("POST", "/api/job", {"command": "cancel"})

    def kill(self) -> None:
        """End the server the hard way (a crash, a power cut): no goodbye to the printer or to clients."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._dir.cleanup()
