"""Mutation check: each safety rule, removed or weakened in turn, must make the tests that SAFETY.md names fail.

Run: .venv/bin/python bench/mutations.py            (every rule; a few minutes on the 2-core reference machine)
     .venv/bin/python bench/mutations.py laser      (only the rules whose name contains "laser")

The project is copied once to a temporary folder; for each rule one file there is edited (the rule removed or
weakened), the named tests run against the copy, and the file is put back. A rule is "caught" when its tests fail.
The table lists every rule, and the script exits non-zero when any rule's removal went unnoticed. Before any
mutation the named tests run once on the unchanged copy and must pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VALIDATE = "machine_adapters/gcode/validate.py"
PARSE = "machine_adapters/gcode/parse.py"
RULES = "machine_adapters/gcode/rules.py"
PROGRAM = "machine_adapters/gcode/program.py"
STATE = "tests/machine_adapters/test_firmware_state.py"
VALIDATOR_TESTS = "tests/machine_adapters/test_validator.py"
MATERIAL = "tests/test_runtime_material.py"
PAUSE = "tests/machine_adapters/test_pause_resume.py"
SEALED = "tests/machine_adapters/test_safe_program.py"


@dataclass(frozen=True)
class Mutation:
    rule: str
    file: str
    edits: tuple[tuple[str, str], ...]  # (text, replacement); each text must occur exactly once in the file
    tests: tuple[str, ...]


def _one(rule: str, file: str, old: str, new: str, *tests: str) -> Mutation:
    return Mutation(rule, file, ((old, new),), tests)


MUTATIONS = (
    _one(
        "GRBL G4 P is seconds",
        VALIDATE,
        'seconds = params.get("P", 0.0)  # GRBL',
        'seconds = params.get("P", 0.0) / 1000.0  # GRBL',
        f"{STATE}::test_grbl_reads_dwell_in_seconds",
    ),
    _one(
        "dwell bounded per kind",
        VALIDATE,
        "MachineKind.CNC_ROUTER: 30.0, MachineKind.LASER_ENGRAVER: 30.0",
        "MachineKind.CNC_ROUTER: 600.0, MachineKind.LASER_ENGRAVER: 600.0",
        f"{STATE}::test_grbl_reads_dwell_in_seconds",
    ),
    _one(
        "Marlin G4 P in ms, S in s",
        VALIDATE,
        'seconds = params.get("P", 0.0) / 1000.0  # Marlin',
        'seconds = params.get("P", 0.0) / 10000.0  # Marlin',
        f"{STATE}::test_marlin_reads_dwell_p_in_milliseconds_and_s_in_seconds",
    ),
    _one(
        "GRBL M2/M30 reset G90",
        VALIDATE,
        "        state.absolute = True\n        state.spindle = None\n",
        "        state.spindle = None\n",
        f"{STATE}::test_grbl_program_end_resets_to_absolute_distances",
    ),
    _one(
        "GRBL M2/M30 spindle and coolant off",
        VALIDATE,
        "        state.spindle = None\n        state.coolant = False\n\n    _M2",
        "        pass\n\n    _M2",
        f"{STATE}::test_grbl_program_end_turns_the_spindle_off",
    ),
    _one(
        "GRBL order of execution",
        VALIDATE,
        "commands = tuple(sorted(commands, key=lambda c: _GRBL_ORDER.get(c, 20)))",
        "commands = tuple(commands)",
        f"{STATE}::test_grbl_runs_a_line_in_its_own_order_not_the_written_one",
    ),
    Mutation(
        "GRBL F on G0 persists",
        VALIDATE,
        (
            ('        if "F" in params:\n            self._feed(params["F"])\n', ""),
            ('g("F") if self.marlin else None', 'g("F") if self.marlin or command != "G0" else None'),
            ('if self.marlin and "F" in params:', 'if "F" in params:'),
        ),
        (f"{STATE}::test_grbl_keeps_a_feed_given_on_a_rapid_line",),
    ),
    _one(
        "feed checked from an unknown start",
        VALIDATE,
        "        if unknown:\n",
        "        if False:\n",
        f"{STATE}::test_grbl_feed_is_checked_before_the_position_is_known",
    ),
    _one(
        "printer moves need homed axes",
        VALIDATE,
        "            elif self.marlin:\n                # Marlin moves an unhomed",
        "            elif False:\n                # Marlin moves an unhomed",
        f"{STATE}::test_printer_moves_before_homing_are_refused",
        f"{VALIDATOR_TESTS}::test_relative_move_before_homing_is_refused",
    ),
    _one(
        "M84/M18 forget the position",
        VALIDATE,
        "            self.state.position[axis] = None",
        "            pass",
        f"{STATE}::test_motors_off_mid_job_forget_the_position",
    ),
    _one(
        "bare G92 changes nothing",
        VALIDATE,
        '        if "E" in params:\n            self.state.e = params["E"]',
        '        self.state.e = params.get("E", 0.0)',
        f"{STATE}::test_bare_g92_does_not_reset_the_extruder",
    ),
    _one(
        "no P on arcs",
        RULES,
        '"G2": frozenset("XYZEFIJR"),',
        '"G2": frozenset("XYZEFIJRP"),',
        f"{STATE}::test_arc_full_circle_count_is_refused",
    ),
    _one(
        "G20 refused (printer)",
        RULES,
        '    "G11": frozenset(),\n',
        '    "G11": frozenset(),\n    "G20": frozenset(),\n',
        f"{STATE}::test_inches_are_refused_on_every_kind",
    ),
    _one(
        "G20 refused (GRBL)",
        RULES,
        '    "G17": frozenset(),\n',
        '    "G17": frozenset(),\n    "G20": frozenset(),\n',
        f"{STATE}::test_inches_are_refused_on_every_kind",
    ),
    _one(
        "arc extrusion speed",
        VALIDATE,
        "self._check_speeds([0.0, 0.0, delta[2]], unknown, extrusion,",
        "self._check_speeds([0.0, 0.0, delta[2]], unknown, 0.0,",
        f"{STATE}::test_arcs_check_their_extrusion_speed_along_their_length",
    ),
    _one(
        "M201 limit per axis",
        VALIDATE,
        'limit = per_axis.get(letter.lower(), limits.max_acceleration if letter in "XY" else 0.0)',
        "limit = limits.max_acceleration",
        f"{STATE}::test_acceleration_limits_per_axis",
    ),
    _one(
        "M204 T is a parameter",
        PARSE,
        '(word.letter == "T" and not parts)',
        'word.letter == "T"',
        f"{STATE}::test_m204_travel_acceleration_is_a_parameter_not_a_tool_change",
    ),
    _one(
        "GRBL program may not end running",
        VALIDATE,
        "if not self.marlin and (self.state.spindle is not None or self.state.coolant):",
        "if False:",
        f"{STATE}::test_a_router_program_may_not_end_with_the_spindle_or_coolant_on",
    ),
    _one(
        "M4 refused on a router",
        RULES,
        '        del allowed["M4"]',
        "        pass",
        f"{STATE}::test_reverse_spindle_is_refused_on_a_router",
    ),
    _one(
        "M7 refused",
        RULES,
        '    "M8": frozenset(),\n',
        '    "M7": frozenset(),\n    "M8": frozenset(),\n',
        f"{STATE}::test_mist_coolant_is_refused",
    ),
    _one(
        "router depth by stock",
        VALIDATE,
        "z_low = max(z_low, -((self.material.stock_mm or 0.0) + profile.limits.spoilboard_allowance_mm))",
        "z_low = max(z_low, -env.z)",
        f"{STATE}::test_router_depth_is_bounded_by_the_stock_and_the_spoilboard_allowance",
    ),
    _one(
        "laser energy per mm",
        VALIDATE,
        "if s / speed > self.energy_max + EPSILON:",
        "if False:",
        f"{STATE}::test_laser_energy_per_millimetre_is_bounded_per_material",
    ),
    _one(
        "laser power cap of the loaded material",
        VALIDATE,
        "cap = min(profile.limits.laser_power_max_pct, self.material.laser_power_max_pct or 0.0)",
        "cap = profile.limits.laser_power_max_pct",
        f"{MATERIAL}::test_the_loaded_materials_laser_cap_applies_not_the_one_in_the_machines_file",
    ),
    _one(
        "validate against the material given",
        VALIDATE,
        "loaded = material or profile.loaded_material",
        "loaded = profile.loaded_material",
        f"{MATERIAL}::test_the_loaded_materials_laser_cap_applies_not_the_one_in_the_machines_file",
        f"{MATERIAL}::test_a_petg_job_runs_on_the_demo_printer_once_staff_loaded_petg",
    ),
    _one(
        "start checks the loaded material",
        "app/jobs.py",
        "program = load_program(Path(plan.program_path), machine.profile, material)",
        "program = load_program(Path(plan.program_path), machine.profile)",
        f"{MATERIAL}::test_a_petg_job_runs_on_the_demo_printer_once_staff_loaded_petg",
    ),
    _one(
        "start re-checks after a material change",
        "app/jobs.py",
        "if kept is not None and kept.program.material == material:",
        "if kept is not None:",
        f"{MATERIAL}::test_the_start_checks_again_after_staff_loaded_another_material",
    ),
    _one(
        "quote checks the program itself",
        "app/pipeline.py",
        "        self._check_program(plan, machine)\n",
        "",
        f"{MATERIAL}::test_a_part_whose_skirt_leaves_the_bed_gets_no_price",
    ),
    _one(
        "resume restores the program's modes",
        "machine_adapters/recipes.py",
        'f"G1 E{PAUSE_RETRACT_MM:g} F1800", *restore)',
        'f"G1 E{PAUSE_RETRACT_MM:g} F1800")',
        f"{PAUSE}::test_pause_and_resume_spliced_into_sliced_output_keep_it_valid",
    ),
    _one(
        "Marlin host passes the modes to the pause",
        "machine_adapters/marlin.py",
        "recipe = recipe_for(self.profile, action, self.status, self._paused_by, modes)",
        "recipe = recipe_for(self.profile, action, self.status, self._paused_by)",
        f"{PAUSE}::test_the_host_gives_an_absolute_extrusion_program_its_mode_back_on_resume",
    ),
    _one(
        "Marlin host ends every job safe",
        "machine_adapters/marlin.py",
        'self._queue_batch(list(end_of_job(self.profile)), lambda: self._end_job(True, ""))',
        'self._end_job(True, "")',
        f"{PAUSE}::test_the_host_ends_every_printer_job_with_heaters_and_fan_off",
    ),
    _one(
        "OctoPrint adapter ends every job safe",
        "machine_adapters/octoprint.py",
        "                self._safe_end_state()\n",
        "",
        "tests/machine_adapters/test_octoprint_job_end.py",
    ),
    _one(
        "SafeProgram class cannot be called",
        PROGRAM,
        "-> SafeProgram:\n        _refuse()",
        "-> SafeProgram:\n        return object.__new__(cls)",
        f"{SEALED}::test_calling_the_class_is_refused",
    ),
    Mutation(
        "SafeProgram maker handed over once",
        PROGRAM,
        (("        if not handed:\n", "        if False:\n"), ("return handed.pop()", "return handed[0]")),
        (f"{SEALED}::test_the_maker_went_to_the_validator_once_and_no_module_exposes_it",),
    ),
    _one(
        "envelope",
        VALIDATE,
        "                self._inside(axis, target)\n",
        "                pass\n",
        f"{VALIDATOR_TESTS}::test_values_outside_the_machines_limits",
    ),
    _one(
        "temperatures within the material's range",
        VALIDATE,
        "if value != 0 and not low <= value <= high:",
        "if False:",
        f"{VALIDATOR_TESTS}::test_values_outside_the_machines_limits",
    ),
    _one(
        "extrusion per move",
        VALIDATE,
        "if abs(amount) > self.max_extrusion:",
        "if False:",
        f"{VALIDATOR_TESTS}::test_values_outside_the_machines_limits",
    ),
    _one(
        "feed per axis",
        VALIDATE,
        "if component and abs(component) * ratio > self.max_feed[axis]:",
        "if False:",
        f"{VALIDATOR_TESTS}::test_values_outside_the_machines_limits",
    ),
    _one(
        "control characters refused",
        PARSE,
        "if _CONTROL.search(raw):",
        "if False:",
        f"{VALIDATOR_TESTS}::test_malformed_lines",
    ),
    _one(
        "laser power cap",
        VALIDATE,
        "if not 0 <= s <= highest + EPSILON:",
        "if False:",
        f"{VALIDATOR_TESTS}::test_laser_programs",
    ),
)

_SKIP = shutil.ignore_patterns(".git", ".venv", ".venv-octoprint", "data", "__pycache__", ".*_cache", "node_modules")


def _run_tests(copy: Path, tests: tuple[str, ...]) -> int:
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [str(copy / ".venv" / "bin" / "python"), "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests]
    done = subprocess.run(command, cwd=copy, env=env, capture_output=True, timeout=900, check=False)
    return done.returncode


def _apply(copy: Path, mutation: Mutation) -> str:
    path = copy / mutation.file
    original = path.read_text()
    changed = original
    for old, new in mutation.edits:
        if changed.count(old) != 1:
            raise SystemExit(f"{mutation.rule}: the text to change occurs {changed.count(old)} times in {path.name}")
        changed = changed.replace(old, new)
    path.write_text(changed)
    return original


def main(only: str = "") -> int:
    chosen = [m for m in MUTATIONS if only.lower() in m.rule.lower()]
    with tempfile.TemporaryDirectory(prefix="fabkiosk-mutations-") as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(ROOT, copy, ignore=_SKIP)
        for venv in (".venv", ".venv-octoprint"):
            if (ROOT / venv).exists():
                (copy / venv).symlink_to((ROOT / venv).resolve())
        every_test = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
        if _run_tests(copy, every_test) != 0:
            print("the named tests do not pass on the unchanged project: fix them first")
            return 2
        print(f"{'rule removed or weakened':<42}{'file':<38}{'result':<13}{'s':>5}")
        missed = 0
        for mutation in chosen:
            original = _apply(copy, mutation)
            started = time.monotonic()
            try:
                code = _run_tests(copy, mutation.tests)
            finally:
                (copy / mutation.file).write_text(original)
            result = {0: "NOT CAUGHT", 1: "caught"}.get(code, f"error {code}")
            missed += code != 1
            print(f"{mutation.rule:<42}{mutation.file:<38}{result:<13}{time.monotonic() - started:>5.0f}", flush=True)
        print(f"{len(chosen) - missed} of {len(chosen)} rule removals made their tests fail.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
