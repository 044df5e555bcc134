"""The kiosk journey as a customer lives it: choose, personalise, price, confirm at the machine, run, hand over."""

from __future__ import annotations

import asyncio
import base64
import re

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.pages.conftest import eventually


async def seen(
    user: User,
    text: str | None = None,
    *,
    marker: str | None = None,
    content: str | None = None,
    kind: type | None = None,
) -> bool:
    try:
        if text is not None:
            await user.should_see(text, retries=1)
        else:
            await user.should_see(kind=kind, marker=marker, content=content, retries=1)
        return True
    except AssertionError:
        return False


def enabled(user: User, text: str) -> bool:
    try:
        buttons = user.find(kind=ui.button, content=text).elements
    except AssertionError:
        return False
    return any(getattr(e, "enabled", False) for e in buttons)


async def printer_ready(user: User, lang: str = "en") -> None:
    await user.open(f"/?lang={lang}")
    await eventually(lambda: seen(user, "Printer 1: Ready" if lang == "en" else "Drucker 1: Bereit"), timeout=30)


async def personalise_keychain(user: User, name: str) -> None:
    await printer_ready(user)
    user.find(marker="template-keychain").click()
    await user.should_see("Name keychain")
    await eventually(lambda: enabled(user, "See the price"))  # the defaults are rendered, sliced and priced first
    user.find(marker="param-name").clear().type(name)
    await eventually(lambda: not enabled(user, "See the price"), timeout=5)
    await eventually(lambda: enabled(user, "See the price"))


async def start_at_the_machine(user: User) -> None:
    user.find(kind=ui.button, content="See the price").click()
    await user.should_see(marker="price")
    await user.should_see(marker="ready-time")
    user.find(kind=ui.button, content="Go to Printer 1").click()
    await user.should_see("At Printer 1: please check")
    assert not enabled(user, "Start")  # presence first
    for box in user.find(kind=ui.checkbox).elements:
        box.value = True
    await eventually(lambda: enabled(user, "Start"), timeout=5)
    user.find(kind=ui.button, content="Start").click()
    await eventually(lambda: seen(user, marker="stop"), timeout=30)


async def test_a_keychain_is_made_from_the_kiosk_and_followed_on_a_phone(user: User, another_user: User) -> None:
    await personalise_keychain(user, "Mila")
    await user.should_see(content="mm")  # the part's size under the preview
    user.find(kind=ui.scene)  # the 3-D preview is on the page
    await start_at_the_machine(user)
    await user.should_see("Being made")
    user.find(kind=ui.button, content="Follow it on your phone").click()
    await user.should_see(marker="qr")
    code = next(iter(user.find(marker="short-code").elements)).text
    await user.should_see(marker="stop")  # the hand-off screen is a running-job screen too

    phone = another_user
    await phone.open("/j?lang=en")
    phone.find(marker="code-input").type(code)
    phone.find(kind=ui.button, content="Open my job").click()
    await eventually(lambda: seen(phone, "Mila"), timeout=10)  # the design's name
    await phone.should_see(marker="stop")
    await eventually(lambda: seen(phone, marker="ready"), timeout=90)
    await phone.should_see("Ready for pickup")
    await phone.should_not_see(marker="stop")
    await phone.should_see("100 %")
    job_path = phone.back_history[-1].split("?")[0]
    card = await phone.http_client.get(f"{job_path}/card.svg?lang=en")
    assert card.status_code == 200 and card.headers["content-type"].startswith("image/svg+xml")
    assert b"Lena Vogt" in card.content and b"fabkiosk demo store" in card.content and b"<script" not in card.content
    picture = re.search(rb"base64,([A-Za-z0-9+/=]+)", card.content)
    assert picture is not None and b"<polygon" in base64.b64decode(picture.group(1))  # the part, drawn
    assert (await phone.http_client.get("/job/" + "x" * 32 + "/card.svg")).status_code == 404
    from tests.pages.test_staff import services

    jobs = services().jobs
    assert jobs is not None
    (job,) = [j for j in jobs.queue() if j.state.value == "ready_for_pickup"]
    jobs.mark_collected(job.id)  # picked up: the job's page closes, its share card and designer stay
    assert (await phone.http_client.get(f"{job_path}/card.svg?lang=en")).status_code == 200
    await phone.open(f"{job_path}?lang=en")
    await phone.should_see("How did it turn out?")
    await phone.should_not_see(marker="stop")
    await phone.should_not_see("Tell me when it is ready")

    user.find(kind=ui.button, content="Done: next customer").click()
    await user.should_see("What would you like to make?")


