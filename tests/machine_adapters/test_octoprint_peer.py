"""fabkiosk's Marlin host against an independent peer: OctoPrint's own virtual printer, on a pty.

The peer runs in OctoPrint's separate virtual environment (`make test` installs it into .venv-octoprint).
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trimesh

from app.services import Services
from machine_adapters.base import JobEnded, MachineState
from machine_adapters.gcode import validate_program
from machine_adapters.marlin import MarlinMachine
from machine_adapters.transport import SerialTransport
from tests.conftest import stl_bytes

pytestmark = pytest.mark.slow  # a real OctoPrint server, printing in real time

ROOT = Path(__file__).parents[2]
PEER_PYTHON = ROOT / ".venv-octoprint" / "bin" / "python"
PEER = ROOT / "tests" / "peers" / "octoprint_virtual_printer.py"
# OctoPrint's defaults, plus what our host insists on hearing from a firmware it will run
SIMULATED_ERRORS = ["100:resend", "105:resend_with_timeout", "110:missing_lineno", "115:checksum_mismatch"]


class Peer:
    def __init__(self, data_dir: Path, settings: dict[str, object]) -> None:
        if not PEER_PYTHON.exists():
            pytest.fail("OctoPrint's virtual environment is missing: run `make test`, which installs it")
        self.process = subprocess.Popen(
            [str(PEER_PYTHON), str(PEER), str(data_dir), json.dumps(settings)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.path = self.process.stdout.readline().strip()
        assert self.path.startswith("/dev/"), "the virtual printer did not start"

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def peer_factory(tmp_path: Path) -> Iterator[object]:
    peers: list[Peer] = []

    def make(settings: dict[str, object]) -> Peer:
        peer = Peer(tmp_path, {"throttle": 0, "capabilities": {"THERMAL_PROTECTION": True}, **settings})
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.close()


def sliced_program(services: Services) -> str:
    plan = services.pipeline.quote_upload(stl_bytes(trimesh.creation.box((8, 8, 1.2))), "tab.stl", "printer-1").plan
    assert plan.program_path is not None
    return plan.program_path.read_text()


def run_on(peer: Peer, services: Services) -> tuple[MarlinMachine, JobEnded]:
    profile = services.machines["printer-1"]
    program = validate_program(sliced_program(services), profile)
    machine = MarlinMachine(profile, lambda: SerialTransport(peer.path, 115200), boot_wait_s=1.5, reply_timeout_s=2)
    ended: list[JobEnded] = []
    done = threading.Event()
    machine.job_ended.subscribe(lambda e: (ended.append(e), done.set()))
    machine.connect()
    try:
        assert machine.status.state is MachineState.IDLE, machine.status.last_error
        machine.start(program, "peer-job")
        assert done.wait(240), f"no end: {machine.status}"
        return machine, ended[0]
    finally:
        machine.disconnect()


def test_a_sliced_program_runs_to_the_end_through_the_peers_simulated_errors(
    services: Services, peer_factory: object
) -> None:
    peer = peer_factory({"simulated_errors": SIMULATED_ERRORS})  # type: ignore[operator]
    machine, ended = run_on(peer, services)
    assert ended.completed, ended.reason
    assert machine.status.lines_done == machine.status.lines_total > 115  # past every simulated error


def test_a_peer_that_drops_a_line_and_asks_for_one_never_sent_is_not_trusted(
    services: Services, peer_factory: object
) -> None:
    # With resend_ratio the virtual printer refuses a line it has already counted, without running it, and asks
    # for the next one. Carrying on would silently lose that command: the job is held instead.
    peer = peer_factory({"resend_ratio": 5, "simulated_errors": []})  # type: ignore[operator]
    machine, ended = run_on(peer, services)
    assert not ended.completed and "unreliable" in ended.reason
    assert machine.status.state is MachineState.LINK_LOST and machine.status.needs_staff
