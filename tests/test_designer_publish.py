"""A designer publishes: signs in, submits, intake finds the overflow at the longest initials (with its picture),
the fix passes, staff approve, and the catalog shows the new version; a quote keeps its version and share."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.access import Forbidden, Principal, Role
from app.designers.accounts import DesignerError
from app.models import SubmissionRow, TemplateVersionRow
from app.services import Services, build_services
from tests.conftest import eventually
from tests.designer_helpers import COASTER, COASTER_FIXED, coaster_form, designer, submitted

ADMIN = Principal(Role.ADMIN, name="ada")
STAFF = Principal(Role.STAFF, name="sam")


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


def test_staff_send_a_submission_back_with_a_reason_the_designer_reads_and_fix_it(services: Services) -> None:
    who = designer(services)
    waiting = submitted(services, who, COASTER_FIXED)
    assert waiting.status == "in_review"
    with pytest.raises(DesignerError, match="Say why"):
        services.submissions.send_back(STAFF, waiting.id, "  ")
    services.submissions.send_back(STAFF, waiting.id, "Please round the corners: square ones chip.")
    seen = services.submissions.get(who, waiting.id)
    assert (seen.status, seen.reason) == ("sent_back", "Please round the corners: square ones chip.")
    with pytest.raises(DesignerError, match="passed intake"):
        services.submissions.approve(ADMIN, waiting.id)  # what was sent back is not published
    again = submitted(services, who, COASTER_FIXED.replace("delta = -1", "delta = -1.5"), replaces=waiting.id)
    assert (again.status, again.reason) == ("in_review", "")
    assert services.submissions.approve(STAFF, again.id).version == 1
    assert "initials-coaster" in services.catalog
    other = designer(services, "bea")
    with pytest.raises(Forbidden):
        services.submissions.get(other, again.id)  # another designer's submission is not theirs to see


def test_the_share_asked_is_bounded_by_the_stores_policy_and_a_new_version_never_changes_the_old(
    services: Services,
) -> None:
    who = designer(services)
    with pytest.raises(DesignerError, match="from 0 to 30 percent"):
        services.submissions.submit(who, coaster_form(COASTER_FIXED, share="30.01"))
    first = submitted(services, who, COASTER_FIXED)
    v1 = services.submissions.approve(ADMIN, first.id)
    v1_source = v1.scad_source
    second = submitted(services, who, COASTER_FIXED.replace("$fn = 48;", "$fn = 64;"))
    v2 = services.submissions.approve(ADMIN, second.id)
    assert (v1.version, v2.version) == (1, 2) and v1.template_id == v2.template_id
    with services.sessions() as session:
        kept = session.get(TemplateVersionRow, v1.id)
        assert kept is not None and kept.scad_source == v1_source
    assert services.catalog["initials-coaster"].version_id == v2.id


def test_intake_cut_short_by_a_stop_is_done_again_at_the_next_start(services: Services) -> None:
    who = designer(services)
    waiting = submitted(services, who, COASTER_FIXED)
    with services.sessions.begin() as session:
        row = session.get(SubmissionRow, waiting.id)
        assert row is not None
        row.status, row.intake = "checking", []  # as a stop in the middle of intake leaves it
    restarted = build_services(services.settings)
    assert restarted.submissions.resume() == 1
    eventually(lambda: restarted.submissions.get(who, waiting.id).status == "in_review", timeout=240)
