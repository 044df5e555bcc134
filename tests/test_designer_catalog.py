"""The catalog from published versions: the demo templates seeded once as version 1 with their designers, the
newest non-withdrawn version offered in the store's city, a quote keeping its version and the designer's share
(exact, half-up to the cent), and a job started after a newer version was published making the quoted one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select

from app.config import load_settings
from app.designers.versions import CATALOG_EVERY_S, DEMO_SHARE_PERCENT, keep_catalog_fresh, publish_version
from app.models import DesignerRow, JobRow, PlanRow, QuoteRow, TemplateVersionRow
from app.pipeline import QuoteResult, designer_share
from app.services import Services, build_services
from tests.conftest import run_quote_to_pickup


def publish(services: Services, template_id: str, source: str, cities: list[str] | None = None) -> str:
    """A new version of a template, by the designer of its newest, with the metadata of its newest."""
    with services.sessions.begin() as session:
        newest = session.scalars(
            select(TemplateVersionRow)
            .where(TemplateVersionRow.template_id == template_id)
            .order_by(TemplateVersionRow.version.desc())
        ).first()
        assert newest is not None
        row = publish_version(
            session,
            template_id,
            newest.designer_id,
            newest.meta_toml,
            source,
            Decimal("20"),
            "admin:ada",
            datetime.now(UTC),
            cities,
        )
        version_id = row.id
    services.catalog.reload()
    return version_id


def test_the_demo_templates_are_seeded_once_as_version_1_with_their_designers(services: Services) -> None:
    again = build_services(services.settings)  # a restart seeds nothing more
    with again.sessions() as session:
        versions = session.execute(select(TemplateVersionRow.template_id, TemplateVersionRow.version)).all()
        pages = set(session.scalars(select(DesignerRow.name)))
    assert sorted(versions) == sorted((t, 1) for t in ("coaster", "keychain", "name_sign", "phone_stand", "plant_tag"))
    assert {"mira-hoffmann", "lena-vogt", "jonas-becker"} <= pages
    keychain = again.catalog["keychain"]
    assert keychain.version == 1 and keychain.designer.page == "lena-vogt" and keychain.designer.city == "Leipzig"
    assert keychain.share_percent == DEMO_SHARE_PERCENT


def test_the_catalog_shows_the_newest_version_offered_in_the_stores_city(services: Services) -> None:
    source = services.catalog["keychain"].source
    second = publish(services, "keychain", source.replace("margin = 3;", "margin = 4;"))
    assert services.catalog["keychain"].version_id == second and services.catalog["keychain"].version == 2
    publish(services, "keychain", source.replace("margin = 3;", "margin = 5;"), cities=["Berlin"])
    assert services.catalog["keychain"].version_id == second  # version 3 is for Berlin's stores only
    berlin = build_services(load_settings(None, data_dir=str(services.settings.data_dir), store={"city": "Berlin"}))
    assert berlin.catalog["keychain"].version == 3
    with services.sessions.begin() as session:
        row = session.get(TemplateVersionRow, second)
        assert row is not None
        row.withdrawn_at = datetime.now(UTC)
    services.catalog.reload()
    assert services.catalog["keychain"].version == 1  # version 2 withdrawn: the one before it again


def test_the_designers_share_is_exact_and_rounded_half_up_to_the_cent() -> None:
    assert designer_share(Decimal("1.00"), Decimal("12.5")) == Decimal("0.13")  # 0.125: half-up, not half-even
    assert designer_share(Decimal("3.00"), Decimal("10")) == Decimal("0.30")
    assert designer_share(Decimal("19.99"), Decimal("33.33")) == Decimal("6.66")  # 6.662667
    assert designer_share(Decimal("0.10"), Decimal("0")) == Decimal("0.00")


def test_a_job_started_after_a_newer_version_makes_the_quoted_version(fast: Services) -> None:
    services = fast
    first = services.catalog["keychain"]
    quoted: dict[str, QuoteResult] = {}

    def quote_then_publish_a_newer_version() -> QuoteResult:
        quote = services.pipeline.quote_template("keychain", {"name": "Lena"}, "printer-1")
        quoted["quote"] = quote
        publish(services, "keychain", first.source.replace("base_thickness = 2.4;", "base_thickness = 3.6;"))
        return quote

    run_quote_to_pickup(services, quote_then_publish_a_newer_version, "printer-1")
    quote = quoted["quote"]
    assert services.catalog["keychain"].version == 2
    with services.sessions() as session:
        row = session.get(QuoteRow, quote.quote_id)
        assert row is not None
        assert (row.template_version_id, row.designer_id) == (first.version_id, first.designer.id)
        assert row.designer_share == designer_share(row.total, DEMO_SHARE_PERCENT) > 0
        job = session.scalar(select(JobRow).where(JobRow.quote_id == quote.quote_id))
        assert job is not None and job.state == "ready_for_pickup"
        plan = session.get(PlanRow, quote.plan.id)
        assert plan is not None and plan.program_path == str(quote.plan.program_path)
        assert session.scalar(select(func.count()).select_from(TemplateVersionRow)) == 6
    newer = services.pipeline.quote_template("keychain", {"name": "Lena"}, "printer-1")
    assert newer.plan.program_path != quote.plan.program_path  # the newer version makes another program
    assert newer.part.size[2] > quote.part.size[2]  # a thicker tag: the job made the quoted, thinner one


def test_a_version_that_arrives_in_the_tables_is_offered_without_a_restart(services: Services) -> None:
    """In a chain, versions arrive in a store's own tables by replication and the head office's console changes
    where one is offered: the running catalog follows both, and the head office's catalog offers every version."""
    catalog = services.catalog
    assert not catalog.reload_if_changed()  # nothing changed since the start
    publish_version_directly(services)  # as replication writes it: nobody calls reload
    assert catalog["keychain"].version == 1
    assert catalog.reload_if_changed() and catalog["keychain"].version == 2
    with services.sessions.begin() as session:  # the head office offers it in Berlin only
        second = session.scalars(select(TemplateVersionRow).where(TemplateVersionRow.version == 2)).one()
        second.cities = ["Berlin"]
    assert catalog.reload_if_changed() and catalog["keychain"].version == 1  # not offered in Köln any more
    office = build_services(load_settings(None, data_dir=str(services.settings.data_dir), chain={"role": "hq"}))
    assert office.catalog["keychain"].version == 2  # the head office sees every version wherever it is offered


def test_the_server_keeps_its_catalog_fresh(services: Services) -> None:
    """The background task a server runs: a version written to the tables is offered within a few seconds."""
    catalog = services.catalog

    async def follow() -> None:
        task = asyncio.create_task(keep_catalog_fresh(catalog))
        try:
            publish_version_directly(services)
            deadline = asyncio.get_running_loop().time() + 10 * CATALOG_EVERY_S
            while catalog["keychain"].version != 2:
                assert asyncio.get_running_loop().time() < deadline, "the catalog did not follow its tables"
                await asyncio.sleep(0.1)
        finally:
            task.cancel()

    asyncio.run(follow())


def publish_version_directly(services: Services) -> None:
    """The keychain's next version written straight to the tables, as replication brings it to a store."""
    with services.sessions.begin() as session:
        newest = session.scalars(select(TemplateVersionRow).where(TemplateVersionRow.template_id == "keychain")).one()
        publish_version(
            session,
            "keychain",
            newest.designer_id,
            newest.meta_toml,
            newest.scad_source + "\n",
            Decimal("20"),
            "hq:hugo",
            datetime.now(UTC),
        )
