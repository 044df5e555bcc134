"""The head office's figures from its own database, with the stores' facts as replication brings them: stores and
machines with the age of their last report (stale marked), jobs today per store, what is made and rated best per
city, designers whose designs travel beyond their city, machine utilisation per kind, and publishing a version to
every store or to chosen cities."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.access import Forbidden, Principal, Role, phone_customer
from app.chain.hq_server import HeadOffice
from app.config import ASSETS_DIR
from app.jobs import JobRefused
from app.models import DesignerRow, RatingRow, TemplateVersionRow
from tests.test_hq_orders import NOW, Clock, arrive, head_office, job, machine, store

HQ = Principal(Role.HQ, name="hugo")


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeadOffice]:
    office = head_office(tmp_path_factory.mktemp("hq"))
    office.console.clock = Clock(NOW)  # 15:00 UTC: 16:00 in Berlin, so "today" began 16 hours ago (UTC 23:00)
    ada = DesignerRow(id="d-ada", name="ada", display_name="Ada", city="Köln", about={}, created_at=NOW)
    bo = DesignerRow(id="d-bo", name="bo", display_name="Bo", city="Berlin", about={}, created_at=NOW)
    arrive(
        office,
        store("koeln", "Köln"),
        store("berlin", "Berlin"),
        store("quiet", "Hamburg"),
        ada,
        bo,
        version("v-key", "keychain", "d-ada"),
        version("v-tag", "tag", "d-bo"),
        machine("koeln", "printer-1", "fdm_printer", state="running"),
        machine("koeln", "laser-1", "laser_engraver"),
        machine("berlin", "printer-1", "fdm_printer"),
        machine("quiet", "printer-1", "fdm_printer", age_s=3600),  # a store that stopped reporting an hour ago
    )
    made = "ready_for_pickup"
    started = NOW - timedelta(hours=3)
    jobs = [
        # Köln: two keychains made (one rated 5), one tag; the printer ran 3 h of today, the first job 2 h of it
        job("koeln", "printer-1", made, template_id="keychain", started_at=started, ended_at=NOW - timedelta(hours=1)),
        job("koeln", "printer-1", "collected", template_id="keychain", created_at=NOW - timedelta(days=2)),
        job("koeln", "printer-1", "running", template_id="tag", started_at=NOW - timedelta(hours=1)),
        # Berlin: Ada's keychain made three times (her design travels), Bo's tag once at home
        *[job("berlin", "printer-1", made, template_id="keychain") for _ in range(3)],
        job("berlin", "printer-1", made, template_id="tag"),
        job("berlin", "printer-1", "cancelled", template_id="tag"),  # not made: counts nowhere but today's jobs
    ]
    arrive(office, *jobs)
    rated = [
        RatingRow(id="r1", store="koeln", job_id=jobs[0].id, template_id="keychain", stars=5, created_at=NOW),
        RatingRow(id="r2", store="berlin", job_id=jobs[3].id, template_id="keychain", stars=3, created_at=NOW),
        RatingRow(id="r3", store="berlin", job_id=jobs[6].id, template_id="tag", stars=4, created_at=NOW),
    ]
    arrive(office, *rated)
    yield office


VERSION_NUMBERS = itertools.count(2)


def shipped(template_id: str, suffix: str) -> str:
    """A shipped template's file, so a designer's version in these tests is a template the catalog can read."""
    path = ASSETS_DIR / "templates" / f"{template_id}.{suffix}"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def version(id: str, template_id: str, designer_id: str) -> TemplateVersionRow:
    """A designer's version as it arrives from publishing: numbered after the shipped catalog's version 1."""
    return TemplateVersionRow(
        id=id,
        template_id=template_id,
        version=next(VERSION_NUMBERS),
        designer_id=designer_id,
        meta_toml=shipped(template_id, "toml"),
        scad_source=shipped(template_id, "scad"),
        content_hash=hashlib.sha256(shipped(template_id, "scad").encode()).hexdigest(),
        share_percent=Decimal("10"),
        cities=[],
        published_at=NOW,
        published_by="hq:hugo",
    )


def test_every_store_with_its_machines_the_age_of_their_reports_and_todays_jobs(office: HeadOffice) -> None:
    stores = {s.id: s for s in office.console.stores(HQ)}
    assert set(stores) == {"koeln", "berlin", "quiet"}
    assert not stores["koeln"].stale and stores["quiet"].stale
    assert stores["quiet"].last_report_age_s == 3600 and all(m.stale for m in stores["quiet"].machines)
    assert {(m.machine_id, m.kind, m.state) for m in stores["koeln"].machines} == {
        ("printer-1", "fdm_printer", "running"),
        ("laser-1", "laser_engraver", "idle"),
    }
    assert (stores["koeln"].jobs_today, stores["berlin"].jobs_today, stores["quiet"].jobs_today) == (2, 5, 0)


def test_what_is_made_and_rated_best_per_city(office: HeadOffice) -> None:
    favourites = office.console.favourites(HQ)
    assert [(f.template_id, f.made, f.stars) for f in favourites["Köln"]] == [("keychain", 2, 5.0)]  # the tag runs
    assert [(f.template_id, f.made, f.stars, f.ratings) for f in favourites["Berlin"]] == [
        ("keychain", 3, 3.0, 1),
        ("tag", 1, 4.0, 1),
    ]


def test_designers_whose_designs_are_made_beyond_their_city(office: HeadOffice) -> None:
    travelling = office.console.travelling_designers(HQ)
    assert [(d.name, d.home, d.cities, d.made_elsewhere) for d in travelling] == [("Ada", "Köln", ("Berlin",), 3)]


def test_machine_utilisation_per_kind_today(office: HeadOffice) -> None:
    use = {u.kind: u for u in office.console.utilisation(HQ)}
    assert (use["fdm_printer"].machines, use["fdm_printer"].running_now) == (3, 1)
    # since midnight in Berlin (16 h before 15:00 UTC in December): 2 h and 1 h of printing over three printers
    assert use["fdm_printer"].busy_today == pytest.approx(3 / (3 * 16))
    assert (use["laser_engraver"].machines, use["laser_engraver"].busy_today) == (1, 0.0)


def test_a_version_is_published_to_every_store_or_to_chosen_cities_by_head_office_staff_only(
    office: HeadOffice,
) -> None:
    console = office.console
    assert console.cities(HQ) == ["Berlin", "Hamburg", "Köln"]
    assert console.publish(HQ, "v-tag", ["Köln", "Berlin"]).cities == ("Berlin", "Köln")
    with office.services.sessions() as session:
        assert session.scalars(select(TemplateVersionRow.cities).where(TemplateVersionRow.id == "v-tag")).one() == [
            "Berlin",
            "Köln",
        ]
    assert console.publish(HQ, "v-tag", []).cities == ()  # every store again
    with pytest.raises(JobRefused):
        console.publish(HQ, "v-tag", ["Atlantis"])
    for who in (Principal(Role.STAFF, name="sam", store="koeln"), phone_customer("some-job")):
        with pytest.raises(Forbidden):
            console.publish(who, "v-tag", [])
        with pytest.raises(Forbidden):
            console.stores(who)
