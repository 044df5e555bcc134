"""Jobs on the real simulated printer: start needs presence, customers act on their own job, every move is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.dispatch import reconcile
from app.jobs import Actor, JobRefused, JobService, JobState
from app.models import JobRow
from app.services import Services
from machine_adapters.base import MachineAction, MachineState
from tests.conftest import eventually


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def keychain_job(services: Services, jobs: JobService, name: str = "Anna") -> tuple[str, str]:
    quote = services.pipeline.quote_template("keychain", {"name": name}, "printer-1")
    new = jobs.create(quote.quote_id)
    return new.job.id, new.token


def test_a_kiosk_job_runs_to_ready_for_pickup_with_every_step_stored(store: tuple[Services, JobService]) -> None:
    services, jobs = store
    job_id, token = keychain_job(services, jobs)
    assert jobs.get(job_id).state is JobState.WAITING_FOR_MACHINE_READY
    live = jobs.live(job_id)
    jobs.start(job_id, Actor.KIOSK)
    assert live.state == "running" and live.layers == 18 and live.eta is not None
    eventually(lambda: jobs.get(job_id).state is JobState.READY_FOR_PICKUP)
    assert live.percent == 100.0 and live.layer == 18
    moves = [(e.from_state, e.to_state, e.actor) for e in jobs.events(job_id)]
    assert moves == [
        (None, "submitted", "kiosk"),
        ("submitted", "queued", "system"),
        ("queued", "waiting_for_machine_ready", "system"),
        ("waiting_for_machine_ready", "running", "kiosk"),
        ("running", "finishing", "machine"),
        ("finishing", "ready_for_pickup", "machine"),
    ]
    assert jobs.find(token) is not None


def test_a_price_is_accepted_once_and_only_while_valid(store: tuple[Services, JobService]) -> None:
    services, jobs = store
    quote = services.pipeline.quote_template("keychain", {"name": "Once"}, "printer-1")
    jobs.create(quote.quote_id)
    with pytest.raises(JobRefused, match="already accepted"):
        jobs.create(quote.quote_id)
    later = services.pipeline.quote_template("keychain", {"name": "Late"}, "printer-1")
    jobs.clock = lambda: datetime.now(UTC) + timedelta(days=30)
    with pytest.raises(JobRefused, match="no longer valid"):
        jobs.create(later.quote_id)


def test_a_phone_pauses_and_resumes_its_own_pause_but_never_starts_or_resumes_the_kiosks(
    store: tuple[Services, JobService],
) -> None:
    services, jobs = store
    job_id, _ = keychain_job(services, jobs)
    with pytest.raises(JobRefused, match="only be started at the machine"):
        jobs.start(job_id, Actor.PHONE)
    jobs.start(job_id, Actor.KIOSK)
    eventually(lambda: jobs.live(job_id).percent > 2)
    jobs.act(job_id, MachineAction.PAUSE, Actor.KIOSK)
    eventually(lambda: jobs.get(job_id).state is JobState.PAUSED)
    with pytest.raises(JobRefused, match="Only whoever paused"):
        jobs.act(job_id, MachineAction.RESUME, Actor.PHONE)
    jobs.act(job_id, MachineAction.RESUME, Actor.KIOSK)
    eventually(lambda: jobs.get(job_id).state is JobState.RUNNING)
    jobs.act(job_id, MachineAction.PAUSE, Actor.PHONE)
    eventually(lambda: jobs.get(job_id).state is JobState.PAUSED)
    assert jobs.get(job_id).paused_by == "phone"
    jobs.act(job_id, MachineAction.RESUME, Actor.PHONE)
    eventually(lambda: jobs.get(job_id).state is JobState.READY_FOR_PICKUP)


def test_stop_cancels_the_job_and_leaves_the_machine_for_staff(store: tuple[Services, JobService]) -> None:
    services, jobs = store
    job_id, _ = keychain_job(services, jobs)
    jobs.start(job_id)
    eventually(lambda: jobs.live(job_id).percent > 1)
    jobs.act(job_id, MachineAction.STOP, Actor.PHONE)
    eventually(lambda: jobs.get(job_id).state is JobState.CANCELLED)
    job = jobs.get(job_id)
    assert job.reason == "Stopped with the STOP button." and jobs.events(job_id)[-1].actor == "phone"
    machine = services.fleet.machines["printer-1"]  # type: ignore[union-attr]
    assert machine.status.state is MachineState.HALTED and machine.status.needs_staff
    next_id, _ = keychain_job(services, jobs, "Next")
    with pytest.raises(JobRefused, match="needs the staff"):
        jobs.start(next_id)


def test_cancel_asks_the_machine_and_ends_the_job(store: tuple[Services, JobService]) -> None:
    services, jobs = store
    job_id, _ = keychain_job(services, jobs)
    jobs.start(job_id)
    eventually(lambda: jobs.live(job_id).percent > 1)
    jobs.act(job_id, MachineAction.CANCEL, Actor.KIOSK)
    eventually(lambda: jobs.get(job_id).state is JobState.CANCELLED)
    assert services.fleet.machines["printer-1"].status.state is MachineState.IDLE  # type: ignore[union-attr]


def test_links_open_nothing_when_unknown_collected_or_expired(store: tuple[Services, JobService]) -> None:
    services, jobs = store
    job_id, token = keychain_job(services, jobs)
    other_id, other = keychain_job(services, jobs, "Bo")
    assert jobs.find(token) is not None
    assert jobs.find("x" * 32) is None and jobs.find(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert jobs.find("") is None and jobs.find("a" * 5000) is None
    jobs.act(job_id, MachineAction.CANCEL, Actor.KIOSK)
    clock = Clock()
    jobs.clock = clock
    clock.now += timedelta(hours=services.settings.link_hours_after_end + 1)
    assert jobs.find(token) is None
    with services.sessions.begin() as session:  # as if it had finished and been handed over
        row = session.get(JobRow, other_id)
        assert row is not None
        row.state, row.ended_at = JobState.READY_FOR_PICKUP.value, clock.now
    assert jobs.find(other) is not None
    jobs.mark_collected(other_id)
    assert jobs.find(other) is None


def test_a_job_the_database_says_runs_but_no_machine_reports_is_held_after_a_restart(
    store: tuple[Services, JobService],
) -> None:
    services, jobs = store
    job_id, _ = keychain_job(services, jobs)
    with services.sessions.begin() as session:
        row = session.get(JobRow, job_id)
        assert row is not None
        row.state = JobState.RUNNING.value
    reconcile(jobs)
    job = jobs.get(job_id)
    assert job.state is JobState.HELD and "restarted" in job.reason
