"""Puts a firmware simulator behind a real pseudo-terminal, so the host reaches it through the kernel's tty
layer and pyserial exactly as it reaches a USB printer."""

from __future__ import annotations

import contextlib
import os
import threading
import tty
from typing import Protocol


class Firmware(Protocol):
    def write(self, data: bytes) -> None: ...

    def readline(self, timeout: float) -> bytes: ...


class PtyBridge:
    def __init__(self, firmware: Firmware) -> None:
        self.firmware = firmware
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        tty.setraw(self._master)
        self.path = os.ttyname(self._slave)
        self._open = True
        self._threads = [
            threading.Thread(target=self._to_firmware, name="pty-to-firmware", daemon=True),
            threading.Thread(target=self._to_host, name="pty-to-host", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _to_firmware(self) -> None:
        while self._open:
            try:
                data = os.read(self._master, 4096)
            except OSError:
                return
            if not data:
                return
            with contextlib.suppress(OSError):
                self.firmware.write(data)

    def _to_host(self) -> None:
        while self._open:
            try:
                line = self.firmware.readline(0.05)
            except OSError:
                return
            if line:
                try:
                    os.write(self._master, line)
                except OSError:
                    return

    def unplug(self) -> None:
        """Close the firmware's side: the host's port fails as when a USB cable is pulled."""
        self._open = False
        with contextlib.suppress(OSError):
            os.close(self._master)

    def close(self) -> None:
        self.unplug()
        with contextlib.suppress(OSError):
            os.close(self._slave)
        for thread in self._threads:
            thread.join(timeout=2)
