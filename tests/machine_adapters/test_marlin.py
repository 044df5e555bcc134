"""The Marlin host against the firmware simulator: every line once and in order, and every fault ending safe."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from machine_adapters import base, marlin_stream
from machine_adapters.base import JobEnded, MachineAction, MachineState
from machine_adapters.clock import TestClock
from machine_adapters.gcode import SafeProgram, validate_program
from machine_adapters.marlin import MarlinMachine
from machine_adapters.profiles import load_machines
from machine_adapters.recipes import NoRecipe
from machine_adapters.simulators.marlin import MarlinSimulator
from machine_adapters.simulators.pty import PtyBridge
from machine_adapters.transport import SerialTransport
from tests.conftest import eventually, seen_by

PROFILE = load_machines(Path(__file__).parents[2] / "assets" / "machines.example.toml")["printer-1"]


def program_of(moves: int) -> SafeProgram:
    lines = ["G90", "M83", "M104 S200", "M140 S60", "G28", "M190 S60", "M109 S200", "G1 Z0.3 F600"]
    for i in range(moves):
        x = 20 + (i * 7) % 180
        y = 20 + (i * 13) % 180
        lines.append(f"G1 X{x} Y{y} E0.05 F3000")
    lines += ["M104 S0", "M140 S0", "M84"]
    return validate_program("\n".join(lines), PROFILE)


class Rig:
    """A printer on the bench: simulator, host, and what the host reported."""

    def __init__(
        self,
        simulator: MarlinSimulator,
        clock: TestClock | None = None,
        transport: Callable[[], object] | None = None,
        **options: float,
    ) -> None:
        self.simulator = simulator
        # real time, unless a test stands the clock still; either way the test can skip time and see the port
        # thread's rounds
        self.clock = clock or TestClock(running=True)
        self.machine = MarlinMachine(PROFILE, transport or (lambda: simulator), self.clock, boot_wait_s=0.3, **options)  # type: ignore[arg-type]
        self.ended: list[JobEnded] = []
        self.done = threading.Event()
        self.machine.job_ended.subscribe(self._ended)

    def _ended(self, ended: JobEnded) -> None:
        self.ended.append(ended)
        self.done.set()

    def run(self, program: SafeProgram, timeout: float = 60) -> JobEnded:
        self.machine.start(program, "job-1")
        assert self.done.wait(timeout), f"job did not end; status {self.machine.status}"
        return self.ended[0]

    def executed_program(self, program: SafeProgram) -> list[str]:
        executed = self.simulator.executed
        first = executed.index(program[0])
        return executed[first : first + len(program)]

    def wait_for(self, state: MachineState, timeout: float = 10) -> None:
        eventually(lambda: self.machine.status.state is state, timeout, f"{state} (now {self.machine.status.state})")

    def settled(self) -> None:
        """The port thread went round its loop since now: what it was going to send or decide, it has."""
        seen_by(self.clock, f"marlin-{PROFILE.id}")


@pytest.fixture
def rigs() -> Iterator[list[Rig]]:
    made: list[Rig] = []
    yield made
    for rig in made:
        rig.machine.disconnect()
        rig.simulator.shut_down()


def rig(rigs: list[Rig], simulator: MarlinSimulator | None = None, **options: object) -> Rig:
    made = Rig(simulator or MarlinSimulator(), **options)  # type: ignore[arg-type]
    rigs.append(made)
    made.machine.connect()
    return made


# --- streaming --------------------------------------------------------------------------------------


@pytest.mark.parametrize("advanced_ok", [False, True], ids=["one-in-flight", "advanced-ok-window"])
@pytest.mark.parametrize("corrupt_rate", [0.0, 0.05])
@pytest.mark.parametrize("resend_with_ok", [True, False], ids=["resend+ok", "resend-no-ok"])
def test_every_line_runs_exactly_once_in_order(
    rigs: list[Rig], advanced_ok: bool, corrupt_rate: float, resend_with_ok: bool
) -> None:
    sim = MarlinSimulator(advanced_ok=advanced_ok, corrupt_rate=corrupt_rate, resend_with_ok=resend_with_ok, seed=7)
    printer = rig(rigs, sim)
    assert printer.machine.status.state is MachineState.IDLE
    program = program_of(3000)
    ended = printer.run(program)
    assert ended.completed and ended.job_id == "job-1"
    assert printer.executed_program(program) == list(program)
    assert printer.machine.status.lines_done == len(program)
    if corrupt_rate:
        assert sim.received_lines > len(program)  # resends really happened


def test_handshake_reads_capabilities_and_turns_on_temperature_reports(rigs: list[Rig]) -> None:
    printer = rig(rigs)
    assert printer.machine.capabilities["THERMAL_PROTECTION"] and printer.machine.capabilities["EMERGENCY_PARSER"]
    assert printer.machine.firmware.startswith("FIRMWARE_NAME:Marlin")
    eventually(lambda: len(printer.simulator.executed) >= 3, 5, "the handshake's commands")
    assert printer.simulator.executed[:3] == ["M110 N0", "M115", "M155 S2"]


def test_firmware_without_thermal_protection_is_refused(rigs: list[Rig]) -> None:
    printer = rig(rigs, MarlinSimulator(thermal_protection=False))
    status = printer.machine.status
    assert status.state is MachineState.HALTED and status.needs_staff
    assert "thermal protection" in status.last_error
    with pytest.raises(base.MachineBusy):
        printer.machine.start(program_of(1), "job-x")


def test_garbage_bytes_at_connect_are_skipped(rigs: list[Rig]) -> None:
    sim = MarlinSimulator()
    sim.reset(garbage=b"\xff\x00\xfe\x81garbage\r\n\x1b[0m\n")
    printer = rig(rigs, sim)
    assert printer.machine.status.state is MachineState.IDLE
    assert printer.run(program_of(50)).completed


def test_a_long_heat_up_with_busy_does_not_time_out(rigs: list[Rig]) -> None:
    sim = MarlinSimulator(time_factor=0.02, busy_interval_s=2.0)  # 200 °C in ~1.6 s, busy every 40 ms
    printer = rig(rigs, sim, reply_timeout_s=0.5)
    ended = printer.run(program_of(10), timeout=30)
    assert ended.completed, ended.reason


# --- faults: each ends held, explained, needing staff, never resumed -------------------------------


def start_and_wait(printer: Rig, moves: int = 20000) -> SafeProgram:
    program = program_of(moves)
    printer.machine.start(program, "job-1")
    eventually(lambda: printer.machine.status.lines_done >= 200 or printer.ended, 10, "the job to get going")
    return program


def assert_held(printer: Rig, state: MachineState, words: str) -> None:
    assert printer.done.wait(10)
    ended = printer.ended[0]
    assert not ended.completed and words in ended.reason
    status = printer.machine.status
    assert status.state is state and status.needs_staff and words in status.last_error
    # the port thread ended with the link: the host sends nothing more, and nothing resumes by itself
    eventually(lambda: not printer.machine.linked, 5, "the port thread to end")


def slow_simulator(**options: object) -> MarlinSimulator:
    return MarlinSimulator(time_factor=0.002, **options)  # type: ignore[arg-type]


def test_firmware_reset_mid_job(rigs: list[Rig]) -> None:
    printer = rig(rigs, slow_simulator())
    start_and_wait(printer)
    printer.simulator.reset()
    assert_held(printer, MachineState.HALTED, "restarted")


def test_thermal_runaway_mid_job(rigs: list[Rig]) -> None:
    printer = rig(rigs, slow_simulator())
    start_and_wait(printer)
    printer.simulator.thermal_runaway()
    assert_held(printer, MachineState.HALTED, "heater")


def test_resend_request_beyond_history(rigs: list[Rig]) -> None:
    sim = slow_simulator()
    printer = rig(rigs, sim)
    sim.resend_beyond_history_at = 400
    start_and_wait(printer)
    assert_held(printer, MachineState.LINK_LOST, "unreliable")


def test_the_same_line_asked_for_ten_times(rigs: list[Rig]) -> None:
    sim = slow_simulator()
    printer = rig(rigs, sim)
    sim.always_resend = 300
    start_and_wait(printer)
    assert_held(printer, MachineState.LINK_LOST, "unreliable")
    assert sim.received_lines >= 300 + marlin_stream.MAX_RESENDS_OF_ONE_LINE - 1


def test_silent_firmware_is_tickled_then_declared_lost(rigs: list[Rig]) -> None:
    clock = TestClock()
    printer = rig(rigs, slow_simulator(), clock=clock, reply_timeout_s=5)
    start_and_wait(printer)
    printer.simulator.silent = True
    printer.settled()  # what the firmware said before falling silent has been read
    clock.forward(4)
    printer.settled()
    assert "M105" not in printer.simulator.executed[-3:]  # within the reply timeout: no question yet
    clock.forward(2)  # past the reply timeout: the host asks M105
    eventually(lambda: "M105" in printer.simulator.executed[-3:], 5, "the host to ask for temperatures")
    printer.settled()
    assert not printer.ended
    clock.forward(6)  # still nothing
    assert_held(printer, MachineState.LINK_LOST, "stopped answering")


def test_port_disappears_mid_job(rigs: list[Rig]) -> None:
    printer = rig(rigs, slow_simulator())
    start_and_wait(printer)
    printer.simulator.unplug()
    assert printer.done.wait(10)
    assert printer.machine.status.state is MachineState.LINK_LOST
    assert "connection to the printer was lost" in printer.ended[0].reason


def test_disconnecting_mid_job_holds_it_and_turns_heaters_off(rigs: list[Rig]) -> None:
    printer = rig(rigs, slow_simulator())
    start_and_wait(printer)
    printer.machine.disconnect()
    assert printer.done.wait(5)
    assert not printer.ended[0].completed and "disconnected" in printer.ended[0].reason
    # after what the firmware had buffered
    eventually(lambda: "M104 S0" in printer.simulator.executed[-40:], 5, "heaters off")


# --- actions ---------------------------------------------------------------------------------------


def test_pause_and_resume_run_the_rest_once(rigs: list[Rig]) -> None:
    printer = rig(rigs, MarlinSimulator(time_factor=0.0005))
    program = start_and_wait(printer, moves=3000)
    printer.machine.perform(MachineAction.PAUSE)
    printer.wait_for(MachineState.PAUSED)
    sent = printer.simulator.received_lines
    printer.settled()
    assert printer.simulator.received_lines == sent  # the host sends nothing of the job while paused
    assert printer.simulator.executed[-3:] == ["G91", "G1 Z2.00 F600", "G90"]  # lifted 2 mm off the part
    printer.machine.perform(MachineAction.RESUME)
    assert printer.done.wait(30) and printer.ended[0].completed
    assert "G1 Z-2.00 F600" in printer.simulator.executed  # and lowered by exactly that on resuming
    executed = [c for c in printer.simulator.executed if c in set(program)]
    assert [c for c in printer.simulator.executed if c.startswith("G1 X")] == [
        line for line in program if line.startswith("G1 X")
    ]
    assert executed


def test_cancel_turns_heaters_off_and_parks(rigs: list[Rig]) -> None:
    printer = rig(rigs, slow_simulator())
    start_and_wait(printer)
    printer.machine.perform(MachineAction.CANCEL)
    assert printer.done.wait(10)
    assert not printer.ended[0].completed and printer.ended[0].reason == "cancelled"
    tail = printer.simulator.executed[-8:]
    assert tail[:3] == ["M104 S0", "M140 S0", "M107"] and tail[-1] == "M84"
    assert printer.machine.status.state is MachineState.IDLE


def test_stop_is_out_of_band_and_leaves_the_machine_for_staff(rigs: list[Rig]) -> None:
    printer = rig(rigs, slow_simulator())
    start_and_wait(printer)
    printer.machine.perform(MachineAction.STOP)
    assert printer.done.wait(5)
    assert printer.simulator.halted  # the emergency parser took M112 with the buffer full
    status = printer.machine.status
    assert status.state is MachineState.HALTED and status.needs_staff
    with pytest.raises(base.MachineBusy):
        printer.machine.perform(MachineAction.HOME)


def test_staff_reconnecting_after_a_stop_get_a_ready_printer_and_the_old_stop_is_not_replayed(
    rigs: list[Rig],
) -> None:
    printer = rig(rigs, slow_simulator())
    start_and_wait(printer)
    printer.machine.perform(MachineAction.STOP)
    assert printer.done.wait(5)
    printer.machine.disconnect()
    printer.simulator.reset()  # staff press the board's reset (a USB printer also resets when its port opens)
    printer.machine.connect()
    printer.wait_for(MachineState.IDLE)
    printer.settled()  # the new link's port thread took whatever was queued: no stop among it
    assert printer.machine.status.state is MachineState.IDLE and not printer.machine.status.needs_staff


def test_an_action_a_printer_does_not_have_is_refused_at_once(rigs: list[Rig]) -> None:
    printer = rig(rigs)
    with pytest.raises(NoRecipe, match="cannot frame"):
        printer.machine.perform(MachineAction.FRAME)
    assert printer.machine.status.state is MachineState.IDLE


# --- across a real serial layer -------------------------------------------------------------------


def test_streaming_over_a_pty_with_corruption(rigs: list[Rig]) -> None:
    sim = MarlinSimulator(corrupt_rate=0.05, advanced_ok=True)
    bridge = PtyBridge(sim)
    try:
        printer = Rig(sim, transport=lambda: SerialTransport(bridge.path, 115200))
        rigs.append(printer)
        printer.machine.connect()
        assert printer.machine.status.state is MachineState.IDLE
        program = program_of(3000)
        assert printer.run(program).completed
        assert printer.executed_program(program) == list(program)
    finally:
        bridge.close()


def test_pty_unplugged_mid_job(rigs: list[Rig]) -> None:
    sim = slow_simulator()
    bridge = PtyBridge(sim)
    try:
        printer = Rig(sim, transport=lambda: SerialTransport(bridge.path, 115200))
        rigs.append(printer)
        printer.machine.connect()
        start_and_wait(printer)
        bridge.unplug()
        assert printer.done.wait(20)
        assert printer.machine.status.state is MachineState.LINK_LOST
    finally:
        bridge.close()


# --- the boundary as a type-level fact -------------------------------------------------------------


def test_no_adapter_method_takes_raw_gcode() -> None:
    """Every public method of every machine takes SafeProgram, actions or plain settings, never text to send."""
    classes = [base.Machine, MarlinMachine]
    for cls in classes:
        for name, method in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith("_"):
                continue
            hints = inspect.signature(method).parameters
            for parameter in hints.values():
                annotation = str(parameter.annotation)
                if parameter.name in ("self", "job_id", "loop"):
                    continue
                assert "str" not in annotation and "bytes" not in annotation, f"{cls.__name__}.{name}({parameter})"


# --- heaters off when nobody is printing ------------------------------------------------------------


def test_heaters_go_off_after_five_minutes_paused_and_come_back_before_resuming(rigs: list[Rig]) -> None:
    clock = TestClock()
    printer = rig(rigs, MarlinSimulator(time_factor=0.0005), clock=clock)
    program = start_and_wait(printer, moves=3000)
    eventually(lambda: (h := printer.machine.status.hotend) is not None and h.target == 200, 5, "temperatures")
    printer.machine.perform(MachineAction.PAUSE)
    printer.wait_for(MachineState.PAUSED)
    printer.settled()  # the pause timer started
    clock.forward(299)
    printer.settled()
    assert not printer.machine.idle_heaters.went_off and "M104 S0" not in printer.simulator.executed[-6:]
    clock.forward(1)  # five minutes
    eventually(lambda: printer.simulator.executed[-3:] == ["M104 S0", "M140 S0", "M107"], 5, "heaters off")
    printer.machine.perform(MachineAction.RESUME)
    assert printer.done.wait(30), (printer.machine.status.last_error, printer.simulator.executed[-12:])
    assert printer.ended[0].completed
    after_pause = printer.simulator.executed[printer.simulator.executed.index("M107", -len(program) - 20) :]
    assert after_pause[1:3] == ["M190 S60", "M109 S200"]  # heated up again before the first move
    assert printer.simulator.executed.count(program[-4]) >= 1


def test_heaters_go_off_after_ten_minutes_idle(rigs: list[Rig]) -> None:
    clock = TestClock()
    printer = rig(rigs, clock=clock)
    printer.machine.perform(MachineAction.PREHEAT)
    eventually(lambda: "M104 S200" in printer.simulator.executed, 5, "the preheat")
    printer.settled()  # the idle timer started again with the preheat
    clock.forward(599)
    printer.settled()
    assert not printer.machine.idle_heaters.went_off and "M104 S0" not in printer.simulator.executed
    clock.forward(1)  # ten minutes
    eventually(lambda: printer.simulator.executed[-3:] == ["M104 S0", "M140 S0", "M107"], 5, "heaters off")
