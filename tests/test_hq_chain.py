"""An order placed at the head office, end to end through PostgreSQL logical replication (a head office and two
stores, each its own cluster): it reaches its store and only that store, the store's intake makes it a job that
staff approve and make, and the customer's link at the head office follows every step ("sent to the store", "the
store has it", then the store's own states)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.access import Principal, Role
from app.chain.hq_orders import stage_words
from app.chain.hq_server import HeadOffice, build_head_office
from app.chain.orders import OrderIntake
from app.jobs import Actor, JobState
from tests.chain_members import Member, running_chain, wait_until

Chain = tuple[dict[str, Member], HeadOffice]


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    with running_chain({"koeln": "Köln", "berlin": "Berlin"}) as (hq, stores):
        office = build_head_office(hq.settings)
        try:
            yield stores, office
        finally:
            office.services.engine.dispose()


def test_an_order_at_the_head_office_is_made_in_its_store_and_its_link_follows_it(chain: Chain) -> None:
    stores, office = chain
    orders = office.orders
    wait_until(lambda: [c.id for c in orders.stores_for(["fdm_printer"], "Berlin")][:1] == ["berlin"], 30)
    suggested = orders.suggest(["fdm_printer"], "Berlin")
    assert suggested is not None and suggested.id == "berlin" and not suggested.stale
    machine_id = orders.machine_for("fdm_printer")
    assert machine_id is not None
    result = office.services.pipeline.quote_template("keychain", {"name": "Lena"}, machine_id)
    token = orders.place(result, "berlin", "Lena")
    view = orders.follow(token)
    assert view is not None and stage_words(view).msgid == "Sent to the store"

    berlin, koeln = stores["berlin"], stores["koeln"]
    wait_until(lambda: berlin.scalar("SELECT count(*) FROM hq_orders") == 1, 30)  # the row filter: Berlin's only
    assert koeln.scalar("SELECT count(*) FROM hq_orders") == 0
    services = berlin.services
    assert services is not None and services.jobs is not None and services.store is not None
    [taken] = OrderIntake("berlin", services.sessions, services.pipeline, services.jobs).take_all()
    assert taken.refused is None and taken.job_id is not None
    job_id = taken.job_id

    def stage() -> tuple[str, str | None]:
        seen = orders.follow(token)
        assert seen is not None
        return seen.stage, seen.job_state

    wait_until(lambda: stage() == ("at_store", JobState.AWAITING_APPROVAL.value), 30)  # "the store has it"
    staff = Principal(Role.STAFF, name="sam", store="berlin")
    services.store.approve(staff, job_id)
    services.store.dispatch()
    assert services.jobs.get(job_id).state is JobState.WAITING_FOR_MACHINE_READY
    services.jobs.start(job_id, Actor.STAFF)  # a staff member at the machine starts it
    wait_until(lambda: services.jobs.get(job_id).state is JobState.READY_FOR_PICKUP, 60)
    wait_until(lambda: stage() == ("at_store", JobState.READY_FOR_PICKUP.value), 30)
    view = orders.follow(token)
    assert view is not None and view.store is not None and view.store.id == "berlin"
    states = [state for _, state in view.events]
    assert states[0] == "submitted" and states[-1] == "ready_for_pickup" and "running" in states
