"""Benchmark: Marlin streaming over a real pty to the firmware simulator, at 1, 6 and 16 ms ok-latency.

Run: .venv/bin/python -m bench.stream_marlin [--seconds 15]
Compares (a) a bare loop that writes one line and waits for its "ok" (the ping-pong floor), (b) fabkiosk with
one line in flight, (c) fabkiosk windowed by ADVANCED_OK, (d) OctoPrint's own serial host (a real `octoprint serve`
from .venv-octoprint) printing the same file to the same simulator. Targets: (b) >= 0.95 x (a); (c) >= 3 x (d) at 6 ms.
Then 1,000,000 lines in process at 1 % corrupted lines: lost, duplicated and out-of-order lines (must be 0, 0, 0).
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

from machine_adapters.base import JobEnded
from machine_adapters.gcode import SafeProgram, validate_program
from machine_adapters.marlin import MarlinMachine
from machine_adapters.marlin_wire import ReplyKind, frame, parse_reply
from machine_adapters.profiles import load_machines
from machine_adapters.recipes import end_of_job
from machine_adapters.simulators.marlin import MarlinSimulator
from machine_adapters.simulators.pty import PtyBridge
from machine_adapters.transport import SerialTransport
from tests.octoprint_host import OctoPrintServer

PROFILE = load_machines(Path(__file__).resolve().parent.parent / "assets" / "machines.example.toml")["printer-1"]


def short_segments(count: int) -> SafeProgram:
    lines = ["G90", "M83", "G28", "G1 Z0.2 F600", "G1 F3000"]
    for i in range(count - len(lines)):
        lines.append(f"G1 X{100 + (i % 40) * 0.5:.1f} Y{100 + (i // 40 % 40) * 0.5:.1f} E0.01")
    return validate_program("\n".join(lines), PROFILE)


def bare_loop(program: SafeProgram, latency_s: float, seconds: float) -> float:
    sim = MarlinSimulator(ok_latency_s=latency_s)
    bridge = PtyBridge(sim)
    port = SerialTransport(bridge.path, 115200)
    try:
        time.sleep(0.2)
        while port.readline(0.05):
            pass  # the boot greeting
        started = time.perf_counter()
        sent = 0
        for number, line in enumerate(program, start=1):
            if number == 1:
                port.write(frame(0, "M110 N0"))
                _wait_ok(port)
            port.write(frame(number, line))
            _wait_ok(port)
            sent += 1
            if time.perf_counter() - started > seconds:
                break
        return sent / (time.perf_counter() - started)
    finally:
        port.close()
        bridge.close()
        sim.shut_down()


def _wait_ok(port: SerialTransport) -> None:
    while parse_reply(port.readline(5)).kind is not ReplyKind.OK:
        pass


def fabkiosk(program: SafeProgram, latency_s: float, seconds: float, advanced_ok: bool) -> float:
    sim = MarlinSimulator(ok_latency_s=latency_s, advanced_ok=advanced_ok)
    bridge = PtyBridge(sim)
    machine = MarlinMachine(PROFILE, lambda: SerialTransport(bridge.path, 115200), boot_wait_s=0.3)
    done = threading.Event()
    machine.job_ended.subscribe(lambda _: done.set())
    try:
        machine.connect()
        time.sleep(0.2)
        before = len(sim.executed)
        started = time.perf_counter()
        machine.start(program, "bench")
        done.wait(seconds)
        elapsed = time.perf_counter() - started
        return (len(sim.executed) - before) / elapsed
    finally:
        machine.disconnect()
        bridge.close()
        sim.shut_down()


def octoprint_host(server: OctoPrintServer, program: SafeProgram, latency_s: float, seconds: float) -> float:
    sim = MarlinSimulator(ok_latency_s=latency_s)
    bridge = PtyBridge(sim)
    try:
        server.connect(bridge.path)
        server.print_file("bench.gcode", "\n".join(program) + "\n")
        deadline = time.monotonic() + 30
        while program[-1] not in sim.executed[-len(program) :] and program[5] not in sim.executed:
            if time.monotonic() > deadline:
                raise RuntimeError("OctoPrint did not start printing")
            time.sleep(0.005)
        started, before = time.perf_counter(), len(sim.executed)
        time.sleep(seconds)
        rate = (len(sim.executed) - before) / (time.perf_counter() - started)
        server.cancel()
        server.disconnect()
        return rate
    finally:
        bridge.close()
        sim.shut_down()


def corruption_run(lines: int, rate: float) -> tuple[int, int, int, float]:
    sim = MarlinSimulator(corrupt_rate=rate, advanced_ok=True, seed=11)
    machine = MarlinMachine(PROFILE, lambda: sim, boot_wait_s=0.3)
    ended: list[JobEnded] = []
    done = threading.Event()
    machine.job_ended.subscribe(lambda e: (ended.append(e), done.set()))
    program = short_segments(lines)
    machine.connect()
    start_index = len(sim.executed) + 1  # after the handshake and M155
    started = time.perf_counter()
    machine.start(program, "million")
    done.wait(3600)
    elapsed = time.perf_counter() - started
    machine.disconnect()
    sim.shut_down()
    executed = [c for c in sim.executed[start_index - 1 :] if c != "M155 S2"][: len(program) + 10]
    expected = [*program, *end_of_job(PROFILE)]  # the host ends every job in the printer's safe state
    lost = max(0, len(expected) - len(executed))
    duplicated = max(0, len(executed) - len(expected))
    out_of_order = sum(1 for a, b in zip(executed, expected, strict=False) if a != b)
    return lost, duplicated, out_of_order, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15.0, help="longest run per case")
    parser.add_argument("--million", type=int, default=1_000_000, help="lines for the corruption run")
    args = parser.parse_args()
    program = short_segments(20_000)
    print(
        "Marlin streaming over a pty, 20,000 short segments (lines per second; each case ends after "
        f"{args.seconds:g} s or the whole program)"
    )
    header = f"{'latency':>8}{'(a) bare':>10}{'(b) 1 in flight':>17}{'(c) windowed':>14}{'(d) OctoPrint':>15}"
    print(header + f"{'b/a':>7}{'c/d':>7}")
    server = OctoPrintServer()
    try:
        for latency_ms in (1, 6, 16):
            latency = latency_ms / 1000
            a = bare_loop(program, latency, args.seconds)
            b = fabkiosk(program, latency, args.seconds, advanced_ok=False)
            c = fabkiosk(program, latency, args.seconds, advanced_ok=True)
            d = octoprint_host(server, program, latency, args.seconds)
            print(f"{latency_ms:>6}ms{a:>10.0f}{b:>17.0f}{c:>14.0f}{d:>15.0f}{b / a:>6.2f}×{c / d:>6.2f}×")
    finally:
        server.stop()
    print("  lines/s; b/a and c/d are ratios. (d) is OctoPrint 1.11's serial host printing the same file to the same")
    print("  simulator on a pty. Targets: b/a >= 0.95; c/d >= 3 at 6 ms.\n")
    lost, duplicated, out_of_order, elapsed = corruption_run(args.million, 0.01)
    print(
        f"{args.million:,} lines in process, 1 % of lines corrupted on the wire: "
        f"lost {lost}, duplicated {duplicated}, out of order {out_of_order} ({elapsed:.0f} s). Target: 0, 0, 0."
    )


if __name__ == "__main__":
    main()
