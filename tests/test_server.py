"""The server as `make run` starts it: it answers on loopback, shows the catalog, serves previews over HTTP."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import load_settings
from app.services import build_services


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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("server") / "data"
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},  # NiceGUI reads these as test mode
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(base + "/")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"server did not start: {output}")
            time.sleep(0.3)
        yield base, data_dir
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_start_page_shows_the_catalog_in_both_languages(server: tuple[str, Path]) -> None:
    base, _ = server
    status, _, body = get(base + "/")
    assert status == 200 and "Schlüsselanhänger mit Namen".encode() in body
    status, _, body = get(base + "/?lang=en")
    assert status == 200 and b"Name keychain" in body and b"Lena Vogt" in body


def test_the_simulated_printer_connects_and_shows_as_ready(server: tuple[str, Path]) -> None:
    base, _ = server
    deadline = time.monotonic() + 20
    while True:
        body = get(base + "/?lang=de")[2]
        if b"Bereit" in body:
            break
        assert time.monotonic() < deadline, "the simulated printer never became ready"
        time.sleep(0.3)
    assert "Nicht verfügbar".encode() in body  # the engraver has no adapter yet: shown, not hidden


def test_previews_are_served_over_http_with_long_caching(server: tuple[str, Path]) -> None:
    base, data_dir = server
    services = build_services(load_settings(None, data_dir=str(data_dir)))
    result = services.pipeline.quote_template("keychain", {"name": "Web"}, "printer-1")
    assert result.part.preview_path is not None
    status, headers, body = get(f"{base}/media/previews/{result.part.preview_path.stem}.glb")
    assert status == 200 and body[:4] == b"glTF"
    assert "immutable" in headers["cache-control"] and headers["content-type"] == "model/gltf-binary"


@pytest.mark.parametrize("name", ["0" * 32, "..%2F..%2Fetc%2Fpasswd", "ABC"])
def test_unknown_or_malformed_preview_names_are_not_found(server: tuple[str, Path], name: str) -> None:
    base, _ = server
    assert get(f"{base}/media/previews/{name}.glb")[0] == 404
