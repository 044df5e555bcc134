"""A pause and resume give the program back the modes it ran in: spliced into real PrusaSlicer output (relative and
absolute extrusion) the program still passes the validator, and the host ends every job in the kind's safe state."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import trimesh

from machine_adapters.base import MachineAction, MachineState, MachineStatus
from machine_adapters.gcode import SafeProgram, validate_program
from machine_adapters.recipes import recipe_for
from machine_adapters.simulators.marlin import MarlinSimulator
from tests.conftest import eventually
from tests.machine_adapters.test_marlin import PROFILE, Rig, rig, rigs  # noqa: F401  (rigs: the fixture)

PROFILES = Path(__file__).parents[2] / "assets" / "profiles"


def sliced(folder: Path, absolute_extrusion: bool) -> str:
    """A small box sliced by PrusaSlicer with the demo printer's profiles; with absolute extrusion (M82) the start
    code says M82 and PrusaSlicer writes absolute E values."""
    trimesh.creation.box((20, 20, 3)).export(folder / "box.stl")
    loads = [PROFILES / "printer_i3_220.ini", PROFILES / "print_standard.ini", PROFILES / "filament_pla.ini"]
    if absolute_extrusion:
        start = re.search(r"^start_gcode = (.*)$", loads[0].read_text(), re.M)
        assert start is not None and "M83 ; relative extrusion" in start.group(1)
        override = folder / "absolute.ini"
        start_code = start.group(1).replace("M83 ; relative extrusion", "M82 ; absolute extrusion")
        override.write_text(f"use_relative_e_distances = 0\nlayer_gcode = \nstart_gcode = {start_code}\n")
        loads.append(override)
    args = ["prusa-slicer", "--export-gcode", "--center", "110,110", "-o", str(folder / "box.gcode")]
    for load in loads:
        args += ["--load", str(load)]
    subprocess.run([*args, str(folder / "box.stl")], check=True, capture_output=True, timeout=120)
    return (folder / "box.gcode").read_text()


def paused_and_resumed(program: SafeProgram, index: int) -> tuple[list[str], int]:
    """The program's commands with a pause and a resume after command `index`, as the host sends them; and the
    index of the resume's last command."""
    status = MachineStatus(state=MachineState.RUNNING, position=program.position_after(index))
    pause = recipe_for(PROFILE, MachineAction.PAUSE, status, modes=program.modes_after(index))
    resume = recipe_for(PROFILE, MachineAction.RESUME, status, paused_by=pause)
    lines = list(program)
    spliced = lines[: index + 1] + list(pause.lines) + list(resume.lines) + lines[index + 1 :]
    return spliced, index + len(pause.lines) + len(resume.lines)


@pytest.mark.parametrize("absolute_extrusion", [False, True], ids=["M83", "M82"])
def test_pause_and_resume_spliced_into_sliced_output_keep_it_valid(tmp_path: Path, absolute_extrusion: bool) -> None:
    program = validate_program(sliced(tmp_path, absolute_extrusion), PROFILE)
    extruding = [i for i, line in enumerate(program) if re.fullmatch(r"G1 X\S+ Y\S+ E\S+", line)]
    assert len(extruding) > 100
    for index in extruding[len(extruding) // 3 :: len(extruding) // 4]:  # a few points through the print
        before = program.modes_after(index)
        assert before.e_absolute is absolute_extrusion and before.absolute and before.feed
        spliced, resumed_at = paused_and_resumed(program, index)
        again = validate_program("\n".join(spliced), PROFILE)  # the whole program, pause and resume included
        assert again.modes_after(resumed_at) == before  # extrusion mode, distance mode and feed given back
        assert again.position_after(resumed_at) == program.position_after(index)


def test_the_host_gives_an_absolute_extrusion_program_its_mode_back_on_resume(rigs: list[Rig]) -> None:  # noqa: F811
    printer = rig(rigs, MarlinSimulator(time_factor=0.0005))
    moves = [f"G1 X{20 + i % 150} Y{20 + (i * 7) % 150} E{0.05 * (i + 1):.2f} F3000" for i in range(3000)]
    text = "\n".join(["G90", "M82", "M104 S200", "G28", "M109 S200", "G1 Z0.3 F600", "G92 E0", *moves])
    program = validate_program(text, PROFILE)
    printer.machine.start(program, "job-1")
    eventually(lambda: printer.machine.status.lines_done >= 200, 10, "the job to get going")
    printer.machine.perform(MachineAction.PAUSE)
    printer.wait_for(MachineState.PAUSED)
    printer.machine.perform(MachineAction.RESUME)
    assert printer.done.wait(30) and printer.ended[0].completed
    executed = printer.simulator.executed
    resumed = executed.index("G1 E1 F1800")
    assert executed[resumed + 1 : resumed + 4] == ["G90", "M82", "G1 F3000"]


def test_the_host_ends_every_printer_job_with_heaters_and_fan_off(rigs: list[Rig]) -> None:  # noqa: F811
    printer = rig(rigs)
    # a program that ends hot, with the fan on: the host still leaves the printer cold
    program = validate_program("G90\nM83\nM104 S200\nM140 S60\nM106 S255\nG28\nG1 Z5 F600", PROFILE)
    assert printer.run(program).completed
    assert printer.simulator.executed[-3:] == ["M104 S0", "M140 S0", "M107"]
    assert printer.machine.status.state is MachineState.IDLE
