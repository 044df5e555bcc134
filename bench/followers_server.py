"""The fabkiosk server for bench/followers.py: the real app, with jobs already running and an event-loop probe.

Started as its own process by the benchmark. Before serving it starts one keychain job per simulated printer
through the job service (the call the kiosk makes after the customer's checklist), writes the jobs' phone links
to a file, and serves `/bench/stats` (event-loop lag and process figures) for the benchmark to read.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path

from nicegui import app, ui

from app.config import load_settings
from app.jobs import Actor
from app.server import create_app

LAG_PERIOD_S = 0.01


class LagProbe:
    """How late the event loop wakes a task that asked to sleep 10 ms: what every page waits on a busy server."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(LAG_PERIOD_S)
            self.samples.append(loop.time() - before - LAG_PERIOD_S)

    def take(self) -> list[float]:
        samples, self.samples = self.samples, []
        return samples


def main(data_dir: str, machines_file: str, port: int, links_file: str) -> None:
    settings = load_settings(None, data_dir=data_dir, machines_file=machines_file, port=port)
    services = create_app(settings)
    probe = LagProbe()

    @app.get("/bench/stats")
    def stats() -> dict[str, object]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        rss_kb = int(
            next(
                line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmRSS")
            ).split()[1]
        )
        return {"lag": probe.take(), "cpu_s": usage.ru_utime + usage.ru_stime, "rss_kb": rss_kb, "at": time.time()}

    async def start_jobs() -> None:
        asyncio.get_running_loop().create_task(probe.run())
        assert services.jobs is not None and services.fleet is not None
        links = []
        for machine_id, machine in services.fleet.machines.items():
            while machine.status.state.value != "idle":
                await asyncio.sleep(0.2)
            values = {"name": f"Bench {machine_id[-2:]}"}
            quote = await asyncio.to_thread(services.pipeline.quote_template, "keychain", values, machine_id)
            new = services.jobs.create(quote.quote_id)
            await asyncio.to_thread(services.jobs.prepare, new.job.id)
            services.jobs.start(new.job.id, Actor.KIOSK)
            links.append(f"/job/{new.token}")
        for live in (services.jobs.live(j) for j in [services.jobs.find(link[5:]).id for link in links]):  # type: ignore[union-attr]
            while live.percent == 0:  # heated up and printing: progress reaches the followers from now on
                await asyncio.sleep(0.5)
        Path(links_file).write_text(json.dumps(links))

    app.on_startup(lambda: asyncio.get_running_loop().create_task(start_jobs()))
    ui.run(host="127.0.0.1", port=port, reload=False, show=False, title=settings.store_name)


if __name__ in {"__main__", "__mp_main__"}:
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
