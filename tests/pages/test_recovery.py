"""Real processes: the server is killed with SIGKILL in the middle of a job and started again on the same data.
A job on a simulated printer comes back held with the reason (its stream died with the process), nothing starts by
itself, and both the customer's phone page and the staff console say so; a job on a printer behind OctoPrint,
which kept printing, is taken up again and followed to the end. Plus: page sockets and the sign-in form refuse
other sites' pages."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import trimesh
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.conftest import machines_file, stl_bytes
from tests.machine_adapters.test_octoprint import profile_for
from tests.octoprint_host import OctoPrintServer
from tests.pages.test_browser import KIOSK, browser, button, by_test_id, enabled_button, set_viewport, shoot, wait
from tests.server_process import ServerProcess, get

pytestmark = pytest.mark.slow  # Chromium, a real server process and a real OctoPrint

__all__ = ["browser"]  # the Chromium fixture, shared with the browser tests


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    config = tmp_path / "fabkiosk.toml"
    config.write_text(f'machines_file = "{machines_file(tmp_path, 2)}"\n')  # slow enough to be killed mid-job
    process = ServerProcess(tmp_path / "data", config)
    try:
        yield process
    finally:
        process.stop()


def start_a_job(driver: webdriver.Chrome, base: str, own_file: Path | None = None) -> str:
    """The kiosk journey up to a running job (a keychain, or the customer's own file); returns the phone link's
    path, read from the short-code page."""
    set_viewport(driver, KIOSK)
    driver.get(base + "/?lang=en")
    wait(lambda: "Printer 1: Ready" in driver.page_source, 30, "the printer")
    if own_file is None:
        by_test_id(driver, "template-keychain").click()
    else:
        by_test_id(driver, "own-file").click()
        upload = wait(lambda: driver.find_element(By.CSS_SELECTOR, "input[type=file]"), 10, "the upload field")
        assert isinstance(upload, WebElement)
        upload.send_keys(str(own_file))
    wait(lambda: enabled_button(driver, "See the price"), 90, "the price")
    button(driver, "See the price").click()
    wait(lambda: by_test_id(driver, "price"), 10, "the price step")
    button(driver, "Go to Printer 1").click()
    wait(lambda: "please check" in driver.page_source, 10, "the checklist")
    for box in driver.find_elements(By.CSS_SELECTOR, ".q-checkbox"):
        box.click()
    start = wait(lambda: enabled_button(driver, "Start"), 10, "Start")
    assert isinstance(start, WebElement)
    start.click()
    wait(lambda: "Layer" in driver.page_source and by_test_id(driver, "stop").is_displayed(), 60, "running")
    button(driver, "Follow it on your phone").click()
    code = str(wait(lambda: by_test_id(driver, "short-code").text, 10, "the short code"))
    driver.get(base + "/j?lang=en")
    field = wait(
        lambda: driver.find_element(By.CSS_SELECTOR, "input[data-testid=code-input], [data-testid=code-input] input"),
        10,
        "the field",
    )
    assert isinstance(field, WebElement)
    field.send_keys(code)
    button(driver, "Open my job").click()
    wait(lambda: "/job/" in driver.current_url, 10, "the job page")
    return "/job/" + driver.current_url.split("/job/")[1].split("?")[0]


def test_sigkill_mid_job_comes_back_held_with_nothing_started(server: ServerProcess, browser: webdriver.Chrome) -> None:
    base = server.start()
    link = start_a_job(browser, base)
    database = server.data_dir / "fabkiosk.sqlite3"
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT state FROM jobs").fetchall() == [("running",)]

    server.kill()
    server.start()

    browser.get(base + link + "?lang=en")
    wait(lambda: "Stopped: the staff will take care of it" in browser.page_source, 30, "the held job")
    assert "interrupted when fabkiosk restarted" in browser.page_source
    assert (
        not browser.find_elements(By.CSS_SELECTOR, "[data-testid=stop]")
        or not by_test_id(browser, "stop").is_displayed()
    )
    with sqlite3.connect(database) as db:
        ((state, reason),) = db.execute("SELECT state, reason FROM jobs").fetchall()
        assert state == "held" and "interrupted" in reason
        trail = [row[0] for row in db.execute("SELECT to_state FROM job_events ORDER BY id")]
        assert trail[-2:] == ["running", "held"]
    browser.get(base + "/?lang=en")
    wait(lambda: "Printer 1: Ready" in browser.page_source, 30, "the printer, idle: nothing was started")

    subprocess.run(
        [sys.executable, "-m", "app", "user", "add", "sam", "--password-stdin", "--data-dir", str(server.data_dir)],
        input=b"correct horse battery\n",
        check=True,
        capture_output=True,
    )
    browser.get(base + "/staff/login?lang=en")
    browser.find_element(By.NAME, "name").send_keys("sam")
    browser.find_element(By.NAME, "password").send_keys("correct horse battery")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(lambda: "Needs you" in browser.page_source, 20, "the console")
    assert "interrupted when fabkiosk restarted" in browser.page_source
    assert "Bed is clear, material is right" in browser.page_source  # the half-made part is still on the bed
    shoot(browser, "staff-1-console-after-restart")


def test_sigkill_while_octoprint_prints_reattaches_and_the_job_finishes(
    octoprint: OctoPrintServer, tmp_path: Path, browser: webdriver.Chrome
) -> None:
    """OctoPrint keeps printing while fabkiosk is dead; the restarted server takes the job up again, follows it to
    the end, and neither holds nor restarts it."""
    profile_for(tmp_path, octoprint)  # printer-1 behind this OctoPrint
    config = tmp_path / "fabkiosk.toml"
    config.write_text(f'machines_file = "{tmp_path / "machines.toml"}"\n')
    server = ServerProcess(tmp_path / "data", config)
    try:
        base = server.start()
        tag = tmp_path / "tag.stl"
        tag.write_bytes(stl_bytes(trimesh.creation.box((8, 8, 1.2))))  # a small part: a short print
        link = start_a_job(browser, base, tag)
        server.kill()
        assert octoprint.call("GET", "/api/job")["state"] == "Printing"
        server.start()
        browser.get(base + link + "?lang=en")
        wait(lambda: "Being made" in browser.page_source, 30, "the job followed again")
        wait(lambda: by_test_id(browser, "ready").is_displayed(), 180, "the job to finish")
        with sqlite3.connect(server.data_dir / "fabkiosk.sqlite3") as db:
            moves = db.execute("SELECT from_state, to_state FROM job_events ORDER BY id").fetchall()
        assert ("running", "held") not in moves and moves[-1] == ("finishing", "ready_for_pickup")
        assert [m for m in moves if m[1] == "running"] == [("waiting_for_machine_ready", "running")]  # started once
    finally:
        server.stop()


def test_page_sockets_and_sign_in_refuse_other_sites(server: ServerProcess) -> None:
    base = server.start()
    handshake = base + "/_nicegui_ws/socket.io/?EIO=4&transport=polling"

    def socket_status(origin: str) -> int:
        request = urllib.request.Request(handshake, headers={"Origin": origin})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as e:
            return int(e.code)

    assert socket_status(base) == 200
    assert socket_status("http://evil.example") == 400
    request = urllib.request.Request(
        base + "/staff/session",
        data=b"name=sam&password=whatever",
        headers={"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(request, timeout=10)
    assert refused.value.code == 303 and "error=origin" in refused.value.headers["location"]
    assert "set-cookie" not in {k.lower() for k in refused.value.headers}
    assert get(base + "/staff")[0] == 200  # the sign-in page, after the redirect
