"""Router toolpaths from the coaster template, checked against the motion the GRBL simulator executed: the cut
stays a tool radius outside the design, never deeper than the material's cut depth, tabs hold the piece, every
travel happens above the stock with the spindle already at speed; the estimate is within 15 % of the simulated
time, and the job runs on the demo router to ready for pickup."""

from __future__ import annotations

import itertools

import pytest
from shapely.geometry import LineString, Point
from shapely.ops import unary_union

from app.config import load_settings
from app.designs.problems import DesignRejected
from app.fleet import Fleet
from app.jobs import Actor, JobRefused, JobState
from app.pipeline import QuoteResult
from app.production import cnc_paths
from app.services import Services, build_services
from machine_adapters.grbl import GrblMachine
from machine_adapters.registry import simulated_grbl_firmware
from machine_adapters.simulators.grbl import Block, GrblSimulator
from tests.conftest import eventually, run_through_grbl_host, run_to_pickup

COASTER = {"initials": "KM", "size": 80}
Coaster = tuple[Services, QuoteResult, GrblSimulator]


@pytest.fixture(scope="module")
def coaster(tmp_path_factory: pytest.TempPathFactory) -> Coaster:
    folder = tmp_path_factory.mktemp("coaster")
    services = build_services(load_settings(None, data_dir=str(folder / "data")))
    result = services.pipeline.quote_template("coaster", COASTER, "router-1")
    assert result.plan.program_path is not None
    return services, result, run_through_grbl_host(services.machines["router-1"], result.plan.program_path)


def cutting(blocks: list[Block]) -> list[tuple[Block, Block]]:
    """Moves that end below the stock's top, with the block before them (where the move starts)."""
    return [(a, b) for a, b in itertools.pairwise(blocks) if b.command in ("G0", "G1") and b.target[2] < 0]


def test_the_cut_runs_a_tool_radius_outside_the_design_and_the_engraving_inside_it(coaster: Coaster) -> None:
    services, result, firmware = coaster
    material = services.cnc_materials["plywood_6mm"]
    job = cnc_paths.cnc_job(result.part.drawing.region, material, services.machines["router-1"])
    designed = unary_union(job.outline)
    allowed = designed.buffer(material.tool.radius_mm + 0.05)
    moves = cutting(firmware.executed)
    assert moves
    for before, move in moves:
        line = LineString([before.target[:2], move.target[:2]]) if before.target[:2] != move.target[:2] else None
        assert allowed.contains(line or Point(move.target[:2])), (before, move)
    deepest = [m for _, m in moves if m.target[2] <= -material.cut_depth_mm + 1e-6]
    assert deepest, "the cut never went through the sheet"
    for block in deepest:  # the through-cut is exactly a tool radius off the designed outline
        distance = designed.exterior.distance(Point(block.target[:2])) if hasattr(designed, "exterior") else None
        assert distance is not None and abs(distance - material.tool.radius_mm) < 0.1, block


def test_depth_never_goes_below_the_cut_depth_and_tabs_hold_the_piece(coaster: Coaster) -> None:
    services, _result, firmware = coaster
    material = services.cnc_materials["plywood_6mm"]
    depths = {round(b.target[2], 3) for b in firmware.executed if b.command in ("G0", "G1")}
    assert min(depths) == pytest.approx(-material.cut_depth_mm, abs=1e-3)
    steps = sorted(d for d in depths if d < 0)
    assert all(b - a <= material.step_down_mm + 1e-6 for a, b in zip([0.0, *steps[::-1]], steps[::-1], strict=False))
    tab_top = round(-material.thickness_mm + material.tabs.height_mm, 3)
    over_tabs = [b for b in firmware.executed if b.command == "G1" and round(b.target[2], 3) == tab_top]
    assert len(over_tabs) >= material.tabs.count, "no tabs on the last passes"
    engraved = {round(b.target[2], 3) for b in firmware.executed if b.command == "G1" and -1.0 < b.target[2] < 0}
    assert -material.engrave_depth_mm in engraved


