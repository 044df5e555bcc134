"""Runs external tools (OpenSCAD, PrusaSlicer): one process per core at most, the rest queued, each with a timeout."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


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


def run_tool(args: list[str], timeout_s: float, cwd: Path | None = None) -> ToolResult:
    """Run one external program without a shell, waiting for a free core first; kill it on timeout."""
    deadline = time.monotonic() + timeout_s
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
        try:
            stdout, stderr = process.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired as e:
            _kill_group(process)
            process.communicate()
            raise ToolTimeout(f"{Path(args[0]).name} took longer than {timeout_s:g} s and was stopped") from e
        return ToolResult(process.returncode, stdout, stderr, time.monotonic() - started)
    finally:
        _SLOTS.release()


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
        os.killpg(process.pid, signal.SIGKILL)
