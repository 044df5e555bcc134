"""Actions to firmware commands: a fixed sequence per machine kind, built from the profile's numbers only.

No customer text ever reaches these lines. Adapters send a recipe's `immediate` bytes straight to the port,
ahead of anything queued (an emergency parser reads them at once), then its `lines` before any program line.
"""

from __future__ import annotations

from dataclasses import dataclass

from machine_adapters.base import MachineAction, MachineError, MachineStatus
from machine_adapters.gcode import ProgramModes, SafeProgram, validate_program
from machine_adapters.profiles import MachineKind, MachineProfile

CANCEL_LIFT_MM = 10.0
PAUSE_LIFT_MM = 2.0
PAUSE_RETRACT_MM = 1.0
HEATERS_OFF = ("M104 S0", "M140 S0", "M107")


@dataclass(frozen=True)
class Recipe:
    action: MachineAction
    immediate: bytes = b""  # out of band, before anything else
    lines: tuple[str, ...] = ()  # ordinary commands, ahead of the program
    stop_feeding: bool = False  # no more program lines after this
    needs_staff: bool = False  # the machine is left for staff to bring back
    lift_mm: float = 0.0  # how far a pause lifted the nozzle, so resuming lowers it by exactly that
    hotend_target: float = 0.0  # a pause remembers the temperatures, to heat up again after heaters-off
    bed_target: float = 0.0
    program_modes: ProgramModes | None = None  # a pause keeps the program's modes, for the resume to give back


class NoRecipe(MachineError):
    """This machine kind has no such action (e.g. framing on a printer)."""


def recipe_for(
    profile: MachineProfile,
    action: MachineAction,
    status: MachineStatus,
    paused_by: Recipe | None = None,
    modes: ProgramModes | None = None,
) -> Recipe:
    """The fixed commands for an action; RESUME on a printer undoes the pause recipe it is given, and gives the
    program back the modes (`modes`, where the pause stopped it) it ran in."""
    if profile.kind is MachineKind.FDM_PRINTER:
        return _marlin(profile, action, status, paused_by, modes)
    return _grbl(profile, action)


def end_of_job(profile: MachineProfile) -> tuple[str, ...]:
    """What the host sends after every job, whatever the program said: heaters and fan off on a printer; spindle
    or laser, and coolant or air, off on GRBL machines."""
    return HEATERS_OFF if profile.kind is MachineKind.FDM_PRINTER else ("M5", "M9")


def _restore(modes: ProgramModes | None) -> tuple[str, ...]:
    """Commands that put the program's own modes back after a recipe changed them. Distance mode first: Marlin's
    G90/G91 set the extruder's mode too (gcode/gcode.h, GcodeSuite::set_relative_mode), M82/M83 then correct it;
    G1 with only F sets the feed for the program's next move without moving."""
    if modes is None:
        return ()
    lines = ("G90" if modes.absolute else "G91", "M82" if modes.e_absolute else "M83")
    return lines + ((f"G1 F{modes.feed:g}",) if modes.feed else ())


