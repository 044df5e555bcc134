"""The Marlin line streamer on its own: tables of what Marlin answers, in the orders its source produces them.

Each case is a script: lines to send, then the firmware's replies one by one (with the time they arrive), and
what the streamer writes and reports after each. The orders follow MarlinFirmware/Marlin src/gcode/queue.cpp
(`gcode_line_error` -> `flush_and_request_resend`, `ok_to_send`) and gcode.cpp (`host_keepalive`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from machine_adapters.gcode import SafeProgram, validate_program
from machine_adapters.marlin_stream import (
    FOLLOWUP_S,
    MAX_RESENDS_OF_ONE_LINE,
    RESEND_GRACE_S,
    BatchDone,
    LineStreamer,
    LinkFailed,
    ProgramTaken,
)
from machine_adapters.marlin_wire import parse_reply
from machine_adapters.profiles import load_machines

PROFILE = load_machines(Path(__file__).parents[2] / "assets" / "machines.example.toml")["printer-1"]
TIMEOUT = 15.0


def done() -> None:
    """The end of a batch, as the host would pass it."""


def program(moves: int) -> SafeProgram:
    return validate_program("G28\n" + "\n".join(f"G1 X{10 + i} Y10 F3000" for i in range(moves)), PROFILE)


class Wire:
    """A streamer and a firmware's side of the wire, written as a script."""

    def __init__(self, *commands: str) -> None:
        self.now = 0.0
        self.stream = LineStreamer(self.now, TIMEOUT)
        if commands:
            self.stream.queue(list(commands), done)

    def sent(self) -> list[str]:
        """Fill the window and say what went out, without the checksums."""
        self.stream.fill()
        return self.take()[0]

    def reply(self, text: str, after: float = 0.0) -> tuple[list[str], list[object]]:
        self.now += after
        self.stream.receive(parse_reply(text.encode()), self.now)
        self.stream.fill()
        return self.take()

    def wait(self, seconds: float, idle: bool = False) -> tuple[list[str], list[object]]:
        self.now += seconds
        self.stream.tick(self.now, idle)
        self.stream.fill()
        return self.take()

    def take(self) -> tuple[list[str], list[object]]:
        writes, events = self.stream.take()
        return [w.decode().strip().split("*")[0] for w in writes], list(events)


def advanced(*commands: str) -> Wire:
    """A firmware with ADVANCED_OK and three free slots: three lines in flight once the first ok told so."""
    wire = Wire("M110 N0", *commands)
    assert wire.sent() == ["N0 M110 N0"]
    assert wire.reply("ok N0 P15 B3") == (["N1 " + commands[0], "N2 " + commands[1], "N3 " + commands[2]], [])
    return wire


def test_one_line_in_flight_until_the_firmware_says_more_fit() -> None:
    wire = Wire("M110 N0", "M115", "M105")
    assert wire.sent() == ["N0 M110 N0"]
    assert wire.reply("ok") == (["N1 M115"], [])
    assert wire.reply("ok") == (["N2 M105"], [])
    assert wire.reply("ok T:20.0 /0.0 B:20.0 /0.0") == ([], [BatchDone(done)])


@pytest.mark.parametrize(
    ("replies", "writes_after_each"),
    [
        # Marlin 2: Error, then Resend for the refused line, and the same again for each later line in flight;
        # no ok. The Error after the first Resend shows no ok follows, so the last echo ends the wait at once.
        (
            [
                "Error:checksum mismatch, Last Line: 1",
                "Resend: 2",
                "Error:Line Number is not Last Line Number+1, Last Line: 1",
                "Resend: 2",
            ],
            [[], [], [], ["N2 G1 Y20", "N3 G1 Z5"]],
        ),
        # Marlin 1.1: each Resend followed at once by an ok that took no place in the buffer
        (
            ["Error:checksum mismatch, Last Line: 1", "Resend: 2", "ok", "Resend: 2", "ok"],
            [[], [], [], [], ["N2 G1 Y20", "N3 G1 Z5"]],
        ),
        # a firmware that neither explains nor confirms: the second Resend shows no ok follows
        (["Resend: 2", "Resend: 2"], [[], ["N2 G1 Y20", "N3 G1 Z5"]]),
    ],
    ids=["marlin-2-no-ok", "marlin-1.1-ok-after-resend", "bare-resends"],
)
def test_a_refused_line_and_the_ones_after_it_go_again_once(
    replies: list[str], writes_after_each: list[list[str]]
) -> None:
    wire = advanced("G1 X10", "G1 Y20", "G1 Z5")  # line 1 taken (its ok comes when it runs), 2 corrupt, 3 after it
    for reply, writes in zip(replies, writes_after_each, strict=True):
        assert wire.reply(reply) == (writes, []), reply
    assert wire.reply("ok N1 P15 B2") == ([], [])
    assert wire.reply("ok N2 P15 B2") == ([], [])
    assert wire.reply("ok N3 P15 B3") == ([], [BatchDone(done)])


