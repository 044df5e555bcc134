"""The validator: accepts what our pipeline makes, refuses every dangerous program for the right reason."""

import functools
from pathlib import Path

import pytest
import trimesh

from app.production.programs import load_program
from app.services import Services
from machine_adapters.gcode import ProgramRejected, validate_program
from machine_adapters.profiles import MachineProfile, load_machines
from tests.conftest import stl_bytes

MACHINES = load_machines(Path(__file__).parents[2] / "assets" / "machines.example.toml")
PRINTER = MACHINES["printer-1"]
LASER = MACHINES["laser-1"]
PROLOGUE = "G90\nM83\nG28\nG1 Z5 F600\n"


def refused(program: str, profile: MachineProfile = PRINTER) -> list[tuple[int, str]]:
    with pytest.raises(ProgramRejected) as caught:
        validate_program(program, profile)
    return [(f.line, f.rule) for f in caught.value.findings]


def checksum(body: str) -> str:
    return f"{body}*{functools.reduce(lambda a, b: a ^ b, body.encode(), 0)}"


# --- what our own pipeline makes passes with zero findings --------------------------------------


@pytest.mark.parametrize("template", ["keychain", "phone_stand", "plant_tag"])
@pytest.mark.parametrize("material", ["PLA", "PETG"])
def test_sliced_templates_pass(services: Services, template: str, material: str) -> None:
    # production's own path: the quote validates the program against the machine and the chosen material, and
    # the start does it again against the material staff loaded (see tests/test_runtime_material.py)
    plan = services.pipeline.quote_template(template, {}, "printer-1", material).plan
    assert plan.program_path is not None
    runnable = load_program(plan.program_path, PRINTER, material)
    assert len(runnable.program) > 100 and runnable.program.machine_id == "printer-1"
    assert runnable.program.material == material


@pytest.mark.parametrize(
    "mesh",
    [
        trimesh.creation.icosphere(subdivisions=4, radius=25),
        trimesh.creation.box((15, 15, 120)),
        trimesh.creation.torus(major_radius=40, minor_radius=8),
        trimesh.creation.cylinder(radius=100, height=2, sections=128),
    ],
    ids=["sphere", "tower", "torus", "disc"],
)
def test_sliced_uploads_pass(services: Services, mesh: trimesh.Trimesh) -> None:
    plan = services.pipeline.quote_upload(stl_bytes(mesh), "part.stl", "printer-1").plan
    assert plan.program_path is not None
    validate_program(plan.program_path.read_text(), PRINTER)


# --- the dangerous corpus: each refused for the right reason ------------------------------------


@pytest.mark.parametrize(
    "line",
    ["M500", "m500", "M 500", "M0500", "N1 M500", "n1 m 0500", checksum("N7 M500"), "M500 ; harmless?", "M500 (x)"],
)
def test_eeprom_write_in_every_spelling(line: str) -> None:
    assert refused(PROLOGUE + line) == [(5, "command_not_allowed")]


def test_embedded_newline_makes_its_own_refused_line() -> None:
    assert refused(PROLOGUE + "G1 X10 F600\nM500") == [(6, "command_not_allowed")]


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("G1 X10 F600\rM500", "control_character"),
        ("G1 X10 F600 ; \rM500", "control_character"),
        ("G1 X10\x00", "control_character"),
        ("G1 X10\tF600", "control_character"),
        ("\x18", "control_character"),
        ("G1 X10 ; café", "non_ascii"),
        ("G1 X１0", "non_ascii"),
        ("G1 X10 (open", "unbalanced_comment"),
        ("N1 M105*99", "bad_checksum"),
        ("G1 X10 Y10 M500", "one_command_per_line"),
        ("G1 X1 X2", "repeated_parameter"),
        ("M104 S200 M500", "one_command_per_line"),
        ("G28.1", "command_not_allowed"),
        ("G1 X" + "1" * 300, "line_too_long"),
        ("@pause", "not_gcode"),
        ("X10 Y10", "one_command_per_line"),
    ],
)
def test_malformed_lines(line: str, rule: str) -> None:
    assert refused(PROLOGUE + line) == [(5, rule)]


