"""Intake refuses each construct a published template must not have, in words a designer understands: files read
from outside the template (include, use, import, surface), a setting without bounds, a render over the budget,
text leaving its area at the longest name, a part that does not fit its machine, a part that does not slice."""

from __future__ import annotations

from pathlib import Path

import pytest
import trimesh

from app.designers.intake import Intake, IntakeResult, intake_passed
from app.services import Services
from tests.designer_helpers import COASTER, COASTER_FIXED

TAG_META = """title = { en = "Tag" }
designer = { name = "Ayla Demir", city = "Köln" }
machine_kinds = ["fdm_printer"]
output = "stl"
fonts = ["Liberation Sans:style=Bold"]
outline = { width = "length", height = "20", texts = ["name"], text = { en = "The name" }, part = { en = "the tag" } }
"""
TAG = """// A tag with a name in raised letters.

/* [Text] */
// The name
name = "Anna"; // 6

/* [Shape] */
// Length in mm
length = 60; // [40:5:100]

/* [Hidden] */
cube([length, 20, 2]);
translate([length / 2, 10, 2]) linear_extrude(1)
    text(name, size = 6, font = "Liberation Sans:style=Bold", halign = "center", valign = "center");
"""
COASTER_META = """title = { en = "Initials coaster" }
designer = { name = "Ayla Demir", city = "Köln" }
machine_kinds = ["cnc_router"]
output = "svg"
fonts = ["Liberation Sans:style=Bold"]

[outline]
width = "size"
height = "size"
texts = ["initials"]
text = { en = "The initials", de = "Die Initialen" }
part = { en = "the coaster", de = "den Untersetzer" }
"""


def intake_of(
    services: Services, source: str, meta: str = TAG_META, budget_s: float | None = None
) -> list[IntakeResult]:
    intake = services.submissions.intake
    if budget_s is not None:
        intake = Intake(intake.pipeline, intake.pictures, budget_s)
    return intake.check("tag", meta, source)


def failures(results: list[IntakeResult]) -> list[IntakeResult]:
    return [r for r in results if not r.passed]


def test_the_tag_itself_passes_every_check_at_every_corner(services: Services) -> None:
    results = intake_of(services, TAG)
    assert intake_passed(results), [r.message["en"] for r in failures(results)]
    corners = {r.corner for r in results if r.check == "makes"}
    assert corners == {"defaults", "name = WWWWWW", "length = 40", "length = 100"}


@pytest.fixture
def outside(tmp_path: Path) -> dict[str, Path]:
    """Files outside the template that a line could read: OpenSCAD would read each of them if let."""
    library = tmp_path / "library.scad"
    library.write_text("module extra() { cube(3); }\ncube(1);\n")
    model = tmp_path / "secret.stl"
    model.write_bytes(trimesh.creation.box((5, 5, 5)).export(file_type="stl"))
    heights = tmp_path / "heights.dat"
    heights.write_text("1 2 3\n3 2 1\n1 1 1\n")
    return {"library": library, "model": model, "heights": heights}


@pytest.mark.parametrize(
    ("word", "line"),
    [
        ("include", "include <{library}>"),
        ("use", "use <{library}>\nextra();"),
        ("import", 'translate([0, 30, 0]) import("{model}");'),
        ("surface", 'translate([0, 30, 0]) surface(file = "{heights}");'),
    ],
)
def test_a_file_read_from_outside_the_template_is_refused(
    services: Services, outside: dict[str, Path], word: str, line: str
) -> None:
    source = TAG + line.format(**{k: str(v) for k, v in outside.items()}) + "\n"
    found = failures(intake_of(services, source))
    assert [(r.check, r.code) for r in found] == [("files", f"files.{word}")]
    assert found[0].message["en"] == (
        f"Line 15 uses '{word}': a template may not read other files. Put everything it needs into this one file."
    )
    assert "darf keine anderen Dateien lesen" in found[0].message["de"]


