"""Benchmark and fuzzer: structured hostile uploads (STL, OBJ, 3MF, SVG) through the real checks, each within budget.

Run: .venv/bin/python -m bench.fuzz [--cases 10000] [--seed 1]
Prints accepted / refused / internal errors / over budget, and the slowest and largest cases.
Target: 0 internal errors and 0 over budget. The generator lives with the tests (tests/upload_fuzz.py), which run
a few hundred of the same cases.
"""

# ruff: noqa: E501  (the report's table rows read best on one line each)
from __future__ import annotations

import argparse
import signal
import time
from collections import Counter

from app.config import UploadLimits
from app.designs.check_process import CHECKS
from tests.upload_fuzz import GRACE_S, Outcome, cases, demo_laser, run_case, warm_up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    laser = demo_laser()
    warm_up()
    outcomes: list[Outcome] = []
    started = time.monotonic()
    # a stop request (Ctrl-C, or SIGTERM from a job runner) ends the run with the table so far
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        for case in cases(args.cases, args.seed):
            outcome = run_case(case, laser)
            outcomes.append(outcome)
            if outcome.kind == "internal error" or outcome.over_budget:
                print(
                    f"case {case.number} ({case.fmt}, {case.mutation}): {outcome.kind} {outcome.seconds:.1f} s {outcome.detail}"
                )
            if len(outcomes) % 500 == 0:  # a running tally, so a long run shows where it is
                tally = Counter(o.kind for o in outcomes)
                over = sum(o.over_budget for o in outcomes)
                print(
                    f"{len(outcomes)} cases, {time.monotonic() - started:.0f} s: {dict(tally)}, over budget {over}",
                    flush=True,
                )
    except KeyboardInterrupt:
        print(f"stopped after {len(outcomes)} of {args.cases} cases")
    CHECKS.close()
    kinds = Counter(o.kind for o in outcomes)
    print(f"\n{len(outcomes)} cases (seed {args.seed}) in {time.monotonic() - started:.0f} s")
    print("| outcome | cases |\n|---|---|")
    for kind in ("accepted", "refused", "internal error"):
        print(f"| {kind} | {kinds[kind]} |")
    print(
        f"| over budget (> {UploadLimits().stage_seconds:g} s + {GRACE_S:g} s) | {sum(o.over_budget for o in outcomes)} |"
    )
    by_format = Counter((o.case.fmt, o.kind) for o in outcomes)
    print("\n| format | accepted | refused | internal error |\n|---|---|---|---|")
    for fmt in ("stl", "obj", "3mf", "svg"):
        print(
            f"| {fmt} | {by_format[(fmt, 'accepted')]} | {by_format[(fmt, 'refused')]} | {by_format[(fmt, 'internal error')]} |"
        )
    print("\nslowest:")
    for o in sorted(outcomes, key=lambda o: -o.seconds)[:5]:
        print(
            f"  {o.seconds:6.2f} s  case {o.case.number} {o.case.fmt} {o.case.mutation} ({len(o.case.data)} bytes): {o.kind} {o.detail}"
        )
    print("largest (peak memory of the checking process):")
    for o in sorted(outcomes, key=lambda o: -o.peak_mb)[:5]:
        print(
            f"  {o.peak_mb:6.0f} MB case {o.case.number} {o.case.fmt} {o.case.mutation} ({len(o.case.data)} bytes): {o.kind} {o.detail}"
        )


if __name__ == "__main__":
    main()
