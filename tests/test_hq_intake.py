"""The store's intake of head-office orders, on the demo store with its simulated machines: a row arriving in its
`hq_orders` table (as replication brings it) becomes a remote job through the store's own pipeline and job service,
at the price the customer was quoted or refused with a reason the customer's link shows; another store's rows are
never taken, and its staff never see them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from app.access import Forbidden, Principal, Role
from app.chain.orders import CANNOT_MAKE, PRICE_CHANGED, OrderIntake, Taken
from app.jobs import JobState, token_hash
from app.models import HqOrderRow
from app.services import Services
from tests.conftest import running_store

KEYCHAIN = {"name": "Lena"}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    with running_store(tmp_path_factory.mktemp("store"), 200) as services:
        yield services


@pytest.fixture(scope="module")
def store_price(shop: Services) -> Decimal:
    """The store's own price for the keychain: what the head office quotes on the same machine kind and prices."""
    return shop.pipeline.quote_template("keychain", KEYCHAIN, "printer-1").quote.total


def arrive(sessions: sessionmaker[Session], *rows: object) -> None:
    """Rows as replication brings them into the store's own table."""
    with sessions.begin() as session:
        session.add_all(rows)


def head_office_order(store: str, total: Decimal, name: str = "Lena", currency: str = "EUR") -> tuple[str, HqOrderRow]:
    token = secrets.token_urlsafe(24)
    return token, HqOrderRow(
        id=secrets.token_hex(16),
        store=store,
        token_hash=token_hash(token),
        template_id="keychain",
        template_version_id=None,
        parameters=dict(KEYCHAIN),
        machine_kind="fdm_printer",
        material="PLA",
        customer_name=name,
        total=total,
        currency=currency,
        tip=Decimal("0"),
        created_at=datetime.now(UTC),
    )


def intake(shop: Services, store: str = "demo") -> OrderIntake:
    assert shop.jobs is not None
    return OrderIntake(store, shop.sessions, shop.pipeline, shop.jobs)


def test_an_order_becomes_a_remote_job_at_the_quoted_price_waiting_for_approval(
    shop: Services, store_price: Decimal
) -> None:
    jobs = shop.jobs
    assert jobs is not None
    quoted = store_price + Decimal("1.00")  # the head office's price was higher: the customer pays what they accepted
    token, order = head_office_order("demo", quoted, "Ada")
    arrive(shop.sessions, order)
    taken = intake(shop).take_all()
    assert [(t.order_id, t.refused) for t in taken] == [(order.id, None)]
    job_id = taken[0].job_id
    assert job_id is not None
    job = jobs.get(job_id)
    assert (job.state, job.source, job.customer_name) == (JobState.AWAITING_APPROVAL, "remote", "Ada")
    assert jobs.summary(job_id).price == quoted
    found = jobs.find(token)
    assert found is not None and found.id == job_id  # the customer's link opens the job at the store too
    with shop.sessions() as session:
        assert session.scalar(text("SELECT hq_order_id FROM jobs WHERE id = :id"), {"id": job_id}) == order.id
    assert intake(shop).take_all() == []  # taken once: the job row says so, even after a restart


def test_an_order_priced_below_the_stores_price_is_refused_with_a_reason_the_customer_sees(
    shop: Services, store_price: Decimal
) -> None:
    jobs = shop.jobs
    assert jobs is not None
    _, order = head_office_order("demo", store_price - Decimal("0.50"))
    arrive(shop.sessions, order)
    [taken] = intake(shop).take_all()
    assert taken.refused == PRICE_CHANGED and taken.job_id is not None
    job = jobs.get(taken.job_id)
    assert job.state is JobState.CANCELLED and job.reason == PRICE_CHANGED.msgid  # travels up with the job row


def test_another_stores_orders_are_never_taken_nor_shown_to_this_stores_staff(shop: Services) -> None:
    _, berlin = head_office_order("berlin", Decimal("99.00"), "Bo")
    arrive(shop.sessions, berlin)
    here = intake(shop)
    assert berlin.id not in {order.id for order in here.pending()}
    assert all(t.order_id != berlin.id for t in here.take_all())
    ours = here.orders(Principal(Role.STAFF, name="sam", store="demo"))
    assert ours and "Bo" not in {o.customer_name for o in ours}
    with pytest.raises(Forbidden):  # staff of another store, and head-office staff, see no store's customers
        here.orders(Principal(Role.STAFF, name="kim", store="berlin"))
    with pytest.raises(Forbidden):
        here.orders(Principal(Role.HQ, name="hugo"))


def test_an_order_waits_while_the_store_has_no_machine_for_it(shop: Services) -> None:
    _, order = head_office_order("demo", Decimal("50.00"))
    order.machine_kind = "cnc_router"
    order.material = "unobtainium"  # no machine here works it: the order waits, no job, no refusal
    arrive(shop.sessions, order)
    taken = [t for t in intake(shop).take_all() if t.order_id == order.id]
    assert taken == [Taken(order.id, None)]


def test_a_design_the_stores_checks_refuse_is_left_for_staff_and_not_checked_again(shop: Services) -> None:
    _, order = head_office_order("demo", Decimal("50.00"))
    order.parameters = {"name": "W" * 500}  # far longer than the store's keychain takes
    arrive(shop.sessions, order)
    here = intake(shop)
    assert [t for t in here.take_all() if t.order_id == order.id] == [Taken(order.id, None, CANNOT_MAKE)]
    assert order.id not in {o.id for o in here.pending()}  # not rendered again every round
