"""Customers backing a designer on the real store: a follow held by the job link (and undone), a rating after pickup
that feeds "most loved", how often a design was made; the catalog's city-first order and designer filter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app.backing import support
from app.backing.showcase import (
    by_designer,
    catalog_order,
    designer_named,
    designers_in,
    designs_of,
    made_counts,
)
from app.backing.support import Loved
from app.jobs import JobRefused
from app.services import Services
from tests.conftest import running_store
from tests.test_ledger import STAFF, make


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Services]:
    with running_store(tmp_path, 200) as services:
        yield services


def now() -> datetime:
    return datetime.now(UTC)


def test_follow_rate_and_count_a_made_part(shop: Services) -> None:
    assert shop.jobs is not None and shop.store is not None
    with shop.sessions() as session:
        found = designer_named(session, "lena-vogt")  # the demo catalog's designer of the keychain
        assert found is not None
        lena = found.id
    quote_id = shop.pipeline.quote_template("keychain", {"name": "Lena"}, "printer-1").quote_id
    job_id = shop.jobs.create(quote_id).job.id

    with shop.sessions.begin() as session, pytest.raises(JobRefused, match="once your part is made"):
        support.follow(session, job_id, now())
    make(shop, job_id)
    with shop.sessions() as session:
        assert made_counts(session) == {"keychain": 1}
    with shop.sessions.begin() as session:
        assert support.follow(session, job_id, now()).id == lena
        support.follow(session, job_id, now())  # a second tap follows once
    with shop.sessions() as session:
        assert support.follows(session, job_id) and support.followers(session, lena) == 1
    with shop.sessions.begin() as session:
        support.unfollow(session, job_id, now())
    with shop.sessions() as session:
        assert not support.follows(session, job_id) and support.followers(session, lena) == 0

    with shop.sessions.begin() as session, pytest.raises(JobRefused, match="picked it up"):
        support.rate(session, job_id, 5, "", "en", now())
    shop.store.mark_collected(STAFF, job_id)
    for stars in (0, 6):
        with shop.sessions.begin() as session, pytest.raises(JobRefused, match="one to five"):
            support.rate(session, job_id, stars, "", "en", now())
    with shop.sessions.begin() as session:
        support.rate(session, job_id, 3, "Nice\n<b>tag</b>", "de", now())
    with shop.sessions.begin() as session:
        support.rate(session, job_id, 5, "Perfect gift", "en", now())  # changing one's mind replaces the rating
    with shop.sessions() as session:
        assert support.loved(session) == {"keychain": Loved(Decimal("5.0"), 1)}
        rating = support.rating_of(session, job_id)
        assert rating is not None and rating.designer_id == lena and rating.comment == "Perfect gift"
        assert [r.comment for r in support.comments(session, "keychain")] == ["Perfect gift"]
        assert made_counts(session) == {"keychain": 1}  # collected still counts as made
    with shop.sessions.begin() as session:  # following still works after pickup: the link holds it
        support.follow(session, job_id, now())


def test_a_rating_comment_is_one_plain_capped_sentence(shop: Services) -> None:
    assert shop.jobs is not None and shop.store is not None
    job_id = shop.jobs.create(shop.pipeline.quote_template("keychain", {"name": "Ali"}, "printer-1").quote_id).job.id
    make(shop, job_id)
    shop.store.mark_collected(STAFF, job_id)
    with shop.sessions.begin() as session:
        support.rate(session, job_id, 4, "line one\nline two " + "x" * 400, "en", now())
    with shop.sessions() as session:
        rating = support.rating_of(session, job_id)
        assert rating is not None and "\n" not in rating.comment and len(rating.comment) == support.MAX_COMMENT
        assert rating.template_id == "keychain" and rating.lang == "en"


def test_the_catalog_puts_the_stores_city_first_then_the_most_loved(services: Services) -> None:
    catalog = services.catalog
    plain = catalog_order(catalog.values(), "Köln", {})
    assert plain[0].designer.city == "Köln"  # Mehmet Kaya's phone stand: the only one from Köln
    assert [t.id for t in plain[1:]] == sorted((t.id for t in plain[1:]), key=lambda i: catalog[i].title_in("en"))
    loved = {
        "plant_tag": Loved(Decimal("4.5"), 2),
        "coaster": Loved(Decimal("4.5"), 7),
        "keychain": Loved(Decimal("3"), 9),
    }
    ordered = [t.id for t in catalog_order(catalog.values(), "Köln", loved)]
    assert ordered[:4] == ["phone_stand", "coaster", "plant_tag", "keychain"]  # more ratings win a tie
    leipzig = [t.id for t in catalog_order(catalog.values(), " leipzig ", loved)]
    assert set(leipzig[:2]) == {"coaster", "keychain"} and leipzig[0] == "coaster"
    assert [t.id for t in by_designer(catalog.values(), "Lena Vogt")] == ["keychain"]
    assert len(by_designer(catalog.values(), "")) == len(catalog)
    assert designers_in(catalog.values(), "Köln")[0] == "Mehmet Kaya"


def test_designer_pages_never_shadow_the_designers_own_area(services: Services) -> None:
    with services.sessions() as session:
        for word in ("submit", "submissions", "statement", "profile", "join", "login", "logout"):
            assert designer_named(session, word) is None
        mehmet = designer_named(session, "mehmet-kaya")
        assert mehmet is not None and mehmet.city == "Köln"
        assert [t.id for t in designs_of(services.catalog, mehmet)] == ["phone_stand"]
