"""Orders at the head office, on its own database with the stores' facts as replication brings them: the store
suggested for pickup (the customer's city, the earliest free machine of the kind, stale stores last), the price made
here by the real pipeline, the order row for its store, and the honest states its link shows while it travels."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.chain.hq_orders import HqOrders, stage_words
from app.chain.hq_server import HeadOffice, build_head_office
from app.config import load_settings
from app.jobs import JobState, token_hash
from app.models import HqOrderRow, JobEventRow, JobRow, MachineSnapshotRow, StoreRow

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def head_office(folder: Path) -> HeadOffice:
    return build_head_office(load_settings(None, data_dir=str(folder / "data"), chain={"role": "hq"}))


def arrive(office: HeadOffice, *rows: Any) -> None:
    """Rows as replication's apply worker writes them at the head office: the stores' jobs refer to quotes that
    stay at the store, so foreign keys are not checked (PostgreSQL's apply worker runs in the replica role)."""
    with office.services.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")  # outside a transaction, or SQLite ignores it
            connection.commit()
        try:
            with office.services.sessions(bind=connection) as session:
                for row in rows:
                    session.merge(row)
                session.commit()
            connection.commit()
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys = ON")
                connection.commit()


def store(id: str, city: str) -> StoreRow:
    return StoreRow(id=id, name=f"fabkiosk {id}", city=city, created_at=NOW - timedelta(days=30))


def machine(store: str, machine_id: str, kind: str, state: str = "idle", age_s: float = 5) -> MachineSnapshotRow:
    return MachineSnapshotRow(
        store=store,
        machine_id=machine_id,
        kind=kind,
        state=state,
        job_id=None,
        progress=0.0,
        updated_at=NOW - timedelta(seconds=age_s),
    )


def job(store: str, machine_id: str, state: str, seconds: int = 3600, **more: Any) -> JobRow:
    fields: dict[str, Any] = {
        "id": secrets.token_hex(16),
        "token_hash": secrets.token_hex(32),
        "quote_id": secrets.token_hex(16),  # the store's quote: never replicated
        "machine_id": machine_id,
        "source": "kiosk",
        "state": state,
        "reason": "",
        "display_name": "Name keychain",
        "estimated_seconds": seconds,
        "created_at": NOW - timedelta(minutes=30),
        "store": store,
        "template_id": "keychain",
        "machine_kind": "fdm_printer",
        "material": "PLA",
        "total": Decimal("5.00"),
        "currency": "EUR",
    }
    fields.update(more)
    return JobRow(**fields)


def event(store: str, job_id: str, number: int, old: str | None, new: str, minutes_ago: float) -> JobEventRow:
    return JobEventRow(
        id=number,
        store=store,
        job_id=job_id,
        at=NOW - timedelta(minutes=minutes_ago),
        from_state=old,
        to_state=new,
        actor="system",
        reason="",
    )


def printer(orders: HqOrders) -> str:
    """The chain's reference printer: the head office prices printed designs on it."""
    machine_id = orders.machine_for("fdm_printer")
    assert machine_id is not None
    return machine_id


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeadOffice]:
    office = head_office(tmp_path_factory.mktemp("hq"))
    office.orders.clock = Clock()
    arrive(
        office,
        store("koeln_nord", "Köln"),
        store("koeln_sued", "Köln"),
        store("berlin", "Berlin"),
        store("hamburg", "Hamburg"),
        machine("koeln_nord", "printer-1", "fdm_printer"),
        machine("koeln_sued", "printer-1", "fdm_printer"),
        machine("koeln_sued", "printer-2", "fdm_printer", state="offline"),
        machine("berlin", "printer-1", "fdm_printer"),
        machine("berlin", "laser-1", "laser_engraver"),
        machine("hamburg", "laser-1", "laser_engraver"),
    )
    # Köln Nord's printer has an hour of queue, Köln Süd's runs a two-hour job started 90 minutes ago
    arrive(
        office,
        job("koeln_nord", "printer-1", JobState.QUEUED.value, 3600),
        job("koeln_sued", "printer-1", JobState.RUNNING.value, 7200, started_at=NOW - timedelta(minutes=90)),
        job("koeln_sued", "printer-2", JobState.QUEUED.value, 60),  # an offline printer is never offered
    )
    yield office


