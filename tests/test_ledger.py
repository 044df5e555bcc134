"""The designers' ledger on the real store: a day's mixed orders (kiosk and remote, two designers, tips, a refund
after the credit, a cancel before the start, a part not yet picked up, a design without a designer) reconciles to
the cent with the jobs; the statement and its CSV add up to what is owed; tips are bounded."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import trimesh
from sqlalchemy import select

from app.access import Action, Principal, Role
from app.backing import ledger
from app.backing.showcase import designer_named
from app.backing.statements import statement, statement_csv
from app.jobs import Actor, JobRefused, JobState
from app.models import DesignerRow, JobRow, LedgerEntryRow, QuoteRow
from app.services import Services
from machine_adapters.base import MachineState
from tests.conftest import eventually, running_store, stl_bytes

STAFF = Principal(Role.STAFF, name="sam")
ADMIN = Principal(Role.ADMIN, name="ada")
CENT = Decimal("0.01")


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Services]:
    with running_store(tmp_path, 200) as services:
        yield services


def designer(services: Services, name: str) -> str:
    """A designer the demo catalog was seeded with (by page name)."""
    with services.sessions() as session:
        row = designer_named(session, name)
        assert row is not None
        return row.id


def priced(services: Services, template: str, values: dict[str, object], machine: str) -> str:
    """A quote through the real pipeline: it fixes the template version's designer and their share on it."""
    return services.pipeline.quote_template(template, values, machine).quote_id


def uploaded(services: Services) -> str:
    """A customer's own file: a design without a designer."""
    box = trimesh.creation.box(extents=(20, 20, 4))
    return services.pipeline.quote_upload(stl_bytes(box), "box.stl", "printer-1").quote_id


def make(services: Services, job_id: str) -> None:
    """Make the job on its machine as the store does: staff approve a remote order, confirm the bed clear, start."""
    assert services.jobs is not None and services.store is not None
    jobs, store = services.jobs, services.store
    job = jobs.get(job_id)
    machine = services.fleet.machines[job.machine_id] if services.fleet else None
    assert machine is not None
    eventually(lambda: machine.status.state is MachineState.IDLE, 60)
    if job.state is JobState.AWAITING_APPROVAL:
        store.approve(STAFF, job_id)
    store.confirm_ready(STAFF, job.machine_id)
    eventually(lambda: jobs.get(job_id).state is JobState.WAITING_FOR_MACHINE_READY)
    store.job_action(STAFF, job_id, Action.START)
    eventually(lambda: jobs.get(job_id).state is JobState.READY_FOR_PICKUP, 90)


def entries_of(services: Services, job_id: str) -> list[LedgerEntryRow]:
    with services.sessions() as session:
        return ledger.entries_of_job(session, job_id)


def test_a_days_mixed_orders_reconcile_to_the_cent(shop: Services) -> None:
    assert shop.jobs is not None and shop.store is not None
    jobs, store = shop.jobs, shop.store
    lena = designer(shop, "lena-vogt")
    jonas = designer(shop, "jonas-becker")
    tag = {"name": "Lena"}
    sign = {"name": "Jonas"}

    walk_in = jobs.create(priced(shop, "keychain", tag, "printer-1"), tip=Decimal("2.50")).job.id
    remote = jobs.create(
        priced(shop, "name_sign", sign, "laser-1"),
        source="remote",
        actor=Actor.PHONE,
        customer_name="Ada",
    ).job.id
    refunded = jobs.create(priced(shop, "name_sign", sign, "laser-1"), tip=Decimal("1")).job.id
    cancelled = jobs.create(
        priced(shop, "keychain", tag, "printer-1"),
        source="remote",
        actor=Actor.PHONE,
        customer_name="Bo",
        tip=Decimal("5"),
    ).job.id
    waiting = jobs.create(priced(shop, "keychain", tag, "printer-1"), tip=Decimal("3.33")).job.id
    nobodys = jobs.create(uploaded(shop)).job.id

    store.job_action(STAFF, cancelled, Action.CANCEL)  # before it started: nothing was ever owed
    for job_id in (walk_in, refunded, remote, waiting, nobodys):  # the walk-in at the laser before the remote order
        make(shop, job_id)
    for job_id in (walk_in, remote, refunded, nobodys):
        store.mark_collected(STAFF, job_id)
    store.refund(STAFF, refunded)  # the customer brought it back: the credit is reversed, naming what it undoes

    with shop.sessions() as session:
        quotes = {row.id: session.get(QuoteRow, row.quote_id) for row in session.scalars(select(JobRow))}
        rows = {row.id: row for row in session.scalars(select(JobRow))}
    owed_by_job: dict[str, Decimal] = {}
    for job_id, row in rows.items():
        quote = quotes[job_id]
        assert quote is not None
        credited = row.state == JobState.COLLECTED.value and not row.refund and quote.designer_id is not None
        owed_by_job[job_id] = (quote.designer_share + row.tip) if credited else Decimal("0.00")
        entries = entries_of(shop, job_id)
        assert sum((e.amount for e in entries), Decimal("0.00")) == owed_by_job[job_id], job_id
        assert all(isinstance(e.amount, Decimal) and e.currency == quote.currency for e in entries)

    assert rows[walk_in].tip == Decimal("2.50") and rows[cancelled].state == JobState.CANCELLED.value
    assert [e.kind for e in entries_of(shop, walk_in)] == ["share", "tip"]
    assert [e.kind for e in entries_of(shop, remote)] == ["share"]  # no tip given
    assert entries_of(shop, cancelled) == [] and entries_of(shop, waiting) == [] and entries_of(shop, nobodys) == []
    undone = entries_of(shop, refunded)
    credits = {e.id: e for e in undone if e.kind != "reversal"}
    reversals = [e for e in undone if e.kind == "reversal"]
    assert len(credits) == 2 and {r.reverses for r in reversals} == set(credits)
    assert all(r.amount == -credits[r.reverses].amount for r in reversals if r.reverses)

    zone = ZoneInfo(shop.settings.store_timezone)
    with shop.sessions() as session:
        owed = {o.designer_id: o.amount for o in ledger.owed(session)}
        for designer_id, jobs_of in ((lena, (walk_in, waiting, cancelled)), (jonas, (remote, refunded))):
            expected = sum((owed_by_job[j] for j in jobs_of), Decimal("0.00"))
            assert owed[designer_id] == expected
            row = session.get(DesignerRow, designer_id)
            assert row is not None
            lines = statement(session, ADMIN, row, zone)
            assert sum((line.net for line in lines), Decimal("0.00")) == expected
            table = list(csv.DictReader(io.StringIO(statement_csv(session, ADMIN, row, zone))))
            assert sum((Decimal(r["amount"]) for r in table), Decimal("0.00")) == expected
            assert {r["job"] for r in table} <= set(jobs_of)  # every amount names its job
    share = quotes[walk_in]
    assert share is not None and share.designer_id == lena and share.designer_share > 0  # fixed when priced
    assert owed[lena] == share.designer_share + Decimal("2.50")


