"""Benchmark: how long a customer waits for a price, next to PrusaSlicer alone on the same file.

Run: .venv/bin/python bench/quote.py
Targets (2-core reference machine): template -> price <= 3 s cold; upload -> price <= 1.25 x PrusaSlicer alone
at 200k faces.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import trimesh

from app.config import load_settings
from app.designs.catalog import load_catalog
from app.designs.checks import PartCheck, check_part
from app.designs.preview import write_preview
from app.designs.uploads import read_mesh
from app.production.slicer import profile_files
from app.services import build_services
from app.tool_runner import run_tool

PRINTER = "printer-1"
REPEATS = 3


def torus(faces: int) -> trimesh.Trimesh:
    """A torus of about `faces` triangles, 80 mm across: smooth and watertight, like a real upload."""
    minor = max(8, int((faces / 2 / 2.5) ** 0.5))
    major = max(8, faces // (2 * minor))
    return trimesh.creation.torus(major_radius=30, minor_radius=10, major_sections=major, minor_sections=minor)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_of(action: Callable[[], object], repeats: int = REPEATS) -> float:
    return statistics.median(timed(action) for _ in range(repeats))


def bench_upload(
    work: Path, label: str, faces: int, standing: bool = False
) -> tuple[str, int, float, float, float, float]:
    mesh = torus(faces)
    if standing:  # on its rim: the checks must lay it flat, so the program is made after them
        mesh.apply_transform(trimesh.transformations.rotation_matrix(1.5708, [1, 0, 0]))
    data = bytes(mesh.export(file_type="stl"))
    model = work / f"{label.replace(' ', '_')}.stl"
    model.write_bytes(data)
    settings = load_settings(None, data_dir=str(work / "bench-data"))
    machine = build_services(settings).machines[PRINTER]

    def checks() -> PartCheck:
        return check_part(read_mesh(data, "stl", settings.uploads), machine.envelope, lay_flat=True)

    check = checks()
    t_checks = median_of(checks)
    t_preview = median_of(lambda: write_preview(check.mesh, work / f"p-{time.perf_counter_ns()}.glb"))
    prices = []
    for _ in range(REPEATS):  # an empty cache each time; building the services is start-up, not waiting
        cold = build_services(load_settings(None, data_dir=str(work / f"cold-{time.perf_counter_ns()}")))
        prices.append(timed(lambda c=cold: c.pipeline.quote_upload(data, model.name, PRINTER)))
    args = ["prusa-slicer", "--export-gcode"]
    for file in profile_files(settings.profiles_dir, machine, machine.loaded_material):
        args += ["--load", str(file)]
    args += ["--center", "110,110", "-o", str(work / "alone.gcode"), str(model)]
    t_slicer = median_of(lambda: run_tool(args, 600))
    return (label, len(mesh.faces), t_checks, t_preview, statistics.median(prices), t_slicer)


def bench_template(work: Path, template_id: str) -> tuple[str, float, float]:
    warm = build_services(load_settings(None, data_dir=str(work / "templates-warm")))
    template = warm.catalog[template_id]
    machine = next(m.id for m in warm.machines.values() if m.kind.value in template.machine_kinds)
    values = {"name": "Benchmark"} if "name" in {p.name for p in template.parameters} else {}
    colds = []
    for _ in range(REPEATS):  # an empty cache each time; building the services is start-up, not waiting
        cold = build_services(load_settings(None, data_dir=str(work / f"tcold-{time.perf_counter_ns()}")))
        colds.append(timed(lambda c=cold: c.pipeline.quote_template(template_id, values, machine)))
    warm.pipeline.quote_template(template_id, values, machine)
    cached = median_of(lambda: warm.pipeline.quote_template(template_id, values, machine))
    return (template_id, statistics.median(colds), cached)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fabkiosk-bench-") as tmp:
        work = Path(tmp)
        print(f"fabkiosk quote benchmark: median of {REPEATS} runs, seconds unless marked ×\n")
        print("Upload -> price, next to PrusaSlicer alone on the same file (same profiles, same machine)")
        print(f"{'model':<14}{'faces':>10}{'checks':>9}{'preview':>9}{'price':>9}{'slicer':>9}{'price/slicer':>14}")
        cases = (
            ("small", 5_000, False),
            ("200k faces", 200_000, False),
            ("1M faces", 1_000_000, False),
            ("200k, turned", 200_000, True),
        )
        for size_label, faces, standing in cases:
            label, faces, t_checks, t_preview, t_price, t_slicer = bench_upload(work, size_label, faces, standing)
            ratio = t_price / t_slicer
            print(
                f"{label:<14}{faces:>10}{t_checks:>9.2f}{t_preview:>9.2f}{t_price:>9.2f}{t_slicer:>9.2f}{ratio:>13.2f}×"
            )
        print("  checks = read + repair + orient; preview = decimated GLB; price = whole pipeline, empty cache;")
        print("  slicer = PrusaSlicer CLI alone. Target: price/slicer <= 1.25× at 200k faces.")
        print("  'turned': uploaded standing on its rim, so it is laid flat before slicing (worst case).\n")
        print("Template -> price (render, checks, slice, quote)")
        print(f"{'template':<14}{'cold':>8}{'cached':>9}")
        for template_id in load_catalog(load_settings(None).templates_dir):
            template_id, cold, cached = bench_template(work, template_id)
            print(f"{template_id:<14}{cold:>8.2f}{cached:>9.2f}")
        print("  cold = empty cache (OpenSCAD and PrusaSlicer run); cached = same values again. Target: cold <= 3 s.")


if __name__ == "__main__":
    main()
