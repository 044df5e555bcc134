"""Presence that cannot be faked, against the real server process on loopback: who gets to be "at the machine".

An unpaired browser or a scripted socket client gets the catalog and ordering and never a start or a frame, on
any machine kind, whatever it sends; a kiosk staff paired is at its own machines only; a revoked one is at none;
an event forged with another page's ids over a second socket is ignored and logged.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import re
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.kiosks import DEVICE_COOKIE
from tests.page_client import PageClient
from tests.server_process import ServerProcess

pytestmark = pytest.mark.slow  # a real server process

TEMPLATES = {"fdm_printer": "keychain", "laser_engraver": "name_sign", "cnc_router": "coaster"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The demo store, where the browser on the server's own computer is *not* a kiosk: every test client here
    is on loopback and must still count as an ordinary browser."""
    folder = tmp_path_factory.mktemp("presence")
    config = folder / "fabkiosk.toml"
    config.write_text("[store]\nlocal_browser_is_kiosk = false\n")
    server = ServerProcess(folder / "data", config, log=folder / "server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def running_events(data_dir: Path) -> int:
    """Job transitions to running, as the server wrote them."""
    with sqlite3.connect(data_dir / "fabkiosk.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM job_events WHERE to_state = 'running'").fetchone()[0])


def opener() -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def post(browser: urllib.request.OpenerDirector, url: str, origin: str = "") -> tuple[int, str]:
    request = urllib.request.Request(url, data=b"", method="POST", headers={"Origin": origin} if origin else {})
    try:
        with browser.open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


def fabkiosk(data_dir: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app", "kiosk", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def card(page: str, template: str) -> str:
    """A template card's part of the page: from its marker to the next card's."""
    start = page.index(f'"data-testid":"template-{template}"')
    end = page.find('"data-testid":"template-', start + 10)
    return page[start : end if end > 0 else None]


FORWARD_ONLY = frozenset({"Back", "Deutsch", "English", "own-file", "pair-kiosk", "Space", "Delete", "Done"})
AT_THE_MACHINE = {"Start", "Show where it goes"}


@pytest.mark.parametrize("kind", TEMPLATES)
async def test_an_unpaired_client_orders_but_never_starts_or_frames_whatever_it_sends(
    store: ServerProcess, kind: str
) -> None:
    before = running_events(store.data_dir)
    client = PageClient(store.base, cookies={DEVICE_COOKIE: "a-made-up-device-secret"})
    html = await client.open()
    seen: set[str] = set()
    try:
        await client.send(client.find(f"template-{TEMPLATES[kind]}"))
        deadline = asyncio.get_running_loop().time() + 120
        # everything it is shown, clicked and ticked, until the journey's end: the order, or the machine's step
        while not ({"Your name for pickup"} | AT_THE_MACHINE) & seen and client.sio.connected:
            assert asyncio.get_running_loop().time() < deadline, f"the journey stopped: {sorted(seen)}"
            await client.send_everything(skip=FORWARD_ONLY)
            seen.update(client.texts())
        for _ in range(5 if client.sio.connected else 0):
            await client.send_everything(skip=FORWARD_ONLY)
            seen.update(client.texts())
    finally:
        await client.close()
    assert not AT_THE_MACHINE & seen  # nothing to start or frame is ever offered
    assert "Your name for pickup" in seen, f"the journey stopped: {sorted(seen)}"  # it went as far as it could
    assert "Pair this screen as a kiosk" in html  # it was served the order page, with the way to pair
    assert running_events(store.data_dir) == before


async def test_an_event_with_another_pages_ids_on_a_second_socket_is_ignored_and_logged(store: ServerProcess) -> None:
    victim, intruder = PageClient(store.base), PageClient(store.base)
    await victim.open()
    await intruder.open()
    try:
        card = victim.find("template-keychain")
        await intruder.send(card, as_client=victim.client_id)  # the same ids, over the intruder's own socket
        await asyncio.sleep(2)
        assert victim.updates == 0, "a forged event moved another customer's page"
        await victim.send(card)  # the same event on the page's own socket does move it
        for _ in range(50):
            if victim.updates:
                break
            await asyncio.sleep(0.1)
        assert victim.updates > 0
    finally:
        await victim.close()
        await intruder.close()
    assert store.log is not None and "not the page's own: ignored" in store.log.read_text()


def test_a_kiosk_staff_paired_is_at_its_own_machines_only_until_revoked(store: ServerProcess) -> None:
    browser, jar = opener()
    assert post(browser, store.base + "/kiosk/pair/request", origin="http://evil.example")[1].count("pairing-code") == 0
    status, page = post(browser, store.base + "/kiosk/pair/request")  # a form post from the kiosk's own screen
    assert status == 200
    found = re.search(r'"text":"(\d{3} \d{3})"', page)
    assert found, "the pairing screen shows no code"
    out = fabkiosk(store.data_dir, "pair", found.group(1), "--name", "Laser corner", "--machine", "laser-1")
    kiosk_id = out.split()[1]
    status, page = post(browser, store.base + "/kiosk/pair/finish")
    assert status == 200 and "Pair this screen as a kiosk" not in page  # the kiosk page itself
    assert DEVICE_COOKIE in {c.name for c in jar}
    assert all(c.has_nonstandard_attr("HttpOnly") for c in jar if c.name == DEVICE_COOKIE)
    with browser.open(store.base + "/?lang=en", timeout=30) as response:
        page = response.read().decode()
    assert "Pair this screen as a kiosk" not in page
    # beside the laser only: its name sign can be made here, the printer's keychain not
    assert "Not available right now" in card(page, "keychain") and "Not available right now" not in card(
        page, "name_sign"
    )
    fabkiosk(store.data_dir, "revoke", kiosk_id)
    with browser.open(store.base + "/?lang=en", timeout=30) as response:
        assert "Pair this screen as a kiosk" in response.read().decode()  # an ordinary browser again