async def test_stop_from_the_kiosk_is_one_tap_and_calls_the_staff(user: User) -> None:
    await personalise_keychain(user, "Stop")
    await start_at_the_machine(user)
    user.find(marker="stop").click()
    await eventually(lambda: seen(user, "Cancelled"), timeout=10)
    await user.should_not_see(marker="stop")
    await user.should_see("A staff member is coming. Please wait by the machine.")  # what to do now
    user.find(marker="done").click()
    await user.should_see("What would you like to make?")
    await printer_ready_not(user)


async def printer_ready_not(user: User) -> None:
    await user.open("/?lang=en")
    await user.should_see("Printer 1: Waiting for staff")


async def test_pause_and_resume_at_the_kiosk_and_cancel_asks_once(user: User) -> None:
    await personalise_keychain(user, "Pia")
    await start_at_the_machine(user)
    user.find(kind=ui.button, content="Pause").click()
    await eventually(lambda: seen(user, "Paused"), timeout=20)
    user.find(kind=ui.button, content="Resume").click()
    await eventually(lambda: seen(user, "Being made"), timeout=20)
    user.find(kind=ui.button, content="Cancel job").click()
    await user.should_see("Cancel this job? What is made so far cannot be finished later.")
    user.find(kind=ui.button, content="No, go on").click()
    await user.should_see("Being made")
    user.find(kind=ui.button, content="Cancel job").click()
    user.find(kind=ui.button, content="Yes, cancel").click()
    await eventually(lambda: seen(user, "Cancelled"), timeout=20)


async def test_values_out_of_range_or_undrawable_are_explained_and_block_the_price(user: User) -> None:
    await printer_ready(user)
    user.find(marker="template-keychain").click()
    await eventually(lambda: enabled(user, "See the price"))
    user.find(marker="param-name").clear().type("Åsa ☃")
    await eventually(lambda: seen(user, content="cannot draw"), timeout=30)
    assert not enabled(user, "See the price")
    user.find(marker="param-name").clear().type("Far too long a name")
    await eventually(lambda: seen(user, "19 of 12 characters"), timeout=5)
    await eventually(lambda: seen(user, content="at most 12"), timeout=30)
    assert not enabled(user, "See the price")


async def test_german_is_one_tap_away_on_every_step(user: User) -> None:
    await printer_ready(user)
    user.find(kind=ui.button, content="Deutsch").click()
    await user.should_see("Was möchtest du herstellen?")
    await user.should_see("Drucker 1: Bereit")  # the machines' names too
    user.find(marker="template-keychain").click()
    await user.should_see("Der Name auf dem Anhänger")
    await user.should_see("Schreibmaschine")  # and the template's option labels
    user.find(kind=ui.button, content="English").click()
    await user.should_see("The name on the tag")


@pytest.mark.parametrize("idle_timeout", [3.0])
async def test_an_idle_kiosk_forgets_the_customer_and_leaves_a_running_job_alone(user: User) -> None:
    await personalise_keychain(user, "Idle")
    await start_at_the_machine(user)
    await eventually(lambda: seen(user, "Are you still there?"), timeout=10)  # warned before it starts over
    await eventually(lambda: seen(user, "What would you like to make?"), timeout=10)
    await user.should_not_see("Are you still there?")
    await user.should_see("Printer 1: Busy")


