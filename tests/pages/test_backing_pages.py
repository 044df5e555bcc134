"""Backing a designer on the real pages (NiceGUI's simulated users, the real server wiring and simulated machines):
a phone follows the designer of its finished part and undoes it, rates the part after pickup, the designer's page
counts it and shows the rating, the share card names the page; the designer reads their statement and its CSV,
another designer cannot, and only an admin sees what is owed to whom."""

from __future__ import annotations

import asyncio
import csv
import io
from decimal import Decimal

import httpx
from nicegui import core, ui
from nicegui.testing import User

from app.access import Action, Principal, Role
from app.backing import ledger, support
from app.backing.showcase import designer_named
from app.jobs import JobState
from app.models import JobRow, QuoteRow
from app.pages.designer import COOKIE as DESIGNER_COOKIE
from tests.pages.conftest import eventually
from tests.pages.test_kiosk import enabled, printer_ready, seen
from tests.pages.test_staff import services

PASSWORD = "correct horse battery"
STAFF = Principal(Role.STAFF, name="sam")


def browser() -> User:
    return User(httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test"))


def designer_browser(name: str, city: str, display: str) -> User:
    """A designer's browser with a session of its own, made by the real accounts (their sign-in door)."""
    accounts = services().staff
    accounts.add_user(name, "designer", PASSWORD, city, display)
    token = accounts.sign_in(name, PASSWORD, "127.0.0.1", roles=frozenset({Role.DESIGNER}))
    person = browser()
    person.http_client.cookies.set(DESIGNER_COOKIE, token)
    return person


def staff_browser(name: str, role: str) -> User:
    accounts = services().staff
    accounts.add_user(name, role, PASSWORD)
    person = browser()
    person.http_client.cookies.set("fabkiosk_staff", accounts.sign_in(name, PASSWORD, "127.0.0.1"))
    return person


def made_to_pickup(tip: Decimal) -> tuple[str, str]:
    """A kiosk keychain by Lena Vogt with a tip, made on the printer to ready for pickup (staff start it)."""
    shop = services()
    assert shop.jobs is not None and shop.store is not None
    quote = shop.pipeline.quote_template("keychain", {"name": "Mila"}, "printer-1")
    new = shop.jobs.create(quote.quote_id, tip=tip)
    shop.store.confirm_ready(STAFF, "printer-1")
    shop.store.job_action(STAFF, new.job.id, Action.START)
    return new.job.id, new.token


async def test_a_phone_backs_the_designer_and_the_designer_reads_the_statement(user: User, another_user: User) -> None:
    shop = services()
    assert shop.jobs is not None and shop.store is not None
    await eventually(lambda: shop.fleet is not None and shop.fleet.machines["printer-1"].status.state.value == "idle")
    job_id, token = await asyncio.to_thread(made_to_pickup, Decimal("2.50"))
    phone = another_user
    await phone.open(f"/job/{token}?lang=en")
    await eventually(lambda: seen(phone, marker="ready"), timeout=90)
    await phone.should_see("More by Lena Vogt")
    await phone.should_see("Your tip for Lena Vogt: €2.50. Thank you!")
    phone.find(marker="follow").click()
    await phone.should_see("You follow Lena Vogt.")
    phone.find(marker="unfollow").click()
    await eventually(lambda: seen(phone, "Follow Lena Vogt"), timeout=5)
    with shop.sessions() as session:
        assert not support.follows(session, job_id)
    phone.find(marker="follow").click()
    await phone.should_see("You follow Lena Vogt.")
    await phone.should_not_see("How did it turn out?")  # not before pickup

    shop.store.mark_collected(STAFF, job_id)  # the phone that watched it is asked at once
    await eventually(lambda: seen(phone, "How did it turn out?"), timeout=10)
    phone.find(marker="star-4").click()
    phone.find(marker="rating-comment").type("Sturdy, and the letters are crisp")
    phone.find(marker="rating-send").click()
    await phone.should_see("Thank you! Your rating helps the designer.")
    await phone.open(f"/job/{token}?lang=en")  # the link opens the part's after-pickup page now, no controls
    await phone.should_see("Picked up. Enjoy it!")
    await phone.should_see("You follow Lena Vogt.")
    await phone.should_not_see(marker="stop")
    card = await phone.http_client.get(f"/job/{token}/card.svg?lang=en")
    assert card.status_code == 200 and b"/designer/lena-vogt" in card.content

    visitor = browser()
    await visitor.open("/designer/lena-vogt?lang=en")
    await visitor.should_see("Lena Vogt")
    await visitor.should_see("Leipzig")
    await visitor.should_see("Made once")
    await visitor.should_see("4.0 of 5 stars (1 rating)")
    await visitor.should_see("1 follower")
    await visitor.should_see("“Sturdy, and the letters are crisp”")  # the customer's sentence, as written
    await visitor.should_see(marker="share-page")
    await visitor.open("/designer/nobody-at-all?lang=en")
    await visitor.should_see("This link does not open anything (any more).")
    assert (await visitor.http_client.get("/designer/statement.csv")).status_code == 303  # not signed in

    with shop.sessions() as session:
        quote = session.get(QuoteRow, session.get(JobRow, job_id).quote_id)  # type: ignore[union-attr]
        assert quote is not None
        owed = quote.designer_share + Decimal("2.50")
        lena = designer_named(session, "lena-vogt")
        assert lena is not None
        lena_id = lena.id
    designer = designer_browser("lena-vogt", "Leipzig", "Lena Vogt")
    await designer.open("/designer/statement?lang=en")
    await designer.should_see(f"Owed to you: €{owed}")
    await designer.should_see(marker="statement")
    rows = list(csv.DictReader(io.StringIO((await designer.http_client.get("/designer/statement.csv")).text)))
    assert sorted((r["job"], r["kind"], r["amount"]) for r in rows) == [
        (job_id, "share", str(quote.designer_share)),
        (job_id, "tip", "2.50"),
    ]
    other = designer_browser("jonas-becker", "Berlin", "Jonas Becker")
    assert list(csv.DictReader(io.StringIO((await other.http_client.get("/designer/statement.csv")).text))) == []
    assert (await other.http_client.get(f"/staff/owed/{lena_id}.csv")).status_code in (303, 403)

    admin = staff_browser("ada", "admin")
    await admin.open("/staff/owed?lang=en")
    await admin.should_see(marker=f"owed-amount-{lena_id}")
    await admin.should_see(f"€{owed}")
    assert (await admin.http_client.get(f"/staff/owed/{lena_id}.csv")).status_code == 200
    clerk = staff_browser("sam", "staff")
    await clerk.open("/staff/owed?lang=en")
    await clerk.should_see("Only an admin may see what is owed to designers.")
    assert (await clerk.http_client.get(f"/staff/owed/{lena_id}.csv")).status_code == 403
    clerk.find(marker=f"refund-{job_id}").click()  # the customer brought it back: staff refund it
    await eventually(lambda: _credit(job_id) == 0, timeout=10)
    await clerk.should_see("No picked-up part with a designer's credit.")
    assert JobState(shop.jobs.get(job_id).state) is JobState.COLLECTED


def card_order(person: User) -> list[str]:
    """The catalog's cards in the order the page shows them."""
    return [
        marker.removeprefix("template-")
        for element in person.client.elements.values()  # in the order they were drawn
        for marker in element._markers
        if marker.startswith("template-")
    ]


async def choose_designer(person: User, name: str) -> None:
    """Open the designer choice and tap a name in its list."""
    person.find(marker="designer-choice").click()
    person.find(name).click()
    await asyncio.sleep(0)


async def test_the_kiosk_shows_its_citys_designers_first_filters_by_designer_and_takes_a_tip(user: User) -> None:
    shop = services()
    await printer_ready(user)
    await user.should_see("Most loved in Köln first")
    order = card_order(user)
    assert order[0] == "phone_stand" and set(order) == set(shop.catalog)  # Mehmet Kaya is from Köln
    await user.should_see("by Mehmet Kaya, Köln")  # the city on the card
    await choose_designer(user, "Lena Vogt")
    await eventually(lambda: card_order(user) == ["keychain"], timeout=5)
    await choose_designer(user, "All designers")
    await eventually(lambda: len(card_order(user)) == len(shop.catalog), timeout=5)

    await choose_designer(user, "Lena Vogt")
    await eventually(lambda: card_order(user) == ["keychain"], timeout=5)
    user.find(marker="template-keychain").click()
    await user.should_see("Name keychain")
    await eventually(lambda: enabled(user, "See the price"))
    user.find(kind=ui.button, content="See the price").click()
    await user.should_see(marker="price")
    await user.should_see("A tip for Lena Vogt? All of it goes to the designer.")
    user.find(marker="tip-2").click()
    await user.should_see("With your tip of €2.00")
    user.find(kind=ui.button, content="Go to Printer 1").click()
    await user.should_see("At Printer 1: please check")
    with shop.sessions() as session:
        (row,) = session.query(JobRow).all()
        assert row.tip == Decimal("2.00")


async def test_a_remote_order_takes_a_tip_within_the_stores_limit(user: User) -> None:
    shop = services()
    await user.open("/order?lang=en")
    await eventually(lambda: seen(user, "Printer 1: Ready"), timeout=30)
    user.find(marker="template-keychain").click()
    await eventually(lambda: enabled(user, "See the price"))
    user.find(kind=ui.button, content="See the price").click()
    await user.should_see(marker="price")
    user.find(marker="tip-amount").type("500")  # more than the store allows: held to its limit
    user.find(marker="tip-amount").trigger("change")
    await user.should_see("With your tip of €50.00")
    user.find(marker="order").click()
    await user.should_see("Your name for pickup")
    user.find(marker="customer-name").type("Ada")
    user.find(marker="send-order").click()
    await eventually(lambda: seen(user, "Waiting for the store to approve it"), timeout=20)
    with shop.sessions() as session:
        (row,) = session.query(JobRow).all()
        assert row.tip == shop.settings.designers.max_tip == Decimal("50")


def _credit(job_id: str) -> Decimal:
    """What the job still owes its designer, from the ledger."""
    with services().sessions() as session:
        return sum((e.amount for e in ledger.entries_of_job(session, job_id)), Decimal("0"))
