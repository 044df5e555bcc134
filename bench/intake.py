"""Benchmark: how long a designer waits for the intake checks of a template, for each shipped template.

Run: .venv/bin/python -m bench.intake
Each template is checked cold (a fresh data folder: nothing rendered, sliced or drawn yet) as a designer's
submission is: rendered at its defaults and the corners of its parameter space (corner renders in parallel within
the tool slots, one per core), each render measured against its text area, checked on each machine kind and
sliced or given toolpaths. Target on the 2-core reference machine: at most 60 s per template.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from app.config import load_settings
from app.designers.intake import corners_of, intake_passed
from app.designs.catalog import load_catalog
from app.services import build_services

TARGET_S = 60.0


def main() -> None:
    settings = load_settings(None)
    shipped = load_catalog(settings.templates_dir)
    rows: list[tuple[str, int, float, str]] = []
    for template in shipped.values():
        with tempfile.TemporaryDirectory(prefix="fabkiosk-bench-intake-") as folder:
            services = build_services(load_settings(None, data_dir=str(Path(folder) / "data")))
            meta = (settings.templates_dir / f"{template.id}.toml").read_text(encoding="utf-8")
            started = time.perf_counter()
            results = services.submissions.intake.check(template.id, meta, template.source)
            seconds = time.perf_counter() - started
            failed = [f"{r.check} at {r.corner}" for r in results if not r.passed]
            rows.append((template.id, len(corners_of(template)), seconds, "passes" if intake_passed(results) else
                         "refused: " + "; ".join(failed)))  # fmt: skip
    print(f"intake per shipped template, cold, {os.cpu_count()} tool slots; target <= {TARGET_S:g} s each")
    print(f"{'template':<14} {'corners':>7} {'seconds':>8}  {'target':<6}  result")
    for name, corners, seconds, result in rows:
        verdict = "met" if seconds <= TARGET_S else "MISSED"
        print(f"{name:<14} {corners:>7} {seconds:>8.1f}  {verdict:<6}  {result}")
    slowest = max(seconds for _, _, seconds, _ in rows)
    print(f"slowest: {slowest:.1f} s (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
