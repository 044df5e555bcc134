"""The phone: a job link opens only its own job, shows it live, offers only the safe choices; files reach the kiosk."""

from __future__ import annotations

from pathlib import Path

import trimesh
from nicegui import ui
from nicegui.testing import User

from app.config import load_settings
from app.fleet import Fleet
from app.jobs import Actor
from app.services import build_services
from machine_adapters.base import MachineAction
from tests.conftest import machines_file
from tests.pages.conftest import eventually
from tests.pages.test_kiosk import enabled, personalise_keychain, printer_ready, seen, start_at_the_machine
from ui_components.file_sender import FileSender


async def follow_from_kiosk(kiosk: User, phone: User) -> None:
    kiosk.find(kind=ui.button, content="Follow it on your phone").click()
    await kiosk.should_see(marker="short-code")
    url = next(iter(kiosk.find(marker="qr-handoff").elements)).url  # what the QR code says
    await phone.open(url.removeprefix("http://test") + "?lang=en")
    await phone.should_see(marker="job-state")


async def test_the_phone_pauses_and_resumes_its_own_pause_but_not_the_kiosks_and_can_stop(
    user: User, another_user: User
) -> None:
    kiosk, phone = user, another_user
    await personalise_keychain(kiosk, "Ola")
    await start_at_the_machine(kiosk)
    await follow_from_kiosk(kiosk, phone)
    await phone.should_see("“Ola”")
    await phone.should_see("by Lena Vogt, Leipzig")

    kiosk.find(kind=ui.button, content="Pause").click()
    await eventually(lambda: seen(phone, "Paused"), timeout=20)
    await phone.should_not_see(kind=ui.button, content="Resume")  # the kiosk's pause is the kiosk's to resume
    await phone.should_not_see(kind=ui.button, content="Start")  # and a phone never starts anything
    kiosk.find(kind=ui.button, content="Resume").click()
    await eventually(lambda: seen(phone, "Being made"), timeout=20)

    phone.find(kind=ui.button, content="Pause").click()
    await eventually(lambda: seen(phone, kind=ui.button, content="Resume"), timeout=20)
    await eventually(lambda: seen(kiosk, "Paused from the customer's phone"), timeout=10)  # said where it stands
    phone.find(kind=ui.button, content="Resume").click()
    await eventually(lambda: seen(phone, "Being made"), timeout=20)

    phone.find(marker="stop").click()  # one tap, no question
    await eventually(lambda: seen(phone, "Cancelled"), timeout=10)
    await phone.should_see("Stopped with the STOP button.")
    await phone.should_not_see(marker="stop")


async def test_a_link_opens_only_its_own_job_and_says_nothing_otherwise(
    user: User, another_user: User, tmp_path: Path
) -> None:
    settings = load_settings(None, data_dir=str(tmp_path / "data"), machines_file=str(machines_file(tmp_path, 100)))
    services = build_services(settings)  # a second door to the same store's database
    jobs = services.run_machines(Fleet.build(services.machines))
    first = jobs.create(services.pipeline.quote_template("keychain", {"name": "Ann"}, "printer-1").quote_id)
    second = jobs.create(services.pipeline.quote_template("keychain", {"name": "Ben"}, "printer-1").quote_id)

    await user.open(f"/job/{first.token}?lang=en")
    await user.should_see("“Ann”")
    await user.should_not_see("“Ben”")
    await another_user.open(f"/job/{second.token}?lang=en")
    await another_user.should_see("“Ben”")

    for wrong in ("x" * 32, first.token[:-2], first.token + "A", first.token.swapcase(), "%00"):
        await user.open(f"/job/{wrong}?lang=en")
        await user.should_see("This link does not open anything (any more).")
        await user.should_not_see("“Ann”")

    jobs.act(first.job.id, MachineAction.CANCEL, Actor.KIOSK)  # it ended ...
    with services.sessions.begin() as session:  # ... long ago
        from app.models import JobRow

        row = session.get(JobRow, first.job.id)
        assert row is not None and row.ended_at is not None
        row.ended_at = row.ended_at.replace(year=row.ended_at.year - 1)
    await user.open(f"/job/{first.token}?lang=de")
    await user.should_see("Dieser Link öffnet nichts (mehr).")


async def test_wrong_short_codes_are_refused_and_guessing_is_stopped(user: User) -> None:
    await user.open("/j?lang=en")
    for _ in range(10):
        user.find(marker="code-input").clear().type("ZZZZZZ")
        user.find(kind=ui.button, content="Open my job").click()
        await user.should_see("This code does not open anything. Check it and try again.")
    user.find(marker="code-input").clear().type("ZZZZZZ")
    user.find(kind=ui.button, content="Open my job").click()
    await user.should_see("Too many wrong codes. Please wait ten minutes, or scan the QR code.")


async def send_from_phone(kiosk: User, phone: User, data: bytes, name: str) -> None:
    await printer_ready(kiosk)
    kiosk.find(marker="own-file").click()
    await kiosk.should_see(marker="qr-handoff")
    url = next(iter(kiosk.find(marker="qr-handoff").elements)).url
    await phone.open(url.removeprefix("http://test") + "?lang=en")
    sender = next(iter(phone.find(kind=FileSender).elements))
    # what the phone's browser does: post the file as a form to the uploader's address, then report it sent
    response = await phone.http_client.post(sender.props["url"], files={"file": (name, data, "model/stl")})
    assert response.status_code == 200, response.text
    phone.find(kind=FileSender).trigger("uploaded")
    await phone.should_see("Sent. Look at the kiosk screen.")


async def test_a_file_sent_from_the_phone_is_checked_and_priced_on_the_kiosk(user: User, another_user: User) -> None:
    part = trimesh.creation.box((30, 20, 10))
    await send_from_phone(user, another_user, bytes(part.export(file_type="stl")), "box.stl")
    await eventually(lambda: enabled(user, "See the price"), timeout=60)
    await user.should_see("30 × 20 × 10 mm")
    await another_user.open("/send/" + "x" * 32 + "?lang=en")  # an inbox nobody opened
    await another_user.should_see("This link does not open anything (any more).")


async def test_a_part_too_thin_to_print_is_explained_with_a_way_forward(user: User, another_user: User) -> None:
    paper_thin = trimesh.creation.box((20, 20, 0.05))
    await send_from_phone(user, another_user, bytes(paper_thin.export(file_type="stl")), "thin.stl")
    await eventually(lambda: seen(user, content="too thin to print"), timeout=60)
    await user.should_see(content="Give it a thickness of at least")
    assert not enabled(user, "See the price")
    await user.should_see(kind=ui.button, content="Back")
