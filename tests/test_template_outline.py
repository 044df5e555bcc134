"""Templates declare where their text may go; a rendered design whose text leaves its part is refused before a
price, saying what to change."""

from pathlib import Path

import pytest

from app.designs.catalog import CatalogError, load_catalog, load_template
from app.designs.customizer import TextParam
from app.designs.problems import DesignRejected
from app.services import Services

TEMPLATES = Path(__file__).parent.parent / "assets" / "templates"


@pytest.mark.parametrize(
    ("template", "values", "machine", "expected"),
    [
        ("name_sign", {"name": "|"}, "laser-1", "The name: too tall for the sign."),
        ("coaster", {"initials": "|"}, "router-1", "The initials: too tall for the coaster."),
        ("keychain", {"name": "W" * 12}, "printer-1", "The name: too long for the tag."),
        ("plant_tag", {"label": "|"}, "printer-1", "The text: too tall for the tag."),
        ("plant_tag", {"note": "W" * 16}, "printer-1", "The text: too long for the tag."),
    ],
)
def test_text_that_leaves_its_part_is_refused_before_a_price(
    services: Services, template: str, values: dict[str, str], machine: str, expected: str
) -> None:
    with pytest.raises(DesignRejected) as caught:
        services.pipeline.quote_template(template, values, machine)
    problem = caught.value.problems[0]
    assert problem.code == "design.text_outside" and problem.render("en").startswith(expected)
    assert problem.action is not None and problem.render("de") != problem.render("en")


def test_the_letters_a_name_may_have_are_estimated(services: Services) -> None:
    with pytest.raises(DesignRejected) as caught:
        services.pipeline.quote_template("keychain", {"name": "M" * 12}, "printer-1")
    assert "Use fewer letters (at most about " in caught.value.problems[0].render("en")
    assert "narrower font" in caught.value.problems[0].render("en")


@pytest.mark.parametrize(
    ("template", "values", "machine"),
    [("keychain", {"name": "Maximilian"}, "printer-1"), ("name_sign", {"name": "Familie Weber"}, "laser-1")],
)
def test_ordinary_names_fit(services: Services, template: str, values: dict[str, str], machine: str) -> None:
    assert services.pipeline.quote_template(template, values, machine).quote.total > 0


def _template_with(tmp_path: Path, outline: str) -> Path:
    (tmp_path / "tag.scad").write_text('name = "A"; // 8\nlinear_extrude(1) text(name);\n')
    meta = tmp_path / "tag.toml"
    meta.write_text(
        'title = { en = "Tag" }\ndesigner = { name = "A", city = "B" }\nmachine_kinds = ["fdm_printer"]\n'
        f'fonts = ["Liberation Sans"]\n{outline}'
    )
    return meta


def test_every_shipped_template_with_text_declares_its_outline() -> None:
    for template in load_catalog(TEMPLATES).values():
        if any(isinstance(p, TextParam) for p in template.parameters):
            assert template.outline is not None, template.id
            assert set(template.outline.texts) == {p.name for p in template.parameters if isinstance(p, TextParam)}


@pytest.mark.parametrize("width", ["__import__('os')", "size * 2", "name.upper()", "[1, 2][0]"])
def test_an_outline_may_only_be_arithmetic_over_the_settings(tmp_path: Path, width: str) -> None:
    outline = f'[outline]\nwidth = "{width}"\nheight = "10"\ntexts = ["name"]\ntext = {{ en = "The name" }}\n'
    outline += 'part = { en = "the tag" }\n'
    with pytest.raises(CatalogError):
        load_template(_template_with(tmp_path, outline))
