"""The fabkiosk server as `make run` starts it, in its own process on a free loopback port, stopped by its PID."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), b""


class ServerProcess:
    """`python -m app serve` on a loopback port; started, killed (SIGKILL, as a power cut would) and started again
    on the same port and data, stopped by its PID."""

    def __init__(self, data_dir: Path, config: Path | None = None, log: Path | None = None) -> None:
        self.data_dir, self.config = data_dir, config
        self.log = log  # the server's output goes here when given (a test reads what it logged)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        command = [sys.executable, "-m", "app"]
        if self.config is not None:
            command += ["--config", str(self.config)]
        command += ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        self.process = process = subprocess.Popen(
            command,
            stdout=self.log.open("ab") if self.log else subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},  # NiceGUI reads these as tests
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(self.base + "/")[0] == 200:
                    return self.base
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                output = self.log.read_text() if self.log else output
                raise RuntimeError(f"server did not start: {output}")
            time.sleep(0.3)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()  # SIGKILL: nothing of ours runs after this
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@contextmanager
def running_server(data_dir: Path, config: Path | None = None) -> Iterator[str]:
    """Start `python -m app serve` and yield its base URL once it answers."""
    server = ServerProcess(data_dir, config)
    try:
        yield server.start()
    finally:
        server.stop()
