"""A designer publishes: signs in, submits, intake finds the overflow at the longest initials (with its picture),
the fix passes, staff approve, and the catalog shows the new version; a quote keeps its version and share."""

from __future__ import annotations

from decimal import Decimal

from app.access import Principal, Role
from app.services import Services
from tests.designer_helpers import COASTER, COASTER_FIXED, designer, submitted

ADMIN = Principal(Role.ADMIN, name="ada")


def test_a_designer_submits_sees_the_overflow_fixes_it_and_the_approved_template_is_in_the_catalog(
    services: Services,
) -> None:
    who = designer(services)
    first = submitted(services, who, COASTER)
    assert first.status == "failed"
    overflow = [r for r in first.results if not r.passed]
    assert [(r.check, r.corner) for r in overflow] == [("text_area", "initials = WWWWWW")]
    assert overflow[0].message["en"].startswith("The initials: too long for the coaster.")
    assert overflow[0].message["de"].startswith("Die Initialen")
    assert overflow[0].picture and (services.settings.cache_dir / "pictures" / f"{overflow[0].picture}.svg").exists()
    assert "initials-coaster" not in services.catalog

    fixed = submitted(services, who, COASTER_FIXED, replaces=first.id)
    assert fixed.id == first.id and fixed.status == "in_review", [r.message["en"] for r in fixed.results]
    checks = {r.check for r in fixed.results}
    assert {"render", "fits", "makes"} <= checks

    version = services.submissions.approve(ADMIN, fixed.id)
    assert version.version == 1
    template = services.catalog["initials-coaster"]
    assert template.version_id == version.id and template.designer.city == "Köln"
    assert template.designer.page == "ayla" and template.share_percent == Decimal("12.50")