def test_a_word_in_a_comment_or_a_text_reads_nothing(services: Services) -> None:
    source = TAG.replace("// The name", "// The name (use <this> as you like; import nothing)").replace(
        '"Anna"', '"import(x)"'
    )
    assert not [r for r in failures(intake_of(services, source)) if r.check == "files"]


def test_a_number_without_bounds_is_refused(services: Services) -> None:
    found = failures(intake_of(services, TAG.replace("length = 60; // [40:5:100]", "length = 60;")))
    assert [(r.check, r.corner) for r in found] == [("bounds", "length")]
    assert found[0].message["en"] == (
        "The setting 'length' has no lowest and highest value. Write them after it, e.g. // [1:1:10]."
    )


def test_a_text_without_a_longest_length_is_refused(services: Services) -> None:
    found = failures(intake_of(services, TAG.replace('name = "Anna"; // 6', 'name = "Anna";')))
    assert [(r.check, r.corner) for r in found] == [("bounds", "name")]
    assert "has no longest length" in found[0].message["en"]


def test_a_render_over_the_budget_is_stopped_and_said(services: Services) -> None:
    heavy = TAG.replace(
        "/* [Hidden] */",
        "// Roundness\ndetail = 8; // [8:8:400]\n\n/* [Hidden] */\n"
        "translate([length / 2, 10, 0]) render() difference() { sphere(9, $fn = detail); sphere(8, $fn = detail); }",
    )
    found = failures(intake_of(services, heavy, budget_s=15))
    assert [(r.check, r.corner) for r in found] == [("budget", "detail = 400")]
    assert found[0].message["en"] == "Rendering took longer than the budget of 15 s and was stopped."


def test_text_leaving_its_area_at_the_longest_name_is_shown_with_its_picture(services: Services) -> None:
    found = failures(intake_of(services, COASTER, COASTER_META))
    assert [(r.check, r.corner) for r in found] == [("text_area", "initials = WWWWWW")]
    assert found[0].message["en"] == (
        "The initials: too long for the coaster. Use fewer letters (at most about 2), or a narrower font."
    )
    assert found[0].message["de"].startswith("Die Initialen")
    picture = services.settings.cache_dir / "pictures" / f"{found[0].picture}.svg"
    assert picture.read_text().rstrip().endswith("</svg>")  # the drawing that overflows, as the designer will see it
    assert intake_passed(intake_of(services, COASTER_FIXED, COASTER_META))


def test_a_part_that_does_not_fit_its_machine_is_refused(services: Services) -> None:
    found = failures(intake_of(services, TAG.replace("[40:5:100]", "[40:5:400]")))
    assert [(r.check, r.corner) for r in found] == [("fits", "length = 400")]
    assert found[0].message["en"].startswith("The part (400 × 20 × 3 mm) does not fit this machine")


def test_a_part_whose_program_does_not_pass_is_refused(services: Services) -> None:
    # a plate as wide as the bed fits, but the slicer's skirt around it does not: the program is refused
    plate = "// A plate\n/* [Shape] */\n// Side in mm\nside = 60; // [40:1:219]\ncube([side, side, 2]);\n"
    meta = TAG_META.replace("\noutline", "\n# no text\n#outline").replace('fonts = ["Liberation Sans:style=Bold"]', "")
    found = failures(intake_of(services, plate, meta))
    assert [(r.check, r.corner) for r in found] == [("makes", "side = 219")]
    assert found[0].message["en"].startswith("Slicing failed: The program for this part does not pass")


def test_a_file_openscad_cannot_read_is_refused_at_its_defaults(services: Services) -> None:
    found = failures(intake_of(services, TAG.replace("cube([length, 20, 2]);", "cube([length, 20, 2]")))
    assert ("render", "defaults") in [(r.check, r.corner) for r in found]
    assert found[0].message["en"].startswith("OpenSCAD could not make the template with these settings.")
