"""The validator reads a program the way the firmware will run it: each class of program that a firmware reads
differently from a naive checker, refused (or accepted) for the firmware's own reason."""

from pathlib import Path

import pytest

from machine_adapters.gcode import ProgramRejected, validate_program
from machine_adapters.profiles import MachineProfile, load_machines

MACHINES = load_machines(Path(__file__).parents[2] / "assets" / "machines.example.toml")
PRINTER, LASER, ROUTER = MACHINES["printer-1"], MACHINES["laser-1"], MACHINES["router-1"]
HOMED = "G90\nM83\nG28\nG1 Z5 F600\n"
ROUTER_START = "G21\nG90\nG0 Z5\nG0 X10 Y10\n"
LASER_START = "G21\nG90\nG0 X0 Y0\n"


def findings(program: str, profile: MachineProfile) -> list[tuple[int, str]]:
    with pytest.raises(ProgramRejected) as caught:
        validate_program(program, profile)
    return [(f.line, f.rule) for f in caught.value.findings]


def passes(program: str, profile: MachineProfile) -> None:
    validate_program(program, profile)


# --- dwell in the firmware's unit ------------------------------------------------------------------


def test_grbl_reads_dwell_in_seconds() -> None:
    passes(ROUTER_START + "M3 S18000\nG4 P3\nM5", ROUTER)  # the generator's own spin-up wait
    assert findings(ROUTER_START + "M3 S18000\nG4 P86400\nM5", ROUTER) == [(6, "value_out_of_range")]
    assert findings(ROUTER_START + "M3 S18000\nG4 P100\nM5", ROUTER) == [(6, "value_out_of_range")]


def test_marlin_reads_dwell_p_in_milliseconds_and_s_in_seconds() -> None:
    passes(HOMED + "G4 P30000\nG4 S30", PRINTER)
    assert findings(HOMED + "G4 S700", PRINTER) == [(5, "value_out_of_range")]
    assert findings(HOMED + "G4 P700000", PRINTER) == [(5, "value_out_of_range")]


# --- GRBL's program end and the order it runs a line in ---------------------------------------------


def test_grbl_program_end_resets_to_absolute_distances() -> None:
    # after M2 GRBL is in G90 again: X-100 is a position 100 mm outside the travel, not a step back
    program = ROUTER_START + "G0 X200\nG91\nM2\nG0 X-100"
    assert findings(program, ROUTER) == [(8, "outside_envelope")]


def test_grbl_program_end_turns_the_spindle_off() -> None:
    passes(ROUTER_START + "M3 S18000\nG1 X20 F600\nM2", ROUTER)
    passes(ROUTER_START + "M3 S18000\nG1 X20 F600\nM30", ROUTER)


def test_grbl_runs_a_line_in_its_own_order_not_the_written_one() -> None:
    # `M2 G91`: GRBL sets G91 first and the program end then resets it to G90 (gcode.c order of execution), so
    # X-100 is a position outside the travel, not a step back
    assert findings(ROUTER_START + "G0 X200\nM2 G91\nG0 X-100", ROUTER) == [(7, "outside_envelope")]


def test_grbl_keeps_a_feed_given_on_a_rapid_line() -> None:
    program = ROUTER_START + "G1 X20 F600\nG0 X30 F60000\nG1 X40"
    assert findings(program, ROUTER) == [(7, "feed_too_fast")]


def test_grbl_feed_is_checked_before_the_position_is_known() -> None:
    # the first move's start is unknown: the named axis may carry the whole feed
    assert findings("G21\nG90\nG1 Z-1 F6000\nM5", ROUTER) == [(3, "feed_too_fast")]
    passes("G21\nG90\nG1 Z-1 F300\nM5", ROUTER)


# --- Marlin's homing, position and extrusion ---------------------------------------------------------


def test_printer_moves_before_homing_are_refused() -> None:
    assert findings("G90\nG1 Z0.2 F600", PRINTER) == [(2, "not_homed")]
    assert findings("G90\nG28 X Y\nG1 X10 Y10 F600\nG1 Z0.2 F600", PRINTER) == [(4, "not_homed")]
    passes("G90\nM83\nG1 E2 F600\nG28\nG1 Z0.2 F600", PRINTER)  # extrusion alone needs no homed axis


def test_motors_off_mid_job_forget_the_position() -> None:
    assert findings(HOMED + "M84\nG1 Z0.2 F600", PRINTER) == [(6, "not_homed")]
    assert findings(HOMED + "M18 Z\nG1 Z0.2 F600", PRINTER) == [(6, "not_homed")]
    passes(HOMED + "M18 Z\nG1 X10 F600\nG28 Z\nG1 Z0.2 F600", PRINTER)
    passes(HOMED + "M84 S600\nG1 Z1 F600", PRINTER)  # S only sets the idle timeout


