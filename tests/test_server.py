"""The server as `make run` starts it: it answers on loopback, shows the catalog, serves previews over HTTP."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import load_settings
from app.services import build_services
from tests.server_process import get, running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("server") / "data"
    with running_server(data_dir) as base:
        yield base, data_dir


def test_start_page_shows_the_catalog_in_both_languages(server: tuple[str, Path]) -> None:
    base, _ = server
    status, _, body = get(base + "/")
    assert status == 200 and "Schlüsselanhänger mit Namen".encode() in body
    status, _, body = get(base + "/?lang=en")
    assert status == 200 and b"Name keychain" in body and b"Lena Vogt" in body


def test_the_simulated_printer_and_laser_connect_and_show_as_ready(server: tuple[str, Path]) -> None:
    base, _ = server
    deadline = time.monotonic() + 20
    while True:
        body = get(base + "/?lang=de")[2]
        if b"Drucker 1: Bereit" in body and b"Lasergravierer 1: Bereit" in body:  # names translated too
            break
        assert time.monotonic() < deadline, "the simulated machines never became ready"
        time.sleep(0.3)


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
