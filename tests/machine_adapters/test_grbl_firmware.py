"""The GRBL simulator answers as Grbl 1.1h does (protocol.c, report.c, system.c, limits.c, serial.c), so the host
is tested against the firmware's behaviour, not against an easier one."""

from __future__ import annotations

import time

import pytest

from machine_adapters.clock import TestClock
from machine_adapters.grbl_wire import ReplyKind, parse_reply, parse_status
from machine_adapters.simulators.grbl import GrblSimulator
from tests.conftest import eventually, seen_by

SETTINGS = {130: 400, 131: 300, 132: 50, 30: 1000, 32: 1}


def replies(firmware: GrblSimulator, seconds: float = 0.3) -> list[str]:
    """Everything the controller says within `seconds`."""
    said: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = firmware.readline(0.02)
        if line:
            said.append(line.decode("ascii").strip())
    return said


def status(firmware: GrblSimulator) -> str:
    """The next status report (within 2 s: the test machine may be busy)."""
    firmware.write(b"?")
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        line = firmware.readline(0.05).decode("ascii").strip()
        if line.startswith("<"):
            return line
    raise AssertionError("no status report")


@pytest.fixture
def idle() -> GrblSimulator:
    firmware = GrblSimulator(settings=SETTINGS, homed=True)
    replies(firmware, 0.1)  # the welcome
    yield firmware
    firmware.shut_down()


def test_every_line_end_of_the_wake_is_answered_ok(idle: GrblSimulator) -> None:
    idle.write(b"\r\n\r\n")  # protocol.c: '\r' and '\n' each end a line; an empty line is answered ok
    assert replies(idle) == ["ok"] * 4


@pytest.mark.parametrize(("homing_lock", "options"), [(True, "[OPT:V,15,128]"), (False, "[OPT:VL,15,128]")])
def test_build_info_shows_l_only_for_a_build_without_the_homing_lock(homing_lock: bool, options: str) -> None:
    firmware = GrblSimulator(settings=SETTINGS, homed=True, homing_lock=homing_lock)
    replies(firmware, 0.1)
    firmware.write(b"$I\n")
    assert replies(firmware)[:3] == ["[VER:1.1h.20190825:]", options, "ok"]
    firmware.shut_down()


def test_status_reports_give_mpos_and_fs_with_wco_and_overrides_only_now_and_then(idle: GrblSimulator) -> None:
    reports = [status(idle) for _ in range(12)]
    assert all("|MPos:" in r and "|FS:" in r and "Bf:" not in r for r in reports)  # $10=1
    assert ["WCO:" in r for r in reports] == [True] + [False] * 9 + [True, False]  # every 10th when idle
    assert ["Ov:" in r for r in reports] == [False, True] + [False] * 9 + [True]
    x, y, z = parse_status(reports[0]).mpos or (0.0, 0.0, 0.0)
    assert x < 0 and y < 0 and z < 0  # machine space is all negative after homing ($23=0: -$27 on each axis)
    idle.write(b"$10=3\n")
    replies(idle, 0.1)
    assert "|Bf:15,128" in status(idle)


def test_a_position_moves_smoothly_along_a_long_move() -> None:
    clock = TestClock()
    firmware = GrblSimulator(time_factor=1.0, settings=SETTINGS, homed=True, baud=None, clock=clock)
    replies(firmware, 0.1)
    firmware.write(b"G0 X10 Y10\n")
    firmware.write(b"G1 X200 F6000\n")  # about 2 s of motion
    eventually(lambda: firmware.state == "Run", 5, "moving")
    seen = set()
    for _ in range(20):
        clock.forward(0.1)
        seen_by(clock, "grbl-simulator", looks=3)
        mpos = parse_status(status(firmware)).mpos
        assert mpos is not None
        seen.add(round(mpos[0]))
    assert len(seen) >= 5  # many positions between the ends, not one jump per block
    firmware.shut_down()


def test_homing_takes_the_time_of_the_travel_at_the_homing_rates() -> None:
    firmware = GrblSimulator(time_factor=0.02, settings=SETTINGS | {25: 600, 24: 60, 27: 2})
    replies(firmware, 0.1)
    start = firmware.machine_position
    firmware.write(b"$H\n")
    eventually(lambda: firmware.state == "Home", 5, "homing")
    assert parse_status(status(firmware)).state == "Home"
    said: list[str] = []
    while "ok" not in said:
        said += replies(firmware, 0.05)
    # Z then X/Y: the search from the middle of the travel to the switches at the top, at 10 mm/s, then
    # pull-off 2 mm at 10 mm/s, approach 2 mm at 1 mm/s, pull-off again (limits.c)
    search = -start[2] / 10 + max(-start[0], -start[1]) / 10
    assert firmware.homing_seconds == pytest.approx(search + 2 * (0.2 + 2 + 0.2))
    assert firmware.machine_position == pytest.approx((-2.0, -2.0, -2.0))
    firmware.shut_down()


