"""Benchmark: validator throughput on a one-million-line program sliced by PrusaSlicer.

Run: .venv/bin/python bench/validate.py
Target: at least 300,000 lines per second on the 2-core reference machine.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import trimesh

from app.config import load_settings
from app.services import build_services
from machine_adapters.gcode import validate_program

TARGET_LINES = 1_000_000
REPEATS = 3


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fabkiosk-bench-") as tmp:
        services = build_services(load_settings(None, data_dir=str(Path(tmp) / "data")))
        vase = trimesh.creation.cylinder(radius=35, height=120, sections=256)
        plan = services.pipeline.quote_upload(bytes(vase.export(file_type="stl")), "vase.stl", "printer-1").plan
        assert plan.program_path is not None
        sliced = plan.program_path.read_text()
    lines = sliced.count("\n")
    program = sliced * -(-TARGET_LINES // lines)  # the same real program again and again, homing each time
    total = program.count("\n")
    profile = services.machines["printer-1"]
    times, cpu_times = [], []
    for _ in range(REPEATS):
        started, cpu_started = time.perf_counter(), time.process_time()
        safe = validate_program(program, profile)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    seconds, cpu = statistics.median(times), statistics.median(cpu_times)
    print("fabkiosk validator benchmark (median of 3 runs)")
    print(f"{'program':<34}{'lines':>10}{'commands':>10}{'seconds':>9}{'lines/s':>11}{'CPU s':>8}{'lines/CPU s':>13}")
    print(
        f"{'PrusaSlicer output, repeated':<34}{total:>10}{len(safe):>10}{seconds:>9.2f}{total / seconds:>11.0f}"
        f"{cpu:>8.2f}{total / cpu:>13.0f}"
    )
    print("  lines/s counts every line read, comments included. Target: >= 300000 lines/s.")
    print("  lines/CPU s is the same on this process's CPU time: it tells the code's speed on a machine busy with")
    print("  other work, where the wall clock also counts the time the process waited for a core.")


if __name__ == "__main__":
    main()
