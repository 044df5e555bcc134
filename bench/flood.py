"""Benchmark: one client cannot starve the store. N remote order pages change their design every few seconds while
the kiosk beside the machines prices a keychain, and a running job is started and stopped.

Per N (0, 5, 20) it prints the kiosk's quote time (parameters to price), START of a checked job (the call until the
job runs) and STOP to the machine (the tap until the first byte of the stop command reaches the printer's port).
Targets at N = 20: kiosk quote <= 2 x its time at N = 0; STOP <= 100 ms p99; START <= 1 s.

How clients are driven: in this process, through the entry points the pages call (not through pages in a browser):
the remote pages' and the kiosk's design work through the design-work queue exactly as app/pages/steps/personalise.py
submits it (each remote page with its own address, as phones on the store's Wi-Fi have), machine actions through
`app.machine_control.act(...)` as the kiosk page does (STOP on its own lane). Real OpenSCAD, PrusaSlicer, mesh
checks, database and Marlin host; the printer is the firmware simulator behind a port that timestamps what arrives.

Run: .venv/bin/python -m bench.flood [N ...]
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from app.access import Action, Principal, Role, kiosk_customer
from app.config import load_settings
from app.design_queue import Client, Ticket, TooManyRuns, WorkDropped
from app.fleet import Fleet
from app.jobs import JobState
from app.machine_control import act, control
from app.pipeline import Pipeline, QuoteResult
from app.services import Services, build_services
from machine_adapters.base import MachineState
from machine_adapters.marlin import MarlinMachine
from machine_adapters.simulators.marlin import MarlinSimulator

PRINTER = "printer-1"
CHANGE_EVERY_S = 3.0  # how often each remote customer changes the name on their keychain
KIOSK_QUOTES = 3
MACHINE_CYCLES = 10  # START and STOP samples per N
STAFF = Principal(Role.STAFF, name="bench")


class WatchedPort(MarlinSimulator):
    """The simulated printer's serial port, noting when the stop command's first byte arrives."""

    def __init__(self, time_factor: float) -> None:
        super().__init__(time_factor=time_factor, advanced_ok=True)
        self.stop_arrived = threading.Event()
        self.stop_at = 0.0

    def write(self, data: bytes) -> None:
        if b"M112" in data and not self.stop_arrived.is_set():
            self.stop_at = time.perf_counter()
            self.stop_arrived.set()
        super().write(data)


async def quote_through_queue(pipeline: Pipeline, ticket: Ticket, name: str) -> QuoteResult:
    """The personalise step's stages, as app/pages/steps/personalise.py runs them."""
    design = await ticket.run(pipeline.design_from_template, "keychain", {"name": name}, PRINTER)
    part = await ticket.run(pipeline.part_for, design, PRINTER, 1.0)
    plan = await ticket.run(pipeline.plan_for, part, PRINTER)
    return await ticket.run(pipeline.quote, design, part, plan)


class RemotePages:
    """N order pages, each changing its keychain's name every few seconds; counts what became of each change."""

    def __init__(self, services: Services, n: int) -> None:
        self.services, self.n = services, n
        self.priced = self.dropped = self.refused = 0
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._page(i)) for i in range(self.n)]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _page(self, number: int) -> None:
        queue, pipeline = self.services.design_queue, self.services.pipeline
        assert queue is not None
        client = Client(f"remote-{number}", f"10.0.1.{number + 1}")
        await asyncio.sleep(number * CHANGE_EVERY_S / max(1, self.n))  # customers do not type in step
        runs: set[asyncio.Task[None]] = set()
        for change in itertools.count():
            if self._stop.is_set():
                break
            try:
                ticket = queue.begin(client)  # drops this page's older run, as a newer change does
            except TooManyRuns:
                self.refused += 1
            else:
                run = asyncio.create_task(self._run(pipeline, ticket, f"R{number}x{change}{secrets.token_hex(2)}"))
                runs.add(run)
                run.add_done_callback(runs.discard)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), CHANGE_EVERY_S)
        queue.drop(client.page)
        await asyncio.gather(*runs, return_exceptions=True)

    async def _run(self, pipeline: Pipeline, ticket: Ticket, name: str) -> None:
        try:
            await quote_through_queue(pipeline, ticket, name)
            self.priced += 1
        except WorkDropped:
            self.dropped += 1


async def kiosk_quote(services: Services, label: str) -> float:
    queue = services.design_queue
    assert queue is not None
    started = time.perf_counter()
    ticket = queue.begin(Client("kiosk", "127.0.0.1", at_machine=True))
    await quote_through_queue(services.pipeline, ticket, label)
    return time.perf_counter() - started


