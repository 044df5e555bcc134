"""The machine as it is now: programs are checked against the material staff loaded, at the quote and again at the
start; and a program whose skirt leaves the bed gets no price."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import trimesh

from app.designs.problems import DesignRejected
from app.jobs import Actor, JobRefused, JobService, JobState
from app.services import Services
from machine_adapters.gcode import ProgramRejected, validate_program
from machine_adapters.profiles import load_machines
from tests.conftest import eventually, stl_bytes


def test_a_petg_job_runs_on_the_demo_printer_once_staff_loaded_petg(store: tuple[Services, JobService]) -> None:
    services, jobs = store
    jobs.machine_settings.set_material("printer-1", "PETG")  # the staff console's material setting
    quote = services.pipeline.quote_template("keychain", {"name": "Pet"}, "printer-1")
    assert quote.plan.material == "PETG"
    job_id = jobs.create(quote.quote_id).job.id
    printer = services.fleet.machines["printer-1"] if services.fleet else None
    assert printer is not None
    eventually(lambda: printer.status.state.value == "idle")
    jobs.start(job_id, Actor.KIOSK)
    assert jobs.prepare(job_id).program.material == "PETG"
    eventually(lambda: jobs.get(job_id).state is JobState.READY_FOR_PICKUP)


def test_the_start_checks_again_after_staff_loaded_another_material(store: tuple[Services, JobService]) -> None:
    services, jobs = store
    jobs.machine_settings.set_material("printer-1", "PETG")
    quote = services.pipeline.quote_template("keychain", {"name": "Swap"}, "printer-1")
    job_id = jobs.create(quote.quote_id).job.id
    assert jobs.prepare(job_id).program.material == "PETG"  # checked and kept for the start
    jobs.machine_settings.set_material("printer-1", "PLA")  # PETG's 240 °C nozzle is above PLA's range
    with pytest.raises(JobRefused, match="safety check refused"):
        jobs.start(job_id, Actor.STAFF)
    assert jobs.get(job_id).state is JobState.WAITING_FOR_MACHINE_READY


def test_the_loaded_materials_laser_cap_applies_not_the_one_in_the_machines_file() -> None:
    laser = load_machines(Path(__file__).parent.parent / "assets" / "machines.example.toml")["laser-1"]
    acrylic = replace(laser.materials["acrylic_3mm"], laser_power_max_pct=50)
    laser = replace(laser, materials={**laser.materials, "acrylic_3mm": acrylic})  # a store's weaker cap
    program = "G21\nG90\nG0 X0 Y0\nM4 S700\nG1 X10 F3000\nM5"
    assert validate_program(program, laser).material == "plywood_3mm"  # 70 % within plywood's 80 %
    with pytest.raises(ProgramRejected) as caught:
        validate_program(program, laser, "acrylic_3mm")
    assert [f.rule for f in caught.value.findings] == ["laser_power_too_high"]
    program_at_half = program.replace("S700", "S500")
    assert validate_program(program_at_half, laser, "acrylic_3mm").material == "acrylic_3mm"


def test_a_part_whose_skirt_leaves_the_bed_gets_no_price(services: Services) -> None:
    # 216 mm fits the 220 mm bed, but the slicer's skirt 4 mm around it does not
    plate = stl_bytes(trimesh.creation.box((216, 216, 1)))
    with pytest.raises(DesignRejected) as caught:
        services.pipeline.quote_upload(plate, "plate.stl", "printer-1")
    assert [p.code for p in caught.value.problems] == ["plan.refused_by_machine_check"]
    smaller = stl_bytes(trimesh.creation.box((200, 200, 1)))
    assert services.pipeline.quote_upload(smaller, "plate.stl", "printer-1").quote.total > 0


def test_a_material_the_machine_does_not_list_is_refused_before_any_line() -> None:
    printer = load_machines(Path(__file__).parent.parent / "assets" / "machines.example.toml")["printer-1"]
    with pytest.raises(ProgramRejected) as caught:
        validate_program("G90\nM83\nG28", printer, "ABS")
    assert [(f.line, f.rule) for f in caught.value.findings] == [(0, "unknown_material")]
