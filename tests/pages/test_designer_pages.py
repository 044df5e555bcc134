"""The designer's way in, as people use it: an admin's invitation link, joining, signing in at /designer,
submitting the coaster, seeing the overflow with its picture, fixing it, staff approving it in the console, and the
order page offering it. A designer's session opens no staff page."""

from __future__ import annotations

import httpx
from nicegui import app, core
from nicegui.testing import User

from app.access import Principal, Role
from app.services import Services
from tests.designer_helpers import COASTER, COASTER_FIXED, PASSWORD
from tests.pages.conftest import eventually
from tests.pages.test_staff import sign_in, staff_member


def services() -> Services:
    found = app.state.services
    assert isinstance(found, Services)
    return found


def browser() -> User:
    return User(httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test"))


async def join_and_sign_in(person: User, name: str = "ayla", city: str = "Köln") -> None:
    token = services().designers.invite(Principal(Role.ADMIN, name="ada"))
    await person.open(f"/designer/join/{token}?lang=en")
    await person.should_see("Become a designer")
    joined = await person.http_client.post(
        "/designer/join",
        data={
            "token": token,
            "name": name,
            "display_name": "Ayla Demir",
            "city": city,
            "password": PASSWORD,
            "lang": "en",
        },
        headers={"origin": "http://test"},
    )
    assert joined.headers["location"] == "/designer/login?lang=en&joined=1"
    again = await person.http_client.post(
        "/designer/join",
        data={
            "token": token,
            "name": "other",
            "display_name": "Other",
            "city": city,
            "password": PASSWORD,
            "lang": "en",
        },
        headers={"origin": "http://test"},
    )
    assert "why=" in again.headers["location"]  # the link works once
    signed = await person.http_client.post(
        "/designer/session", data={"name": name, "password": PASSWORD, "lang": "en"}, headers={"origin": "http://test"}
    )
    assert signed.headers["location"] == "/designer?lang=en"


async def fill_coaster(person: User, source: str) -> None:
    person.find(marker="title-en").type("Initials coaster")
    person.find(marker="title-de").type("Untersetzer mit Initialen")
    person.find(marker="kind-cnc_router").click()
    person.find(marker="font-Liberation Sans:style=Bold").click()
    person.find(marker="outline-width").type("size")
    person.find(marker="outline-height").type("size")
    person.find(marker="outline-texts").type("initials")
    person.find(marker="text-name-en").type("The initials")
    person.find(marker="part-name-en").type("the coaster")
    person.find(marker="scad-source").type(source)


async def test_a_designer_joins_submits_fixes_and_staff_publish_it_to_the_order_page(user: User) -> None:
    designer = browser()
    await join_and_sign_in(designer)
    await designer.open("/designer/submit?lang=en")
    await fill_coaster(designer, COASTER)
    designer.find(marker="submit").click()
    await designer.should_see("Being checked")
    await eventually(lambda: _status() == "failed", timeout=240)
    await designer.open(f"/designer/submissions/{_submission_id()}?lang=en")
    await designer.should_see("The initials: too long for the coaster.")
    await designer.should_see("initials = WWWWWW")
    assert designer.find(marker="intake-failed").elements  # with its picture
    designer.find(marker="fix").click()
    await designer.should_see(marker="scad-source")
    designer.find(marker="scad-source").clear().type(COASTER_FIXED)
    designer.find(marker="submit").click()
    await eventually(lambda: _status() == "in_review", timeout=240)

    assert (await designer.http_client.get("/staff/submissions")).status_code in (303, 307)  # not for designers
    admin = staff_member("admin", "ada")
    assert await sign_in(admin, "ada") == "/staff?lang=en"
    await admin.open("/staff/submissions?lang=en")
    await admin.should_see("Initials coaster")
    admin.find(marker="approve").click()
    await eventually(lambda: "initials-coaster" in services().catalog, timeout=30)

    await user.open("/order?lang=en")
    await user.should_see("Initials coaster")


def _submission_id() -> str:
    found = services().submissions.for_review(Principal(Role.ADMIN, name="ada"))
    assert found
    return found[0].id


def _status() -> str:
    found = services().submissions.for_review(Principal(Role.ADMIN, name="ada"))
    return found[0].status if found else ""


async def designer_sign_in(person: User, name: str, password: str, origin: str = "http://test") -> str:
    response = await person.http_client.post(
        "/designer/session", data={"name": name, "password": password, "lang": "en"}, headers={"origin": origin}
    )
    assert response.status_code == 303
    return response.headers["location"]


async def test_the_designer_door_has_the_staff_doors_protections_and_opens_only_designer_pages(user: User) -> None:
    services().staff.add_user("ayla", "designer", PASSWORD, city="Köln")
    outsider = browser()
    assert (
        await designer_sign_in(outsider, "ayla", PASSWORD, "http://evil.example")
        == "/designer/login?lang=en&error=origin"
    )
    answers = [await designer_sign_in(outsider, "ayla", "guess") for _ in range(6)]
    assert answers[:5] == ["/designer/login?lang=en&error=wrong"] * 5
    assert answers[5] == "/designer/login?lang=en&error=locked"  # the name must wait, as at the staff door
    staff = staff_member()
    assert await designer_sign_in(staff, "sam", "correct horse battery") == "/designer/login?lang=en&error=wrong"
    assert await sign_in(staff) == "/staff?lang=en"
    assert (await staff.http_client.get("/designer")).headers["location"].startswith("/designer/login")
    designer = browser()
    services().staff.add_user("bea", "designer", PASSWORD, city="Köln")
    assert await designer_sign_in(designer, "bea", PASSWORD) == "/designer?lang=en"
    assert await sign_in(designer, "bea", PASSWORD) == "/staff/login?lang=en&error=wrong"
    designer.http_client.cookies.set("fabkiosk_staff", designer.http_client.cookies.get("fabkiosk_designer") or "")
    assert (await designer.http_client.get("/staff")).headers["location"].startswith("/staff/login")


async def test_a_designer_edits_their_profile_on_its_page(user: User) -> None:
    designer = browser()
    await join_and_sign_in(designer)
    await designer.open("/designer/profile?lang=en")
    await designer.should_see("Your page: /designer/ayla")
    designer.find(marker="city").clear().type("Bonn")
    designer.find(marker="about-en").type("I make things for kitchens.")
    designer.find(marker="about-de").type("Ich mache Dinge für Küchen.")
    designer.find(marker="save-profile").click()
    await designer.should_see("Saved.")
    who = services().staff.principal(designer.http_client.cookies.get("fabkiosk_designer"))
    assert who is not None and who.designer_id is not None
    profile = services().designers.profile(who.designer_id)
    assert (profile.city, profile.about) == (
        "Bonn",
        {"de": "Ich mache Dinge für Küchen.", "en": "I make things for kitchens."},
    )