def test_echoes_that_never_come_are_waited_for_only_a_moment() -> None:
    wire = advanced("G1 X10", "G1 Y20", "G1 Z5")
    assert wire.reply("Resend: 1") == ([], [])  # refuses 1, 2 and 3, yet only one request arrives
    assert wire.wait(FOLLOWUP_S * 2) == ([], [])  # two echoes still due
    assert wire.wait(RESEND_GRACE_S) == (["N1 G1 X10", "N2 G1 Y20", "N3 G1 Z5"], [])


def test_a_request_beyond_the_history_or_beyond_what_was_sent_fails_the_link() -> None:
    wire = advanced("G1 X10", "G1 Y20", "G1 Z5")
    assert wire.reply("Resend: 9") == ([], [LinkFailed(silent=False)])


def test_the_same_line_asked_for_ten_times_fails_the_link() -> None:
    wire = Wire("M110 N0", "G1 X10")
    wire.sent()
    wire.reply("ok")
    for _ in range(MAX_RESENDS_OF_ONE_LINE - 1):  # sent again at once, or once no ok followed the request
        assert wire.reply("Resend: 1")[0] + wire.wait(FOLLOWUP_S * 2)[0] == ["N1 G1 X10"]
    assert wire.reply("Resend: 1") == ([], [LinkFailed(silent=False)])


def test_silence_is_tickled_then_given_up_on() -> None:
    wire = Wire("G28")
    wire.sent()
    assert wire.wait(TIMEOUT - 1) == ([], [])
    assert wire.wait(2) == (["M105"], [])  # unnumbered: any answer shows the link lives
    assert wire.wait(TIMEOUT + 1) == ([], [LinkFailed(silent=True)])


def test_busy_keeps_a_long_command_alive() -> None:
    wire = Wire("G28")
    wire.sent()
    for _ in range(5):  # host_keepalive: "busy: processing" every couple of seconds while G28 runs
        assert wire.reply("echo:busy: processing", after=TIMEOUT - 1) == ([], [])
        assert wire.wait(0) == ([], [])
    assert wire.reply("ok", after=2) == ([], [BatchDone(done)])


def test_temperature_reports_are_no_sign_of_life_except_while_heating() -> None:
    wire = Wire("G28")
    wire.sent()
    wire.reply("T:20.0 /0.0 B:20.0 /0.0", after=TIMEOUT - 1)
    assert wire.wait(2) == (["M105"], [])  # the auto-report alone: G28's ok may be lost
    heating = Wire("M109 S200")
    heating.sent()
    heating.reply("T:150.0 /200.0 B:20.0 /0.0", after=TIMEOUT - 1)  # M109 without busy reports while it heats
    assert heating.wait(2) == ([], [])


def test_a_lost_ok_is_asked_for_when_the_firmware_says_it_waits() -> None:
    wire = Wire("G1 X10")
    wire.sent()
    assert wire.reply("wait") == (["M105"], [])  # idle, yet a line is unanswered
    assert wire.reply("wait") == ([], [])  # asked once
    assert wire.reply("ok") == ([], [BatchDone(done)])


def test_a_program_streams_after_the_queued_commands_and_is_reported_taken() -> None:
    wire = Wire("M110 N0")
    wire.stream.feed(program(1))
    assert wire.sent() == ["N0 M110 N0"]
    assert wire.reply("ok") == (["N1 G28"], [BatchDone(done)])
    assert wire.reply("ok") == (["N2 G1 X10 Y10 F3000"], [])
    assert wire.wait(0) == ([], [])
    assert wire.reply("ok") == ([], [])
    assert wire.stream.acked_program == 2
    assert wire.wait(0) == ([], [ProgramTaken()])
    assert wire.wait(0) == ([], [])  # once


def test_stop_without_an_emergency_parser_sends_m112_next_in_line_and_forgets_the_rest() -> None:
    wire = Wire("G1 X10", "G1 X20")
    wire.sent()
    wire.stream.halt(m112_in_line=True)
    assert wire.take() == (["N1 M112"], [])
    assert wire.reply("ok") == ([], [])
