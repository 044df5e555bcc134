"""The staff console and remote orders under NiceGUI's simulated users, on the real app wiring: a phone orders,
staff sign in, approve, confirm the machine and start it, the phone follows it to pickup; a refusal reaches the
phone with its reason; staff pages need a session; sign-in posts from another site are refused."""

from __future__ import annotations

import asyncio

import httpx
from nicegui import app, core, ui
from nicegui.testing import User

from app.services import Services
from tests.pages.conftest import eventually
from tests.pages.test_kiosk import enabled, seen

PASSWORD = "correct horse battery"


def services() -> Services:
    found = app.state.services
    assert isinstance(found, Services)
    return found


def staff_member(role: str = "staff", name: str = "sam") -> User:
    """A staff browser, signed in through the real sign-in form (the session cookie lands in its cookie jar)."""
    services().staff.add_user(name, role, PASSWORD)
    return User(httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test"))


async def sign_in(user: User, name: str = "sam", password: str = PASSWORD, origin: str = "http://test") -> str:
    response = await user.http_client.post(
        "/staff/session", data={"name": name, "password": password, "lang": "en"}, headers={"origin": origin}
    )
    assert response.status_code == 303
    return response.headers["location"]


async def order_keychain(user: User, name: str) -> None:
    await user.open("/order?lang=en")
    await eventually(lambda: seen(user, "Printer 1: Ready"), timeout=30)
    user.find(marker="template-keychain").click()
    await user.should_see("Name keychain")
    await eventually(lambda: enabled(user, "See the price"))
    user.find(kind=ui.button, content="See the price").click()
    await user.should_see(marker="price")
    user.find(marker="order").click()
    await user.should_see("Your name for pickup")
    user.find(marker="customer-name").type(name)
    user.find(marker="send-order").click()


async def test_a_remote_order_is_approved_started_by_staff_and_collected(user: User) -> None:
    staff = staff_member()
    await order_keychain(user, "Lena")
    await eventually(lambda: seen(user, "Waiting for the store to approve it"), timeout=20)
    phone_page = user.back_history[-1]
    assert phone_page.startswith("/job/")
    jobs = services().jobs
    assert jobs is not None
    (job,) = [j for j in jobs.queue() if j.customer_name == "Lena"]

    assert await sign_in(staff) == "/staff?lang=en"
    await staff.open("/staff?lang=en")
    await staff.should_see("Lena")
    staff.find(marker=f"approve-{job.id}").click()
    await eventually(lambda: seen(staff, marker=f"start-{job.id}"), timeout=20)  # dispatched to the printer
    staff.find(marker=f"start-{job.id}").click()  # a staff member at the machine starts it

    await user.open(phone_page)
    await eventually(lambda: seen(user, "Being made"), timeout=30)
    await eventually(lambda: seen(user, "Ready for pickup"), timeout=90)
    await eventually(lambda: seen(staff, marker="confirm-ready-printer-1"), timeout=10)  # the part is on the bed
    staff.find(marker=f"collected-{job.id}").click()
    await eventually(lambda: jobs.get(job.id).state.value == "collected", timeout=10)
    staff.find(marker="confirm-ready-printer-1").click()
    await eventually(lambda: not jobs.machine_settings.get("printer-1").needs_clearing, timeout=10)
    await staff.open(f"/staff/audit?job={job.id[:8]}&lang=en")
    await staff.should_see("staff:sam")
    await staff.should_see("approve")


async def test_a_refusal_reaches_the_customers_phone_with_the_reason(user: User) -> None:
    staff = staff_member()
    await order_keychain(user, "Tom")
    await eventually(lambda: seen(user, "Waiting for the store to approve it"), timeout=20)
    jobs = services().jobs
    assert jobs is not None
    (job,) = [j for j in jobs.queue() if j.customer_name == "Tom"]
    await sign_in(staff)
    await staff.open("/staff?lang=en")
    await staff.should_see(f"Tom waits for approval: {job.display_name}")  # under "Needs you", not only the queue
    await staff.should_not_see("Nothing needs you right now.")
    staff.find(marker=f"deny-{job.id}").click()
    staff.find(marker="deny-reason").type("We cannot print this colour today.")
    services().jobs.machine_settings.set_maintenance("laser-1", True)  # the board changes while staff type
    await asyncio.sleep(4)  # a few of the console's update ticks
    await staff.should_see(marker="deny-reason")  # the dialog and what was typed survive the updates
    assert next(iter(staff.find(marker="deny-reason").elements)).value == "We cannot print this colour today."
    await staff.should_see(marker="machine-state-laser-1", content="In maintenance")
    staff.find(marker="deny-confirm").click()
    await eventually(lambda: seen(user, "We cannot print this colour today."), timeout=10)
    await user.should_see("Cancelled")


async def test_staff_pages_need_a_session_and_accounts_need_an_admin(user: User) -> None:
    await user.open("/staff?lang=en")
    await user.should_see("Staff sign-in")  # redirected
    await user.open("/staff/audit?lang=en")
    await user.should_see("Staff sign-in")
    staff = staff_member()
    assert "error=wrong" in await sign_in(staff, password="not the password")
    await staff.open("/staff/users?lang=en")
    await staff.should_see("Staff sign-in")
    await sign_in(staff)
    await staff.open("/staff/users?lang=en")
    await staff.should_see(marker="forbidden")
    admin = staff_member("admin", "ada")
    await sign_in(admin, "ada")
    await admin.open("/staff/users?lang=en")
    await admin.should_see("sam: staff")
    await staff.open("/?lang=en")  # the kiosk never shows staff controls, whoever stands at it
    await eventually(lambda: seen(staff, "What would you like to make?"), timeout=10)
    for marker in ("stop-all", "machine-card-printer-1", "approve"):
        assert not await seen(staff, marker=marker)


async def test_sign_in_from_another_site_is_refused_and_signing_out_ends_the_session(user: User) -> None:
    staff = staff_member()
    assert "error=origin" in await sign_in(staff, origin="http://evil.example")
    assert "fabkiosk_staff" not in staff.http_client.cookies
    await sign_in(staff)
    token = staff.http_client.cookies["fabkiosk_staff"]
    assert services().staff.principal(token) is not None
    response = await staff.http_client.post("/staff/session/end", headers={"origin": "http://test"})
    assert response.status_code == 303
    assert services().staff.principal(token) is None


async def test_an_incident_is_handled_from_the_console(user: User) -> None:
    """Staff stop the printer mid-job: the job is cancelled, the printer waits for staff, who bring it back,
    confirm the bed clear, and the machine is ready for the next job; all of it in the audit log."""
    staff = staff_member()
    await order_keychain(user, "Ines")
    jobs = services().jobs
    assert jobs is not None and services().fleet is not None
    await eventually(lambda: any(j.customer_name == "Ines" for j in jobs.queue()), timeout=20)
    (job,) = [j for j in jobs.queue() if j.customer_name == "Ines"]
    await sign_in(staff)
    await staff.open("/staff?lang=en")
    staff.find(marker=f"approve-{job.id}").click()
    await eventually(lambda: seen(staff, marker=f"start-{job.id}"), timeout=20)
    staff.find(marker=f"start-{job.id}").click()
    await eventually(lambda: jobs.get(job.id).state.value == "running", timeout=20)
    staff.find(marker="stop-printer-1").click()  # one tap
    await eventually(lambda: jobs.get(job.id).state.value == "cancelled", timeout=20)
    await eventually(lambda: seen(staff, "Printer 1: Waiting for staff"), timeout=10)  # listed under "Needs you"
    await eventually(lambda: seen(staff, marker="bring-back-printer-1"), timeout=10)  # the board catches up
    staff.find(marker="bring-back-printer-1").click()
    await eventually(lambda: services().fleet.machines["printer-1"].status.state.value == "idle", timeout=30)  # type: ignore[union-attr]
    await eventually(lambda: seen(staff, marker="confirm-ready-printer-1"), timeout=10)
    staff.find(marker="confirm-ready-printer-1").click()
    await eventually(lambda: not jobs.machine_settings.get("printer-1").needs_clearing, timeout=10)
    await staff.open("/staff/audit?lang=en")
    for action in ("stop_machine", "bring_back", "confirm_ready"):
        await staff.should_see(action)


PAGES = ["/", "/order", "/j", "/job/{token}", "/staff", "/staff/audit", "/staff/users"]
PAGE_MATRIX = {  # what each kind of person gets on each page
    "anonymous": ["kiosk", "order", "code", "not found", "sign-in", "sign-in", "sign-in"],
    "customer of job A": ["kiosk", "order", "code", "job A", "sign-in", "sign-in", "sign-in"],
    "customer of job B": ["kiosk", "order", "code", "job B", "sign-in", "sign-in", "sign-in"],
    "staff": ["kiosk", "order", "code", "not found", "console", "audit", "forbidden"],
    "admin": ["kiosk", "order", "code", "not found", "console", "audit", "accounts"],
}
SHOWS = {
    "kiosk": "What would you like to make?",
    "order": "What would you like to make?",
    "code": "Open my job",
    "not found": "This link does not open anything (any more).",
    "job A": "Alma",
    "job B": "Bert",
    "sign-in": "Staff sign-in",
    "console": "Stop all machines",
    "audit": "Job number (the first characters are enough)",
    "forbidden": "Only an admin may manage the staff accounts.",
    "accounts": "sam: staff",
}


async def test_the_page_matrix(user: User) -> None:
    """Every page × every kind of person. A customer holds one job's link (the capability); staff and admins
    hold a session; nobody else holds anything."""
    services_ = services()
    jobs = services_.jobs
    assert jobs is not None
    tokens = {}
    for label, name in (("customer of job A", "Alma"), ("customer of job B", "Bert")):
        quote = services_.pipeline.quote_template("keychain", {"name": name}, "printer-1")
        tokens[label] = jobs.create(quote.quote_id, source="remote", customer_name=name).token
    people: dict[str, User] = {"anonymous": user}
    for label in tokens:
        people[label] = User(httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test"))
    people["staff"] = staff_member()
    await sign_in(people["staff"])
    people["admin"] = staff_member("admin", "ada")
    await sign_in(people["admin"], "ada")
    cells = 0
    for label, outcomes in PAGE_MATRIX.items():
        person = people[label]
        for page, outcome in zip(PAGES, outcomes, strict=True):
            token = tokens.get(label, "no-such-link-0123456789abcdef")
            await person.open(page.format(token=token) + "?lang=en")
            await eventually(lambda p=person, o=outcome: seen(p, SHOWS[o]), timeout=10)
            if outcome == "job A":
                assert not await seen(person, "Bert")
            cells += 1
    assert cells == 35
