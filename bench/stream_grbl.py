"""Benchmark: GRBL streaming to the firmware simulator at 1, 6 and 16 ms reply latency.

Run: .venv/bin/python -m bench.stream_grbl [--lines 6000]
A dense raster engraving (0.25 mm steps at 100 mm/s, a power change on every line) is streamed two ways:
(a) send-response, one line and wait for its "ok" (what GRBL's docs call the simple method; fabkiosk uses it only
for settings); (b) fabkiosk's host, character counting within the 128-byte RX buffer minus one.
Throughput: motion is instant in the simulator, so lines per second measure the streaming alone.
Starvation: the same program in real time (each move 2.5 ms); how often the planner runs empty before the end.
The simulator's serial line runs at 115200 baud in its own time, as a real board's does: instant with instant
motion, real with real-time motion, where about 23 bytes a line take 2 ms of the 2.5 ms each move lasts.
Targets: (b) >= 3.5 x (a) at 6 ms; no starvation at 1 ms.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

from machine_adapters.base import JobEnded
from machine_adapters.gcode import SafeProgram, validate_program
from machine_adapters.grbl import GrblMachine
from machine_adapters.grbl_wire import ReplyKind, parse_reply
from machine_adapters.profiles import load_machines
from machine_adapters.simulators.grbl import GrblSimulator

PROFILE = load_machines(Path(__file__).resolve().parent.parent / "assets" / "machines.example.toml")["laser-1"]
SETTINGS = {130: 400, 131: 300, 132: 50, 30: 1000, 32: 1, 110: 6000, 111: 6000, 120: 800, 121: 800}
STEP_MM = 0.25


def raster(lines: int) -> SafeProgram:
    out = ["G21", "G90", "M4 S0", "G0 X10 Y10", "G1 F6000"]
    per_row = 200
    for i in range(lines - len(out)):
        row, column = divmod(i, per_row)
        x = 10 + (column if row % 2 == 0 else per_row - column) * STEP_MM
        out.append(f"G1 X{x:.2f} Y{10 + row * 0.1:.2f} S{(i * 37) % 800}")
    out.append("M5")
    return validate_program("\n".join(out) + "\n", PROFILE)


def send_response(program: SafeProgram, latency_s: float, time_factor: float) -> tuple[float, int]:
    firmware = GrblSimulator(time_factor=time_factor, settings=SETTINGS, homed=True, reply_latency_s=latency_s)
    try:
        while firmware.readline(0.05):
            pass  # the welcome
        started = time.perf_counter()
        for line in program:
            firmware.write(line.encode("ascii") + b"\n")
            while parse_reply(firmware.readline(5)).kind not in (ReplyKind.OK, ReplyKind.ERROR):
                pass
        while firmware.state == "Run":
            time.sleep(0.001)
        return len(program) / (time.perf_counter() - started), firmware.planner_emptied - 1
    finally:
        firmware.shut_down()


def character_counting(program: SafeProgram, latency_s: float, time_factor: float) -> tuple[float, int]:
    """fabkiosk's host: after its check mode (not timed), from the first line streamed to the job's end."""
    firmware = GrblSimulator(time_factor=time_factor, settings=SETTINGS, homed=True, reply_latency_s=latency_s)
    machine = GrblMachine(PROFILE, lambda: firmware, reply_timeout_s=5)
    done = threading.Event()
    machine.job_ended.subscribe(lambda ended: done.set() if isinstance(ended, JobEnded) else None)
    try:
        machine.connect()
        emptied_before = firmware.planner_emptied
        machine.start(program, "bench")
        while machine.status.state.value != "running" or machine.status.lines_done == 0:
            time.sleep(0.0005)  # the check mode pass ends when the run's first lines are acknowledged
        started, done_before = time.perf_counter(), machine.status.lines_done
        done.wait(600)
        elapsed = time.perf_counter() - started
        return (len(program) - done_before) / elapsed, firmware.planner_emptied - emptied_before - 1
    finally:
        machine.disconnect()
        firmware.shut_down()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=6000)
    args = parser.parse_args()
    program = raster(args.lines)
    print(f"GRBL streaming, a raster engraving of {len(program):,} lines (0.25 mm steps, power on every line)")
    print(f"{'latency':>8}{'(a) send-response':>19}{'(b) char counting':>19}{'b/a':>7}{'starved (a)':>13}{'(b)':>6}")
    for latency_ms in (1, 6, 16):
        latency = latency_ms / 1000
        a, _ = send_response(program, latency, 0.0)
        b, _ = character_counting(program, latency, 0.0)
        _, starved_a = send_response(program, latency, 1.0)
        _, starved_b = character_counting(program, latency, 1.0)
        print(f"{latency_ms:>6}ms{a:>19.0f}{b:>19.0f}{b / a:>6.2f}×{starved_a:>13}{starved_b:>6}")
    print("  lines/s with instant motion; 'starved' counts how often the planner ran empty before the program's end")
    print("  with motion in real time (each move takes 2.5 ms).")
    print("  Targets: b/a >= 3.5 at 6 ms; (b) never starved at 1 ms.")


if __name__ == "__main__":
    main()