def test_the_suggestion_is_the_customers_city_with_the_earliest_free_machine_stale_stores_last(
    office: HeadOffice,
) -> None:
    orders = office.orders
    choices = orders.stores_for(["fdm_printer"], "Köln")
    assert [c.id for c in choices] == ["koeln_sued", "koeln_nord", "berlin"]  # no printer in Hamburg
    assert choices[0].machine_id == "printer-1" and choices[0].free_at == NOW + timedelta(minutes=30)
    assert choices[1].free_at == NOW + timedelta(hours=1)
    suggested = orders.suggest(["fdm_printer"], "Berlin")
    assert suggested is not None and suggested.id == "berlin"
    elsewhere = orders.suggest(["laser_engraver"], "München")  # no store in the city: the earliest anywhere
    assert elsewhere is not None and elsewhere.id in {"berlin", "hamburg"}
    arrive(office, machine("koeln_sued", "printer-1", "fdm_printer", age_s=600))  # Köln Süd went quiet
    try:
        choices = orders.stores_for(["fdm_printer"], "Köln")
        assert [(c.id, c.stale) for c in choices] == [("koeln_nord", False), ("berlin", False), ("koeln_sued", True)]
    finally:
        arrive(office, machine("koeln_sued", "printer-1", "fdm_printer"))


def test_an_order_is_priced_here_and_its_link_tells_the_truth_while_it_travels(office: HeadOffice) -> None:
    orders = office.orders
    result = office.services.pipeline.quote_template("keychain", {"name": "Lena"}, printer(orders))
    token = orders.place(result, "berlin", "Lena")
    with office.services.sessions() as session:
        row = session.scalars(select(HqOrderRow).where(HqOrderRow.store == "berlin")).one()
    assert (row.template_id, row.parameters["name"], row.machine_kind, row.material) == (
        "keychain",
        "Lena",
        "fdm_printer",
        "PLA",
    )
    assert row.total == result.quote.total > 0 and row.token_hash == token_hash(token) and token not in row.token_hash
    view = orders.follow(token)
    assert view is not None and view.stage == "sent" and stage_words(view).msgid == "Sent to the store"
    assert orders.follow(secrets.token_urlsafe(24)) is None

    arrive(
        office,
        machine("berlin", "printer-1", "fdm_printer", age_s=600),
        machine("berlin", "laser-1", "laser_engraver", age_s=600),
    )
    view = orders.follow(token)
    assert view is not None and view.store is not None and view.store.stale
    assert stage_words(view).msgid.startswith("Waiting: the store cannot be reached")  # it waits, and says so

    taken = job("berlin", "printer-1", JobState.AWAITING_APPROVAL.value, source="remote", hq_order_id=row.id)
    arrive(office, taken, event("berlin", taken.id, 901, None, "submitted", 2))
    arrive(office, event("berlin", taken.id, 902, "submitted", "awaiting_approval", 2))
    view = orders.follow(token)
    assert view is not None and (view.stage, view.job_state) == ("at_store", "awaiting_approval")
    assert stage_words(view).msgid == "The store has it"
    assert [state for _, state in view.events] == ["submitted", "awaiting_approval"]

    taken.state = JobState.RUNNING.value
    printing = machine("berlin", "printer-1", "fdm_printer", state="running")
    printing.job_id, printing.progress = taken.id, 0.425
    arrive(office, taken, printing, event("berlin", taken.id, 903, "awaiting_approval", "queued", 1))
    view = orders.follow(token)
    assert view is not None and (view.job_state, view.percent) == ("running", 42)  # as the store reported it


def test_an_order_the_store_refused_says_so_with_the_stores_reason(office: HeadOffice) -> None:
    orders = office.orders
    result = office.services.pipeline.quote_template("keychain", {"name": "Bo"}, printer(orders))
    token = orders.place(result, "koeln_nord", "Bo")
    with office.services.sessions() as session:
        order_id = session.scalar(select(HqOrderRow.id).where(HqOrderRow.customer_name == "Bo"))
    reason = "This store's price for it has changed since you were given yours. Please order again."
    refused = job("koeln_nord", "printer-1", "cancelled", source="remote", hq_order_id=order_id, reason=reason)
    arrive(
        office,
        refused,
        event("koeln_nord", refused.id, 1, None, "submitted", 1),
        event("koeln_nord", refused.id, 2, "submitted", "awaiting_approval", 1),
        event("koeln_nord", refused.id, 3, "awaiting_approval", "cancelled", 1),
    )
    view = orders.follow(token)
    assert view is not None and view.stage == "refused" and view.reason == reason
    assert stage_words(view).msgid == "The store could not take your order"


def test_the_link_shows_only_its_own_stores_job(office: HeadOffice) -> None:
    """Two stores may number their jobs alike: the job for an order is the one of the order's store."""
    orders: HqOrders = office.orders
    result = office.services.pipeline.quote_template("keychain", {"name": "Cy"}, printer(orders))
    token = orders.place(result, "koeln_sued", "Cy")
    with office.services.sessions() as session:
        order_id = session.scalar(select(HqOrderRow.id).where(HqOrderRow.customer_name == "Cy"))
    arrive(office, job("berlin", "printer-1", "running", source="remote", hq_order_id=order_id))  # not its store
    view = orders.follow(token)
    assert view is not None and view.stage == "sent"