@pytest.mark.parametrize("idle_timeout", [4.0])
async def test_a_tap_on_the_idle_warning_keeps_the_visit(user: User) -> None:
    await printer_ready(user)
    user.find(marker="template-keychain").click()
    await eventually(lambda: enabled(user, "See the price"))
    await eventually(lambda: seen(user, "Are you still there?"), timeout=10)
    user.find(kind=ui.button, content="I am still here").click()
    await user.should_not_see("Are you still there?")
    await asyncio.sleep(1.0)
    await user.should_see("The name on the tag")  # still personalising


@pytest.mark.parametrize("idle_timeout", [3.0])
async def test_an_idle_kiosk_cancels_a_job_nobody_started(user: User) -> None:
    await personalise_keychain(user, "Left")
    user.find(kind=ui.button, content="See the price").click()
    await user.should_see(marker="price")
    user.find(kind=ui.button, content="Go to Printer 1").click()
    await user.should_see("At Printer 1: please check")
    await eventually(lambda: seen(user, "What would you like to make?"), timeout=10)
    await user.should_see("Printer 1: Ready")


async def test_a_coaster_is_framed_and_routed_from_the_kiosk(user: User) -> None:
    await user.open("/?lang=en")
    await eventually(lambda: seen(user, "CNC router 1: Ready"), timeout=30)
    user.find(marker="template-coaster").click()
    await user.should_see("Coaster")
    await eventually(lambda: enabled(user, "See the price"))
    await user.should_see(marker="toolpaths")  # where the router goes, drawn on the sheet
    user.find(kind=ui.button, content="See the price").click()
    await user.should_see(marker="price")
    user.find(kind=ui.button, content="Go to CNC router 1").click()
    for words in ("The stock on the bed is Birch plywood 6 mm.", "The stock is clamped.", "Work zero was set by"):
        await user.should_see(words)
    assert len(user.find(kind=ui.checkbox).elements) == 1  # what the customer sees, confirmed once
    user.find(marker="frame").click()  # the customer sees where it goes before anything is cut
    await user.should_see("The machine shows the outline of your design")
    await eventually(lambda: seen(user, "That is where your design will go."), timeout=30)
    for box in user.find(kind=ui.checkbox).elements:
        box.value = True
    await eventually(lambda: enabled(user, "Start"), timeout=5)
    user.find(kind=ui.button, content="Start").click()
    await eventually(lambda: seen(user, marker="stop"), timeout=30)
    await eventually(lambda: seen(user, "Ready for pickup"), timeout=90)


async def test_only_staff_ready_the_router_for_the_next_customer(user: User) -> None:
    """The stock clamped and the work zero set are the staff's to confirm (on the machine's card), never asked of
    the customer: after a routed job, the next customer's Start waits for the staff's handshake."""
    from app.jobs import Actor, JobRefused
    from tests.pages.test_staff import services, sign_in, staff_member

    jobs = services().jobs
    assert jobs is not None
    jobs.machine_settings.needs_clearing("router-1")  # as after every job: the coaster is still on the bed
    await user.open("/?lang=en")
    await eventually(lambda: seen(user, "CNC router 1: Ready"), timeout=30)
    user.find(marker="template-coaster").click()
    await eventually(lambda: enabled(user, "See the price"))
    user.find(kind=ui.button, content="See the price").click()
    await user.should_see(marker="price")
    user.find(kind=ui.button, content="Go to CNC router 1").click()
    await user.should_see(marker="staff-prepares")
    for box in user.find(kind=ui.checkbox).elements:
        box.value = True
    await asyncio.sleep(1.5)
    assert not enabled(user, "Start")
    (job,) = [j for j in jobs.queue() if j.machine_id == "router-1"]
    with pytest.raises(JobRefused):  # the service refuses it too, whatever a page sends
        jobs.start(job.id, Actor.KIOSK)

    staff = staff_member()
    await sign_in(staff)
    await staff.open("/staff?lang=en")
    staff.find(marker="confirm-ready-router-1").click()
    await staff.should_see("Ready again.")
    await eventually(lambda: enabled(user, "Start"), timeout=5)
    await user.should_not_see(marker="staff-prepares")


