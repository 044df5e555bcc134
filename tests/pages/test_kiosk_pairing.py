"""Pairing a kiosk as staff do it, under NiceGUI's simulated users on the real app wiring: the screen shows a code,
staff confirm it in the console beside the machines they tick, the screen becomes a kiosk at those machines only;
revoked, it is an ordinary browser again, even in the middle of a customer's visit."""

from __future__ import annotations

import httpx
from nicegui import core, ui
from nicegui.testing import User

from app.kiosks import DEVICE_COOKIE
from tests.pages.conftest import eventually
from tests.pages.test_kiosk import enabled, personalise_keychain, seen
from tests.pages.test_staff import services, sign_in, staff_member


def browser() -> User:
    return User(httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test"))


async def test_staff_pair_a_screen_beside_the_laser_and_revoke_it(user: User) -> None:
    screen = browser()
    await screen.open("/?lang=en")
    await eventually(lambda: seen(screen, "What would you like to make?"), timeout=10)
    assert not await seen(screen, "4 At the machine")  # not a kiosk yet: the order journey
    refused = await screen.http_client.post("/kiosk/pair/request", headers={"origin": "http://evil.example"})
    assert refused.status_code == 303 and "fabkiosk_pairing" not in screen.http_client.cookies
    asked = await screen.http_client.post("/kiosk/pair/request", headers={"origin": "http://test"})
    assert asked.status_code == 303 and "fabkiosk_pairing" in screen.http_client.cookies
    await screen.open("/kiosk/pair?lang=en")
    code = next(iter(screen.find(marker="pairing-code").elements)).text
    staff = staff_member()
    await sign_in(staff)
    await staff.open("/staff/kiosks?lang=en")
    staff.find(marker="kiosk-code").type(code)
    staff.find(marker="kiosk-name").type("Laser corner")
    next(iter(staff.find(marker="kiosk-machine-laser-1").elements)).value = True
    staff.find(kind=ui.button, content="Pair").click()
    await staff.should_see(kind=ui.label, content="Laser corner")  # the paired list, not the typed name
    finished = await screen.http_client.post("/kiosk/pair/finish", headers={"origin": "http://test"})
    assert finished.status_code == 303 and finished.headers["location"] == "/"
    assert DEVICE_COOKIE in screen.http_client.cookies
    await screen.open("/?lang=en")
    await screen.should_see("4 At the machine")  # the kiosk's own journey
    for element in screen.find(marker="template-keychain").elements:  # the printer is not beside this kiosk
        assert "Not available right now" in [getattr(e, "text", "") for e in element.descendants()]
    device = services().kiosks.paired()[-1]
    staff.find(marker=f"revoke-{device.id}").click()
    await staff.should_see("revoked")
    await screen.open("/?lang=en")
    await eventually(lambda: seen(screen, "What would you like to make?"), timeout=10)
    assert not await seen(screen, "4 At the machine")


async def test_a_kiosk_revoked_during_a_visit_cannot_start(user: User) -> None:
    await personalise_keychain(user, "Rev")
    user.find(kind=ui.button, content="See the price").click()
    await user.should_see(marker="price")
    user.find(kind=ui.button, content="Go to Printer 1").click()
    await user.should_see("At Printer 1: please check")
    for box in user.find(kind=ui.checkbox).elements:
        box.value = True
    await eventually(lambda: enabled(user, "Start"), timeout=5)
    kiosks = services().kiosks
    kiosks.revoke(kiosks.paired()[0].id)  # staff revoke the kiosk while the customer ticks the list
    user.find(kind=ui.button, content="Start").click()
    await user.should_see("You are not allowed to do this.")
    assert not await seen(user, marker="stop")  # nothing runs, so there is nothing to stop
