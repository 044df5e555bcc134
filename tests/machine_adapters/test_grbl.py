"""The GRBL host against the GRBL simulator: refusals at connect, check mode first, character counting, real-time
commands, door, alarms. Plus the wire format and the simulator's own firmware semantics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from machine_adapters.base import JobEnded, MachineAction, MachineBusy, MachineState
from machine_adapters.clock import TestClock
from machine_adapters.gcode import SafeProgram, validate_program
from machine_adapters.grbl import (
    REASON_CHECK_FAILED,
    REASON_DISCONNECTED,
    REASON_DOOR,
    REASON_HOMING,
    REASON_LASER_MODE,
    REASON_NEEDS_HOMING,
    REASON_SOFT_LIMITS,
    REASON_SPINDLE_MAX,
    REASON_TRAVEL,
    GrblMachine,
)
from machine_adapters.grbl_wire import (
    ALARMS,
    ERRORS,
    ReplyKind,
    alarm_text,
    homing_seconds,
    locks_until_homed,
    parse_reply,
    parse_status,
)
from machine_adapters.profiles import MachineProfile, load_machines
from machine_adapters.simulators.grbl import GrblSimulator
from tests.conftest import eventually, seen_by

EXAMPLE = Path(__file__).parents[2] / "assets" / "machines.example.toml"
LASER_SETTINGS = {130: 400, 131: 300, 132: 50, 30: 1000, 32: 1}


@pytest.fixture
def laser() -> MachineProfile:
    return load_machines(EXAMPLE)["laser-1"]


def engraving(profile: MachineProfile, squares: int = 20) -> SafeProgram:
    lines = ["G21", "G90", "M4 S0", "G0 X10 Y10"]
    for i in range(squares):
        x, y = 10 + (i % 10) * 12, 10 + (i // 10) * 12
        lines += [f"G0 X{x} Y{y}", "M4 S600", f"G1 X{x + 10} F3000", f"G1 Y{y + 10}", f"G1 X{x}", f"G1 Y{y}", "M4 S0"]
    lines += ["M5", "G0 X0 Y0"]
    return validate_program("\n".join(lines) + "\n", profile)


class Rig:
    def __init__(self, profile: MachineProfile, **simulator: object) -> None:
        settings = dict(LASER_SETTINGS) | dict(simulator.pop("settings", {}))  # type: ignore[call-overload]
        # one clock for the controller and the host: real time, and a test may skip ahead on both at once
        self.clock = TestClock(running=True)
        self.firmware = GrblSimulator(settings=settings, clock=self.clock, **simulator)  # type: ignore[arg-type]
        self.machine = GrblMachine(profile, self.firmware.open, self.clock, reply_timeout_s=3)
        self.ended: list[JobEnded] = []
        self.machine.job_ended.subscribe(self.ended.append)

    def ready(self) -> GrblMachine:
        self.machine.connect()
        assert self.machine.status.state is MachineState.ALARM and self.machine.status.last_error == REASON_NEEDS_HOMING
        self.machine.perform(MachineAction.HOME)  # staff
        eventually(lambda: self.machine.status.state is MachineState.IDLE, 5, "homed")
        return self.machine

    def nothing_moves_for(self, seconds: float) -> None:
        """Skip `seconds` of time and let the controller run them: whatever was going to move, has."""
        self.clock.forward(seconds)
        seen_by(self.clock, "grbl-simulator", looks=20)
        if self.machine.linked:
            seen_by(self.clock, f"grbl-{self.machine.profile.id}")


@pytest.fixture
def rig(laser: MachineProfile) -> Iterator[Rig]:
    made = Rig(laser, time_factor=0.02)  # fifty times real speed
    yield made
    made.machine.disconnect()


# --- the wire ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind", "code"),
    [
        (b"ok\r\n", ReplyKind.OK, 0),
        (b"error:22\r\n", ReplyKind.ERROR, 22),
        (b"ALARM:3\r\n", ReplyKind.ALARM, 3),
        (b"Grbl 1.1h ['$' for help]\r\n", ReplyKind.WELCOME, 0),
        (b"GrblHAL 1.1f ['$' or '$HELP' for help]\r\n", ReplyKind.WELCOME, 0),
        (b"$130=400.000\r\n", ReplyKind.SETTING, 0),
        (b"[MSG:'$H'|'$X' to unlock]\r\n", ReplyKind.MESSAGE, 0),
        (b"<Idle|MPos:0.000,0.000,0.000|FS:0,0>\r\n", ReplyKind.STATUS, 0),
    ],
)
def test_replies_are_told_apart(raw: bytes, kind: ReplyKind, code: int) -> None:
    reply = parse_reply(raw)
    assert (reply.kind, reply.code) == (kind, code)


def test_status_reports_give_state_positions_buffers_and_pins() -> None:
    report = parse_status("<Hold:0|MPos:12.000,5.500,-1.000|Bf:14,120|FS:600,400|WCO:2.000,0.500,0.000|Pn:DX|A:C>")
    assert (report.state, report.substate) == ("Hold", 0)
    assert report.work_position(None) == (10.0, 5.0, -1.0)
    assert (report.planner_free, report.rx_free, report.feed, report.spindle) == (14, 120, 600.0, 400.0)
    assert report.pins == "DX" and report.accessories == "C"
    later = parse_status("<Run|MPos:13.000,5.500,-1.000|FS:600,400>")  # WCO only now and then: the last one holds
    assert later.work_position(report.wco) == (11.0, 5.0, -1.0)


def test_every_grbl_11_error_and_alarm_has_plain_words() -> None:
    assert set(ERRORS) == set(range(1, 18)) | set(range(20, 39))
    assert set(ALARMS) == set(range(1, 11))
    assert "home" in alarm_text(3)


# --- the simulator as firmware ------------------------------------------------------------------------------


def test_the_simulator_loses_what_overflows_its_receive_buffer() -> None:
    firmware = GrblSimulator(time_factor=1.0)
    firmware.write(b"$X\n")
    firmware.write(b"G1 X100 Y100 F10\n" * 40)  # a slow move: 15 blocks planned, 128 bytes buffered, 680 sent
    eventually(lambda: firmware.lost_bytes > 0, 2, "bytes lost")
    firmware.shut_down()


# --- the host -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({20: 0}, REASON_SOFT_LIMITS),
        ({22: 0}, REASON_HOMING),
        ({131: 200}, REASON_TRAVEL),
        ({32: 0}, REASON_LASER_MODE),
        ({30: 255}, REASON_SPINDLE_MAX),
    ],
)
def test_a_controller_without_the_safety_settings_is_refused(
    laser: MachineProfile, settings: dict[int, float], reason: str
) -> None:
    rig = Rig(laser, settings=settings)
    rig.machine.connect()
    assert rig.machine.status.state is MachineState.HALTED and rig.machine.status.last_error == reason
    assert rig.machine.status.needs_staff


def test_a_job_is_checked_then_streamed_by_character_counting_to_the_end(rig: Rig) -> None:
    machine = rig.ready()
    program = engraving(machine.profile)
    machine.start(program, "j1")
    eventually(lambda: rig.ended != [], 60, "the job to end")
    assert rig.ended == [JobEnded("j1", True, "")]
    assert rig.firmware.lost_bytes == 0  # never more in flight than the receive buffer holds
    cuts = [b for b in rig.firmware.executed if b.command == "G1"]
    assert len(cuts) == 4 * 20 and all(b.spindle == "M4" for b in cuts)  # dynamic power only
    assert machine.status.state is MachineState.IDLE


def test_the_controllers_check_refuses_a_program_before_anything_moves(laser: MachineProfile) -> None:
    rig = Rig(laser, time_factor=0.02, coolant=False)
    machine = rig.ready()
    program = validate_program("G21\nG90\nM8\nG0 X10 Y10\nM4 S300\nG1 X20 F600\nM5\nM9\n", machine.profile)
    machine.start(program, "j2")
    eventually(lambda: rig.ended != [], 20, "the check")
    assert rig.ended == [JobEnded("j2", False, REASON_CHECK_FAILED)]
    assert "line 3" in machine.check_finding
    assert machine.status.needs_staff  # the refusal is for staff to look at
    assert rig.firmware.executed == []  # nothing ran
    eventually(lambda: machine.status.state is MachineState.IDLE, 5, "ready again")
    machine.disconnect()


def test_pause_resume_and_cancel_use_real_time_commands(rig: Rig) -> None:
    machine = rig.ready()
    machine.start(engraving(machine.profile, 60), "j3")
    eventually(lambda: machine.status.state is MachineState.RUNNING and machine.status.lines_done > 20, 20, "running")
    machine.perform(MachineAction.PAUSE)
    eventually(lambda: machine.status.state is MachineState.PAUSED, 5, "held")
    moved = len(rig.firmware.executed)
    rig.nothing_moves_for(60)
    assert len(rig.firmware.executed) == moved and machine.status.state is MachineState.PAUSED
    machine.perform(MachineAction.RESUME)
    eventually(lambda: len(rig.firmware.executed) > moved, 5, "moving again")
    machine.perform(MachineAction.CANCEL)
    eventually(lambda: rig.ended != [], 10, "cancelled")
    assert rig.ended == [JobEnded("j3", False, "cancelled")]
    eventually(lambda: machine.status.state is MachineState.IDLE, 5, "idle, without an alarm")
    assert rig.firmware.state == "Idle"


def test_an_open_door_holds_the_job_until_it_is_closed_and_someone_confirms(rig: Rig) -> None:
    machine = rig.ready()
    machine.start(engraving(machine.profile, 60), "j4")
    eventually(lambda: machine.status.lines_done > 20, 20, "running")
    rig.firmware.open_door()
    eventually(lambda: machine.status.last_error == REASON_DOOR, 5, "held by the door")
    assert machine.status.state is MachineState.PAUSED
    assert rig.firmware.executed[-1].spindle in ("M4", "M5")
    with pytest.raises(MachineBusy, match="door"):
        machine.perform(MachineAction.RESUME)
    rig.firmware.close_door()
    moved = len(rig.firmware.executed)
    rig.nothing_moves_for(60)
    assert machine.status.state is MachineState.PAUSED  # closing alone resumes nothing
    assert len(rig.firmware.executed) == moved
    machine.perform(MachineAction.RESUME)  # the confirmation at the machine
    eventually(lambda: rig.ended != [], 60, "the job to end")
    assert rig.ended == [JobEnded("j4", True, "")]


def test_an_alarm_during_a_job_stops_it_and_calls_staff(rig: Rig) -> None:
    machine = rig.ready()
    machine.start(engraving(machine.profile, 60), "j5")
    eventually(lambda: machine.status.lines_done > 20, 20, "running")
    rig.firmware.hit_limit()
    eventually(lambda: rig.ended != [], 5, "stopped")
    assert rig.ended == [JobEnded("j5", False, alarm_text(1))]
    assert machine.status.state is MachineState.ALARM and machine.status.needs_staff


def test_stop_is_a_feed_hold_and_reset_and_leaves_the_machine_for_staff(rig: Rig) -> None:
    machine = rig.ready()
    machine.start(engraving(machine.profile, 60), "j6")
    eventually(lambda: machine.status.lines_done > 20, 20, "running")
    machine.perform(MachineAction.STOP)
    eventually(lambda: rig.ended != [], 5, "stopped")
    assert not rig.ended[0].completed and machine.status.needs_staff
    # the stop's bytes reach the controller behind what is still on the wire (at most the RX buffer's worth)
    eventually(lambda: rig.firmware.state in ("Idle", "Alarm"), 2, "the reset reached the controller")
    assert rig.firmware.executed[-1].command in ("G0", "G1")
    moved = len(rig.firmware.executed)
    rig.nothing_moves_for(60)
    assert len(rig.firmware.executed) == moved  # nothing moves after STOP


def test_disconnecting_mid_job_holds_it_and_stops_the_controller(rig: Rig) -> None:
    machine = rig.ready()
    machine.start(engraving(machine.profile, 60), "j9")
    eventually(lambda: machine.status.lines_done > 20 and rig.firmware.state == "Run", 20, "running")
    machine.disconnect()  # fabkiosk goes away mid-job: the job is held, never left running without a host
    assert rig.ended == [JobEnded("j9", False, REASON_DISCONNECTED)]
    assert machine.status.state is MachineState.LINK_LOST and machine.status.needs_staff
    # feed hold and reset while the port still answered: a reset while moving is ALARM:3 (position lost)
    eventually(lambda: rig.firmware.state == "Alarm", 5, "the controller held and reset")
    moved = len(rig.firmware.executed)
    rig.nothing_moves_for(60)
    assert len(rig.firmware.executed) == moved


@pytest.mark.parametrize("code", [11, 20, 24])
def test_an_error_during_a_job_is_feed_hold_reset_and_staff(laser: MachineProfile, code: int) -> None:
    rig = Rig(laser, time_factor=0.02)
    machine = rig.ready()
    try:
        machine.start(engraving(machine.profile, 60), "j7")
        eventually(lambda: machine.status.lines_done > 20, 20, "running")
        rig.firmware.refuse_next_line(code)
        eventually(lambda: rig.ended != [], 5, "held")
        assert rig.ended == [JobEnded("j7", False, ERRORS[code])]
        # the reset of a moving machine raises ALARM:3 (mc_reset): then it is in alarm, else halted
        assert machine.status.state in (MachineState.HALTED, MachineState.ALARM) and machine.status.needs_staff
        assert "line" in machine.check_finding and f"error {code}" in machine.check_finding
        eventually(lambda: rig.firmware.state in ("Idle", "Alarm"), 5, "the controller reset")
        moved = len(rig.firmware.executed)
        rig.nothing_moves_for(60)
        assert len(rig.firmware.executed) == moved  # nothing runs on after the error
        with pytest.raises(MachineBusy):
            machine.start(engraving(machine.profile), "j8")  # only staff bring it back
    finally:
        machine.disconnect()


def test_a_grblhal_controller_is_welcomed_and_runs_a_job(laser: MachineProfile) -> None:
    rig = Rig(laser, time_factor=0.02, hal=True)
    machine = rig.ready()
    try:
        machine.start(engraving(machine.profile, 4), "hal")
        eventually(lambda: rig.ended != [], 30, "the job to end")
        assert rig.ended == [JobEnded("hal", True, "")]
    finally:
        machine.disconnect()


@pytest.mark.parametrize(
    ("settings", "options", "hal", "locks"),
    [
        ({22: 1}, "V", False, True),  # Grbl 1.1h default build: HOMING_INIT_LOCK, no L in $I
        ({22: 1}, "VL", False, False),  # built without it: idle and unhomed after a start
        ({22: 1}, "V", True, False),  # grblHAL takes it from $22 bit 2
        ({22: 5}, "V", True, True),
        ({22: 0}, "V", False, False),
    ],
)
def test_whether_the_controller_locks_until_homed(
    settings: dict[int, float], options: str, hal: bool, locks: bool
) -> None:
    assert locks_until_homed(settings, options, hal) is locks


def test_the_homing_wait_covers_the_firmwares_own_search_of_one_and_a_half_travels() -> None:
    settings = {130: 400.0, 131: 300.0, 132: 50.0, 24: 60.0, 25: 600.0, 26: 0.0, 27: 1.0}
    # Z: 75 mm at 10 mm/s; X and Y together: 600 mm at 10 mm/s; each with 2 pull-offs and a 5 mm slow approach
    assert homing_seconds(settings) == pytest.approx(7.5 + 60 + 2 * (0.2 + 5.0))