def test_check_mode_in_alarm_is_error_8_and_unknown_dollar_commands_error_2() -> None:
    firmware = GrblSimulator(settings=SETTINGS)  # starts in alarm: homing lock
    replies(firmware, 0.1)
    firmware.write(b"$C\n$Q\n")
    assert replies(firmware) == ["error:8", "error:2"]
    firmware.shut_down()


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        (b"G1 X1 Y1 F100" + b" " * 80, "ok"),  # spaces are not kept
        (b"G1 X1 Y1 F100 (" + b"a comment " * 10 + b")", "ok"),  # nor comments
        (b"g1 x1 y1 f100 ; " + b"x" * 90, "ok"),
        (b"G1 X1 Y1 F100" + b"Y1.00000" * 9, "error:11"),  # 79 characters kept at most
    ],
)
def test_the_line_limit_counts_what_is_left_after_spaces_and_comments(
    idle: GrblSimulator, line: bytes, answer: str
) -> None:
    idle.write(line + b"\n")
    assert replies(idle) == [answer]


def test_a_soft_limit_in_check_mode_alarms_then_hears_nothing_but_a_reset(idle: GrblSimulator) -> None:
    idle.write(b"$C\n")
    assert replies(idle) == ["[MSG:Enabled]", "ok"]
    idle.write(b"G0 X999 Y10\n")
    assert replies(idle) == ["ALARM:2", "[MSG:Reset to continue]"]
    idle.write(b"?$X\nG0 X1\n")
    assert replies(idle) == []  # protocol.c's critical event loop: not even a status report
    idle.write(b"\x18")
    assert replies(idle) == ["", "Grbl 1.1h ['$' for help]", "[MSG:'$H'|'$X' to unlock]"]


def test_a_feed_hold_reports_hold_1_while_slowing_down_then_hold_0() -> None:
    clock = TestClock()
    firmware = GrblSimulator(time_factor=1.0, settings=SETTINGS | {120: 50}, homed=True, baud=None, clock=clock)
    replies(firmware, 0.1)
    firmware.write(b"G1 X300 F6000\n")
    eventually(lambda: firmware.state == "Run", 5, "moving")
    clock.forward(0.3)
    seen_by(clock, "grbl-simulator", looks=3)
    firmware.write(b"!")
    assert parse_status(status(firmware)).substate == 1
    clock.forward(20)
    seen_by(clock, "grbl-simulator", looks=3)
    report = parse_status(status(firmware))
    assert (report.state, report.substate) == ("Hold", 0)
    firmware.shut_down()


@pytest.mark.parametrize(("moving", "alarm"), [(True, ["ALARM:3"]), (False, [])])
def test_a_reset_while_moving_loses_the_position_with_alarm_3(moving: bool, alarm: list[str]) -> None:
    firmware = GrblSimulator(time_factor=1.0, settings=SETTINGS, homed=True)
    replies(firmware, 0.1)
    if moving:
        firmware.write(b"G1 X300 F6000\n")
        eventually(lambda: firmware.state == "Run", 5, "moving")
    firmware.write(b"!\x18")  # fabkiosk's STOP: the reset comes while the hold is still slowing down
    said = [r for r in replies(firmware) if r != "ok"]
    assert said[: len(alarm)] == alarm
    assert firmware.state == ("Alarm" if moving else "Idle")
    firmware.shut_down()


def test_check_mode_runs_no_faster_than_the_serial_line() -> None:
    firmware = GrblSimulator(time_factor=1.0, settings=SETTINGS, homed=True, baud=9600)
    replies(firmware, 0.1)
    firmware.write(b"$C\n")
    said: list[str] = []
    while "[MSG:Enabled]" not in said or "ok" not in said:  # the answer to $C, however late on a busy machine
        said += replies(firmware, 0.05)
    started = time.monotonic()
    firmware.write(b"G1 X10 Y10 F1000\n" * 7)  # 119 bytes at 960 bytes/s
    kinds: list[ReplyKind] = []
    while len(kinds) < 7:
        kinds += [parse_reply(line.encode("ascii")).kind for line in replies(firmware, 0.02)]
    assert time.monotonic() - started >= 0.11
    assert kinds == [ReplyKind.OK] * 7
    firmware.shut_down()


@pytest.mark.parametrize(("auto_reset", "greeting"), [(True, "Grbl 1.1h ['$' for help]"), (False, None)])
def test_opening_the_port_resets_only_a_board_that_auto_resets(auto_reset: bool, greeting: str | None) -> None:
    firmware = GrblSimulator(settings=SETTINGS, homed=True, auto_reset=auto_reset)
    firmware.open()
    said = replies(firmware, 0.2)
    assert (greeting in said) if greeting else said == []
    assert firmware.homed is not auto_reset  # a reboot loses the homing
    firmware.shut_down()
