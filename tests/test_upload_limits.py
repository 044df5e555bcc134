"""A 1 GB upload to the real server process is refused while it arrives, and the server's resident memory hardly
grows meanwhile (measured in /proc, not assumed): the process that holds the machines never runs out of memory."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import trimesh
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import machines_file
from tests.server_process import ServerProcess

pytestmark = pytest.mark.slow  # Chromium against a real server process

GB = 1024**3
CHUNK = 1024 * 1024
BOUNDARY = "fabkiosk-test-boundary"


def resident_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class PeakMemory:
    """Samples a process's resident memory every few milliseconds until stopped; keeps the highest."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, resident_bytes(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, resident_bytes(self.pid))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    config = tmp_path / "fabkiosk.toml"
    config.write_text(f'machines_file = "{machines_file(tmp_path, 20)}"\n')
    process = ServerProcess(tmp_path / "data", config)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def chromium() -> webdriver.Chrome:
    if shutil.which("chromedriver") is None:
        pytest.fail("chromedriver is missing: `make test` installs the chromium-driver package")
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    for argument in ("headless=new", "no-sandbox", "disable-dev-shm-usage", "disable-gpu", "window-size=1280,800"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def own_file_step(driver: webdriver.Chrome, base: str) -> str:
    """At the kiosk: "My own file" opens an inbox; its upload address is read off the page."""
    driver.get(base + "/?lang=en")
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=own-file]"))
    driver.find_element(By.CSS_SELECTOR, "[data-testid=own-file]").click()
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-upload-url]"))
    return str(driver.find_element(By.CSS_SELECTOR, "[data-upload-url]").get_attribute("data-upload-url"))


def open_inbox(base: str) -> str:
    driver = chromium()
    try:
        return own_file_step(driver, base)
    finally:
        driver.quit()


def send(port: int, path: str, total: int, declare_length: bool) -> tuple[bytes, int]:
    """Post a form with a `total`-byte file; returns the server's answer and how many bytes it took before it."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="huge.stl"\r\n'
        "Content-Type: model/stl\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    framing = f"Content-Length: {len(head) + total + len(tail)}" if declare_length else "Transfer-Encoding: chunked"
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{framing}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n"
    ).encode()
    chunk = b"\0" * CHUNK
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        try:
            body = [head] + [chunk] * (total // CHUNK) + [tail]
            for piece in body:
                connection.sendall(piece if declare_length else b"%x\r\n%s\r\n" % (len(piece), piece))
                sent += len(piece)
            if not declare_length:
                connection.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server refused and closed the connection: what a refusal looks like mid-body
        connection.settimeout(30)
        answer = b""
        try:
            while not answer.endswith(b"\r\n\r\n") and b"\r\n\r\n" not in answer:
                more = connection.recv(4096)
                if not more:
                    break
                answer += more
        except OSError:
            pass
    return answer, sent


@pytest.mark.parametrize("declare_length", [False, True], ids=["streamed", "declared"])
def test_a_1_gb_upload_is_refused_early_and_the_server_hardly_grows(
    server: ServerProcess, declare_length: bool
) -> None:
    assert server.process is not None
    path = open_inbox(server.base)
    pid = server.process.pid
    time.sleep(1.0)  # the page's own work settles before the baseline
    before = resident_bytes(pid)
    memory = PeakMemory(pid)
    started = time.monotonic()
    answer, sent = send(server.port, path, GB, declare_length)
    seconds = time.monotonic() - started
    grown = memory.stop() - before
    print(
        f"1 GB upload ({'declared' if declare_length else 'streamed'}): refused after {sent / 1e6:.0f} MB sent, "
        f"{seconds:.1f} s; resident memory grew {grown / 1e6:.1f} MB"
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 200 * 1024 * 1024, "refused while the bytes arrive, long before the end"
    assert grown < 100 * 1024 * 1024


def test_an_upload_from_another_sites_page_or_to_no_inbox_is_refused_unread(server: ServerProcess) -> None:
    path = open_inbox(server.base)
    form = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.stl"\r\n\r\nsolid a\r\n'
        f"--{BOUNDARY}--\r\n"
    ).encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    foreign = urllib.request.Request(
        server.base + path, form, {**headers, "Origin": "http://evil.example"}, method="POST"
    )
    assert status_of(foreign) == 403
    nobody = urllib.request.Request(server.base + "/inbox/" + "x" * 32, form, headers, method="POST")
    assert status_of(nobody) == 404


def status_of(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as e:
        return e.code


def test_a_file_chosen_at_the_kiosk_goes_through_the_upload_route_and_is_checked(
    server: ServerProcess, tmp_path: Path
) -> None:
    model = tmp_path / "box.stl"
    model.write_bytes(bytes(trimesh.creation.box((30, 20, 10)).export(file_type="stl")))
    driver = chromium()
    try:
        own_file_step(driver, server.base)
        driver.find_element(By.CSS_SELECTOR, "[data-upload-url] input[type=file]").send_keys(str(model))
        WebDriverWait(driver, 90).until(
            lambda d: "30 × 20 × 10 mm" in d.find_element(By.TAG_NAME, "body").text
        )  # the kiosk took the file from its inbox, checked it and shows its size
    finally:
        driver.quit()