def test_travel_is_above_the_stock_with_the_spindle_at_speed_before_the_first_cut(coaster: Coaster) -> None:
    services, _result, firmware = coaster
    material = services.cnc_materials["plywood_6mm"]
    blocks = firmware.executed
    first_cut = next(i for i, b in enumerate(blocks) if b.target[2] < 0)
    dwell = [i for i, b in enumerate(blocks[:first_cut]) if b.command == "G4"]
    assert dwell and blocks[dwell[0]].seconds == material.tool.spin_up_s
    assert all(b.spindle == "M3" for b in blocks[dwell[0] : first_cut + 1])
    for before, move in itertools.pairwise(blocks):
        if move.command == "G0" and before.target[:2] != move.target[:2]:
            assert before.target[2] >= material.tool.safe_z_mm - 1e-6 and move.target[2] >= material.tool.safe_z_mm
        if move.target[2] < 0:
            assert move.spindle == "M3" and move.power == material.rpm
    assert blocks[-1].spindle == "M5" and blocks[-1].target == (0.0, 0.0, material.tool.safe_z_mm)


def test_the_estimate_is_within_15_percent_of_the_simulators_motion_time(coaster: Coaster) -> None:
    _services, result, firmware = coaster
    simulated = sum(block.seconds for block in firmware.executed)
    estimate = result.plan.estimated_seconds
    assert abs(estimate - simulated) <= 0.15 * simulated, (estimate, simulated)


def test_the_router_refuses_laser_materials(services: Services) -> None:
    with pytest.raises(DesignRejected, match="cannot run"):
        services.pipeline.quote_template("coaster", COASTER, "router-1", material="acrylic_3mm")


def test_a_coaster_job_runs_on_the_demo_router_to_ready_for_pickup(fast: Services) -> None:
    run_to_pickup(fast, "coaster", COASTER, "router-1")


def test_frame_traces_the_outline_at_safe_height_with_the_spindle_off_and_only_at_the_machine(
    services: Services,
) -> None:
    profile = services.machines["router-1"]
    firmware = simulated_grbl_firmware(profile, 0.0)
    fleet = Fleet(machines={"router-1": GrblMachine(profile, lambda: firmware, reply_timeout_s=5)})
    jobs = services.run_machines(fleet)
    fleet.connect_all()
    try:
        quote = services.pipeline.quote_template("coaster", COASTER, "router-1")
        job_id = jobs.create(quote.quote_id).job.id
        # a quick quote can come before the machine has answered its first report
        eventually(lambda: fleet.machines["router-1"].status.state.value == "idle", 10, "the router to be ready")
        with pytest.raises(JobRefused, match="only be shown at the machine"):
            jobs.frame(job_id, Actor.PHONE)
        jobs.frame(job_id, Actor.KIOSK)
        eventually(
            lambda: len(firmware.executed) >= 6 and fleet.machines["router-1"].status.state.value == "idle",
            10,
            "the frame to be traced",
        )
        assert jobs.get(job_id).state is JobState.WAITING_FOR_MACHINE_READY  # framing is not starting
        blocks = firmware.executed
        assert all(b.command == "G0" and b.spindle == "M5" for b in blocks)
        material = services.cnc_materials["plywood_6mm"]
        assert min(b.target[2] for b in blocks) >= material.tool.safe_z_mm
        job = cnc_paths.cnc_job(quote.part.drawing.region, material, profile)
        x0, y0, x1, y1 = unary_union(job.outline).buffer(material.tool.radius_mm).bounds
        corners = {(round(b.target[0]), round(b.target[1])) for b in blocks}
        assert {(round(x0), round(y0)), (round(x1), round(y1))} <= corners
        jobs.start(job_id, Actor.KIOSK)
        with pytest.raises(JobRefused, match="before the job starts"):
            jobs.frame(job_id, Actor.KIOSK)
    finally:
        fleet.disconnect_all()
