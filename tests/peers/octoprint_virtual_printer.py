"""OctoPrint's bundled virtual printer (an independent Marlin simulator) on a pty, for testing fabkiosk's host.

Runs under OctoPrint's own virtual environment (`.venv-octoprint/bin/python`), never fabkiosk's:
    python octoprint_virtual_printer.py DATA_DIR '{"resend_ratio": 5, ...}'
prints the pty's path on its first line, then serves until its standard input closes.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import threading
import tty
from typing import Any

from octoprint.plugins import virtual_printer
from octoprint.plugins.virtual_printer import virtual


class _NoPlugins:
    def get_hooks(self, _name: str) -> dict[str, Any]:
        return {}


class _Settings:
    """The few settings calls the virtual printer makes, answered from its own defaults plus overrides."""

    def __init__(self, values: dict[str, Any], base: str) -> None:
        self._values = values
        self._base = base

    def get(self, path: list[str], merged: bool = False) -> Any:
        value: Any = self._values
        for key in path:
            value = value[key]
        return copy.deepcopy(value)

    def get_int(self, path: list[str]) -> int:
        return int(self.get(path))

    def get_float(self, path: list[str]) -> float:
        return float(self.get(path))

    def get_boolean(self, path: list[str]) -> bool:
        return bool(self.get(path))

    def global_get_basefolder(self, name: str) -> str:
        folder = os.path.join(self._base, name)
        os.makedirs(folder, exist_ok=True)
        return folder


class _Profiles:
    def get_current_or_default(self) -> dict[str, Any]:
        return {"volume": {"width": 220, "depth": 220, "height": 250, "origin": "lowerleft"}}


def main() -> None:
    data_dir, overrides = sys.argv[1], json.loads(sys.argv[2])
    values = virtual_printer.VirtualPrinterPlugin().get_settings_defaults()
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key].update(value)
        else:
            values[key] = value
    virtual.plugin_manager = lambda: _NoPlugins()  # the constructor asks the plugin system for hooks
    printer = virtual.VirtualPrinter(_Settings(values, data_dir), _Profiles(), data_dir, read_timeout=0.05)
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    print(os.ttyname(slave), flush=True)

    def to_printer() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            printer.write(data)

    def to_host() -> None:
        while True:
            line = printer.readline()
            if line:
                try:
                    # readline() hands over one reply at a time, some without their newline
                    os.write(master, line if line.endswith(b"\n") else line + b"\n")
                except OSError:
                    return

    threading.Thread(target=to_printer, daemon=True).start()
    threading.Thread(target=to_host, daemon=True).start()
    sys.stdin.read()  # serve until the test closes our standard input
    printer.close()
    os._exit(0)  # the virtual printer's own threads are not daemons


if __name__ == "__main__":
    main()
