"""Template or upload to price, with the real OpenSCAD and PrusaSlicer, every step stored."""

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
import trimesh
from sqlalchemy import func, select

from app.designs.problems import DesignRejected
from app.models import DesignRow, PartRow, PlanRow, QuoteRow
from app.production.slicer import _failure, parse_duration, slice_part
from app.services import Services
from tests.conftest import model_xml, obj_bytes, stl_bytes, threemf_bytes

PRINTER, LASER = "printer-1", "laser-1"


@pytest.mark.parametrize(
    ("template_id", "machine"),
    [("keychain", PRINTER), ("phone_stand", PRINTER), ("plant_tag", PRINTER), ("name_sign", LASER)],
)
def test_every_template_gets_a_price(services: Services, template_id: str, machine: str) -> None:
    result = services.pipeline.quote_template(template_id, {}, machine)
    assert result.plan.estimated_seconds > 60
    assert result.quote.total >= services.settings.prices.setup_fee
    assert result.quote.total % services.settings.prices.round_to == 0
    assert result.quote.valid_until > result.quote.created_at
    if machine == PRINTER:
        assert result.plan.material_grams > 0.5 and result.plan.layers > 5
        assert result.plan.program_path is not None and result.plan.program_path.stat().st_size > 1000
        assert result.part.preview_path is not None and result.part.preview_path.read_bytes()[:4] == b"glTF"
    else:
        assert result.plan.sheet_cm2 > 50


def test_steps_are_stored(services: Services) -> None:
    result = services.pipeline.quote_template("keychain", {"name": "Ida"}, PRINTER, "PETG")
    with services.sessions() as session:
        design = session.get(DesignRow, result.design.id)
        assert design is not None and design.parameters["name"] == "Ida" and design.template_id == "keychain"
        part = session.get(PartRow, result.part.id)
        assert part is not None and part.design_id == design.id
        plan = session.get(PlanRow, result.plan.id)
        assert plan is not None and plan.material == "PETG" and plan.part_id == part.id
        quote = session.get(QuoteRow, result.quote_id)
        assert quote is not None and quote.total == result.quote.total and quote.locked_by_job is None
        assert isinstance(quote.total, Decimal)


def test_petg_costs_more_than_pla_for_the_same_part(services: Services) -> None:
    pla = services.pipeline.quote_template("phone_stand", {}, PRINTER, "PLA")
    petg = services.pipeline.quote_template("phone_stand", {}, PRINTER, "PETG")
    assert petg.quote.material_cost > pla.quote.material_cost


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("part.stl", stl_bytes(trimesh.creation.box((20, 20, 20)))),
        ("part.3mf", threemf_bytes(model_xml(trimesh.creation.box((20, 20, 20))))),
        ("part.obj", obj_bytes(trimesh.creation.box((20, 20, 20)))),
    ],
)
def test_uploads_get_a_price(services: Services, name: str, data: bytes) -> None:
    result = services.pipeline.quote_upload(data, name, PRINTER)
    assert result.part.size == pytest.approx((20, 20, 20))
    assert 2 < result.plan.material_grams < 12
    assert result.design.display_name == name


def test_svg_upload_on_the_engraver(services: Services) -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="50mm" viewBox="0 0 100 50">'
        b'<circle cx="25" cy="25" r="20"/></svg>'
    )
    result = services.pipeline.quote_upload(svg, "logo.svg", LASER, "acrylic_3mm")
    assert result.part.size[0] == pytest.approx(40, abs=0.5)
    assert result.plan.material == "acrylic_3mm"


def test_wrong_machine_for_a_design_is_explained(services: Services) -> None:
    with pytest.raises(DesignRejected) as caught:
        services.pipeline.quote_template("name_sign", {}, PRINTER)
    assert caught.value.problems[0].code == "design.wrong_machine"
    with pytest.raises(DesignRejected) as caught:
        services.pipeline.quote_upload(stl_bytes(trimesh.creation.box((5, 5, 5))), "a.stl", LASER)
    assert caught.value.problems[0].code == "design.wrong_machine"


def test_unknown_material_and_machine_are_explained(services: Services) -> None:
    with pytest.raises(DesignRejected) as caught:
        services.pipeline.quote_template("keychain", {}, PRINTER, "Unobtainium")
    assert caught.value.problems[0].code == "plan.unknown_material"
    with pytest.raises(DesignRejected) as caught:
        services.pipeline.quote_template("keychain", {}, "printer-99")
    assert "printer-1" in caught.value.problems[0].render("en")


def test_a_failed_slice_gives_a_clear_message_and_leaves_no_program(services: Services, tmp_path: Path) -> None:
    broken = tmp_path / "broken.stl"
    broken.write_bytes(b"solid x\nthis is not a mesh\nendsolid x\n")
    output = tmp_path / "out" / "program.gcode"
    with pytest.raises(DesignRejected) as caught:
        slice_part(broken, services.machines[PRINTER], "PLA", services.settings.profiles_dir, output, 60)
    assert caught.value.problems[0].code == "slice.failed"
    assert not output.exists() and not list(output.parent.rglob("*.gcode"))


@pytest.mark.parametrize(
    ("code", "log", "expected"),
    [
        (134, "", "slice.does_not_fit"),
        (
            1,
            "No layers were detected. You might want to repair your STL file(s) or check their size",
            "slice.nothing_to_slice",
        ),
        (1, "No extrusions were generated for objects.", "slice.too_thin"),
        (1, "The print is empty. The model is not printable with current print settings.", "slice.too_thin"),
        (1, "There is an object with no extrusions in the first layer.", "slice.no_first_layer"),
        (1, "Loading of a model file failed.", "slice.failed"),
        (7, "whatever", "slice.failed"),
    ],
)
def test_each_slicer_failure_has_its_own_message(code: int, log: str, expected: str) -> None:
    problem = _failure(code, log).problems[0]  # type: ignore[attr-defined]
    assert problem.code == expected
    text = problem.render("en")
    assert "Export the file again" not in text and "Try again" not in text and "error 1" not in text
    assert problem.render("de") != text


def test_durations_from_the_slicer() -> None:
    assert parse_duration("17m 1s") == 1021
    assert parse_duration("1d 2h 3m 4s") == 93784
    assert parse_duration("45s") == 45


def test_same_template_values_are_rendered_and_sliced_once(services: Services) -> None:
    first = services.pipeline.quote_template("keychain", {"name": "Ole"}, PRINTER)
    second = services.pipeline.quote_template("keychain", {"name": "Ole"}, PRINTER)
    assert first.plan.program_path == second.plan.program_path
    assert first.quote.total == second.quote.total
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(QuoteRow)) == 2


def test_an_upload_that_needs_no_change_is_sliced_as_it_came(services: Services) -> None:
    result = services.pipeline.quote_upload(stl_bytes(trimesh.creation.box((20, 20, 20))), "cube.stl", PRINTER)
    assert result.part.unchanged
    machine = services.machines[PRINTER]
    upload_digest = hashlib.sha256(result.design.geometry_path.read_bytes()).hexdigest()
    expected = services.pipeline._program_path(upload_digest, machine, "PLA")
    assert result.plan.program_path == expected


def test_an_upload_that_must_be_turned_is_sliced_after_turning(services: Services) -> None:
    plank = trimesh.creation.box((10, 5, 60))  # standing up: the largest face is its side
    result = services.pipeline.quote_upload(stl_bytes(plank), "plank.stl", PRINTER)
    assert not result.part.unchanged
    assert result.plan.layers <= 30  # 5 mm high in 0.2 mm layers, not 60 mm
    assert result.part.size[2] == pytest.approx(5)
