"""Laser toolpaths from the name-sign template: valid for the engraver, M4 only, engrave then cut, and a time
estimate within 15 % of the GRBL simulator's own motion time; the job runs to the end on the real GRBL host."""

from __future__ import annotations

import math

import pytest

from app.designs.problems import DesignRejected
from app.services import Services
from machine_adapters.gcode import validate_program
from tests.conftest import run_quote_to_pickup, run_through_grbl_host, run_to_pickup


def test_the_name_sign_is_engraved_then_cut_with_dynamic_power_only(services: Services) -> None:
    result = services.pipeline.quote_template("name_sign", {"name": "Ada"}, "laser-1")
    assert result.plan.program_path is not None
    text = result.plan.program_path.read_text()
    program = validate_program(text, services.machines["laser-1"])  # the validator accepts it as it is
    lines = list(program)
    assert not any(line.startswith("M3") for line in lines) and "M5" in lines
    powers = {float(word[1:]) for line in lines for word in line.split() if word.startswith("S")}
    assert max(powers) <= 0.8 * services.machines["laser-1"].spindle_s_max  # the material's cap
    burns = [i for i, line in enumerate(lines) if line.startswith("G1") and " S" in line and " S0" not in line]
    cut_power, engrave_power = 800, 292  # plywood: cut 80 %; engrave 35 % at 120 mm/s, at 100 mm/s 29.2 %
    assert lines[burns[0]].split(" S")[1].split()[0] == str(engrave_power)
    assert lines[burns[-1]].split(" S")[1].split()[0] == str(cut_power)  # the cut comes last
    assert result.plan.estimated_seconds > 30


def test_materials_that_must_never_be_lasered_cannot_be_chosen(services: Services) -> None:
    with pytest.raises(DesignRejected, match="cannot run"):
        services.pipeline.quote_template("name_sign", {"name": "Ada"}, "laser-1", material="pvc")


def test_the_estimate_is_within_15_percent_of_the_simulators_motion_time(services: Services) -> None:
    result = services.pipeline.quote_template("name_sign", {"name": "Familie Weber"}, "laser-1")
    assert result.plan.program_path is not None
    firmware = run_through_grbl_host(services.machines["laser-1"], result.plan.program_path)
    simulated = sum(block.seconds for block in firmware.executed)
    assert abs(result.plan.estimated_seconds - simulated) <= 0.15 * simulated, (
        result.plan.estimated_seconds,
        simulated,
    )


def test_a_name_sign_job_runs_on_the_demo_laser_to_ready_for_pickup(fast: Services) -> None:
    run_to_pickup(fast, "name_sign", {"name": "Ada"}, "laser-1")


WASHER = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40mm" height="40mm" viewBox="0 0 40 40">'
    b'<path fill-rule="evenodd" d="M20 2 A18 18 0 1 1 19.99 2 Z M20 12 A8 8 0 1 0 20.01 12 Z"/></svg>'
)


def test_a_drawing_with_a_hole_is_priced_and_its_hole_cut_before_its_outline(services: Services) -> None:
    result = services.pipeline.quote_upload(WASHER, "washer.svg", "laser-1")
    assert result.plan.program_path is not None and result.quote.total > 0
    lines = list(validate_program(result.plan.program_path.read_text(), services.machines["laser-1"]))
    moves = [line.split() for line in lines if line.startswith("G1")]
    radii = [math.dist((float(m[1][1:]), float(m[2][1:])), (23, 23)) for m in moves]  # 36 mm washer, 5 mm margin
    # nothing drawn inside the hole, so nothing is engraved: the hole (radius 8) is cut first, then the outline
    # (radius 18), which frees the piece last
    assert radii[0] == pytest.approx(8, abs=0.2) and radii[-1] == pytest.approx(18, abs=0.2)
    assert all(r < 8.2 or r > 17.8 for r in radii)
    assert {round(r) for r in radii} == {8, 18}


def test_a_washer_runs_on_the_demo_laser_to_ready_for_pickup(fast: Services) -> None:
    run_quote_to_pickup(fast, lambda: fast.pipeline.quote_upload(WASHER, "washer.svg", "laser-1"), "laser-1")
