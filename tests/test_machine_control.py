"""Machine control never waits behind design work: with every design-work thread and NiceGUI's worker pool busy, a
checked job still starts at once; STOP reaches the machine even with every machine-control thread busy too."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from nicegui import run

from app.access import Action, kiosk_customer
from app.design_queue import Client
from app.fleet import Fleet
from app.jobs import JobState
from app.machine_control import CONTROL_THREADS, control, stop
from app.services import Services
from tests.conftest import eventually
from tests.test_jobs import keychain_job

BUSY = 40  # more blocked calls than either pool has threads


def control_threads() -> int:
    """Machine-control threads started: each takes one of the waiting tasks, so all of them are busy."""
    return sum(t.name.startswith("machine-control") for t in threading.enumerate())


@pytest.fixture
def running_store(fast: Services) -> Iterator[Services]:
    fleet = Fleet.build(fast.machines)
    fast.run_machines(fleet)
    fleet.connect_all()
    try:
        yield fast
    finally:
        fleet.disconnect_all()


async def test_start_and_stop_complete_while_every_design_thread_is_busy(running_store: Services) -> None:
    services = running_store
    jobs, store, queue = services.jobs, services.store, services.design_queue
    assert jobs is not None and store is not None and queue is not None
    job_id, _ = await asyncio.to_thread(keychain_job, services, jobs)
    await asyncio.to_thread(jobs.prepare, job_id)  # a checked job, as at the kiosk's checklist
    machine = services.fleet.machines["printer-1"] if services.fleet else None
    assert machine is not None
    await asyncio.to_thread(eventually, lambda: machine.status.state.value == "idle")

    release = threading.Event()
    busy = [asyncio.ensure_future(run.io_bound(release.wait, 60)) for _ in range(BUSY)]
    for number in range(BUSY):  # a flood of remote pages: every design-work thread taken, more waiting
        ticket = queue.begin(Client(f"flood-{number}", f"10.0.0.{number % 5}"))
        busy.append(asyncio.ensure_future(ticket.run(release.wait, 60)))
    await asyncio.to_thread(eventually, lambda: queue.waiting() > 0, 10, "design work to queue up")
    try:
        started = time.monotonic()
        await asyncio.wait_for(
            control(store.job_action, kiosk_customer(job_id, frozenset({"printer-1"})), job_id, Action.START), 5
        )
        start_s = time.monotonic() - started
        assert jobs.get(job_id).state is JobState.RUNNING
        # and STOP has its own lane: it does not wait even when every machine-control thread is taken
        busy += [asyncio.ensure_future(control(release.wait, 60)) for _ in range(CONTROL_THREADS + 2)]
        await asyncio.to_thread(eventually, lambda: control_threads() >= CONTROL_THREADS, 10, "control threads taken")
        started = time.monotonic()
        await asyncio.wait_for(
            stop(store.job_action, kiosk_customer(job_id, frozenset({"printer-1"})), job_id, Action.STOP), 5
        )
        stop_s = time.monotonic() - started
        assert queue.waiting() > 0, "design work was still queued the whole time"
    finally:
        release.set()
        await asyncio.gather(*busy, return_exceptions=True)
    await asyncio.to_thread(eventually, lambda: jobs.get(job_id).state is JobState.CANCELLED)
    assert start_s < 1.0 and stop_s < 1.0, (start_s, stop_s)
