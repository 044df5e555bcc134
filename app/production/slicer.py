"""Slicing with the PrusaSlicer CLI: one profile set per machine and material, a timeout, clear failures."""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from app.designs.checks import MIN_THICKNESS_MM, MIN_WALL_MM
from app.designs.problems import reject
from app.i18n import t
from app.tool_runner import ToolTimeout, run_tool
from machine_adapters.profiles import MachineProfile

_log = logging.getLogger(__name__)
PRUSA_SLICER = "prusa-slicer"
PRINT_PROFILE = "print_standard.ini"

_TIME = re.compile(r"^; estimated printing time \(normal mode\) = (.+)$", re.MULTILINE)
_GRAMS = re.compile(r"^; total filament used \[g\] = ([0-9.]+)$", re.MULTILINE)
_TAIL_BYTES = 64 * 1024  # the estimates and the config dump sit at the end of the file


@dataclass(frozen=True)
class SlicedProgram:
    gcode_path: Path
    estimated_seconds: int
    material_grams: float
    layers: int


def profile_files(profiles_dir: Path, machine: MachineProfile, material: str) -> list[Path]:
    files = [
        profiles_dir / machine.slicer_profile,
        profiles_dir / PRINT_PROFILE,
        profiles_dir / f"filament_{material.lower()}.ini",
    ]
    for file in files:
        if not file.is_file():
            raise reject(
                "slice.no_profile",
                t("This machine has no slicing profile for {material}.", material=material),
                t("Ask the staff to set up the material."),
            )
    return files


def slice_part(
    mesh_stl: Path,
    machine: MachineProfile,
    material: str,
    profiles_dir: Path,
    output: Path,
    timeout_s: float,
    cancel: threading.Event | None = None,
) -> SlicedProgram:
    """Slice a checked, placed part to G-code at `output`; raise DesignRejected with the reason on failure.

    `output` names the result by its inputs: when it exists, the part was sliced before and is not again.
    """
    output = output.resolve()  # PrusaSlicer runs in a folder of its own: a relative path would point inside it
    if output.exists():
        return SlicedProgram(output, *_read_estimates(output))
    args = [PRUSA_SLICER, "--export-gcode"]
    for file in profile_files(profiles_dir, machine, material):
        args += ["--load", str(file.resolve())]
    args += ["--center", f"{machine.envelope.x / 2:g},{machine.envelope.y / 2:g}"]
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fabkiosk-slice-", dir=output.parent) as work:
        partial = Path(work) / "program.gcode"
        args += ["-o", str(partial), str(mesh_stl.resolve())]
        try:
            result = run_tool(args, timeout_s, cwd=Path(work), cancel=cancel)
        except ToolTimeout as e:
            raise reject(
                "slice.timeout",
                t(
                    "Preparing the print took too long ({seconds} s) and was stopped.",
                    seconds=f"{timeout_s:g}",
                ),
                t("Try a smaller or simpler part."),
            ) from e
        if result.returncode != 0 or not partial.exists():
            raise _failure(result.returncode, result.stdout + result.stderr)
        estimates = _read_estimates(partial)
        os.replace(partial, output)
    return SlicedProgram(output, *estimates)


def _failure(code: int, log: str) -> Exception:
    """What went wrong, from what PrusaSlicer says (its messages in libslic3r: PrintBase's error texts and
    GCode.cpp's "No extrusions were generated for objects."), as a message the customer can act on. The part it
    was given is one we wrote after our own checks: exporting the file again cannot help, so no message says so."""
    lowered = log.lower()
    if code == 134 or "outside of the print area" in log or "not fit" in lowered:
        return reject(
            "slice.does_not_fit",
            t("The part does not fit on the printer's bed."),
            t("Scale the part down or choose a larger machine."),
        )
    if "No layers were detected" in log:
        return reject(
            "slice.nothing_to_slice",
            t("The part is too flat to print: the printer would not get a single layer out of it."),
            t("Give it a thickness of at least {min} mm, or scale it up.", min=f"{MIN_THICKNESS_MM:g}"),
        )
    if "No extrusions were generated" in log or "The print is empty" in log:
        return reject(
            "slice.too_thin",
            t("The walls of this part are thinner than the printer's nozzle can draw, so nothing would be printed."),
            t("Make the walls at least {min} mm thick, or scale the part up.", min=f"{MIN_WALL_MM:g}"),
        )
    if "no extrusions in the first layer" in lowered:
        return reject(
            "slice.no_first_layer",
            t("The part touches the bed too little for the first layer to hold."),
            t("Give it a flat side to stand on, or ask the staff for help."),
        )
    log_tail = " | ".join(line for line in log.splitlines()[-5:] if line.strip())
    _log.warning("PrusaSlicer failed (exit %s): %s", code, log_tail)
    return reject(
        "slice.failed",
        t("The printer's slicer could not prepare this part."),
        t("Ask the staff for help: they can see what went wrong."),
    )


def _read_estimates(gcode: Path) -> tuple[int, float, int]:
    with gcode.open("rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - _TAIL_BYTES))
        tail = f.read().decode("utf-8", errors="replace")
    time_match, grams_match = _TIME.search(tail), _GRAMS.search(tail)
    if not time_match or not grams_match:
        raise reject(
            "slice.no_estimate",
            t("The slicer gave no time or material estimate."),
            t("Ask the staff to check the slicing profile."),
        )
    layers = _count_layers(gcode)
    return parse_duration(time_match.group(1)), float(grams_match.group(1)), layers


def _count_layers(gcode: Path) -> int:
    count = 0
    with gcode.open("rb") as f:
        for line in f:
            if line.startswith(b";LAYER_CHANGE"):
                count += 1
    return count


def parse_duration(text: str) -> int:
    """Seconds from PrusaSlicer's '1d 2h 3m 4s' style."""
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)\s*([dhms])", text)
    if not parts:
        raise ValueError(f"not a duration: {text!r}")
    return sum(int(n) * units[u] for n, u in parts)