def _marlin(
    profile: MachineProfile,
    action: MachineAction,
    status: MachineStatus,
    paused_by: Recipe | None,
    modes: ProgramModes | None,
) -> Recipe:
    env = profile.envelope
    z = status.position[2] if status.position else env.z
    if action is MachineAction.STOP:
        # the emergency parser acts on M112 at once, even with the buffer full; kill() then turns heaters off
        return Recipe(action, immediate=b"M112\n", lines=("M104 S0", "M140 S0"), stop_feeding=True, needs_staff=True)
    if action is MachineAction.CANCEL:
        lift = max(0.0, min(CANCEL_LIFT_MM, env.z - z))
        return Recipe(
            action,
            lines=(
                "M104 S0",
                "M140 S0",
                "M107",
                "G91",
                f"G1 Z{lift:.2f} F600",
                "G90",
                f"G1 X0 Y{env.y:.2f} F3000",
                "M84",
            ),
            stop_feeding=True,
        )
    if action is MachineAction.PAUSE:
        lift = max(0.0, min(PAUSE_LIFT_MM, env.z - z))
        return Recipe(
            action,
            lines=("M400", "M83", f"G1 E-{PAUSE_RETRACT_MM:g} F1800", "G91", f"G1 Z{lift:.2f} F600", "G90"),
            stop_feeding=True,
            lift_mm=lift,
            hotend_target=status.hotend.target if status.hotend else 0.0,
            bed_target=status.bed.target if status.bed else 0.0,
            program_modes=modes,
        )
    if action is MachineAction.RESUME:
        lift = paused_by.lift_mm if paused_by else 0.0
        reheat: tuple[str, ...] = ()
        hotend_now = status.hotend.target if status.hotend else 0.0
        if paused_by and paused_by.hotend_target > 0 and hotend_now < paused_by.hotend_target:
            # the heaters were turned off during a long pause: back to the job's temperatures before moving
            reheat = (f"M190 S{paused_by.bed_target:g}",) if paused_by.bed_target > 0 else ()
            reheat += (f"M109 S{paused_by.hotend_target:g}",)
        restore = _restore(paused_by.program_modes if paused_by else None)
        return Recipe(
            action,
            lines=(*reheat, "G91", f"G1 Z-{lift:.2f} F600", "G90", "M83", f"G1 E{PAUSE_RETRACT_MM:g} F1800", *restore),
        )
    if action is MachineAction.HOME:
        return Recipe(action, lines=("G28",))
    if action is MachineAction.PREHEAT:
        material = profile.material
        hotend = (material.hotend or (0.0, 0.0))[0] + 10
        bed = (material.bed or (0.0, 0.0))[0]
        return Recipe(action, lines=(f"M104 S{hotend:g}", f"M140 S{bed:g}"))
    if action is MachineAction.COOL_DOWN:
        return Recipe(action, lines=HEATERS_OFF)
    raise NoRecipe(f"a {profile.kind.value} cannot {action.value}")


def _grbl(profile: MachineProfile, action: MachineAction) -> Recipe:
    if action is MachineAction.STOP:
        return Recipe(action, immediate=b"!\x18", stop_feeding=True, needs_staff=True)  # feed hold, soft reset
    if action is MachineAction.PAUSE:
        return Recipe(action, immediate=b"!", stop_feeding=True)
    if action is MachineAction.RESUME:
        return Recipe(action, immediate=b"~")
    if action is MachineAction.CANCEL:
        return Recipe(action, immediate=b"!\x18", lines=("M5", "M9"), stop_feeding=True)
    if action is MachineAction.HOME:
        return Recipe(action, lines=("$H",))
    if action is MachineAction.COOL_DOWN:
        return Recipe(action, lines=("M5", "M9"))
    raise NoRecipe(f"a {profile.kind.value} cannot {action.value} without a job")


def frame_program(program: SafeProgram, profile: MachineProfile) -> SafeProgram:
    """The rectangle the program's working moves cover, traced in rapid moves: on a laser with the beam off (GRBL
    never fires during G0 in laser mode, and M5 comes first), on a router with the tool at the program's highest
    Z. The customer sees where the job will go before it starts. Validated like every program."""
    if profile.kind is MachineKind.FDM_PRINTER:
        raise NoRecipe("a printer does not frame")
    xs, ys, top = [], [], 0.0
    for index, line in enumerate(program):
        position = program.position_after(index)
        if position is None:
            continue
        top = max(top, position[2])
        if line.startswith("G1"):
            xs.append(position[0])
            ys.append(position[1])
    if not xs:
        raise NoRecipe("this program has no work to frame")
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    lines = ["G21", "G90", "M5"]
    if profile.kind is MachineKind.CNC_ROUTER:
        lines.append(f"G0 Z{top:.3f}")
    corners = ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0), (0.0, 0.0))
    lines += [f"G0 X{x:.3f} Y{y:.3f}" for x, y in corners]
    return validate_program("\n".join(lines), profile, program.material)