async def wait_until(condition: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("the machine did not get there in time")
        await asyncio.sleep(0.02)


async def start_and_stop(services: Services, port: WatchedPort, ready: QuoteResult) -> tuple[float, float]:
    """A kiosk job on a checked program: START timed until it runs, then STOP timed until M112 reaches the port;
    then staff bring the printer back and confirm it is clear."""
    jobs, store, pipeline = services.jobs, services.store, services.pipeline
    assert jobs is not None and store is not None and services.fleet is not None
    machine = services.fleet.machines[PRINTER]
    quote = await asyncio.to_thread(pipeline.quote, ready.design, ready.part, ready.plan)
    job_id = (await asyncio.to_thread(jobs.create, quote.quote_id)).job.id
    await asyncio.to_thread(jobs.prepare, job_id)  # checked at the checklist, before the customer taps Start
    started = time.perf_counter()
    await control(store.job_action, kiosk_customer(job_id, frozenset({"printer-1"})), job_id, Action.START)
    start_s = time.perf_counter() - started
    await wait_until(lambda: machine.status.lines_done > 5)
    port.stop_arrived.clear()
    tapped = time.perf_counter()
    await act(
        "stop", store.job_action, kiosk_customer(job_id, frozenset({"printer-1"})), job_id, Action.STOP
    )  # as the kiosk's STOP does
    await asyncio.to_thread(port.stop_arrived.wait, 10)
    stop_s = port.stop_at - tapped
    await wait_until(lambda: jobs.get(job_id).state is JobState.CANCELLED)
    await control(store.bring_back, STAFF, PRINTER)
    await wait_until(lambda: machine.status.state is MachineState.IDLE)
    await control(store.confirm_ready, STAFF, PRINTER)
    return start_s, stop_s


def build(work: Path) -> tuple[Services, WatchedPort]:
    settings = load_settings(None, data_dir=str(work / "data"))
    services = build_services(settings)
    fleet = Fleet.build(services.machines)
    profile = services.machines[PRINTER]
    port = WatchedPort(1.0 / profile.connection.speed)

    def open_port() -> MarlinSimulator:
        if port.halted:
            port.reset()  # opening a halted board's port resets it, as on a USB printer
        return port

    fleet.machines[PRINTER] = MarlinMachine(profile, open_port)
    services.run_machines(fleet)
    fleet.connect_all()
    return services, port


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


async def main(counts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        services, port = build(Path(folder))
        assert services.fleet is not None
        machine = services.fleet.machines[PRINTER]
        await wait_until(lambda: machine.status.state is MachineState.IDLE)
        await kiosk_quote(services, "Warm")  # fonts, catalog and profiles read once before anything is timed
        ready = await asyncio.to_thread(services.pipeline.quote_template, "keychain", {"name": "Run"}, PRINTER)
        rows = []
        for n in counts:
            pages = RemotePages(services, n)
            pages.start()
            await asyncio.sleep(2 * CHANGE_EVERY_S if n else 0)  # the flood is in full swing before timing
            quotes = [await kiosk_quote(services, f"K{n}x{k}{secrets.token_hex(2)}") for k in range(KIOSK_QUOTES)]
            cycles = [await start_and_stop(services, port, ready) for _ in range(MACHINE_CYCLES)]
            await pages.stop()
            starts, stops = [c[0] for c in cycles], [c[1] for c in cycles]
            rows.append((n, statistics.median(quotes), max(starts), p99(stops), pages))
            print(f"N={n} done", file=sys.stderr)
        services.fleet.disconnect_all()
    base = rows[0][1] if rows and rows[0][0] == 0 else None
    print("\nOne client cannot starve the store (in-process clients through the pages' entry points; the machine")
    print("is shared with other work while this runs: figures are pessimistic)\n")
    print(
        f"| N remote | kiosk quote (median of {KIOSK_QUOTES}) | vs N=0 | START max of {MACHINE_CYCLES} | "
        f"STOP p99 of {MACHINE_CYCLES} | remote changes priced / dropped / refused |"
    )
    print("|---|---|---|---|---|---|")
    for n, quote_s, start_s, stop_s, pages in rows:
        ratio = f"{quote_s / base:.2f} x" if base else "—"
        print(
            f"| {n} | {quote_s:.2f} s | {ratio} | {start_s * 1000:.0f} ms | {stop_s * 1000:.1f} ms | "
            f"{pages.priced} / {pages.dropped} / {pages.refused} |"
        )
    print("\nTargets at N = 20: kiosk quote <= 2 x N=0; STOP <= 100 ms p99; START of a checked job <= 1 s.")


if __name__ == "__main__":
    asyncio.run(main([int(a) for a in sys.argv[1:]] or [0, 5, 20]))
