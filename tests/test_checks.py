"""Part checks: repairs are reported, units are questioned not changed, parts are turned to fit."""

import numpy as np
import pytest
import trimesh

from app.designs.checks import check_part
from app.designs.mesh_formats import RawMesh
from app.designs.problems import DesignRejected, Severity
from machine_adapters.profiles import Envelope

BED = Envelope(220, 220, 250)


def raw(mesh: trimesh.Trimesh) -> RawMesh:
    return RawMesh(np.asarray(mesh.vertices, dtype=float), np.asarray(mesh.faces))


def codes(check) -> set[str]:
    return {p.code for p in check.problems}


def test_a_clean_part_has_no_problems_and_sits_on_the_bed() -> None:
    check = check_part(raw(trimesh.creation.box((20, 30, 10))), BED, lay_flat=True)
    assert check.problems == []
    assert np.allclose(check.mesh.bounds[0], 0)
    assert check.volume_mm3 == pytest.approx(6000)
    assert 0 < check.estimated_grams(1.24) < 6000 * 1.24 / 1000


def test_a_tall_thin_upload_is_laid_flat_on_its_largest_face() -> None:
    plank = trimesh.creation.box((10, 5, 200))
    check = check_part(raw(plank), BED, lay_flat=True)
    assert check.size[2] == pytest.approx(5)
    assert "orientation.laid_flat" in codes(check)


def test_templates_keep_the_designers_orientation() -> None:
    stand = trimesh.creation.box((10, 5, 200))
    check = check_part(raw(stand), BED, lay_flat=False)
    assert check.size[2] == pytest.approx(200) and "orientation.laid_flat" not in codes(check)


def test_a_long_part_is_turned_diagonally_only_if_needed_and_otherwise_refused() -> None:
    rod = trimesh.creation.box((300, 10, 10))
    with pytest.raises(DesignRejected) as caught:
        check_part(raw(rod), BED, lay_flat=True)
    problem = caught.value.problems[0]
    assert problem.code == "size.does_not_fit"
    assert problem.render("de").startswith("Das Teil (300 × 10 × 10 mm) passt in keiner Lage")


def test_a_part_too_long_one_way_is_turned_to_fit() -> None:
    bar = trimesh.creation.box((230, 20, 10))
    bar.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 0, 1]))
    check = check_part(raw(bar), Envelope(250, 100, 100), lay_flat=True)
    assert check.size[0] == pytest.approx(230) and check.size[1] == pytest.approx(20)


def test_a_part_in_inches_is_questioned_with_a_suggested_scale_not_rescaled() -> None:
    inch_cube = trimesh.creation.box((1, 1, 1))
    check = check_part(raw(inch_cube), BED, lay_flat=True)
    warning = next(p for p in check.problems if p.code == "size.units_suspect")
    assert warning.severity is Severity.WARNING and warning.suggested_scale == 25.4
    assert check.size == pytest.approx((1, 1, 1))  # not silently applied


def test_a_part_in_micrometres_is_refused_with_a_suggested_scale() -> None:
    big = trimesh.creation.box((50_000, 50_000, 20_000))
    with pytest.raises(DesignRejected) as caught:
        check_part(raw(big), BED, lay_flat=True)
    assert caught.value.problems[0].suggested_scale in (0.001, 1 / 25.4)


def test_an_inside_out_part_is_turned_and_reported() -> None:
    box = trimesh.creation.box((20, 20, 20))
    flipped = RawMesh(np.asarray(box.vertices), np.asarray(box.faces)[:, ::-1].copy())
    check = check_part(flipped, BED, lay_flat=True)
    assert check.volume_mm3 == pytest.approx(8000)
    assert "repair.inverted" in codes(check)


def test_a_small_hole_is_closed_and_reported() -> None:
    box = trimesh.creation.box((20, 20, 20))
    holed = RawMesh(np.asarray(box.vertices), np.asarray(box.faces)[1:])
    check = check_part(holed, BED, lay_flat=True)
    assert check.mesh.is_watertight and "repair.holes_filled" in codes(check)


def test_mixed_up_winding_is_repaired_and_reported() -> None:
    box = trimesh.creation.box((20, 20, 20))
    faces = np.asarray(box.faces).copy()
    faces[:3] = faces[:3, ::-1]
    check = check_part(RawMesh(np.asarray(box.vertices), faces), BED, lay_flat=True)
    assert "repair.winding" in codes(check)
    assert check.volume_mm3 == pytest.approx(8000)


def test_non_manifold_mesh_is_a_warning_with_advice() -> None:
    a = trimesh.creation.box((20, 20, 20))
    b = trimesh.creation.box((20, 20, 20))
    b.apply_translation((20, 20, 0))  # two cubes sharing one edge: non-manifold
    sheet = trimesh.Trimesh(np.array([[0, 0, 30], [30, 0, 30], [0, 30, 30]]), np.array([[0, 1, 2]]))
    mesh = trimesh.util.concatenate([a, b, sheet])
    check = check_part(raw(mesh), BED, lay_flat=False)
    warning = next(p for p in check.problems if p.code == "mesh.not_watertight")
    assert warning.severity is Severity.WARNING and warning.action is not None


def test_duplicate_and_degenerate_triangles_are_removed_and_reported() -> None:
    box = trimesh.creation.box((20, 20, 20))
    faces = np.vstack([box.faces, box.faces[:2], [[0, 0, 1]]])
    check = check_part(RawMesh(np.asarray(box.vertices), faces), BED, lay_flat=True)
    assert "repair.removed_faces" in codes(check) and check.triangles == 12


def test_orienting_never_mirrors_the_part() -> None:
    # an L-shaped footprint: a mirror image would be an L the other way round
    a = trimesh.creation.box((40, 10, 5))
    b = trimesh.creation.box((10, 30, 5))
    b.apply_translation((-15, 20, 0))
    mesh = trimesh.util.concatenate([a, b])
    mesh.apply_transform(trimesh.transformations.rotation_matrix(0.4, [0, 0, 1]))
    check = check_part(raw(mesh), BED, lay_flat=True)
    original = trimesh.Trimesh(mesh.vertices, mesh.faces)
    # same shape, same handedness: the signed volume keeps its sign under rotation, flips under mirroring
    assert check.mesh.volume == pytest.approx(original.volume, rel=1e-6)
