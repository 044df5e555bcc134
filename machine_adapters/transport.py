"""Byte links to a machine: a real serial port (pyserial), or an in-process pipe to a firmware simulator."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Protocol

import serial


class LinkLost(OSError):
    """The port went away (unplugged, closed, or the peer ended)."""


class Transport(Protocol):
    def write(self, data: bytes) -> None: ...

    def readline(self, timeout: float) -> bytes:
        """One line with its terminator, or b"" when none arrived within `timeout` seconds."""
        ...

    def close(self) -> None: ...


class SerialTransport:
    """A serial port through pyserial: a USB printer, or one end of a pty pair."""

    def __init__(self, port: str, baud: int) -> None:
        try:
            self._serial = serial.serial_for_url(port, baudrate=baud, timeout=0.05, write_timeout=5)
        except (serial.SerialException, OSError) as e:
            raise LinkLost(f"cannot open {port}: {e}") from e
        self._buffer = b""
        self._write_lock = threading.Lock()

    def write(self, data: bytes) -> None:
        try:
            with self._write_lock:
                self._serial.write(data)
        except (serial.SerialException, OSError) as e:
            raise LinkLost(str(e)) from e

    def readline(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            try:
                chunk = self._serial.read(max(1, self._serial.in_waiting))
            except (serial.SerialException, OSError, TypeError) as e:
                raise LinkLost(str(e)) from e
            self._buffer += chunk
            if not chunk and time.monotonic() >= deadline:
                return b""
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line + b"\n"

    def close(self) -> None:
        with contextlib.suppress(serial.SerialException, OSError):
            self._serial.close()
