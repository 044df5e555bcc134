"""The head office's pages under NiceGUI's simulated users, on the real head-office wiring (`serve --role hq`): the
console needs a head-office session and shows the stores as replication reported them (stale ones marked); store
staff and customers do not get in; a customer's link shows the order's honest state as the store's facts arrive."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from nicegui import app, core, run, ui
from nicegui.testing import User
from nicegui.testing.user_simulation import user_simulation
from sqlalchemy import select

from app.access import Principal, Role
from app.chain.hq_server import HeadOffice
from app.jobs import JobState
from app.models import HqOrderRow
from app.pipeline import QuoteResult
from tests.pages.conftest import eventually
from tests.pages.test_kiosk import enabled, seen
from tests.test_hq_console import version
from tests.test_hq_orders import arrive, event, job, machine, store

PASSWORD = "correct horse battery"
MAIN = """
from app.config import load_settings
from app.server import serve

serve(load_settings(None, data_dir={data!r}, allowed_hosts=["test"], chain={{"role": "hq"}}))
"""


def office() -> HeadOffice:
    found = app.state.head_office
    assert isinstance(found, HeadOffice)
    return found


@pytest.fixture
async def customer(tmp_path: Path) -> AsyncIterator[User]:
    """A customer's browser at the head office, whose stores reported a minute ago (one of them an hour ago)."""
    main = tmp_path / "main.py"
    main.write_text(MAIN.format(data=str(tmp_path / "data")))
    async with user_simulation(main_file=main) as user:
        now = datetime.now(UTC)
        machines = [
            machine("koeln", "printer-1", "fdm_printer", state="running"),
            machine("berlin", "printer-1", "fdm_printer"),
        ]
        for reported in machines:
            reported.updated_at = now - timedelta(seconds=5 if reported.store == "koeln" else 3600)
        arrive(office(), store("koeln", "Köln"), store("berlin", "Berlin"), *machines)
        yield user


