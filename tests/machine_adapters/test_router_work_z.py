"""A router's programs may use the Z its work zero leaves them (-10 to 30 mm on the demo's 40 mm axis), not the
axis's full travel both ways: beyond it the controller's soft limits would stop the job mid-cut. Below the stock's
top, the stock's thickness and the spoil board allowance bound it first (6 + 0.5 mm for the demo's plywood)."""

from __future__ import annotations

from pathlib import Path

import pytest

from machine_adapters.gcode import ProgramRejected, validate_program
from machine_adapters.profiles import ProfileError, load_machines
from machine_adapters.registry import simulated_grbl_firmware
from tests.conftest import run_through_grbl_host

EXAMPLE = Path(__file__).parents[2] / "assets" / "machines.example.toml"
ROUTER = load_machines(EXAMPLE)["router-1"]


def program(z: float) -> str:
    return f"G21\nG90\nG0 Z5\nG0 X10 Y10\nM3 S12000\nG1 Z{z} F300\nG0 Z5\nM5\n"


@pytest.mark.parametrize("z", [-6.5, 30.0])
def test_the_router_may_use_its_whole_work_range_and_the_controller_agrees(tmp_path: Path, z: float) -> None:
    path = tmp_path / "job.gcode"
    path.write_text(program(z))
    firmware = run_through_grbl_host(ROUTER, path)
    assert any(round(block.target[2], 3) == z for block in firmware.executed)


@pytest.mark.parametrize("z", [-6.6, -10.0, -10.5, 30.5, 39.0, -39.0])
def test_the_router_refuses_z_beyond_its_work_range(z: float) -> None:
    with pytest.raises(ProgramRejected, match="outside"):
        validate_program(program(z), ROUTER)


def test_the_simulated_router_has_its_work_zero_where_the_work_range_says() -> None:
    firmware = simulated_grbl_firmware(ROUTER, 0.0)
    try:
        assert ROUTER.z_range == (-10.0, 30.0)
        assert firmware.work_zero[2] == 10.0  # 10 mm above the lowest Z: 30 mm of travel left above it
    finally:
        firmware.shut_down()


@pytest.mark.parametrize("work_z", ["[10, 30]", "[-30, 30]", "[-10, -5]"])
def test_a_work_range_outside_the_travel_or_not_around_the_stock_top_is_refused(tmp_path: Path, work_z: str) -> None:
    text = EXAMPLE.read_text().replace("work_z = [-10, 30]", f"work_z = {work_z}")
    path = tmp_path / "machines.toml"
    path.write_text(text)
    with pytest.raises(ProfileError, match="work_z"):
        load_machines(path)
