"""What the designer tests share: a designer signed in, the coaster-like template a designer from Köln submits
(first with initials that overflow at their longest, then fixed), and waiting for intake."""

from __future__ import annotations

from app.access import Principal, Role
from app.designers.submissions import Submission, SubmissionForm
from app.services import Services

PASSWORD = "a long designer password"

# the initials may be 6 letters long, drawn at 30 % of the coaster's size: six W do not fit on it
COASTER = """// Coaster with initials, cut and engraved by the router.

/* [Text] */
// The initials
initials = "AB"; // 6

/* [Coaster] */
// Size in mm
size = 90; // [70:5:110]

/* [Hidden] */
$fn = 48;

difference() { square(size); offset(delta = -1) square(size); }
translate([size / 2, size / 2])
    text(initials, size = size * 0.3, font = "Liberation Sans:style=Bold", halign = "center", valign = "center");
"""
COASTER_FIXED = COASTER.replace('initials = "AB"; // 6', 'initials = "AB"; // 2')


def coaster_form(source: str = COASTER, share: str = "12.5") -> SubmissionForm:
    return SubmissionForm(
        title={"en": "Initials coaster", "de": "Untersetzer mit Initialen"},
        description={"en": "A square coaster with your initials.", "de": "Ein eckiger Untersetzer mit Initialen."},
        machine_kinds=("cnc_router",),
        fonts=("Liberation Sans:style=Bold",),
        share_percent=share,
        source=source,
        outline_width="size",
        outline_height="size",
        outline_texts=("initials",),
        text_name={"en": "The initials", "de": "Die Initialen"},
        part_name={"en": "the coaster", "de": "den Untersetzer"},
    )


def designer(services: Services, name: str = "ayla", city: str = "Köln") -> Principal:
    """A designer account made as the command line makes it, signed in at the designers' door."""
    services.staff.add_user(name, "designer", PASSWORD, city=city, display_name=name.title())
    token = services.staff.sign_in(name, PASSWORD, "127.0.0.1", roles=frozenset({Role.DESIGNER}))
    who = services.staff.principal(token)
    assert who is not None and who.role is Role.DESIGNER and who.designer_id
    return who


def submitted(services: Services, who: Principal, source: str, replaces: str | None = None) -> Submission:
    """Submit and wait for intake to end (it runs on its own worker)."""
    submission_id, intake = services.submissions.submit(who, coaster_form(source), replaces)
    intake.result(timeout=300)
    return services.submissions.get(who, submission_id)
