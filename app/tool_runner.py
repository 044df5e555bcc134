"""Runs external tools (OpenSCAD, PrusaSlicer): one process per core at most, the rest queued, each with a timeout."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))
_ambient = threading.local()  # the cancel of the design-work run this thread works for (app/design_queue.py)


class ToolMissing(RuntimeError):
    """The external program is not installed."""


class ToolTimeout(RuntimeError):
    """The external program ran longer than allowed and was stopped."""


@dataclass(frozen=True)
class ToolResult:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


class ToolCancelled(RuntimeError):
    """The caller no longer needed the result and the program was stopped."""


@contextlib.contextmanager
def cancelled_by(cancel: threading.Event) -> Iterator[None]:
    """Tools run by this thread meanwhile are stopped once `cancel` is set, without passing it through every call:
    the design-work queue drops a page's older render or slice this way."""
    previous = getattr(_ambient, "cancel", None)
    _ambient.cancel = cancel
    try:
        yield
    finally:
        _ambient.cancel = previous


def run_tool(
    args: list[str], timeout_s: float, cwd: Path | None = None, cancel: threading.Event | None = None
) -> ToolResult:
    """Run one external program without a shell, waiting for a free core first; kill it on timeout or cancel."""
    deadline = time.monotonic() + timeout_s
    cancel = cancel if cancel is not None else getattr(_ambient, "cancel", None)
    if cancel is not None and cancel.is_set():
        raise ToolCancelled(f"{Path(args[0]).name} was no longer needed")
    if not _SLOTS.acquire(timeout=timeout_s):
        raise ToolTimeout(f"{Path(args[0]).name} waited {timeout_s:g} s for a free core")
    try:
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                args,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                start_new_session=True,
            )
        except FileNotFoundError as e:
            raise ToolMissing(f"{args[0]} is not installed; run `make run` or `make test` to install it") from e
        poll_s = 0.02 if cancel is not None else timeout_s
        while True:
            try:
                stdout, stderr = process.communicate(timeout=max(0.01, min(poll_s, deadline - time.monotonic())))
                return ToolResult(process.returncode, stdout, stderr, time.monotonic() - started)
            except subprocess.TimeoutExpired as e:
                if cancel is not None and cancel.is_set():
                    _kill_group(process)
                    process.communicate()
                    raise ToolCancelled(f"{Path(args[0]).name} was no longer needed and was stopped") from e
                if time.monotonic() >= deadline:
                    _kill_group(process)
                    process.communicate()
                    raise ToolTimeout(f"{Path(args[0]).name} took longer than {timeout_s:g} s and was stopped") from e
    finally:
        _SLOTS.release()


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
        os.killpg(process.pid, signal.SIGKILL)