def browser() -> User:
    return User(httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test"))


def table(user: User, marker: str) -> ui.table:
    found = user.find(marker=marker).elements.pop()
    assert isinstance(found, ui.table)
    return found


async def sign_in(user: User, name: str, password: str = PASSWORD) -> str:
    response = await user.http_client.post(
        "/hq/session", data={"name": name, "password": password, "lang": "en"}, headers={"origin": "http://test"}
    )
    assert response.status_code == 303
    return response.headers["location"]


async def test_the_console_needs_head_office_staff_and_marks_a_quiet_store(customer: User) -> None:
    accounts = office().services.staff
    accounts.add_user("hugo", "hq", PASSWORD)
    accounts.add_user("sam", "staff", PASSWORD)
    await customer.open("/hq?lang=en")
    await customer.should_see("Head office sign-in")  # no session: the sign-in
    sam = browser()
    # a store's staff account is not the head office's: its door answers as to a wrong password
    assert await sign_in(sam, "sam") == "/hq/login?lang=en&error=wrong"
    await sam.open("/hq?lang=en")
    await sam.should_see("Head office sign-in")
    await sam.should_not_see(marker="hq-stores")
    hugo = browser()
    await sign_in(hugo, "hugo")
    await hugo.open("/hq?lang=en")
    await hugo.should_see(marker="hq-stores")
    stores = {row["key"]: row for row in table(hugo, "hq-stores").rows}
    assert stores["berlin"]["status"] == "Not reporting" and stores["berlin"]["last_report"] == "60 min ago"
    assert stores["koeln"]["status"] == "Reporting"
    machines = {row["key"]: row for row in table(hugo, "hq-machines").rows}
    assert machines["berlin/printer-1"]["state"].startswith("Not reporting")
    assert machines["koeln/printer-1"]["state"] == "Busy"
    response = await hugo.http_client.post("/hq/session/end", headers={"origin": "http://test"})
    assert response.status_code == 303
    await hugo.open("/hq?lang=en")
    await hugo.should_see("Head office sign-in")


async def test_publishing_a_version_to_chosen_cities(customer: User) -> None:
    office().services.staff.add_user("hugo", "hq", PASSWORD)
    arrive(office(), version("v-key", "keychain", "d-none"))
    hugo = browser()
    await sign_in(hugo, "hugo")
    await hugo.open("/hq?lang=en")
    await hugo.should_see(marker="hq-versions")
    versions = table(hugo, "hq-versions")
    await eventually(lambda: bool(versions.rows), timeout=10)
    versions.selected = [row for row in versions.rows if row["key"] == "v-key"]  # the keychain's newest
    cities = hugo.find(marker="publish-cities").elements.pop()
    assert isinstance(cities, ui.select)
    cities.value = ["Köln"]
    hugo.find(marker="publish").click()
    await hugo.should_see("Published: Name keychain in Köln.")
    published = {v.version_id: v for v in office().console.versions(Principal(Role.HQ, name="hugo"))}
    assert published["v-key"].cities == ("Köln",)


async def test_the_customers_link_follows_the_order_to_the_store(customer: User) -> None:
    orders = office().orders
    result = await _quote()
    token = orders.place(result, "koeln", "Lena")
    await customer.open(f"/job/{token}?lang=en")
    await customer.should_see("Sent to the store")
    await customer.should_see("Pickup at fabkiosk koeln, Köln")
    with office().services.sessions() as session:
        order_id = session.scalars(select(HqOrderRow.id)).one()
    taken = job("koeln", "printer-1", JobState.AWAITING_APPROVAL.value, source="remote", hq_order_id=order_id)
    taken.created_at = datetime.now(UTC)
    arrive(office(), taken, event("koeln", taken.id, 7, None, "awaiting_approval", 0))
    await eventually(lambda: seen(customer, "The store has it"), timeout=10)
    await customer.should_see("Waiting for the store to approve it")
    taken.state = JobState.RUNNING.value
    arrive(office(), taken)
    await eventually(lambda: seen(customer, "Being made"), timeout=10)
    other = browser()
    await other.open(f"/job/{secrets.token_urlsafe(24)}?lang=en")  # any other link opens nothing
    await other.should_see("This link does not open anything (any more).")


async def _quote() -> QuoteResult:
    orders = office().orders
    pipeline = office().services.pipeline
    machine_id = orders.machine_for("fdm_printer")
    assert machine_id is not None
    result = await run.io_bound(pipeline.quote_template, "keychain", {"name": "Lena"}, machine_id)
    assert result is not None
    return result


async def test_ordering_at_the_head_office_suggests_a_store_in_the_customers_city(customer: User) -> None:
    """Köln's printer reports, Berlin's went quiet: a customer from Berlin is suggested Köln (a quiet store's times
    are old) and told Berlin is not reachable; they choose Berlin all the same, and the link says the order waits."""
    await customer.open("/order?lang=en&city=Berlin")
    await customer.should_see(marker="availability-keychain")
    customer.find(marker="template-keychain").click()
    await customer.should_see("Name keychain")
    await eventually(lambda: enabled(customer, "See the price"), timeout=60)
    customer.find(kind=ui.button, content="See the price").click()
    await customer.should_see(marker="price")
    stores = customer.find(marker="stores").elements.pop()
    assert isinstance(stores, ui.radio)
    assert stores.value == "koeln" and list(stores.options) == ["koeln", "berlin"]
    assert "not reachable right now" in stores.options["berlin"]  # type: ignore[call-overload]
    assert "ready around" in stores.options["koeln"]  # type: ignore[call-overload]
    stores.value = "berlin"
    customer.find(marker="order").click()
    await customer.should_see("Your name for pickup")
    customer.find(marker="customer-name").type("Lena")
    customer.find(marker="send-order").click()
    await eventually(lambda: seen(customer, "Waiting: the store cannot be reached right now."), timeout=10)
    with office().services.sessions() as session:
        row = session.scalars(select(HqOrderRow)).one()
    assert (row.store, row.customer_name, row.template_id) == ("berlin", "Lena", "keychain")
