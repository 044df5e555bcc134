"""The product as shipped: a fresh copy of the project folder, default settings, relative paths, as `make run` does."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server_process import free_port, get

PROJECT = Path(__file__).resolve().parents[1]
# what a fresh clone holds: everything but what running and testing leave behind
_NOT_SHIPPED = shutil.ignore_patterns(
    ".git", ".venv", ".venv-octoprint", "data", "__pycache__", "*.egg-info", "test-artifacts", "screenshots", ".*_cache"
)


def fresh_copy(tmp_path: Path) -> Path:
    """A copy of the project folder as a newcomer has it, to run from with that folder as working directory."""
    copy = tmp_path / "fabkiosk"
    shutil.copytree(PROJECT, copy, ignore=_NOT_SHIPPED)
    return copy


def shipped_env(copy: Path) -> dict[str, str]:
    """The environment of `make run` in the copy: its own code, no settings passed in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABKIOSK_")}
    env["PYTHONPATH"] = str(copy)  # the copy's code, not this checkout's
    return env


@contextlib.contextmanager
def served_as_make_run(copy: Path) -> Iterator[str]:
    """`make run PORT=…` in the copy: `python -m app serve --host 127.0.0.1 --port P` from the copy's folder, with
    nothing passed in; the base URL once the kiosk page answers, the server stopped afterwards."""
    port = free_port()
    env = {k: v for k, v in shipped_env(copy).items() if not k.startswith("PYTEST")}  # NiceGUI reads these as tests
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=copy,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if get(base + "/")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_readme_quote_prices_a_keychain_from_the_project_folder(tmp_path: Path) -> None:
    # README: `.venv/bin/fabkiosk quote --template keychain --param name=Anna`, from the project folder, where
    # the data folder is the relative default `data/`
    copy = fresh_copy(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "app", "quote", "--template", "keychain", "--param", "name=Anna"],
        cwd=copy,
        env=shipped_env(copy),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "slicer error" not in result.stdout + result.stderr
    assert "EUR" in result.stdout or "€" in result.stdout, result.stdout
    sliced = list((copy / "data").rglob("*.gcode"))
    assert sliced, "the program was not written under the relative data folder"
