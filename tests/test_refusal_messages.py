"""Refusals a customer can act on: a loose triangle soup or a flat sheet is refused at the checks (never handed to
the slicer), each cause the slicer reports gets its own message, scale suggestions are made only when the scaled
part can be made, and sizes are written as people read them."""

from pathlib import Path

import numpy as np
import pytest
import trimesh

from app.designs.checks import check_part, readable_length
from app.designs.mesh_formats import RawMesh
from app.designs.problems import DesignRejected
from app.production.slicer import slice_part
from app.services import Services
from machine_adapters.profiles import Envelope

BED = Envelope(220, 220, 250)


def raw(mesh: trimesh.Trimesh) -> RawMesh:
    return RawMesh(np.asarray(mesh.vertices, dtype=float), np.asarray(mesh.faces))


def refusal(mesh: trimesh.Trimesh, envelope: Envelope = BED) -> tuple[str, str, float | None]:
    with pytest.raises(DesignRejected) as caught:
        check_part(raw(mesh), envelope, lay_flat=True)
    problem = caught.value.problems[0]
    assert problem.action is not None and problem.render("de") != problem.render("en")
    return problem.code, problem.render("en"), problem.suggested_scale


def test_a_random_triangle_soup_is_refused_at_the_checks() -> None:
    corners = np.random.default_rng(7).uniform(0, 30, (200, 3, 3)).reshape(-1, 3)
    soup = trimesh.Trimesh(corners, np.arange(600).reshape(-1, 3), process=False)
    code, message, _ = refusal(soup)
    assert code == "mesh.triangle_soup" and "loose" in message


def test_a_model_with_a_few_stray_triangles_is_still_repaired() -> None:
    box = trimesh.creation.box((20, 20, 20))
    stray = trimesh.Trimesh([[30, 30, 0], [31, 30, 0], [30, 31, 0]], [[0, 1, 2]])
    check = check_part(raw(trimesh.util.concatenate([box, stray])), BED, lay_flat=True)
    assert check.triangles >= 12 and not any(p.code == "mesh.triangle_soup" for p in check.problems)


@pytest.mark.parametrize(
    "mesh",
    [
        trimesh.Trimesh([[0, 0, 0], [40, 0, 0], [40, 40, 0], [0, 40, 0]], [[0, 1, 2], [0, 2, 3]]),  # a flat sheet
        trimesh.creation.box((40, 40, 0.14)),  # a 0.14 mm surface
        trimesh.creation.box((40, 0.1, 20)),  # standing up: laid flat, still 0.1 mm
    ],
)
def test_a_part_too_thin_to_print_is_told_so_with_what_to_do(mesh: trimesh.Trimesh) -> None:
    code, message, _ = refusal(mesh)
    assert code == "size.too_thin" and "too thin to print" in message and "at least 0.8 mm" in message
    assert "Export the file again" not in message


def test_no_scale_is_offered_that_would_make_a_part_too_thin() -> None:
    tray = trimesh.creation.box((356, 250, 3))  # in millimetres already, only too big for this printer
    code, message, scale = refusal(tray)
    assert code == "size.does_not_fit" and scale is None and "split it" in message


def test_a_scale_is_offered_when_the_scaled_part_can_be_made() -> None:
    metres = trimesh.creation.box((0.05, 0.04, 0.01))  # 50 × 40 × 10 mm drawn in metres
    code, message, scale = refusal(metres)
    assert code == "size.too_small" and scale == 1000.0 and "50 mm" not in message and "cm" not in message


def test_tiny_sizes_are_written_in_micrometres_or_as_a_grain_of_sand() -> None:
    assert readable_length(0.025) == "25 µm" and readable_length(12.0) == "12 mm" and readable_length(2.5) == "2.5 mm"
    _, message, _ = refusal(trimesh.creation.box((0.025, 0.025, 0.025)))
    assert "25 µm" in message and "e-0" not in message
    _, message, _ = refusal(trimesh.creation.box((2.5e-5, 2.5e-5, 2.5e-5)))
    assert message.startswith("The part is smaller than a grain of sand")


@pytest.mark.parametrize(
    ("mesh", "code"),
    [
        (trimesh.creation.box((40, 40, 0.05)), "slice.nothing_to_slice"),
        (trimesh.creation.box((40, 0.1, 20)), "slice.too_thin"),
    ],
)
def test_what_prusaslicer_says_is_told_in_plain_words(
    services: Services, tmp_path: Path, mesh: trimesh.Trimesh, code: str
) -> None:
    mesh.apply_translation(-mesh.bounds[0])
    part = tmp_path / "part.stl"
    mesh.export(part)
    with pytest.raises(DesignRejected) as caught:
        slice_part(
            part, services.machines["printer-1"], "PLA", services.settings.profiles_dir, tmp_path / "p.gcode", 60
        )
    problem = caught.value.problems[0]
    assert problem.code == code and "Try again" not in problem.render("en")
