"""Jobs on a printer behind a real OctoPrint: made from a customer's file, followed again after fabkiosk restarts."""

from __future__ import annotations

from pathlib import Path

import trimesh

from app.config import load_settings
from app.fleet import Fleet
from app.jobs import Actor, JobService, JobState
from app.services import Services, build_services
from bench.octoprint_host import OctoPrintServer
from tests.conftest import stl_bytes
from tests.machine_adapters.test_octoprint import profile_for, wait_for


def open_store(folder: Path) -> tuple[Services, Fleet, JobService]:
    """fabkiosk starting up: services, the machines, the job service; jobs reconciled as each machine answers."""
    settings = load_settings(None, data_dir=str(folder / "data"), machines_file=str(folder / "machines.toml"))
    services = build_services(settings)
    fleet = Fleet.build(services.machines)
    jobs = services.run_machines(fleet)
    fleet.connect_all(then=jobs.reconcile)
    return services, fleet, jobs


def test_a_job_behind_octoprint_is_followed_again_after_fabkiosk_restarts(
    octoprint: OctoPrintServer, tmp_path: Path
) -> None:
    profile_for(tmp_path, octoprint)  # the machines file: printer-1 behind this OctoPrint
    services, fleet, jobs = open_store(tmp_path)
    machine = fleet.machines["printer-1"]
    wait_for(lambda: machine.status.state.value == "idle", 30, "the printer")
    quote = services.pipeline.quote_upload(stl_bytes(trimesh.creation.box((8, 8, 1.2))), "tag.stl", "printer-1")
    job_id = jobs.create(quote.quote_id).job.id
    jobs.start(job_id, Actor.KIOSK)
    wait_for(lambda: jobs.live(job_id).percent > 0, 90, "printing (after heating up)")
    fleet.disconnect_all()  # fabkiosk stops; OctoPrint prints on
    assert octoprint.call("GET", "/api/job")["state"] == "Printing"

    _, fleet, jobs = open_store(tmp_path)
    try:
        wait_for(lambda: jobs.get(job_id).state is JobState.READY_FOR_PICKUP, 120, "the job to finish")
        moves = [(e.from_state, e.to_state) for e in jobs.events(job_id)]
        assert ("running", "held") not in moves and moves[-1] == ("finishing", "ready_for_pickup")
        assert jobs.live(job_id).percent == 100.0
    finally:
        fleet.disconnect_all()