def test_bare_g92_does_not_reset_the_extruder() -> None:
    retract = "".join(f"G1 E-{20 * i} F600\n" for i in range(1, 11))  # absolute E down to -200, 20 mm a step
    program = HOMED + "M82\nG92 E0\n" + retract + "G92\nG1 X20 E10 F600"
    assert findings(program, PRINTER) == [(18, "extrusion_too_long")]  # the firmware would push 210 mm
    passes(HOMED + "M82\nG92 E0\n" + retract + "G92 E0\nG1 X20 E10 F600", PRINTER)


def test_arcs_check_their_extrusion_speed_along_their_length() -> None:
    # half a circle of radius 10 (31.4 mm) at 100 mm/s carrying 29 mm of filament: E at 92 mm/s
    program = HOMED + "G1 X100 Y100 F600\nG2 X120 Y100 I10 J0 E29 F6000"
    assert findings(program, PRINTER) == [(6, "feed_too_fast")]
    passes(HOMED + "G1 X100 Y100 F600\nG2 X120 Y100 I10 J0 E2 F3000", PRINTER)


def test_arc_full_circle_count_is_refused() -> None:
    program = HOMED + "G1 X50 Y50 F600\nG2 X60 Y50 I5 J0 P3"
    assert findings(program, PRINTER) == [(6, "parameter_not_allowed")]


@pytest.mark.parametrize("profile", [PRINTER, ROUTER, LASER], ids=["printer", "router", "laser"])
def test_inches_are_refused_on_every_kind(profile: MachineProfile) -> None:
    assert findings("G20", profile) == [(1, "command_not_allowed")]


def test_acceleration_limits_per_axis() -> None:
    passes(HOMED + "M201 X900 Y900 Z150 E4000", PRINTER)
    assert findings(HOMED + "M201 Z900", PRINTER) == [(5, "above_machine_limit")]
    assert findings(HOMED + "M201 E9000", PRINTER) == [(5, "above_machine_limit")]


def test_m204_travel_acceleration_is_a_parameter_not_a_tool_change() -> None:
    passes(HOMED + "M204 P800 T900", PRINTER)
    assert findings(HOMED + "M204 T5000", PRINTER) == [(5, "above_machine_limit")]
    assert findings(HOMED + "T1", PRINTER) == [(5, "command_not_allowed")]


def test_an_exponent_is_read_as_the_firmware_reads_it() -> None:
    # Marlin stops a number at E: X1e4 moves X to 1 and extrudes 4 mm, no exponent anywhere
    program = validate_program(HOMED + "G1 X1e4 F600", PRINTER)
    assert program.position_after(4) == pytest.approx((1.0, 0.0, 5.0))
    assert findings(HOMED + "G1 X1e40 F600", PRINTER) == [(5, "extrusion_too_long")]
    assert findings(ROUTER_START + "G1 X1e4 F600", ROUTER) == [(5, "parameter_not_allowed")]


# --- spindles and lasers ---------------------------------------------------------------------------


def test_a_router_program_may_not_end_with_the_spindle_or_coolant_on() -> None:
    assert findings(ROUTER_START + "M3 S18000\nG1 X20 F600", ROUTER) == [(6, "ends_running")]
    assert findings(LASER_START + "M8\nM4 S0\nG1 X20 F600\nM5", LASER) == [(7, "ends_running")]
    passes(ROUTER_START + "M3 S18000\nG1 X20 F600\nM5", ROUTER)


def test_reverse_spindle_is_refused_on_a_router() -> None:
    assert findings(ROUTER_START + "M4 S18000\nM5", ROUTER) == [(5, "command_not_allowed")]


def test_mist_coolant_is_refused() -> None:
    assert findings(ROUTER_START + "M7\nM9", ROUTER) == [(5, "command_not_allowed")]


def test_router_depth_is_bounded_by_the_stock_and_the_spoilboard_allowance() -> None:
    passes(ROUTER_START + "M3 S18000\nG1 Z-6.5 F300\nG0 Z5\nM5", ROUTER)
    assert findings(ROUTER_START + "M3 S18000\nG1 Z-7 F300\nG0 Z5\nM5", ROUTER) == [(6, "outside_envelope")]


def test_laser_energy_per_millimetre_is_bounded_per_material() -> None:
    # plywood: at 80 % (S800) at least 6 mm/s, so at S400 at least 3 mm/s
    assert findings(LASER_START + "M4 S800\nG1 X10 F0.01\nM5", LASER) == [(5, "laser_energy_too_high")]
    passes(LASER_START + "M4 S400\nG1 X10 F186\nM5", LASER)
    assert findings(LASER_START + "M4 S400\nG1 X10 F170\nM5", LASER) == [(5, "laser_energy_too_high")]
    assert findings(LASER_START + "M4 S400\nG1 X10 F600\nG2 X20 Y0 I5 J0 F100\nM5", LASER) == [
        (6, "laser_energy_too_high")
    ]
    passes(LASER_START + "M4 S0\nG1 X10 F1\nM5", LASER)  # beam off: slow moves burn nothing
