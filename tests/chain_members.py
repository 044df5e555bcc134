"""A head office and stores on this machine for the chain tests: each with its own PostgreSQL cluster, the stores
with their simulated machines, joined the way staff join them (the `fabkiosk chain` commands' functions)."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from app.chain import links
from app.chain.cluster import Cluster, scratch_folder
from app.chain.snapshots import MachineSnapshots
from app.config import Settings, load_settings
from app.fleet import Fleet
from app.jobs import Actor, JobState
from app.services import Services, build_services
from tests.conftest import eventually, machines_file


@dataclass
class Member:
    """One member of the chain: its cluster, settings and (for a store with machines) its running services."""

    cluster: Cluster
    settings: Settings
    services: Services | None = None
    snapshots: MachineSnapshots | None = None
    fleet: Fleet | None = None
    hq_url: str = ""  # a store: the head office's address `chain add-store` printed for it
    lock: threading.Lock = field(default_factory=threading.Lock)  # one kiosk job at a time per store

    def scalar(self, sql: str, **params: Any) -> Any:
        engine = create_engine(self.cluster.url)
        try:
            with engine.connect() as connection:
                return connection.scalar(text(sql), params)
        finally:
            engine.dispose()

    def execute(self, sql: str) -> None:
        engine = create_engine(self.cluster.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(sql))
        finally:
            engine.dispose()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        engine = create_engine(self.cluster.url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(sql), params))
        finally:
            engine.dispose()


def member_settings(folder: Path, cluster: Cluster, chain: dict[str, Any], city: str, speed: float) -> Settings:
    return load_settings(
        None,
        data_dir=str(folder / "data"),
        database_url=cluster.url,
        machines_file=str(machines_file(folder, speed)),
        chain=chain,
        store={"city": city},
    )


@contextlib.contextmanager
def running_chain(
    stores: dict[str, str], speed: float = 400, slot_keep_mb: int = 1024, stale_after_s: float = 12
) -> Iterator[tuple[Member, dict[str, Member]]]:
    """A head office and these stores (id -> city), joined, the stores' machines connected and reporting every
    second. An idle link hears from its publisher every half `wal_sender_timeout` (10 s here), so the links are
    stale after `stale_after_s` without a word."""
    base = scratch_folder()
    members: list[Member] = []
    try:
        hq_cluster = (
            Cluster(base / "hq", name="hq", slot_keep_mb=slot_keep_mb, wal_sender_timeout_s=10).create().start()
        )
        chain = {"role": "hq", "stale_after_s": stale_after_s, "slot_keep_mb": slot_keep_mb}
        hq = Member(hq_cluster, member_settings(base / "hq", hq_cluster, chain, "Köln", speed))
        members.append(hq)
        build_services(hq.settings)  # migrates, as `fabkiosk serve --role hq` would at start
        links.init_hq(hq.cluster.url, slot_keep_mb)
        joined: dict[str, Member] = {}
        for store, city in stores.items():
            cluster = (
                Cluster(base / store, name=store, slot_keep_mb=slot_keep_mb, wal_sender_timeout_s=10).create().start()
            )
            chain = {"store_id": store, "stale_after_s": stale_after_s, "slot_keep_mb": slot_keep_mb}
            member = joined[store] = Member(cluster, member_settings(base / store, cluster, chain, city, speed))
            members.append(member)
            invitation = links.add_store(hq.cluster.url, store, f"fabkiosk {city}", city)
            member.services = build_services(member.settings)
            member.hq_url = invitation.hq_url
            links.join(cluster.url, invitation.hq_url, store, slot_keep_mb, None, resync=False)
            member.fleet = Fleet.build(member.services.machines)
            member.services.run_machines(member.fleet)
            member.fleet.connect_all()
            member.snapshots = MachineSnapshots(member.services.sessions, member.fleet, store, every_s=1.0).start()
        reported = "SELECT count(DISTINCT store) FROM machine_snapshots"
        eventually(lambda: hq.scalar(reported) == len(stores))
        yield hq, joined
    finally:
        for member in members:
            if member.snapshots is not None:
                member.snapshots.stop()
            if member.fleet is not None:
                member.fleet.disconnect_all()
            if member.services is not None:
                member.services.engine.dispose()
        for member in members:
            member.cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def kiosk_job(store: Member, template: str = "keychain", machine_id: str = "printer-1", **values: Any) -> str:
    """A kiosk customer's job through the store's own services: priced, accepted, started at the machine and made
    to ready for pickup. Returns the job's id."""
    services = store.services
    assert services is not None and services.jobs is not None and store.fleet is not None
    jobs = services.jobs
    with store.lock:
        quote = services.pipeline.quote_template(template, values or {"name": "Anna"}, machine_id)
        job_id = jobs.create(quote.quote_id).job.id
        machine = store.fleet.machines[machine_id]
        eventually(lambda: machine.status.state.value == "idle", 30)
        jobs.start(job_id, Actor.KIOSK)
        eventually(lambda: jobs.get(job_id).state is JobState.READY_FOR_PICKUP, 60)
        jobs.mark_collected(job_id)
    return job_id


def config_file(member: Member, folder: Path) -> Path:
    """The member's settings as a file, for running `fabkiosk` commands as staff do."""
    chain = member.settings.chain
    path = folder / f"{chain.store_id}-{chain.role}.toml"
    path.write_text(
        f'database_url = "{member.cluster.url}"\ndata_dir = "{folder / "data"}"\n'
        f'[store]\ncity = "{member.settings.store.city}"\n'
        f'[chain]\nrole = "{chain.role}"\nstore_id = "{chain.store_id}"\n'
        f"stale_after_s = {chain.stale_after_s}\nslot_keep_mb = {chain.slot_keep_mb}\n"
    )
    return path


def wait_until(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