async def test_a_name_sign_is_engraved_from_the_kiosk(user: User) -> None:
    await user.open("/?lang=en")
    await eventually(lambda: seen(user, "Laser engraver 1: Ready"), timeout=30)
    user.find(marker="template-name_sign").click()
    await user.should_see("Name sign")
    await eventually(lambda: enabled(user, "See the price"))
    await user.should_see(marker="toolpaths")  # where the laser goes, drawn over the sheet
    user.find(kind=ui.button, content="See the price").click()
    await user.should_see(marker="price")
    await user.should_see(marker="material", content="Birch plywood 3 mm")  # as a customer says it
    await user.should_not_see(content="plywood_3mm")
    user.find(kind=ui.button, content="Go to Laser engraver 1").click()
    await user.should_see("The sheet on the bed is Birch plywood 3 mm.")
    await user.should_see("The lid is closed.")
    for box in user.find(kind=ui.checkbox).elements:
        box.value = True
    await eventually(lambda: enabled(user, "Start"), timeout=5)
    user.find(kind=ui.button, content="Start").click()
    await eventually(lambda: seen(user, marker="stop"), timeout=30)
    await eventually(lambda: seen(user, "Ready for pickup"), timeout=60)
    await user.should_see("Take your Name sign from Laser engraver 1.")  # what to do now, and Done
    user.find(marker="done").click()
    await user.should_see("What would you like to make?")


async def test_each_card_says_whether_its_machine_can_take_the_job_before_the_first_tap(user: User) -> None:
    """A laser waiting for staff (after a stop) shows it on its card, cannot be chosen, and no time is promised."""
    from machine_adapters.base import MachineAction
    from tests.pages.test_staff import services

    await user.open("/?lang=en")
    await eventually(lambda: seen(user, "Laser engraver 1: Ready"), timeout=30)
    await user.should_see(marker="availability-name_sign", content="Ready now")
    await user.should_see(marker="availability-keychain", content="Ready now")
    fleet = services().fleet
    assert fleet is not None
    fleet.machines["laser-1"].perform(MachineAction.STOP)  # stopped: only staff bring it back
    await eventually(lambda: seen(user, marker="availability-name_sign", content="Waiting for staff"), timeout=10)
    user.find(marker="template-name_sign").click()
    await user.should_see("What would you like to make?")  # still choosing: nothing to personalise for nothing
    await user.should_not_see("The name on the sign")
    await user.should_see(marker="availability-keychain", content="Ready now")  # the printer is unaffected


async def test_a_pause_from_the_phone_is_explained_at_the_kiosk_which_may_resume_it(
    user: User, another_user: User
) -> None:
    await personalise_keychain(user, "Ida")
    await start_at_the_machine(user)
    user.find(kind=ui.button, content="Follow it on your phone").click()
    await user.should_see(marker="short-code")
    code = next(iter(user.find(marker="short-code").elements)).text
    phone = another_user
    await phone.open("/j?lang=en")
    phone.find(marker="code-input").type(code)
    phone.find(kind=ui.button, content="Open my job").click()
    await eventually(lambda: seen(phone, "Being made"), timeout=10)
    await eventually(lambda: seen(phone, kind=ui.button, content="Pause"), timeout=30)  # once it is running
    phone.find(kind=ui.button, content="Pause").click()
    await eventually(lambda: seen(phone, "Paused: the ready time moves on"), timeout=20)  # no stale time
    await eventually(lambda: seen(user, marker="paused-from-phone"), timeout=10)
    await user.should_see("Paused from the customer's phone")
    user.find(kind=ui.button, content="Resume").click()  # the customer beside the machine carries on
    await eventually(lambda: seen(user, "Being made"), timeout=20)
    await eventually(lambda: seen(phone, "Being made"), timeout=20)
    await phone.should_not_see("Paused: the ready time moves on")
