"""How far one head office goes: N stores (N = 1, 2, 4, 8) on this machine, each with its own PostgreSQL cluster,
each taking remote orders at a steady rate through its own job service (priced, accepted, approved by staff).

For each N it prints: catalog propagation (a template version published at the head office until it is readable
in every store, worst of three), fact lag to the head office (a job's commit at its store until the head office
has it, p50/p99 over every job), and the head office's PostgreSQL CPU (% of one core) and memory (PSS) per
store, with the memory of the replication processes that each store adds (its apply worker, its walsender).
Targets at N = 8: catalog to every store <= 5 s, fact lag p99 <= 5 s. Every cluster shares this machine's cores
with the stores' job services and the measuring, so the figures are pessimistic for one head office of its own.

Run: .venv/bin/python -m bench.chain [N ...]
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text

from app.chain import links
from app.chain.cluster import Cluster, scratch_folder
from app.config import load_settings
from app.fleet import Fleet
from app.jobs import Actor, JobService
from app.models import DesignerRow, TemplateVersionRow
from app.services import Services, build_services

SIZES = (1, 2, 4, 8)
JOBS_PER_S = 0.5  # per store: a busy store makes a job every few minutes; this is a hundred times that
STEADY_S = 30.0
CATALOG_TRIES = 3
TARGET_CATALOG_S = 5.0
TARGET_LAG_P99_S = 5.0
TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _cpu_seconds(cluster: Cluster) -> float:
    """CPU time of the cluster's postmaster, its running processes and those that ended."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    total = 0
    for pid in [postmaster, *_children(postmaster)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if pid == postmaster else 0)
    return total / TICKS


