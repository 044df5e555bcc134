"""Part checks with trimesh: repair what can be repaired (and say so), guess units, orient to fit a machine.

CPU-heavy: call from a worker thread or process, never on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh

from app.designs.mesh_formats import RawMesh
from app.designs.problems import DesignRejected, Problem, Severity
from app.i18n import t
from machine_adapters.profiles import Envelope

MIN_SIZE_MM = 1.0  # smaller than this cannot be made on any of our machines
SHELL_MM = 1.2  # walls: 3 perimeters of 0.4 mm nozzle
INFILL = 0.2


@dataclass
class PartCheck:
    mesh: trimesh.Trimesh  # oriented and placed with its lowest point on the bed, origin at its front left
    problems: list[Problem] = field(default_factory=list)

    @property
    def size(self) -> tuple[float, float, float]:
        x, y, z = (float(v) for v in self.mesh.extents)
        return (x, y, z)

    @property
    def volume_mm3(self) -> float:
        return float(abs(self.mesh.volume)) if self.mesh.is_watertight else 0.0

    @property
    def triangles(self) -> int:
        return len(self.mesh.faces)

    def estimated_grams(self, density_g_cm3: float) -> float:
        """Rough material before slicing: solid walls plus sparse infill inside."""
        volume = self.volume_mm3
        shell = min(volume, float(self.mesh.area) * SHELL_MM)
        return (shell + (volume - shell) * INFILL) * density_g_cm3 / 1000.0


def check_part(raw: RawMesh, envelope: Envelope, lay_flat: bool) -> PartCheck:
    """Repair, size and orient a mesh for a machine; raise DesignRejected when it cannot be made at all."""
    mesh, problems = _repaired(raw)
    size = mesh.extents
    longest = float(size.max())
    units = _units_suggestion(longest, envelope)
    if longest < MIN_SIZE_MM:
        raise DesignRejected(
            [
                Problem(
                    "size.too_small",
                    Severity.ERROR,
                    t("The part is only {size} mm long, too small to make.", size=f"{longest:.3g}"),
                    t("The file may use other units: choose a scale, or export it in millimetres."),
                    suggested_scale=units,
                )
            ]
        )
    if units is not None:
        problems.append(
            Problem(
                "size.units_suspect",
                Severity.WARNING,
                t("The part is {size} mm long. The file may use other units.", size=f"{longest:.3g}"),
                t("If it looks too small or too large, choose the suggested scale."),
                suggested_scale=units,
            )
        )
    oriented, turned = _orient_to_fit(mesh, envelope, lay_flat)
    if oriented is None:
        x, y, z = (float(v) for v in size)
        raise DesignRejected(
            [
                Problem(
                    "size.does_not_fit",
                    Severity.ERROR,
                    t(
                        "The part ({x} × {y} × {z} mm) does not fit this machine "
                        "({ex} × {ey} × {ez} mm) in any position.",
                        x=f"{x:.0f}",
                        y=f"{y:.0f}",
                        z=f"{z:.0f}",
                        ex=f"{envelope.x:.0f}",
                        ey=f"{envelope.y:.0f}",
                        ez=f"{envelope.z:.0f}",
                    ),
                    t("Scale the part down, or split it into pieces."),
                    suggested_scale=units,
                )
            ]
        )
    if turned:
        problems.append(
            Problem(
                "orientation.laid_flat",
                Severity.INFO,
                t("The part was turned to lie flat on its largest face."),
                None,
            )
        )
    return PartCheck(oriented, problems)


def _repaired(raw: RawMesh) -> tuple[trimesh.Trimesh, list[Problem]]:
    problems: list[Problem] = []
    mesh = trimesh.Trimesh(raw.vertices, raw.faces, process=True, validate=False)
    faces_before = len(mesh.faces)
    mesh.update_faces(mesh.nondegenerate_faces())
    mesh.update_faces(mesh.unique_faces())
    mesh.remove_unreferenced_vertices()
    if len(mesh.faces) == 0:
        raise DesignRejected(
            [
                Problem(
                    "mesh.empty",
                    Severity.ERROR,
                    t("The file contains no surfaces."),
                    t("Export the file again from your design program."),
                )
            ]
        )
    if len(mesh.faces) < faces_before:
        problems.append(
            Problem(
                "repair.removed_faces",
                Severity.INFO,
                t("{count} broken or doubled triangles were removed.", count=faces_before - len(mesh.faces)),
            )
        )
    if not mesh.is_watertight:
        trimesh.repair.fill_holes(mesh)
        if mesh.is_watertight:
            problems.append(Problem("repair.holes_filled", Severity.INFO, t("Small holes in the surface were closed.")))
    if not mesh.is_winding_consistent:
        trimesh.repair.fix_winding(mesh)
        problems.append(Problem("repair.winding", Severity.INFO, t("Triangles facing the wrong way were turned.")))
    if mesh.is_watertight and mesh.volume < 0:
        mesh.invert()
        problems.append(Problem("repair.inverted", Severity.INFO, t("The part was inside out and was turned.")))
    if not mesh.is_watertight:
        problems.append(
            Problem(
                "mesh.not_watertight",
                Severity.WARNING,
                t("The surface of the part has gaps that could not be closed. It may print with flaws."),
                t("Repair the model in your design program, or continue and check the preview carefully."),
            )
        )
    return mesh, problems


def _units_suggestion(longest: float, envelope: Envelope) -> float | None:
    """A scale that would make a plausibly sized part, if the size looks like a units mistake."""
    largest_machine = max(envelope.x, envelope.y, envelope.z)
    if longest < 5:
        candidates = [25.4, 1000.0, 10.0]  # inches, metres, centimetres
    elif longest > largest_machine:
        candidates = [1 / 25.4, 0.1, 0.001]
    else:
        return None
    for factor in candidates:
        if 10 <= longest * factor <= largest_machine:
            return factor
    return None


def _orient_to_fit(mesh: trimesh.Trimesh, envelope: Envelope, lay_flat: bool) -> tuple[trimesh.Trimesh | None, bool]:
    """The mesh turned to fit the envelope, and whether it was tipped over to do so."""
    for rotation in _candidate_rotations(mesh, lay_flat):
        candidate = mesh.copy()
        candidate.apply_transform(rotation)
        candidate.apply_transform(_align_xy(candidate))
        x, y, z = candidate.extents
        if z <= envelope.z and not (x <= envelope.x and y <= envelope.y) and y <= envelope.x and x <= envelope.y:
            candidate.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 0, 1]))
        if envelope.fits(tuple(float(v) for v in candidate.extents)):  # type: ignore[arg-type]
            candidate.apply_translation(-candidate.bounds[0])
            return candidate, not np.allclose(rotation[:3, :3], np.eye(3), atol=1e-9)
    return None, False


def _candidate_rotations(mesh: trimesh.Trimesh, lay_flat: bool) -> list[np.ndarray]:
    if not lay_flat:
        return [np.eye(4)]
    hull = mesh.convex_hull
    if not len(hull.facets):
        return [np.eye(4)]
    areas, normals = hull.facets_area, hull.facets_normal
    # largest faces first; among (nearly) equal ones, the one already facing down, so nothing turns needlessly
    order = sorted(range(len(areas)), key=lambda i: (-round(areas[i] / areas.max(), 2), normals[i][2]))[:6]
    rotations = [trimesh.geometry.align_vectors(normals[i], [0, 0, -1]) for i in order]
    return [*rotations, np.eye(4)]


def _align_xy(mesh: trimesh.Trimesh) -> np.ndarray:
    """Rotation about Z that puts the footprint's smallest enclosing rectangle along the axes."""
    points = mesh.convex_hull.vertices[:, :2] if len(mesh.vertices) > 3 else mesh.vertices[:, :2]
    try:
        transform_2d, _ = trimesh.bounds.oriented_bounds_2D(points)
    except Exception:  # degenerate footprint (a line): leave it
        return np.eye(4)
    matrix = np.eye(4)
    matrix[:2, :2] = transform_2d[:2, :2]
    return matrix
