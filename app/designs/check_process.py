"""Heavy checks (reading a customer's file, repairing and orienting a mesh, working out a drawing's region) in a
child process with a memory limit and a deadline, so a hostile file can use up that child, never the server and
the machines it drives.

The child is this module run as a program (`python -m app.designs.check_process`); it answers requests over its
standard input and output, one pickled message each way, and sets its own address-space limit (RLIMIT_AS) before
every request: the memory it had after its imports plus the store's `memory_mb`. A child that runs past the
deadline is killed and replaced; one that dies is replaced. The caller gets the result, the checks' own refusal
(DesignRejected), or CheckFailed for an error of ours.
"""

from __future__ import annotations

import logging
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from app.config import UploadLimits
from app.designs.budget import too_big_for_memory, too_slow
from app.designs.problems import DesignRejected

log = logging.getLogger(__name__)
_HEADER = struct.Struct("<Q")
_GRACE_S = 1.0  # the child checks its own deadline; this much later it is killed
_RETIRE_ABOVE_MB = 150  # a child still holding this much more than after its start is replaced
_IDLE_WORKERS = 2
_START_S = 120.0  # kept warm: starting one (imports) takes a second or more
# one thread each: the checks run one per child, and thread pools reserve address space the limit would count
_ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class CheckFailed(RuntimeError):
    """A check failed with an error of ours (not a refusal); the message carries the child's traceback."""


def _tasks() -> dict[str, Callable[..., Any]]:
    """What a child may be asked to run, by name: nothing else is ever called from a request."""
    from app.designs import isolated_checks

    return {"mesh": isolated_checks.check_mesh_file, "drawing": isolated_checks.read_drawing_file}


# --- the parent's side ------------------------------------------------------------------------------


class _Worker:
    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parent.parent.parent)
        env = {**os.environ, **_ONE_THREAD, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.designs.check_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=root,
        )
        # its imports take a second or more (longer on a busy machine): not part of any request's budget
        assert self.process.stdout is not None
        if _receive(self.process.stdout, time.monotonic() + _START_S) != "ready":
            self.stop()
            raise CheckFailed("the checking process did not start")

    def ask(self, request: tuple[str, tuple[Any, ...], int], timeout_s: float) -> tuple[str, Any, float, bool]:
        assert self.process.stdin is not None and self.process.stdout is not None
        _send(self.process.stdin, request)
        reply = _receive(self.process.stdout, time.monotonic() + timeout_s)
        if reply is None:
            raise TimeoutError
        return reply  # type: ignore[no-any-return]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)  # our own child, by its PID
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class CheckProcesses:
    """Children that run the heavy checks, kept warm between requests; safe to call from several threads."""

    def __init__(self) -> None:
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def run(self, task: str, args: tuple[Any, ...], limits: UploadLimits, peak_mb: list[float] | None = None) -> Any:
        """The task's result; `peak_mb`, when given, gets the most memory the task held (for benchmarks)."""
        worker = self._take()
        try:
            kind, value, peak, retiring = worker.ask((task, args, limits.memory_mb), limits.stage_seconds + _GRACE_S)
        except TimeoutError:
            worker.stop()
            log.warning("a %s check ran past its %s s and was stopped", task, limits.stage_seconds)
            raise too_slow(limits.stage_seconds) from None
        except (EOFError, BrokenPipeError, OSError) as e:
            worker.stop()
            log.warning("a %s check's process ended (exit %s)", task, worker.process.returncode)
            raise too_big_for_memory(limits.memory_mb) from e
        if retiring:  # it holds on to memory a big request left behind: a fresh one takes its place
            worker.stop()
        else:
            self._give_back(worker)
        if peak_mb is not None:
            peak_mb.append(peak)
        if kind == "ok":
            return value
        if kind == "rejected":
            raise DesignRejected(value)
        if kind == "memory":
            raise too_big_for_memory(limits.memory_mb)
        raise CheckFailed(value)

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.poll() is None:
                    return worker
                worker.stop()
        return _Worker()

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < _IDLE_WORKERS:
                self._idle.append(worker)
                return
        worker.stop()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


CHECKS = CheckProcesses()


def _send(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes], deadline: float | None) -> Any:
    """One message, or None when the deadline passes first; EOFError when the other side is gone."""
    fd = stream.fileno()
    chunks: list[bytes] = []
    wanted, have_header = _HEADER.size, False
    while True:
        if deadline is not None:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return None
        chunk = os.read(fd, min(wanted, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        wanted -= len(chunk)
        if wanted:
            continue
        data = b"".join(chunks)
        chunks = []
        if have_header:
            return pickle.loads(data)  # from our own child, never from a customer
        (wanted,), have_header = _HEADER.unpack(data), True


# --- the child's side -------------------------------------------------------------------------------


def _serve() -> None:
    tasks = _tasks()  # the imports first, so the limit below is set on top of them
    baseline, resident_kb = _address_space_bytes(), _status_kb("VmRSS")
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # anything a library prints must not end up in the replies
    _send(stdout, "ready")
    while True:
        try:
            name, args, memory_mb = _receive(stdin, None)
        except EOFError:
            return  # the parent is gone
        resource.setrlimit(resource.RLIMIT_AS, (baseline + memory_mb * 1024 * 1024, resource.RLIM_INFINITY))
        _reset_peak_memory()
        try:
            reply: tuple[str, Any] = ("ok", tasks[name](*args))
        except DesignRejected as e:
            reply = ("rejected", e.problems)
        except MemoryError:
            reply = ("memory", None)
        except Exception as e:
            # GEOS (shapely) and other C++ code report memory running out as std::bad_alloc
            reply = (
                ("memory", None)
                if "bad_alloc" in str(e)
                else ("error", f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
            )
        retiring = _status_kb("VmRSS") > resident_kb + _RETIRE_ABOVE_MB * 1024
        try:
            _send(stdout, (*reply, _status_kb("VmHWM") / 1024, retiring))
        except MemoryError:
            _send(stdout, ("memory", None, 0.0, True))
            return
        if retiring:
            return


def _address_space_bytes() -> int:
    return _status_kb("VmSize") * 1024


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


def _reset_peak_memory() -> None:
    """Start the peak resident memory (VmHWM) afresh, so it is this request's (Linux: /proc/PID/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


if __name__ == "__main__":
    _serve()
