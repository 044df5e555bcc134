"""Customizer parameters: parsed from .scad files in the styles designers use, and customer values checked."""

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.designs.catalog import load_catalog
from app.designs.customizer import (
    BoolParam,
    ChoiceParam,
    NumberParam,
    TextParam,
    check_values,
    parse_parameters,
)
from app.designs.problems import DesignRejected

TEMPLATES = Path(__file__).parent.parent / "assets" / "templates"

THINGIVERSE_STYLE = """
// Customizable box, Thingiverse style
/* [Basic] */
// Width of the box
width = 40; // [20:100]
// Wall thickness
wall = 1.6; // [0.8:0.4:4]
// Lid style
lid = "slide"; //[slide, snap, none]
// Text on the lid
lid_text = "Hello";
// Label size
size = 10; // [8:S, 10:M, 12:L]
// Add feet?
feet = false;
// Spin box style step
depth = 5.5; // 0.5
// Max only slider
height = 30; //[100]
// Quoted choices
shape = "round"; // ["round", "square"]

/* [Global] */
// Shown on every tab
quality = 24; // [12:12:96]

/* [Hidden] */
$fn = 64;
secret = 5; // [1:10]

module box() { inner = 3; // [1:5]
  cube(width);
}
after_module = 3; // [1:9]
"""


def by_name(params: list) -> dict:
    return {p.name: p for p in params}


def test_thingiverse_styles_are_understood() -> None:
    params = by_name(parse_parameters(THINGIVERSE_STYLE))
    assert set(params) == {
        "width",
        "wall",
        "lid",
        "lid_text",
        "size",
        "feet",
        "depth",
        "height",
        "shape",
        "quality",
    }
    width = params["width"]
    assert isinstance(width, NumberParam) and (width.minimum, width.maximum, width.step) == (20, 100, None)
    assert width.integer and width.description == "Width of the box" and width.group == "Basic"
    wall = params["wall"]
    assert isinstance(wall, NumberParam) and (wall.minimum, wall.step, wall.maximum) == (0.8, 0.4, 4)
    assert not wall.integer
    lid = params["lid"]
    assert isinstance(lid, ChoiceParam) and lid.values == ("slide", "snap", "none")
    size = params["size"]
    assert isinstance(size, ChoiceParam) and size.options == ((8.0, "S"), (10.0, "M"), (12.0, "L"))
    assert isinstance(params["lid_text"], TextParam) and params["lid_text"].max_length == 200
    assert isinstance(params["feet"], BoolParam) and params["feet"].default is False
    depth = params["depth"]
    assert isinstance(depth, NumberParam) and depth.step == 0.5 and not depth.is_slider
    height = params["height"]
    assert isinstance(height, NumberParam) and (height.minimum, height.maximum) == (0, 100)
    shape = params["shape"]
    assert isinstance(shape, ChoiceParam) and shape.values == ("round", "square")
    assert params["quality"].group == "Basic"  # Global shows on every tab; it does not open a group


def test_shipped_templates_have_typed_parameters() -> None:
    catalog = load_catalog(TEMPLATES)
    assert set(catalog) >= {"keychain", "phone_stand", "plant_tag", "name_sign"}
    keychain = by_name(list(catalog["keychain"].parameters))
    assert isinstance(keychain["name"], TextParam) and keychain["name"].max_length == 12
    assert isinstance(keychain["text_size"], NumberParam) and keychain["text_size"].step == 0.5
    assert isinstance(keychain["font_style"], ChoiceParam) and keychain["font_style"].values == (
        "sans",
        "serif",
        "mono",
    )
    assert isinstance(keychain["rounded"], BoolParam)
    assert "margin" not in keychain  # hidden
    stand = by_name(list(catalog["phone_stand"].parameters))
    assert {"angle", "width"} <= set(stand)
    assert catalog["name_sign"].output == "svg" and catalog["name_sign"].machine_kinds == ("laser_engraver",)
    for template in catalog.values():
        assert template.designer.name and template.designer.city
        assert check_values(list(template.parameters), {}, template.undrawable)  # defaults are valid


KEYCHAIN = list(load_catalog(TEMPLATES)["keychain"].parameters)


def rejected_codes(values: dict) -> list[str]:
    template = load_catalog(TEMPLATES)["keychain"]
    with pytest.raises(DesignRejected) as caught:
        check_values(KEYCHAIN, values, template.undrawable, template.labels)
    return [p.code for p in caught.value.problems]


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"text_size": "99"}, "param.out_of_range"),
        ({"text_size": "-1e308"}, "param.out_of_range"),
        ({"text_size": "1e999"}, "param.not_a_number"),
        ({"text_size": "nan"}, "param.not_a_number"),
        ({"text_size": "inf"}, "param.not_a_number"),
        ({"text_size": "ten"}, "param.not_a_number"),
        ({"text_size": '9; import("/etc/passwd");'}, "param.not_a_number"),
        ({"text_size": "9.3"}, "param.off_step"),
        ({"text_size": True}, "param.not_a_number"),
        ({"font_style": "comic"}, "param.not_a_choice"),
        ({"font_style": 'sans"); import("x'}, "param.not_a_choice"),
        ({"rounded": "maybe"}, "param.not_bool"),
        ({"name": "A" * 13}, "param.too_long"),
        ({"name": "Anna\nBob"}, "param.control_chars"),
        ({"name": "Anna\x00"}, "param.control_chars"),
        ({"name": "Anna\u2028"}, "param.control_chars"),
        ({"name": "漢字"}, "param.undrawable"),
        ({"name": "🙂"}, "param.undrawable"),
        ({"name": 42}, "param.not_text"),
        ({"$fn": "100000"}, "param.unknown"),
        ({"margin": "0"}, "param.unknown"),
    ],
)
def test_bad_values_are_rejected_with_a_reason(values: dict, code: str) -> None:
    assert code in rejected_codes(values)