def test_collecting_twice_or_a_refund_twice_never_counts_twice(shop: Services) -> None:
    assert shop.jobs is not None and shop.store is not None
    job_id = shop.jobs.create(priced(shop, "keychain", {"name": "Max"}, "printer-1"), tip=Decimal("4")).job.id
    make(shop, job_id)
    assert entries_of(shop, job_id) == []  # ready for pickup is not yet collected
    shop.store.mark_collected(STAFF, job_id)
    with pytest.raises(JobRefused):
        shop.store.mark_collected(STAFF, job_id)
    assert len(entries_of(shop, job_id)) == 2
    shop.store.refund(STAFF, job_id)
    shop.store.refund(STAFF, job_id)
    entries = entries_of(shop, job_id)
    assert len(entries) == 4 and sum(e.amount for e in entries) == 0


def test_a_cancel_after_the_credit_reverses_it_in_the_same_transaction(shop: Services) -> None:
    """The ledger's own rule for a job that ends cancelled (or failed) after it was credited: every credit is
    reversed once, naming it. (In a single store a collected job is final and is refunded instead.)"""
    assert shop.jobs is not None
    job_id = shop.jobs.create(priced(shop, "keychain", {"name": "Max"}, "printer-1"), tip=Decimal("1.10")).job.id
    now = datetime.now(UTC)
    with shop.sessions.begin() as session:
        row = session.get(JobRow, job_id)
        assert row is not None
        credited = ledger.on_move(session, row, JobState.COLLECTED, now, "Köln")
        reversed_ = ledger.on_move(session, row, JobState.CANCELLED, now, "Köln")
        again = ledger.on_move(session, row, JobState.FAILED, now, "Köln")
    assert [e.kind for e in credited] == ["share", "tip"] and again == []
    assert sorted(r.reverses or "" for r in reversed_) == sorted(c.id for c in credited)
    assert sum(e.amount for e in entries_of(shop, job_id)) == 0


@pytest.mark.parametrize(
    ("tip", "message"),
    [("-1", "amount of money"), ("50.01", "at most"), ("lots", "amount of money"), ("NaN", "amount of money")],
)
def test_tips_are_money_within_the_stores_limit(shop: Services, tip: str, message: str) -> None:
    assert shop.jobs is not None
    quote_id = priced(shop, "keychain", {"name": "Max"}, "printer-1")
    with pytest.raises(JobRefused, match=message):
        shop.jobs.create(quote_id, tip=tip)  # type: ignore[arg-type]  # what a form hands over
    assert shop.jobs.create(quote_id, tip=Decimal("50")).job.id  # the limit itself is allowed


def test_a_design_without_a_designer_takes_no_tip(shop: Services) -> None:
    assert shop.jobs is not None
    quote_id = uploaded(shop)
    with pytest.raises(JobRefused, match="no designer"):
        shop.jobs.create(quote_id, tip=Decimal("1"))
