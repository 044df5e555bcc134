"""The head office's console in Chromium, on a real `serve --role hq` process: a head-office account signs in
through the form and sees every store, its machines (a quiet store marked), the figures and the publishing controls;
screenshots of it are kept in screenshots/ (not committed)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from app.chain.hq_server import build_head_office
from app.config import load_settings
from app.models import DesignerRow
from tests.pages.test_browser import browser, shoot, wait  # noqa: F401  (the browser fixture)
from tests.server_process import running_server
from tests.test_hq_console import version
from tests.test_hq_orders import arrive, job, machine, store

PASSWORD = "correct horse battery"
CONSOLE = (1440, 1100)


@pytest.fixture(scope="module")
def head_office_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A head office whose three stores reported (one of them an hour ago), with a day's jobs."""
    folder = tmp_path_factory.mktemp("hq")
    config = folder / "fabkiosk.toml"
    config.write_text('store_name = "fabkiosk head office"\n[chain]\nrole = "hq"\n')
    data = folder / "data"
    added = subprocess.run(
        [sys.executable, "-m", "app", "--config", str(config), "user", "add", "hugo", "--role", "hq",
         "--password-stdin", "--data-dir", str(data)],
        input=PASSWORD.encode(), check=True, capture_output=True,
    )  # fmt: skip
    assert b"hugo can now sign in at /hq as hq." in added.stdout
    office = build_head_office(load_settings(config, data_dir=str(data)))
    now = datetime.now(UTC)
    machines = [
        machine("koeln", "printer-1", "fdm_printer", state="running"),
        machine("koeln", "laser-1", "laser_engraver"),
        machine("berlin", "printer-1", "fdm_printer"),
        machine("hamburg", "router-1", "cnc_router"),
    ]
    for m in machines:
        m.updated_at = now - timedelta(seconds=3600 if m.store == "hamburg" else 4)
    hour_ago = now - timedelta(hours=1)
    made = [
        job(city, "printer-1", "ready_for_pickup", template_id=template, started_at=hour_ago, ended_at=now)
        for city, template in [
            ("koeln", "keychain"),
            ("koeln", "plant_tag"),
            ("berlin", "keychain"),
            ("berlin", "keychain"),
        ]
    ]
    for today in made:
        today.created_at = now
    arrive(
        office,
        store("koeln", "Köln"),
        store("berlin", "Berlin"),
        store("hamburg", "Hamburg"),
        *machines,
        *made,
        DesignerRow(id="d-ada", name="ada", display_name="Ada", city="Köln", about={}, created_at=now),
        version("v-key", "keychain", "d-ada"),
        version("v-tag", "plant_tag", "d-ada"),
    )
    with running_server(data, config) as base:
        yield base


def test_the_console_in_chromium(browser: webdriver.Chrome, head_office_url: str) -> None:  # noqa: F811
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": CONSOLE[0], "height": CONSOLE[1], "deviceScaleFactor": 1, "mobile": False},
    )
    browser.get(f"{head_office_url}/hq?lang=en")
    wait(lambda: browser.find_elements(By.NAME, "password"), 30, "the sign-in form")
    browser.find_element(By.NAME, "name").send_keys("hugo")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(lambda: "fabkiosk hamburg" in browser.find_element(By.TAG_NAME, "body").text, 30, "the stores")
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "Not reporting" in text and "Reporting" in text
    assert "Name keychain" in text and "Publish a template version" in text
    assert "Ada" in text and "Berlin" in text  # her keychain is made in Berlin too: her design travels
    shoot(browser, "hq-console")
    browser.get(f"{head_office_url}/hq?lang=de")
    wait(lambda: "Meldet sich nicht" in browser.find_element(By.TAG_NAME, "body").text, 30, "the German console")
    shoot(browser, "hq-console-de")