def test_every_problem_is_reported_at_once() -> None:
    codes = rejected_codes({"text_size": "99", "name": "A" * 40, "font_style": "x"})
    assert sorted(codes) == ["param.not_a_choice", "param.out_of_range", "param.too_long"]


def test_messages_say_what_to_do_in_german_and_english() -> None:
    template = load_catalog(TEMPLATES)["keychain"]
    with pytest.raises(DesignRejected) as caught:
        check_values(KEYCHAIN, {"text_size": "99"}, template.undrawable)
    problem = caught.value.problems[0]
    assert problem.render("en") == "'Letter height in mm' must be between 6 and 14. Choose a value in that range."
    assert (
        problem.render("de")
        == "„Letter height in mm“ muss zwischen 6 und 14 liegen. Wähle einen Wert in diesem Bereich."
    )


def test_text_that_looks_like_code_is_kept_as_text() -> None:
    template = load_catalog(TEMPLATES)["keychain"]
    for text in ['"); import("/etc', "include <x>", 'a\\"b', "}{;//", "Zoë & Ünal"]:
        text = text[:12]
        assert check_values(KEYCHAIN, {"name": text}, template.undrawable)["name"] == text


def test_values_are_converted_by_type() -> None:
    template = load_catalog(TEMPLATES)["keychain"]
    values = check_values(
        KEYCHAIN, {"text_size": "10.5", "rounded": "false", "font_style": "mono"}, template.undrawable
    )
    assert values["text_size"] == 10.5 and values["rounded"] is False and values["font_style"] == "mono"


@settings(max_examples=300, deadline=None)
@given(
    text_size=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30), st.integers()),
    name=st.text(max_size=30),
    thickness=st.one_of(st.floats(), st.text(max_size=10)),
)
def test_any_value_is_either_accepted_within_limits_or_rejected_plainly(text_size, name, thickness) -> None:
    template = load_catalog(TEMPLATES)["keychain"]
    try:
        values = check_values(
            KEYCHAIN, {"text_size": text_size, "name": name, "base_thickness": thickness}, template.undrawable
        )
    except DesignRejected as e:
        assert e.problems and all(p.message.render("de") for p in e.problems)
        return
    assert 6 <= values["text_size"] <= 14 and math.isfinite(values["text_size"])
    assert 1.6 <= values["base_thickness"] <= 4
    assert len(values["name"]) <= 12 and all(c.isprintable() for c in values["name"])


# --- text as phones and keyboards send it --------------------------------------------------------


def test_a_letter_with_a_combining_accent_is_the_same_letter() -> None:
    template = load_catalog(TEMPLATES)["keychain"]
    values = check_values(KEYCHAIN, {"name": "Jose\u0301"}, template.undrawable)
    assert values["name"] == "José" and len(values["name"]) == 4


def test_a_non_breaking_space_is_a_space() -> None:
    template = load_catalog(TEMPLATES)["keychain"]
    assert check_values(KEYCHAIN, {"name": "Ana\u00a0Li"}, template.undrawable)["name"] == "Ana Li"
    assert check_values(KEYCHAIN, {"name": "Ana\u202fLi"}, template.undrawable)["name"] == "Ana Li"


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("10,5", 10.5),  # a German decimal comma
        ("9,0", 9.0),
        (" 9 ", 9.0),
        ("\uff19", 9.0),  # full-width digits, as Japanese keyboards type them
        ("\uff11\uff10\uff0e\uff15", 10.5),
        ("\u0661\u0660\u066b\u0665", 10.5),  # Arabic-Indic digits with the Arabic decimal separator
        ("\u06f9", 9.0),  # Extended Arabic-Indic (Persian) digits
    ],
)
def test_numbers_are_read_as_people_type_them(typed: str, number: float) -> None:
    template = load_catalog(TEMPLATES)["keychain"]
    assert check_values(KEYCHAIN, {"text_size": typed}, template.undrawable)["text_size"] == number


@pytest.mark.parametrize("typed", ["1,000.5", "9,0,0", "9.0.0", "9 5"])
def test_numbers_that_could_mean_two_things_are_refused(typed: str) -> None:
    assert rejected_codes({"text_size": typed}) == ["param.not_a_number"]


def test_a_character_the_font_cannot_draw_is_shown_visibly() -> None:
    template = load_catalog(TEMPLATES)["keychain"]
    with pytest.raises(DesignRejected) as caught:
        check_values(KEYCHAIN, {"name": "A\u20dd"}, template.undrawable)  # a combining enclosing circle
    assert "\u25cc\u20dd" in caught.value.problems[0].render("en")