def _wal_bytes(cluster: Cluster) -> int:
    """Where the cluster's write-ahead log stands: every store's walsender at the head office decodes all of it
    (the catalog and, as applied there, every other store's facts) to find the little it publishes."""
    engine = create_engine(cluster.url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")))
    finally:
        engine.dispose()


def _pss_mb(cluster: Cluster) -> tuple[float, float]:
    """Proportional memory of all the cluster's processes, and of its replication processes alone."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    total = links_only = 0.0
    for pid in [postmaster, *_children(postmaster)]:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        pss = next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")) / 1024
        total += pss
        if "walsender" in command or "apply worker" in command:
            links_only += pss
    return total, links_only


@contextmanager
def _chain(n: int, cache: Path) -> Iterator[tuple[Cluster, list[tuple[str, Cluster, Services, JobService]]]]:
    base = scratch_folder()
    clusters: list[Cluster] = []
    try:
        hq = Cluster(base / "hq", name="hq").create().start()
        clusters.append(hq)
        hq_settings = load_settings(None, data_dir=str(base / "hq-files"), database_url=hq.url, chain={"role": "hq"})
        build_services(hq_settings).engine.dispose()
        links.init_hq(hq.url, 1024)
        stores = []
        for i in range(n):
            store = f"store{i + 1}"
            cluster = Cluster(base / store, name=store).create().start()
            clusters.append(cluster)
            data = base / f"{store}-files"
            data.mkdir(parents=True)
            (data / "cache").symlink_to(cache)  # renders and programs are the same in every store: made once
            settings = load_settings(None, data_dir=str(data), database_url=cluster.url, chain={"store_id": store})
            invitation = links.add_store(hq.url, store, f"Store {i + 1}", f"City {i + 1}")
            services = build_services(settings)
            links.join(cluster.url, invitation.hq_url, store, 1024, None, resync=False)
            jobs = JobService(settings, services.sessions, Fleet.build(services.machines))
            stores.append((store, cluster, services, jobs))
        _wait_until_streaming([hq, *(cluster for _s, cluster, _sv, _j in stores)])
        yield hq, stores
    finally:
        for cluster in clusters:
            cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def _wait_until_streaming(clusters: list[Cluster]) -> None:
    """Measure the steady state: every table copied and every apply worker running, at every member."""
    deadline = time.monotonic() + 120
    for cluster in clusters:
        engine = create_engine(cluster.url)
        ready = (
            "SELECT (SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r') = 0 AND "
            "(SELECT count(*) FROM pg_stat_subscription WHERE pid IS NOT NULL AND relid IS NULL) = "
            "(SELECT count(*) FROM pg_subscription)"
        )
        while True:
            with engine.connect() as connection:
                if connection.scalar(text(ready)):
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"the links of {cluster.name} did not come up")
            time.sleep(0.1)
        engine.dispose()


def _publish(hq: Cluster, number: int) -> str:
    engine = create_engine(hq.url)
    now = datetime.now(UTC)
    version_id = f"bench{number:027d}"
    with engine.begin() as connection:
        if not connection.scalar(text("SELECT count(*) FROM designers WHERE id = 'bench'")):
            connection.execute(
                DesignerRow.__table__.insert().values(
                    id="bench", name="bench", display_name="Bench", city="Köln", about={}, created_at=now
                )
            )
        connection.execute(
            TemplateVersionRow.__table__.insert().values(
                id=version_id,
                template_id="bench_tag",
                version=number,
                designer_id="bench",
                meta_toml="",
                scad_source="cube(10);",
                content_hash="0" * 64,
                share_percent=Decimal(10),
                cities=[],
                published_at=now,
                published_by="bench",
            )
        )
    engine.dispose()
    return version_id


def _catalog_seconds(hq: Cluster, stores: list[Cluster], number: int) -> float:
    engines = [create_engine(store.url) for store in stores]
    start = time.monotonic()
    version_id = _publish(hq, number)
    waiting = set(range(len(stores)))
    while waiting and time.monotonic() - start < 60:
        for i in list(waiting):
            with engines[i].connect() as connection:
                if connection.scalar(text("SELECT count(*) FROM template_versions WHERE id = :v"), {"v": version_id}):
                    waiting.discard(i)
        time.sleep(0.02)
    for engine in engines:
        engine.dispose()
    return time.monotonic() - start if not waiting else float("inf")


def run(n: int, cache: Path) -> dict[str, float]:
    with _chain(n, cache) as (hq, stores):
        made: dict[str, float] = {}  # job id -> when its store committed it
        arrived: dict[str, float] = {}
        stop = threading.Event()
        lock = threading.Lock()

        def take_orders(services: Services, jobs: JobService, offset: float) -> None:
            first = services.pipeline.quote_template("keychain", {"name": "Anna"}, "printer-1")
            time.sleep(offset)
            next_at = time.monotonic()
            while not stop.is_set():
                quote = services.pipeline.quote(first.design, first.part, first.plan)
                job = jobs.create(quote.quote_id, source="remote", actor=Actor.PHONE, customer_name="Bench").job
                with lock:
                    made[job.id] = time.monotonic()
                jobs.approve(job.id)
                next_at += 1 / JOBS_PER_S
                stop.wait(max(0.0, next_at - time.monotonic()))

        def watch_hq() -> None:
            engine = create_engine(hq.url)
            while not stop.is_set() or len(arrived) < len(made):
                with lock:
                    pending = [job for job in made if job not in arrived]
                if pending:
                    with engine.connect() as connection:
                        rows = connection.execute(text("SELECT id FROM jobs WHERE id = ANY(:ids)"), {"ids": pending})
                        now = time.monotonic()
                        for (job_id,) in rows:
                            arrived[job_id] = now
                if stop.is_set() and time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            engine.dispose()

        deadline = float("inf")
        workers = [
            threading.Thread(target=take_orders, args=(services, jobs, i / (n * JOBS_PER_S)), daemon=True)
            for i, (_store, _cluster, services, jobs) in enumerate(stores)
        ]
        watcher = threading.Thread(target=watch_hq, daemon=True)
        for worker in workers:
            worker.start()
        watcher.start()
        time.sleep(3)  # every store has its first quote and is taking orders
        cpu_before, wall_before, wal_before = _cpu_seconds(hq), time.monotonic(), _wal_bytes(hq)
        catalog = []
        for attempt in range(CATALOG_TRIES):
            time.sleep(STEADY_S / CATALOG_TRIES / 2)
            catalog.append(_catalog_seconds(hq, [cluster for _s, cluster, _sv, _j in stores], attempt + 1))
            time.sleep(STEADY_S / CATALOG_TRIES / 2)
        elapsed = time.monotonic() - wall_before
        cpu = (_cpu_seconds(hq) - cpu_before) / elapsed
        wal_rate = (_wal_bytes(hq) - wal_before) / elapsed
        memory, link_memory = _pss_mb(hq)
        stop.set()
        deadline = time.monotonic() + 30
        for worker in workers:
            worker.join(timeout=30)
        watcher.join(timeout=40)
        lags = sorted(arrived[job] - made[job] for job in made if job in arrived)
        lost = len(made) - len(lags)
        for _store, _cluster, services, _jobs in stores:
            services.engine.dispose()
    quantiles = statistics.quantiles(lags, n=100) if len(lags) >= 2 else [lags[0]] * 99
    return {
        "catalog_s": max(catalog),
        "jobs": float(len(made)),
        "missing": float(lost),
        "lag_p50_s": quantiles[49],
        "lag_p99_s": quantiles[98],
        "cpu_pct_per_store": 100 * cpu / n,
        "hq_mb": memory,
        "mb_per_store": memory / n,
        "link_mb_per_store": link_memory / n,
        "hq_wal_kb_s": wal_rate / 1024,
    }


def main(sizes: list[int]) -> int:
    shared = scratch_folder()
    cache = shared / "cache"
    cache.mkdir()
    print(f"Stores each taking {JOBS_PER_S:g} remote orders a second for {STEADY_S:g} s; head office on this machine")
    print(
        f"{'N':>3} {'catalog s':>10} {'jobs':>6} {'lost':>5} {'lag p50 s':>10} {'lag p99 s':>10} "
        f"{'HQ CPU %/store':>15} {'HQ MB':>7} {'MB/store':>9} {'link MB/store':>14} {'HQ WAL kB/s':>12}"
    )
    results = {}
    for n in sizes:
        r = results[n] = run(n, cache)
        print(
            f"{n:>3} {r['catalog_s']:>10.2f} {r['jobs']:>6.0f} {r['missing']:>5.0f} {r['lag_p50_s']:>10.2f} "
            f"{r['lag_p99_s']:>10.2f} {r['cpu_pct_per_store']:>15.1f} {r['hq_mb']:>7.0f} {r['mb_per_store']:>9.1f} "
            f"{r['link_mb_per_store']:>14.1f} {r['hq_wal_kb_s']:>12.1f}",
            flush=True,
        )
    largest = max(results)
    r = results[largest]
    print(
        f"\nTargets at N = {largest}: catalog to every store <= {TARGET_CATALOG_S:g} s: {r['catalog_s']:.2f} s "
        f"({'met' if r['catalog_s'] <= TARGET_CATALOG_S else 'MISSED'}); fact lag p99 <= {TARGET_LAG_P99_S:g} s: "
        f"{r['lag_p99_s']:.2f} s ({'met' if r['lag_p99_s'] <= TARGET_LAG_P99_S else 'MISSED'}); "
        f"facts lost: {r['missing']:.0f}"
    )
    shutil.rmtree(shared, ignore_errors=True)
    return 0 if r["catalog_s"] <= TARGET_CATALOG_S and r["lag_p99_s"] <= TARGET_LAG_P99_S else 1


if __name__ == "__main__":
    raise SystemExit(main([int(a) for a in sys.argv[1:]] or list(SIZES)))
