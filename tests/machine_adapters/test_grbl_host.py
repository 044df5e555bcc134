"""The GRBL host against the faithful simulator: connecting to a board that does not reset, homing that takes
its time, every alarm path back to a state staff can bring back, $22 as a bit field, homing before any job,
the build's options, the safe end of every job, and a log of what happened."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from machine_adapters.base import JobEnded, MachineAction, MachineBusy, MachineState
from machine_adapters.gcode import validate_program
from machine_adapters.grbl import (
    POLL_S,
    REASON_HOMING,
    REASON_HOMING_TIMEOUT,
    REASON_NEEDS_HOMING,
    REASON_RESTARTED,
    GrblMachine,
)
from machine_adapters.grbl_wire import alarm_text
from machine_adapters.profiles import MachineProfile, load_machines
from machine_adapters.simulators.grbl import GrblSimulator
from tests.conftest import eventually, seen_by
from tests.machine_adapters.test_grbl import LASER_SETTINGS, Rig, engraving

EXAMPLE = Path(__file__).parents[2] / "assets" / "machines.example.toml"


@pytest.fixture
def laser() -> MachineProfile:
    return load_machines(EXAMPLE)["laser-1"]


@pytest.fixture
def rigs() -> Iterator[list[Rig]]:
    made: list[Rig] = []
    yield made
    for rig in made:
        rig.machine.disconnect()
        rig.firmware.shut_down()


def rig(rigs: list[Rig], profile: MachineProfile, **simulator: object) -> Rig:
    made = Rig(profile, **({"time_factor": 0.02} | simulator))
    rigs.append(made)
    return made


def test_a_board_that_does_not_reset_when_its_port_opens_is_woken_and_connects(
    rigs: list[Rig], laser: MachineProfile
) -> None:
    board = rig(rigs, laser, auto_reset=False, homed=True)
    board.firmware.readline(0.1)  # its power-up banner went out before anyone listened
    started = time.monotonic()
    board.machine.connect()
    assert board.machine.status.state is MachineState.IDLE and board.machine.homed
    assert time.monotonic() - started < board.machine.boot_wait_s + 2  # woken, not waited out


def test_positions_are_in_work_coordinates_from_the_first_report_on(rigs: list[Rig], laser: MachineProfile) -> None:
    board = rig(rigs, laser, homed=True, work_zero=(20.0, 10.0, 0.0))
    board.machine.connect()
    for _ in range(3):  # a few reports, none with WCO: Grbl sends it only with every tenth when idle
        board.clock.forward(POLL_S)
        seen_by(board.clock, f"grbl-{laser.id}")
    position = board.machine.status.position
    assert position is not None
    assert position == pytest.approx(board.firmware.position, abs=1e-3)


def test_homing_waits_as_long_as_the_machine_needs_not_a_reply_timeout(rigs: list[Rig], laser: MachineProfile) -> None:
    board = rig(rigs, laser, time_factor=0.05)  # homing from mid-travel: about 2 s here
    board.machine.reply_timeout_s = 0.5
    board.machine.connect()
    board.machine.perform(MachineAction.HOME)
    eventually(lambda: board.machine.status.state is MachineState.RUNNING, 5, "homing")
    eventually(lambda: board.machine.status.state is not MachineState.RUNNING, 10, "homing to end")
    assert board.firmware.homing_seconds * 0.05 > 1.0
    assert board.machine.status.state is MachineState.IDLE and board.firmware.homed
    assert not board.machine.status.needs_staff


def test_homing_that_outlasts_the_machines_own_limit_is_given_up_without_closing_the_port(
    rigs: list[Rig], laser: MachineProfile
) -> None:
    fast = {24: 6000.0, 25: 60000.0, 26: 0.0}  # the host's wait, from these rates: about 1.5 s
    board = rig(rigs, laser, time_factor=10.0, settings=fast)  # a controller ten times slower than it says
    board.machine.reply_timeout_s = 0.5
    board.machine.connect()
    board.machine.perform(MachineAction.HOME)
    eventually(lambda: board.machine.status.last_error == REASON_HOMING_TIMEOUT, 10, "the host to give up")
    assert board.machine.status.state is MachineState.ALARM and board.machine.status.needs_staff
    assert board.firmware.state == "Home"  # the port stayed open: the board was not reset mid-homing
    eventually(lambda: board.firmware.homed, 10, "the firmware to finish its cycle")


@pytest.mark.parametrize("alarm_first", [False, True])
def test_a_stop_while_moving_ends_in_alarm_and_staff_can_home_it(
    rigs: list[Rig], laser: MachineProfile, alarm_first: bool
) -> None:
    board = rig(rigs, laser)
    machine = board.ready()
    machine.start(engraving(machine.profile, 60), "moving")
    eventually(lambda: machine.status.lines_done > 20 and board.firmware.state == "Run", 20, "moving")
    if alarm_first:  # the stop's bytes reach the firmware, and its ALARM:3 the host, before the stop action runs
        board.firmware.write(b"!\x18")
        eventually(lambda: machine.status.state is MachineState.ALARM, 5, "the firmware's ALARM:3")
    machine.perform(MachineAction.STOP)
    eventually(lambda: machine.status.state is MachineState.ALARM, 5, "the firmware's ALARM:3")
    seen_by(board.clock, f"grbl-{laser.id}")  # the port thread has taken the stop by now
    assert board.firmware.state == "Alarm" and machine.status.state is MachineState.ALARM
    assert machine.status.last_error == alarm_text(3)
    machine.perform(MachineAction.HOME)  # staff's "Bring back"
    eventually(lambda: machine.status.state is MachineState.IDLE, 10, "homed again")
    assert board.firmware.homed and not machine.status.needs_staff


def test_a_controller_that_restarts_during_a_job_is_in_alarm_for_staff(rigs: list[Rig], laser: MachineProfile) -> None:
    board = rig(rigs, laser)
    machine = board.ready()
    machine.start(engraving(machine.profile, 60), "restarted")
    eventually(lambda: machine.status.lines_done > 20, 20, "running")
    board.firmware.reboot()  # power dip: a welcome nobody asked for
    eventually(lambda: board.ended != [], 5, "the job to end")
    assert board.ended == [JobEnded("restarted", False, REASON_RESTARTED)]
    assert machine.status.state is MachineState.ALARM and not machine.homed


def test_a_soft_limit_in_check_mode_ends_in_alarm_and_staff_can_home_it(rigs: list[Rig], laser: MachineProfile) -> None:
    board = rig(rigs, laser, work_zero=(100.0, 0.0, 0.0))  # work zero set 100 mm in: the far end is beyond
    machine = board.ready()
    program = validate_program("G21\nG90\nG0 X10 Y10\nG0 X390 Y10\nG0 X0 Y0\n", machine.profile)
    machine.start(program, "beyond")
    eventually(lambda: board.ended != [], 10, "the check")
    assert board.ended == [JobEnded("beyond", False, alarm_text(2))]
    assert machine.status.state is MachineState.ALARM and machine.status.needs_staff
    assert board.firmware.executed == []
    machine.perform(MachineAction.HOME)  # the firmware hears only a reset now: the host resets, then homes
    eventually(lambda: machine.status.state is MachineState.IDLE, 10, "homed again")
    assert board.firmware.homed and not machine.status.needs_staff


@pytest.mark.parametrize(("bits", "refused"), [(5, False), (1 | 2, False), (0, True), (4, True)])
def test_homing_setting_22_is_read_as_a_bit_field(
    rigs: list[Rig], laser: MachineProfile, bits: int, refused: bool
) -> None:
    board = rig(rigs, laser, hal=True, settings={22: bits})
    board.machine.connect()
    status = board.machine.status
    assert (status.state is MachineState.HALTED and status.last_error == REASON_HOMING) is refused


def test_grblhal_without_the_start_up_lock_runs_nothing_until_homed(rigs: list[Rig], laser: MachineProfile) -> None:
    board = rig(rigs, laser, hal=True, settings={22: 1})  # starts Idle, unhomed, soft limits not enforced
    machine = board.machine
    machine.connect()
    assert board.firmware.state == "Idle" and not board.firmware.homed
    assert machine.status.state is MachineState.ALARM and machine.status.last_error == REASON_NEEDS_HOMING
    with pytest.raises(MachineBusy):
        machine.start(engraving(machine.profile, 2), "unhomed")
    machine.perform(MachineAction.HOME)
    eventually(lambda: machine.status.state is MachineState.IDLE, 10, "homed")
    machine.start(engraving(machine.profile, 2), "homed")
    eventually(lambda: board.ended != [], 20, "the job")
    assert board.ended == [JobEnded("homed", True, "")]


def test_the_host_ends_every_job_with_spindle_and_coolant_off(rigs: list[Rig], laser: MachineProfile) -> None:
    board = rig(rigs, laser)
    machine = board.ready()
    # the validator refuses a program that ends with anything on; the host's own end state is the second guard,
    # sent after the program's last line whatever that line was
    program = validate_program("G21\nG90\nM8\nG0 X10 Y10\nM4 S300\nG1 X20 F600\nM5\nM9\n", machine.profile)
    machine.start(program, "left-on")
    eventually(lambda: board.ended != [], 20, "the job")
    assert board.ended == [JobEnded("left-on", True, "")]
    assert board.firmware.accepted[-4:] == ["M5", "M9", "M5", "M9"]  # the program's end, then the host's
    assert (board.firmware.spindle, board.firmware.coolant_state) == ("M5", "M9")


def test_every_state_change_and_firmware_message_is_logged(
    rigs: list[Rig], laser: MachineProfile, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="machine_adapters.grbl")
    board = rig(rigs, laser)
    machine = board.ready()
    machine.start(engraving(machine.profile, 60), "logged")
    eventually(lambda: machine.status.lines_done > 20, 20, "running")
    board.firmware.hit_limit()
    eventually(lambda: machine.status.state is MachineState.ALARM, 5, "the alarm")
    logged = caplog.text
    assert "[MSG:'$H'|'$X' to unlock]" in logged and "ALARM:1" in logged and "[MSG:Reset to continue]" in logged
    assert "connecting -> alarm" in logged and "idle -> running" in logged and "running -> alarm" in logged


def test_the_demo_settings_pass_the_host_with_a_faithful_board(laser: MachineProfile) -> None:
    firmware = GrblSimulator(settings=LASER_SETTINGS | {22: 1}, homed=True, auto_reset=False)
    machine = GrblMachine(laser, firmware.open, reply_timeout_s=3)
    try:
        machine.connect()
        assert machine.status.state is MachineState.IDLE and machine.options == "V"
    finally:
        machine.disconnect()
        firmware.shut_down()
