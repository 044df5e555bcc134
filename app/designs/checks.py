"""Part checks with trimesh: repair what can be repaired (and say so), guess units, orient to fit a machine.

CPU-heavy: call from a worker thread or process, never on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh
from scipy.spatial import ConvexHull, QhullError

from app.designs.mesh_formats import RawMesh
from app.designs.problems import DesignRejected, Problem, Severity
from app.i18n import t
from machine_adapters.profiles import Envelope

MIN_SIZE_MM = 1.0  # smaller than this cannot be made on any of our machines
SHELL_MM = 1.2  # walls: 3 perimeters of 0.4 mm nozzle
INFILL = 0.2
MIN_THICKNESS_MM = 0.3  # thinner, a part has no layer for the slicer (first layer 0.2 mm, then 0.2 mm each)
MIN_WALL_MM = 0.8  # two lines of a 0.4 mm nozzle: the thinnest wall that prints
LOOSE_SHARE = 0.5  # refused as a triangle soup when more of the triangles than this lie loose
ALIGN_DIRECTIONS = 720  # footprint directions tried at most when a part is turned about Z to fit


@dataclass
class PartCheck:
    mesh: trimesh.Trimesh  # oriented and placed with its lowest point on the bed, origin at its front left
    volume_mm3: float  # 0 when the surface is not closed
    problems: list[Problem] = field(default_factory=list)
    unchanged: bool = False  # same shape and orientation as the file it came from, only moved

    @property
    def size(self) -> tuple[float, float, float]:
        x, y, z = (float(v) for v in self.mesh.extents)
        return (x, y, z)

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
    units = _units_suggestion(np.asarray(size, dtype=float), envelope)
    if longest < MIN_SIZE_MM:
        message = (
            t("The part is only {size} long, too small to make.", size=readable_length(longest))
            if longest >= 0.001
            else t("The part is smaller than a grain of sand, too small to make.")
        )
        action = (
            t("The file may use other units: choose the suggested scale, or export it in millimetres.")
            if units
            else t("Make the part larger in your design program, or pick a design from the catalog.")
        )
        raise DesignRejected([Problem("size.too_small", Severity.ERROR, message, action, suggested_scale=units)])
    if units is not None:
        problems.append(
            Problem(
                "size.units_suspect",
                Severity.WARNING,
                t("The part is {size} long. The file may use other units.", size=readable_length(longest)),
                t("If it looks too small or too large, choose the suggested scale."),
                suggested_scale=units,
            )
        )
    oriented, rotation = _orient_to_fit(mesh, envelope, lay_flat)
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
                    t("Choose the suggested scale.") if units else t("Scale the part down, or split it into pieces."),
                    suggested_scale=units,
                )
            ]
        )
    thickness = float(oriented.extents.min())
    if thickness < MIN_THICKNESS_MM:
        raise DesignRejected(
            [
                Problem(
                    "size.too_thin",
                    Severity.ERROR,
                    t(
                        "The part is only {size} thick: too thin to print (a flat sheet or an open surface).",
                        size=readable_length(thickness),
                    ),
                    t("Give it a thickness of at least {min} mm in your design program.", min=f"{MIN_WALL_MM:g}"),
                )
            ]
        )
    if abs(rotation[2, 2] - 1) > 1e-9:  # its Z axis moved: tipped onto another face
        problems.append(
            Problem(
                "orientation.laid_flat",
                Severity.INFO,
                t("The part was turned to lie flat on its largest face."),
                None,
            )
        )
    # turning and moving keep the volume: take it from the repaired mesh, where trimesh has it cached already
    volume = float(abs(mesh.volume)) if mesh.is_watertight else 0.0
    repaired = any(p.code.startswith("repair.") for p in problems)
    return PartCheck(oriented, volume, problems, unchanged=not repaired and np.allclose(rotation, np.eye(3)))


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
        _refuse_triangle_soup(mesh)  # before closing holes: that makes each loose triangle a closed sliver
        trimesh.repair.fill_holes(mesh)
        if mesh.is_watertight:
            problems.append(Problem("repair.holes_filled", Severity.INFO, t("Small holes in the surface were closed.")))
    if not mesh.is_winding_consistent:
        trimesh.repair.fix_winding(mesh)  # type: ignore[no-untyped-call]  # trimesh is untyped
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


def _refuse_triangle_soup(mesh: trimesh.Trimesh) -> None:
    """Refuse triangles that do not form a surface: most of them share no edge with any other triangle."""
    labels = trimesh.graph.connected_component_labels(  # type: ignore[no-untyped-call]  # trimesh is untyped
        mesh.face_adjacency, node_count=len(mesh.faces)
    )
    piece_size = np.bincount(labels)[labels]
    if np.count_nonzero(piece_size == 1) > LOOSE_SHARE * len(mesh.faces):
        raise DesignRejected(
            [
                Problem(
                    "mesh.triangle_soup",
                    Severity.ERROR,
                    t("The triangles in this file do not form a surface: they lie loose, with no solid to print."),
                    t("Export the model as a closed solid from your design program, or pick a design."),
                )
            ]
        )


def _units_suggestion(size: np.ndarray, envelope: Envelope) -> float | None:
    """A scale that would make a plausibly sized part, if the size looks like a units mistake: offered only when
    the scaled part fits the machine and its thinnest side is still thick enough to make (a 356 mm tray, 3 mm
    thick, is not offered as a 14 mm tray 0.12 mm thick)."""
    longest = float(size.max())
    largest_machine = max(envelope.x, envelope.y, envelope.z)
    if longest < 5:
        candidates = [25.4, 1000.0, 10.0]  # inches, metres, centimetres
    elif longest > largest_machine:
        candidates = [1 / 25.4, 0.1, 0.001]
    else:
        return None
    for factor in candidates:
        scaled = size * factor
        room = sorted((envelope.x, envelope.y, envelope.z))
        fits = all(side <= space for side, space in zip(sorted(scaled), room, strict=True))
        if scaled.max() >= 10 and fits and scaled.min() >= MIN_WALL_MM:
            return factor
    return None


def readable_length(mm: float) -> str:
    """A length as a person reads it: millimetres with a sensible number of digits, micrometres below a
    millimetre (never 2.5e-05 mm)."""
    if mm >= 100:
        return f"{mm:.0f} mm"
    if mm >= 1:
        return f"{mm:.1f} mm".replace(".0 mm", " mm")
    if mm >= 0.001:
        return f"{mm * 1000:.0f} µm"
    return "< 1 µm"


def _orient_to_fit(
    mesh: trimesh.Trimesh, envelope: Envelope, lay_flat: bool
) -> tuple[trimesh.Trimesh | None, np.ndarray]:
    """The mesh turned to fit the envelope (or None), and the rotation used.

    Keeps the orientation it was given wherever that fits; tips it onto its largest faces only for uploads
    and turns it about Z only when needed. Works on the convex hull's corners (same extents as the whole mesh,
    a fraction of the points) and moves the full mesh once, at the end.
    """
    corners, hull = _hull(np.asarray(mesh.vertices))
    tips = _candidate_rotations(hull) if lay_flat and hull is not None else [np.eye(3)]
    quarter_turn = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    for tip in tips:
        aligned = _align_xy((corners @ tip.T)[:, :2]) @ tip
        for matrix in (tip, quarter_turn @ tip, aligned, quarter_turn @ aligned):
            placed = corners @ matrix.T
            if envelope.fits(tuple(float(v) for v in np.ptp(placed, axis=0))):  # type: ignore[arg-type]
                transform = np.eye(4)
                transform[:3, :3] = matrix
                transform[:3, 3] = -placed.min(axis=0)
                oriented = mesh.copy()
                oriented.apply_transform(transform)
                return oriented, matrix
    return None, np.eye(3)


def _hull(points: np.ndarray) -> tuple[np.ndarray, ConvexHull | None]:
    try:
        # QJ (joggled input): many points on one plane or circle (a 15,000-sided cylinder's caps) take Qhull's
        # exact merging minutes; joggling takes a second, and the corners it returns are the file's own points
        hull = ConvexHull(points, qhull_options="QJ")
    except (QhullError, ValueError):  # flat or degenerate: every point is a corner
        return points, None
    return points[hull.vertices], hull


def _candidate_rotations(hull: ConvexHull) -> list[np.ndarray]:
    """Rotations that put one of the hull's largest flat faces down, largest first, then the original."""
    normals = np.round(hull.equations[:, :3], 5)  # joggled facets (see _hull) lean by up to ~1e-6: flat is flat
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    a, b, c = (hull.points[hull.simplices[:, i]] for i in range(3))
    areas = np.linalg.norm(np.cross(b - a, c - a), axis=1) / 2
    # coplanar hull triangles form one face: same normal and offset
    keys = np.round(hull.equations, 4)
    face_of = np.unique(keys, axis=0, return_inverse=True)[1].ravel()
    face_area = np.bincount(face_of, weights=areas)
    face_normal = np.zeros((len(face_area), 3))
    face_normal[face_of] = normals
    # largest faces first; among (nearly) equal ones, the one already facing down, so nothing turns needlessly
    order = np.lexsort((face_normal[:, 2], -np.round(face_area / face_area.max(), 2)))[:6]
    rotations = [
        trimesh.geometry.align_vectors(face_normal[i], [0, 0, -1])[:3, :3]  # type: ignore[no-untyped-call]
        for i in order
    ]
    return rotations if any(np.allclose(r, np.eye(3)) for r in rotations) else [*rotations, np.eye(3)]