@pytest.mark.parametrize(
    "line",
    [
        "M997",
        "M301 P1",
        "M303 S200",
        "M304 P1",
        "M306 T",
        "M302 S0",
        "M211 S0",
        "M120",
        "M121",
        "M92 X100",
        "M205 X30",
        "M206 X10",
        "M428",
        "M851 Z-1",
        "M906 X900",
        "M907 X1",
        "M350 X16",
        "M351 X1",
        "M569 S0 X",
        "M42 P13 S255",
        "M43",
        "M226 P1",
        "M260 A1",
        "M261 A1",
        "M100",
        "M111 S7",
        "M28 evil.g",
        "M29",
        "M30 a.g",
        "M32 a.g",
        "M33 a",
        "M928 log",
        "M575 B9600",
        "M550 Px",
        "M552 S1",
        "M510",
        "M511 P1",
        "M512 P1",
        "M80",
        "M81",
        "M85 S0",
        "M86 S0",
        "M87",
        "M108",
        "M112",
        "M999",
        "M0",
        "M1",
        "M876 S1",
        "M117 Hello",
        "M118 Hi",
        "G29",
        "T1",
        "G38.2 Z-5",
        "M3 S1000",
    ],
)
def test_forbidden_printer_commands(line: str) -> None:
    assert refused(PROLOGUE + line) == [(5, "command_not_allowed")]


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("G92 X0", "parameter_not_allowed"),
        ("G10 L2 P1 X0", "parameter_not_allowed"),
        ("G1 X300 F600", "outside_envelope"),
        ("G1 Z-0.5 F600", "outside_envelope"),
        ("G1 Y-1 F600", "outside_envelope"),
        ("G91\nG1 Z250 F600", "outside_envelope"),
        ("G20", "command_not_allowed"),
        ("G3 X100 Y10 I50 J0 F600", "outside_envelope"),
        ("M104 S300", "temperature_out_of_range"),
        ("M109 S240", "temperature_out_of_range"),
        ("M104 S150", "temperature_out_of_range"),
        ("M140 S100", "temperature_out_of_range"),
        ("M190 S70", "temperature_out_of_range"),
        ("G1 X10 E50 F600", "extrusion_too_long"),
        ("M82\nG1 X10 E100 F600", "extrusion_too_long"),
        ("G1 X100 F60000", "feed_too_fast"),
        ("G1 Z10 F6000", "feed_too_fast"),
        ("G1 E5 F9000", "feed_too_fast"),
        ("M220 S200", "value_out_of_range"),
        ("M221 S10", "value_out_of_range"),
        ("M201 X99999", "above_machine_limit"),
        ("M203 Z500", "above_machine_limit"),
        ("M204 P5000", "above_machine_limit"),
        ("G4 S100000", "value_out_of_range"),
        ("M106 S900", "value_out_of_range"),
        ("M104", "missing_value"),
        ("G1 X", "missing_value"),
    ],
)
def test_values_outside_the_machines_limits(line: str, rule: str) -> None:
    assert refused(PROLOGUE + line)[-1][1] == rule


def test_relative_move_before_homing_is_refused() -> None:
    assert refused("G91\nG1 X10 F600") == [(2, "not_homed")]


def test_every_problem_is_listed_with_its_line() -> None:
    findings = refused(PROLOGUE + "M500\nG1 X10 F600\nM997\nM104 S400")
    assert findings == [(5, "command_not_allowed"), (7, "command_not_allowed"), (8, "temperature_out_of_range")]


def test_findings_carry_the_original_text_and_a_plain_message() -> None:
    with pytest.raises(ProgramRejected) as caught:
        validate_program(PROLOGUE + "m 0500 ; sneaky", PRINTER)
    finding = caught.value.findings[0]
    assert finding.text == "m 0500 ; sneaky" and "stored firmware settings" in finding.message


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("$H", "system_command"),
        ("$$", "system_command"),
        ("$X", "system_command"),
        ("$RST=*", "system_command"),
        ("$32=0", "system_command"),
        ("$J=G91 X10 F100", "system_command"),
        ("!", "not_gcode"),
        ("~", "not_gcode"),
        ("?", "not_gcode"),
        ("G10 L20 P1 X0", "command_not_allowed"),
        ("G28.1", "command_not_allowed"),
        ("G30.1", "command_not_allowed"),
        ("G92 X0 Y0", "command_not_allowed"),
        ("G38.2 Z-10 F100", "command_not_allowed"),
        ("M3 S100", "command_not_allowed"),
        ("M4 S900", "laser_power_too_high"),
        ("G1 X10 S1000", "laser_power_too_high"),
        ("G1 X500 F100", "outside_envelope"),
    ],
)
def test_laser_programs(line: str, rule: str) -> None:
    findings = refused("G21\nG90\nG0 X0 Y0\nG1 F1000\n" + line, LASER)
    assert findings[-1][1] == rule


def test_a_laser_program_with_dynamic_power_passes() -> None:
    program = validate_program("G21\nG90\nM4 S0\nG0 X10 Y10\nG1 X50 Y10 S500 F3000\nG2 X60 Y20 I0 J10\nM5\nM2", LASER)
    assert list(program)[-2:] == ["M5", "M2"]


# --- the type-level fact ------------------------------------------------------------------------


def test_canonical_lines_are_what_gets_streamed() -> None:
    program = validate_program("G90\nM83\ng28\nn5 g1 z005 f600 ; up\nG1 X10.50 Y.5 F600", PRINTER)
    assert list(program) == ["G90", "M83", "G28", "G1 Z5 F600", "G1 X10.50 Y.5 F600"]
    assert program.source_lines == (1, 2, 3, 4, 5)


def test_the_program_knows_where_each_line_leaves_the_machine() -> None:
    program = validate_program("G90\nM83\nG1 E2 F600\nG28\nG1 X10 Y20 Z0.3 F600\nG91\nG1 Z2 F600", PRINTER)
    assert program.position_after(2) is None  # before homing: not known
    assert program.position_after(3) == (0.0, 0.0, 0.0)
    assert program.position_after(4) == pytest.approx((10.0, 20.0, 0.3))
    assert program.position_after(6) == pytest.approx((10.0, 20.0, 2.3))
