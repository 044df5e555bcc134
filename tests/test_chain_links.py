"""A head office and two stores on real PostgreSQL clusters: the catalog goes down to every store, each store's
facts go up with their store and city, each table has one writer, and outages on either side lose nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from app.__main__ import main
from app.chain import links, status
from app.models import DesignerRow, HqOrderRow, JobEventRow, StoreRow, TemplateVersionRow
from app.services import build_services
from tests.chain_members import Member, kiosk_job, running_chain, wait_until

Chain = tuple[Member, dict[str, Member]]


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    with running_chain({"koeln": "Köln", "leipzig": "Leipzig"}) as members:
        yield members


def test_catalog_written_at_the_head_office_reaches_every_store(chain: Chain) -> None:
    hq, stores = chain
    links.add_store(hq.cluster.url, "dresden", "fabkiosk Dresden", "Dresden")
    at_hq = build_services(hq.settings)
    now = datetime.now(UTC)
    try:
        with at_hq.sessions.begin() as session:
            session.add(DesignerRow(id="d1", name="ada", display_name="Ada", city="Köln", about={}, created_at=now))
            session.flush()
            session.add(
                TemplateVersionRow(
                    id="v1",
                    template_id="ada_tag",
                    version=1,
                    designer_id="d1",
                    meta_toml="title = 'Tag'",
                    scad_source="cube(10);",
                    content_hash="0" * 64,
                    share_percent=Decimal("10"),
                    cities=[],
                    published_at=now,
                    published_by="hq-staff",
                )
            )
    finally:
        at_hq.engine.dispose()
    for store in stores.values():
        wait_until(lambda s=store: s.scalar("SELECT city FROM stores WHERE id = 'dresden'") == "Dresden", 30)
        wait_until(lambda s=store: s.scalar("SELECT designer_id FROM template_versions WHERE id = 'v1'") == "d1", 30)
        assert store.scalar("SELECT scad_source FROM template_versions WHERE id = 'v1'") == "cube(10);"


def test_a_job_made_in_a_store_reaches_the_head_office_with_its_store_and_city(chain: Chain) -> None:
    hq, stores = chain
    job_id = kiosk_job(stores["koeln"])
    wait_until(lambda: hq.scalar("SELECT state FROM jobs WHERE id = :j", j=job_id) == "collected", 30)
    row = hq.rows(
        "SELECT j.store, s.city, j.template_id, j.machine_kind, j.material, j.total FROM jobs j "
        "JOIN stores s ON s.id = j.store WHERE j.id = :j",
        j=job_id,
    )[0]
    made = stores["koeln"].rows("SELECT total FROM quotes WHERE locked_by_job = :j", j=job_id)[0]
    assert row[:5] == ("koeln", "Köln", "keychain", "fdm_printer", "PLA")
    assert row[5] == made[0] and row[5] > 0
    events_here = stores["koeln"].scalar("SELECT count(*) FROM job_events WHERE job_id = :j", j=job_id)
    wait_until(lambda: hq.scalar("SELECT count(*) FROM job_events WHERE job_id = :j", j=job_id) == events_here)
    assert hq.scalar("SELECT count(*) FROM job_events WHERE job_id = :j AND store <> 'koeln'", j=job_id) == 0


def test_setting_the_chain_up_again_changes_nothing(chain: Chain) -> None:
    hq, stores = chain
    store = stores["koeln"]
    links.init_hq(hq.cluster.url, 1024)
    invitation = links.add_store(hq.cluster.url, "koeln", "fabkiosk Köln", "Köln")  # a new password for the store
    links.join(store.cluster.url, invitation.hq_url, "koeln", 1024, None, resync=False)
    store.hq_url = invitation.hq_url
    job_id = kiosk_job(store)
    wait_until(lambda: hq.scalar("SELECT state FROM jobs WHERE id = :j", j=job_id) == "collected", 30)
    here = {row[0] for row in store.rows("SELECT id FROM jobs")}
    assert {row[0] for row in hq.rows("SELECT id FROM jobs WHERE store = 'koeln'")} == here
    assert hq.scalar("SELECT count(*) FROM pg_subscription") == 2  # one per store, as before
    assert store.scalar("SELECT count(*) FROM pg_subscription") == 1


def test_an_order_placed_at_the_head_office_reaches_its_store_alone_and_so_does_its_cancel(chain: Chain) -> None:
    hq, stores = chain
    at_hq = build_services(hq.settings)
    try:
        with at_hq.sessions.begin() as session:
            session.add(
                HqOrderRow(
                    id="o1",
                    store="leipzig",
                    token_hash="1" * 64,
                    template_id="keychain",
                    parameters={"name": "Jo"},
                    machine_kind="fdm_printer",
                    material="PLA",
                    customer_name="Jo",
                    total=Decimal("4.50"),
                    currency="EUR",
                    created_at=datetime.now(UTC),
                )
            )
        wait_until(lambda: stores["leipzig"].scalar("SELECT customer_name FROM hq_orders WHERE id = 'o1'") == "Jo")
        with at_hq.sessions.begin() as session:
            order = session.get(HqOrderRow, "o1")
            assert order is not None
            order.cancelled_at = datetime.now(UTC)
        cancelled = "SELECT cancelled_at IS NOT NULL FROM hq_orders WHERE id = 'o1'"
        wait_until(lambda: stores["leipzig"].scalar(cancelled) is True)
    finally:
        at_hq.engine.dispose()
    assert stores["koeln"].scalar("SELECT count(*) FROM hq_orders") == 0  # another store's customer stays there


def test_each_replicated_table_has_one_writer(chain: Chain) -> None:
    hq, stores = chain
    store = stores["leipzig"].services
    assert store is not None
    with pytest.raises(DBAPIError, match="stores is written by the head office"), store.sessions.begin() as s:
        s.add(StoreRow(id="fake", name="Fake", city="Nowhere", created_at=datetime.now(UTC)))
    with pytest.raises(DBAPIError, match="hq_orders is written by the head office"):
        stores["leipzig"].scalar("DELETE FROM hq_orders RETURNING 1")
    at_hq = build_services(hq.settings)  # the head office receives facts only
    try:
        event = JobEventRow(job_id="x", at=datetime.now(UTC), to_state="queued", actor="staff", reason="")
        with pytest.raises(DBAPIError, match="job_events is written by its store"), at_hq.sessions.begin() as s:
            s.add(event)
    finally:
        at_hq.engine.dispose()


def test_with_the_head_office_away_stores_keep_working_and_every_fact_arrives_once(chain: Chain) -> None:
    hq, stores = chain
    hq.cluster.stop()
    try:
        made: dict[str, list[str]] = {name: [] for name in stores}

        def take_jobs(name: str) -> None:
            for _ in range(3):
                made[name].append(kiosk_job(stores[name]))

        workers = [threading.Thread(target=take_jobs, args=(name,)) for name in stores]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=240)
        assert all(len(jobs) == 3 for jobs in made.values()), made
        with_hq_away = status.links_of(stores["koeln"].cluster.url, 12)
        assert {link.state for link in with_hq_away if link.direction == "in"} == {"down"}
        assert any(link.state == "peer away" and link.lag_bytes for link in with_hq_away if link.direction == "out")
    finally:
        hq.cluster.start()
    for name, store in stores.items():
        facts = "SELECT {} FROM job_events WHERE store = :s ORDER BY id"
        at_store = [r[0] for r in store.rows(facts.format("id"), s=name)]
        arrived = facts.format("count(*)").removesuffix(" ORDER BY id")
        wait_until(lambda n=name, a=arrived, want=at_store: hq.scalar(a, s=n) >= len(want), 90)
        at_hq = [r[0] for r in hq.rows(facts.format("id"), s=name)]
        assert at_hq == at_store  # every event once: none missing, none twice (the key allows no twin either)
        jobs_here = {r[0] for r in store.rows("SELECT id FROM jobs")}
        assert {r[0] for r in hq.rows("SELECT id FROM jobs WHERE store = :s", s=name)} == jobs_here
        assert set(made[name]) <= jobs_here


def test_status_command_shows_every_link_streaming(
    chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hq, _stores = chain
    config = tmp_path / "hq.toml"
    config.write_text(
        f'database_url = "{hq.cluster.url}"\ndata_dir = "{tmp_path / "data"}"\n[chain]\nrole = "hq"\n'
        "stale_after_s = 12\n"
    )
    wait_until(lambda: all(link.state == "streaming" for link in status.links_of(hq.cluster.url, 12)), 60)
    assert main(["--config", str(config), "chain", "status"]) == 0
    out = capsys.readouterr().out
    for store in ("koeln", "leipzig"):
        assert f"fabkiosk_{store}_to_hq" in out and f"fabkiosk_hq_to_{store}" in out
    link_lines = [line for line in out.splitlines() if "_to_" in line]
    assert len(link_lines) == 4 and not any("STALE" in line for line in link_lines)
    # both directions of each link say how far behind they are, in bytes: read here, or at the publisher's slot
    assert all(link.lag_bytes is not None for link in status.links_of(hq.cluster.url, 12))


def test_a_store_away_is_marked_stale_at_the_head_office(chain: Chain) -> None:
    hq, stores = chain

    def report(name: str) -> status.StoreReport:
        return next(r for r in status.reports_of(hq.cluster.url, 12) if r.store == name)

    assert not report("koeln").stale
    stores["leipzig"].cluster.stop()
    try:
        wait_until(lambda: report("leipzig").stale, 60)
        assert not report("koeln").stale
        link = next(link for link in status.links_of(hq.cluster.url, 12) if link.name == "fabkiosk_leipzig_to_hq")
        assert link.state == "down" and link.stale
    finally:
        stores["leipzig"].cluster.start()
    wait_until(lambda: not report("leipzig").stale, 60)


def test_a_store_that_joined_takes_its_catalog_from_the_head_office_only(chain: Chain) -> None:
    """A joined store never seeds the shipped templates again: a template the head office took away stays away
    after the store restarts (a local write would also be refused by the one-writer guard)."""
    hq, stores = chain
    store = stores["leipzig"]
    assert store.services is not None
    assert links.receives_catalog(store.services.engine, store.settings.chain)
    at_hq = build_services(hq.settings)
    try:
        assert not links.receives_catalog(at_hq.engine, hq.settings.chain)
        with at_hq.sessions.begin() as session:
            session.query(TemplateVersionRow).filter(TemplateVersionRow.template_id == "plant_tag").delete()
    finally:
        at_hq.engine.dispose()
    wait_until(lambda: store.scalar("SELECT count(*) FROM template_versions WHERE template_id = 'plant_tag'") == 0, 30)
    restarted = build_services(store.settings)  # as the store's server does at every start
    try:
        assert "plant_tag" not in restarted.catalog
        assert store.scalar("SELECT count(*) FROM template_versions WHERE template_id = 'plant_tag'") == 0
    finally:
        restarted.engine.dispose()
