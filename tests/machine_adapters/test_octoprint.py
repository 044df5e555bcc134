"""Printers behind a real OctoPrint server (its virtual printer), through the adapter: jobs, actions, faults, restarts.

Each test's OctoPrint runs on loopback from `.venv-octoprint` with its own base folder and application key and is
stopped by its PID afterwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from machine_adapters.base import JobEnded, MachineAction, MachineState
from machine_adapters.clock import TestClock
from machine_adapters.gcode import SafeProgram, validate_program
from machine_adapters.octoprint import (
    AUTH_BACKOFF_S,
    REASON_AUTH,
    REASON_LOST_JOB,
    REASON_OCTOPRINT_GONE,
    REASON_PRINTER_ERROR,
    REASON_STOPPED,
    OctoPrintMachine,
)
from machine_adapters.octoprint_api import OctoPrintApi
from machine_adapters.profiles import MachineProfile, load_machines
from machine_adapters.registry import build_machine
from tests.conftest import FAST, eventually, seen_by
from tests.octoprint_host import OctoPrintServer

pytestmark = pytest.mark.slow  # a real OctoPrint server, printing in real time


def profile_for(folder: Path, server: OctoPrintServer, key: str | None = None) -> MachineProfile:
    example = (Path(__file__).parents[2] / "assets" / "machines.example.toml").read_text()
    printer = example.split("\n[[machine]]")[1]
    connection = f'type = "octoprint", url = "{server.url}", api_key = "{key or server.key}", port = "VIRTUAL"'
    printer = printer.replace('connection = { type = "simulated", speed = 10 }', f"connection = {{ {connection} }}")
    path = folder / "machines.toml"
    path.write_text("[[machine]]" + printer)
    return load_machines(path)["printer-1"]


def program(profile: MachineProfile, moves: int) -> SafeProgram:
    lines = ["G28", "G90", "G1 Z5 F600"]
    # short moves: the virtual printer takes as long as the move would (0.3 mm at 100 mm/s: 3 ms)
    lines += [f"G1 X{20 + (i % 2) * 0.3:.1f} Y{20 + (i // 2 % 100) * 0.1:.1f} F6000" for i in range(moves)]
    lines += ["G1 Z20 F600", "M84"]
    return validate_program("\n".join(lines) + "\n", profile)


class Ends:
    """Collects the jobs a machine ended."""

    def __init__(self, machine: OctoPrintMachine) -> None:
        self.ended: list[JobEnded] = []
        self._lock = threading.Lock()
        machine.job_ended.subscribe(self._add)

    def _add(self, ended: JobEnded) -> None:
        with self._lock:
            self.ended.append(ended)


@pytest.fixture
def machine(octoprint: OctoPrintServer, tmp_path: Path) -> Iterator[OctoPrintMachine]:
    built = build_machine(profile_for(tmp_path, octoprint))
    assert isinstance(built, OctoPrintMachine)
    built.poll_s = 0.3
    built.connect()
    eventually(lambda: built.status.state is MachineState.IDLE, 30, "OctoPrint to connect its printer")
    try:
        yield built
    finally:
        built.disconnect()


def test_a_job_runs_from_upload_to_completion(machine: OctoPrintMachine, octoprint: OctoPrintServer) -> None:
    ends = Ends(machine)
    job_id = "a" * 32
    machine.start(program(machine.profile, 200), job_id)
    eventually(lambda: ends.ended != [], 60, "the job to end")
    assert ends.ended == [JobEnded(job_id, True, "")]
    files = octoprint.call("GET", "/api/files/local")["files"]
    assert [f["name"] for f in files] == [f"fabkiosk-{job_id}.gcode"]  # type: ignore[index]
    assert machine.status.state is MachineState.IDLE and machine.status.job_id is None
    eventually(lambda: machine.status.hotend is not None, 15, "temperatures")  # OctoPrint asks the firmware every few s


def test_pause_resume_and_cancel_go_through_the_job_api(machine: OctoPrintMachine) -> None:
    ends = Ends(machine)
    machine.start(program(machine.profile, 4000), "b" * 32)
    eventually(lambda: machine.status.state is MachineState.RUNNING and machine.status.lines_done > 0, 30, "printing")
    machine.perform(MachineAction.PAUSE)
    eventually(lambda: machine.status.state is MachineState.PAUSED, 30, "paused")
    done = machine.status.lines_done
    time.sleep(1)
    assert machine.status.lines_done == done  # nothing moves while paused
    machine.perform(MachineAction.RESUME)
    eventually(lambda: machine.status.lines_done > done, 30, "printing again")
    machine.perform(MachineAction.CANCEL)
    eventually(lambda: ends.ended != [], 30, "cancelled")
    assert ends.ended == [JobEnded("b" * 32, False, "cancelled")]
    eventually(lambda: machine.status.state is MachineState.IDLE, 30, "idle after the cancel")


def test_stop_sends_m112_and_leaves_the_printer_for_staff(machine: OctoPrintMachine) -> None:
    ends = Ends(machine)
    machine.start(program(machine.profile, 4000), "c" * 32)
    eventually(lambda: machine.status.lines_done > 0, 30, "printing")
    machine.perform(MachineAction.STOP)
    eventually(lambda: ends.ended != [], 10, "stopped")
    assert ends.ended[0].reason == REASON_STOPPED and not ends.ended[0].completed
    eventually(lambda: machine.status.state is MachineState.HALTED, 10, "halted")
    assert machine.status.needs_staff
    time.sleep(1.5)  # the firmware really stopped: OctoPrint reports the error and the adapter stays halted
    assert machine.status.state is MachineState.HALTED


def test_a_wrong_key_is_reported_plainly_and_not_retried_in_a_storm(octoprint: OctoPrintServer, tmp_path: Path) -> None:
    clock = TestClock(running=True)
    profile = profile_for(tmp_path, octoprint, key="0" * 32)
    machine = OctoPrintMachine(profile, OctoPrintApi(octoprint.url, "0" * 32), clock, poll_s=0.1)
    machine.connect()
    try:
        eventually(lambda: machine.status.last_error == REASON_AUTH, 10, "the refusal")
        assert machine.status.state is MachineState.OFFLINE
        sent = machine.api.requests_sent
        clock.forward(AUTH_BACKOFF_S - 1)
        seen_by(clock, f"octoprint-{profile.id}")
        assert machine.api.requests_sent == sent  # no retries within the back-off
        clock.forward(1)
        eventually(lambda: machine.api.requests_sent > sent, 10, "one more try after the back-off")
    finally:
        machine.disconnect()


def test_octoprint_killed_mid_job_holds_the_job_and_the_printer_recovers_when_it_returns(
    machine: OctoPrintMachine, octoprint: OctoPrintServer
) -> None:
    ends = Ends(machine)
    machine.start(program(machine.profile, 4000), "d" * 32)
    eventually(lambda: machine.status.lines_done > 0, 30, "printing")
    octoprint.kill()
    eventually(lambda: ends.ended != [], 30, "the job to be held")
    assert ends.ended == [JobEnded("d" * 32, False, REASON_OCTOPRINT_GONE)]
    assert machine.status.state is MachineState.OFFLINE
    octoprint.start()
    eventually(lambda: machine.status.state is MachineState.IDLE, 60, "the printer back after OctoPrint's restart")
    assert len(ends.ended) == 1


def test_a_rebuilt_adapter_reattaches_to_the_job_octoprint_kept_printing(
    machine: OctoPrintMachine, octoprint: OctoPrintServer, tmp_path: Path
) -> None:
    job_id = "e" * 32
    machine.start(program(machine.profile, 1500), job_id)
    eventually(lambda: machine.status.lines_done > 0, 30, "printing")
    machine.disconnect()  # fabkiosk goes away; OctoPrint prints on
    time.sleep(0.5)
    assert octoprint.call("GET", "/api/job")["state"] == "Printing"
    again = build_machine(profile_for(tmp_path, octoprint))
    assert isinstance(again, OctoPrintMachine)
    again.poll_s = 0.3
    ends = Ends(again)
    again.connect()
    try:
        eventually(lambda: again.status.job_id == job_id, 10, "the re-attach")
        assert again.status.state is MachineState.RUNNING
        eventually(lambda: ends.ended != [], 60, "the end of the job")
        assert ends.ended == [JobEnded(job_id, True, "")]
    finally:
        again.disconnect()


def test_the_printer_disconnected_inside_octoprint_ends_the_job_and_is_connected_again(
    machine: OctoPrintMachine, octoprint: OctoPrintServer
) -> None:
    ends = Ends(machine)
    machine.start(program(machine.profile, 4000), "f" * 32)
    eventually(lambda: machine.status.lines_done > 0, 30, "printing")
    octoprint.disconnect()
    eventually(lambda: ends.ended != [], 30, "the job to be held")
    assert ends.ended == [JobEnded("f" * 32, False, REASON_LOST_JOB)]
    eventually(lambda: machine.status.state is MachineState.IDLE, 30, "the printer connected again")


def test_a_fatal_firmware_error_halts_the_job_with_a_readable_reason(
    machine: OctoPrintMachine, octoprint: OctoPrintServer
) -> None:
    ends = Ends(machine)
    machine.start(program(machine.profile, 4000), "9" * 32)
    eventually(lambda: machine.status.lines_done > 0, 30, "printing")
    octoprint.call("POST", "/api/printer/command", {"command": "!!DEBUG:trigger_fatal_error_marlin"})  # thermal runaway
    eventually(lambda: ends.ended != [], 30, "the job to be halted")
    assert ends.ended == [JobEnded("9" * 32, False, REASON_PRINTER_ERROR)]
    assert machine.status.state is MachineState.HALTED and machine.status.needs_staff
    assert machine.printer_error  # OctoPrint's words kept for staff


def test_heaters_go_off_in_a_long_pause_and_heat_up_again_before_resuming(
    octoprint: OctoPrintServer, tmp_path: Path
) -> None:
    clock = TestClock(running=True)  # OctoPrint prints in real time; the test moves the pause on by five minutes
    profile = profile_for(tmp_path, octoprint)
    machine = OctoPrintMachine(profile, OctoPrintApi(octoprint.url, octoprint.key), clock=clock, poll_s=0.3)
    machine.connect()
    try:
        eventually(lambda: machine.status.state is MachineState.IDLE, 30, "connected")
        heated = validate_program(
            "M140 S50\nM104 S190\n" + "\n".join(program(profile, 4000)) + "\n", profile
        )  # targets set, not waited for
        machine.start(heated, "7" * 32)
        eventually(lambda: machine.status.lines_done > 10, 30, "printing")
        machine.perform(MachineAction.PAUSE)
        eventually(lambda: machine.status.state is MachineState.PAUSED, 30, "paused")
        eventually(lambda: machine.status.hotend is not None and machine.status.hotend.target == 190, 15, "targets")
        clock.forward(301)  # five minutes paused
        eventually(lambda: machine.status.hotend is not None and machine.status.hotend.target == 0, 15, "heaters off")
        assert machine.status.bed is not None and machine.status.bed.target == 0
        machine.perform(MachineAction.RESUME)
        eventually(lambda: machine.status.state is MachineState.RUNNING, 60, "resumed after heating up")
        assert machine.status.hotend is not None and machine.status.hotend.target == 190
        machine.perform(MachineAction.CANCEL)
        eventually(lambda: machine.status.state is MachineState.IDLE, 30, "cancelled")
    finally:
        machine.disconnect()


def test_a_job_completes_while_the_virtual_printer_simulates_line_errors(tmp_path: Path) -> None:
    errors = ["30:resend", "60:resend_with_timeout", "90:missing_lineno", "120:checksum_mismatch"]
    server = OctoPrintServer(virtual_printer={**FAST, "simulated_errors": errors})
    try:
        machine = build_machine(profile_for(tmp_path, server))
        assert isinstance(machine, OctoPrintMachine)
        machine.poll_s = 0.3
        ends = Ends(machine)
        machine.connect()
        eventually(lambda: machine.status.state is MachineState.IDLE, 30, "connected")
        machine.start(program(machine.profile, 300), "5" * 32)
        eventually(lambda: ends.ended != [], 90, "the job to end")
        assert ends.ended == [JobEnded("5" * 32, True, "")]  # OctoPrint resent what the firmware asked for
        machine.disconnect()
    finally:
        server.stop()
