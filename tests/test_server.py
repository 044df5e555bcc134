"""The server as `make run` starts it: it answers on loopback, shows the catalog, serves previews over HTTP, refuses
Host names not its own and pages in other sites' frames."""

import base64
import http.client
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.config import load_settings
from app.services import build_services
from tests.server_process import get, running_server

pytestmark = pytest.mark.slow  # a real server process


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


def request_with_host(base: str, path: str, host: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """A request to the loopback server that names another Host, as a DNS-rebinding page's requests do."""
    connection = http.client.HTTPConnection(urlsplit(base).hostname or "", urlsplit(base).port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["/", "/order", "/staff/login", "/_nicegui_ws/socket.io/?EIO=4&transport=polling"])
def test_a_foreign_host_name_is_refused_before_a_page_or_socket_is_served(server: tuple[str, Path], path: str) -> None:
    base, _ = server
    status, body = request_with_host(base, path, "rebind.attacker.example")
    assert status == 400 and b"Schl" not in body and b"sid" not in body
    port = urlsplit(base).port
    assert request_with_host(base, path, f"localhost:{port}")[0] == 200  # the demo's own names are served


def test_a_socket_for_a_foreign_host_name_is_closed_before_it_opens(server: tuple[str, Path]) -> None:
    base, _ = server
    key = base64.b64encode(os.urandom(16)).decode()
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"}
    path = "/_nicegui_ws/socket.io/?EIO=4&transport=websocket"
    assert request_with_host(base, path, "rebind.attacker.example", upgrade)[0] == 403
    assert request_with_host(base, path, f"127.0.0.1:{urlsplit(base).port}", upgrade)[0] == 101


def test_pages_carry_a_content_security_policy_and_refuse_framing_by_other_sites(server: tuple[str, Path]) -> None:
    base, _ = server
    for path in ("/", "/order", "/staff/login", "/kiosk/pair"):
        status, headers, _ = get(base + path)
        policy = {k.lower(): v for k, v in headers.items()}
        assert status == 200
        assert "frame-ancestors 'self'" in policy["content-security-policy"]
        assert "object-src 'none'" in policy["content-security-policy"]
        assert policy["x-frame-options"] == "SAMEORIGIN"