def _align_xy(points: np.ndarray) -> np.ndarray:
    """Rotation about Z that puts the footprint's smallest enclosing rectangle along the axes.

    That rectangle has a side along an edge of the footprint's convex hull; the edges' directions (modulo a
    quarter turn) are tried, at most ALIGN_DIRECTIONS of them, in blocks, so a hull of n corners costs
    O(n · ALIGN_DIRECTIONS) time and little memory, never n² (a 15,000-sided cylinder has 15,000 such edges).
    A rotation only, never a mirror image (that would print the part reversed)."""
    matrix = np.eye(3)
    try:
        hull = ConvexHull(points)
    except (QhullError, ValueError):  # degenerate footprint (a line or a point): leave it
        return matrix
    corners = points[hull.vertices]
    edges = np.roll(corners, -1, axis=0) - corners
    directions = np.unique(np.round(np.mod(np.arctan2(edges[:, 1], edges[:, 0]), np.pi / 2), 6))
    if len(directions) > ALIGN_DIRECTIONS:
        directions = directions[np.linspace(0, len(directions) - 1, ALIGN_DIRECTIONS).astype(int)]
    best_area, best_angle = np.inf, 0.0
    for block in np.array_split(directions, max(1, len(directions) * len(corners) // 1_000_000 + 1)):
        cos, sin = np.cos(block)[:, None], np.sin(block)[:, None]
        along = corners[:, 0] * cos + corners[:, 1] * sin
        across = corners[:, 1] * cos - corners[:, 0] * sin
        areas = np.ptp(along, axis=1) * np.ptp(across, axis=1)
        if areas.min() < best_area * (1 - 1e-9):
            best_area, best_angle = float(areas.min()), float(block[int(areas.argmin())])
    cos, sin = np.cos(best_angle), np.sin(best_angle)
    matrix[:2, :2] = [[cos, sin], [-sin, cos]]  # turns the chosen edge direction onto X
    return matrix
