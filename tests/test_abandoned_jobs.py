"""A kiosk job left at "At the machine" (browser gone) expires and frees its machine; staff cancel any job that has
not started yet."""

from __future__ import annotations

from app.access import Action, Principal, Role, phone_customer
from app.jobs import Actor, JobService, JobState
from app.services import Services
from tests.conftest import eventually
from tests.test_jobs import keychain_job


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_kiosk_job_nobody_starts_expires_and_frees_its_machine(store: tuple[Services, JobService]) -> None:
    services, jobs = store
    clock = Monotonic()
    jobs.monotonic = clock
    assert services.store is not None and services.fleet is not None
    job_id, _ = keychain_job(services, jobs)
    machine = services.fleet.machines["printer-1"]
    eventually(lambda: machine.status.state.value == "idle")
    dispatcher = services.store.dispatcher
    assert jobs.get(job_id).state is JobState.WAITING_FOR_MACHINE_READY
    assert not dispatcher.free("printer-1", jobs.queue())  # the job waiting there holds the machine

    services.store.dispatch()  # the first round sees it waiting
    clock.now += 500
    jobs.still_at_machine(job_id)  # the kiosk page still shows it: the customer is reading the checklist
    clock.now += 500
    services.store.dispatch()
    assert jobs.get(job_id).state is JobState.WAITING_FOR_MACHINE_READY, "shown 500 s ago: not abandoned"

    clock.now += services.settings.abandoned_job_s  # no page showed it since: the browser is gone
    services.store.dispatch()
    job = jobs.get(job_id)
    assert job.state is JobState.CANCELLED and "Nobody started it" in job.reason
    assert dispatcher.free("printer-1", jobs.queue())


def test_staff_cancel_any_job_that_has_not_started(store: tuple[Services, JobService]) -> None:
    services, jobs = store
    assert services.store is not None
    staff = Principal(Role.STAFF, name="sam")
    quote = services.pipeline.quote_template("keychain", {"name": "Remote"}, "printer-1")
    remote = jobs.create(quote.quote_id, source="remote", actor=Actor.PHONE, customer_name="Rita").job
    assert remote.state is JobState.AWAITING_APPROVAL
    services.store.job_action(staff, remote.id, Action.CANCEL)
    assert jobs.get(remote.id).state is JobState.CANCELLED

    waiting, _ = keychain_job(services, jobs, "Kai")
    services.store.job_action(staff, waiting, Action.CANCEL)
    assert jobs.get(waiting).state is JobState.CANCELLED

    other = services.pipeline.quote_template("keychain", {"name": "Own"}, "printer-1")
    own = jobs.create(other.quote_id, source="remote", actor=Actor.PHONE, customer_name="Olga").job
    services.store.job_action(phone_customer(own.id), own.id, Action.CANCEL)  # the customer's own order, too
    assert jobs.get(own.id).state is JobState.CANCELLED
