"""Shared fixtures: settings on a temporary data folder, the real services, and meshes made on the fly."""

from __future__ import annotations

import contextlib
import io
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trimesh

from app.config import Settings, load_settings
from app.fleet import Fleet
from app.jobs import Actor, JobService, JobState
from app.pipeline import QuoteResult
from app.services import Services, build_services
from machine_adapters.base import JobEnded
from machine_adapters.clock import TestClock
from machine_adapters.gcode import validate_program
from machine_adapters.grbl import GrblMachine
from machine_adapters.profiles import MachineProfile
from machine_adapters.registry import simulated_grbl_firmware
from machine_adapters.simulators.grbl import GrblSimulator
from tests.octoprint_host import OctoPrintServer


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(None, data_dir=str(tmp_path / "data"))


@pytest.fixture
def services(settings: Settings) -> Services:
    return build_services(settings)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Services, JobService]]:
    """The demo store with its simulated machines connected and running 200 times faster than real time."""
    with running_store(tmp_path, 200) as services:
        assert services.jobs is not None
        yield services, services.jobs


@contextlib.contextmanager
def running_store(folder: Path, speed: float) -> Iterator[Services]:
    """The demo store's services with its simulated machines connected, `speed` times faster than real time."""
    settings = load_settings(None, data_dir=str(folder / "data"), machines_file=str(machines_file(folder, speed)))
    services = build_services(settings)
    fleet = Fleet.build(services.machines)
    services.run_machines(fleet)
    fleet.connect_all()
    try:
        yield services
    finally:
        fleet.disconnect_all()


def eventually(condition: Callable[[], object], timeout: float = 30.0, what: str = "") -> None:
    """Wait until the condition holds; fail after `timeout` real seconds, saying what was awaited.

    The one way tests wait for something other threads do. A test never sleeps to let time pass: it moves a
    `TestClock` forward, and waits for the effect (or for `seen_by`) here."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what or 'the condition'}"
        time.sleep(0.01)


def seen_by(clock: TestClock, thread: str, looks: int = 8, timeout: float = 10.0) -> None:
    """Wait until the threads named `thread...` read the clock `looks` more times: a port thread reads it a few
    times per round of its loop, so it has gone round at least once since, and seen the time as it is now. What
    it would have done by then (a timer firing, a line sent) it has done: "nothing happened" is then a fact."""
    start = clock.looks(thread)
    eventually(lambda: clock.looks(thread) >= start + looks, timeout, f"{thread} to look at the clock")


@pytest.fixture
def fast(tmp_path: Path) -> Services:
    """The demo store with its simulated machines 200 times faster than real time."""
    return build_services(
        load_settings(None, data_dir=str(tmp_path / "data"), machines_file=str(machines_file(tmp_path, 200)))
    )


FAST = {"throttle": 0.002, "sendBusy": False, "okAfterResend": False}  # OctoPrint's virtual printer: a line every 2 ms


@pytest.fixture
def octoprint() -> Iterator[OctoPrintServer]:
    """A real OctoPrint on loopback with its virtual printer, stopped by its PID afterwards."""
    server = OctoPrintServer(virtual_printer=FAST)
    try:
        yield server
    finally:
        server.stop()


def stl_bytes(mesh: trimesh.Trimesh) -> bytes:
    return bytes(mesh.export(file_type="stl"))


def ascii_stl(triangles: list[list[tuple[str, str, str]]]) -> bytes:
    lines = ["solid test"]
    for triangle in triangles:
        lines += ["facet normal 0 0 0", " outer loop"]
        lines += [f"  vertex {x} {y} {z}" for x, y, z in triangle]
        lines += [" endloop", "endfacet"]
    lines.append("endsolid test")
    return "\n".join(lines).encode()


def threemf_bytes(model_xml: str, extra: dict[str, bytes] | None = None, name: str = "3D/3dmodel.model") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(name, model_xml)
        for entry, data in (extra or {}).items():
            archive.writestr(entry, data)
    return buffer.getvalue()


def model_xml(mesh: trimesh.Trimesh, unit: str = "millimeter") -> str:
    vertices = "".join(f'<vertex x="{x}" y="{y}" z="{z}"/>' for x, y, z in mesh.vertices)
    triangles = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in mesh.faces)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<model unit="{unit}" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
        f'<resources><object id="1" type="model"><mesh><vertices>{vertices}</vertices>'
        f"<triangles>{triangles}</triangles></mesh></object></resources>"
        f'<build><item objectid="1"/></build></model>'
    )


def obj_bytes(mesh: trimesh.Trimesh) -> bytes:
    lines = [f"v {x} {y} {z}" for x, y, z in mesh.vertices]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in mesh.faces]
    return "\n".join(lines).encode()


def machines_file(folder: Path, speed: float) -> Path:
    """The demo store's machines, with the simulated ones running `speed` times faster than real time."""
    example = (Path(__file__).parent.parent / "assets" / "machines.example.toml").read_text()
    path = folder / f"machines-x{speed:g}.toml"
    path.write_text(example.replace("speed = 10", f"speed = {speed:g}"))
    return path


def run_to_pickup(services: Services, template: str, values: dict[str, object], machine_id: str) -> None:
    """A kiosk job of this template on the demo store's machine, from the quote to ready for pickup."""
    run_quote_to_pickup(services, lambda: services.pipeline.quote_template(template, values, machine_id), machine_id)


def run_quote_to_pickup(services: Services, make_quote: Callable[[], QuoteResult], machine_id: str) -> None:
    """A kiosk job of the design `make_quote` prices, on the demo store's machine, to ready for pickup."""
    fleet = Fleet.build(services.machines)
    jobs = services.run_machines(fleet)
    fleet.connect_all()
    try:
        quote = make_quote()
        job_id = jobs.create(quote.quote_id).job.id
        eventually(lambda: fleet.machines[machine_id].status.state.value == "idle", 20, f"{machine_id} to be ready")
        jobs.start(job_id, Actor.KIOSK)
        eventually(lambda: jobs.get(job_id).state is JobState.READY_FOR_PICKUP, 60, "the job to be ready for pickup")
    finally:
        fleet.disconnect_all()


def run_through_grbl_host(profile: MachineProfile, program_path: Path) -> GrblSimulator:
    """A program through the real GRBL host into a simulator set up as the demo machine, with instant motion;
    the simulator afterwards, with every block it executed."""
    firmware = simulated_grbl_firmware(profile, 0.0)
    machine = GrblMachine(profile, lambda: firmware, reply_timeout_s=5)
    ended: list[JobEnded] = []
    machine.job_ended.subscribe(ended.append)
    machine.connect()
    try:
        machine.start(validate_program(program_path.read_text(), profile), "bench-run")
        eventually(lambda: ended, 120, "the program to end")
        assert ended[0].completed, ended[0]
    finally:
        machine.disconnect()
    return firmware
