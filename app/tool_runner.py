"""Runs external tools (OpenSCAD, PrusaSlicer): one process per core at most, the rest queued, each with a timeout.

Work for the kiosk beside the machines has one slot of its own and runs at normal priority; design work for
remote pages runs at a lower priority (nice), so a flood of remote changes slows the kiosk's price little.
"""

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
_KIOSK_SLOT = threading.BoundedSemaphore(1)  # the kiosk's own: it never waits for remote pages' tools to end
REMOTE_NICE = 10  # Linux gives a process at nice 10 about a tenth of the CPU of one at 0 when both want it
_ambient = threading.local()  # the design-work run this thread works for (app/design_queue.py): cancel, who


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
def design_work(cancel: threading.Event, for_kiosk: bool) -> Iterator[None]:
    """Tools run by this thread meanwhile are stopped once `cancel` is set, without passing it through every call
    (the design-work queue drops a page's older render or slice this way); for the kiosk beside the machines they
    take the kiosk's own slot, for remote pages they run at a lower priority."""
    previous = getattr(_ambient, "cancel", None), getattr(_ambient, "for_kiosk", None)
    _ambient.cancel, _ambient.for_kiosk = cancel, for_kiosk
    try:
        yield
    finally:
        _ambient.cancel, _ambient.for_kiosk = previous


def run_tool(
    args: list[str], timeout_s: float, cwd: Path | None = None, cancel: threading.Event | None = None
) -> ToolResult:
    """Run one external program without a shell, waiting for a free core first; kill it on timeout or cancel."""
    deadline = time.monotonic() + timeout_s
    cancel = cancel if cancel is not None else getattr(_ambient, "cancel", None)
    if cancel is not None and cancel.is_set():
        raise ToolCancelled(f"{Path(args[0]).name} was no longer needed")
    for_kiosk = getattr(_ambient, "for_kiosk", None)  # None: not design work for a page (command line, pictures)
    slots = _KIOSK_SLOT if for_kiosk else _SLOTS
    if not slots.acquire(timeout=timeout_s):
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
        if for_kiosk is False:  # a remote page's tool: the process already runs; its priority is lowered at once
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.setpriority(os.PRIO_PROCESS, process.pid, REMOTE_NICE)
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
        slots.release()


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
        os.killpg(process.pid, signal.SIGKILL)
