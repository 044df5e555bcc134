"""The checks that run in the memory-limited child process (app/designs/check_process.py): a file's bytes in,
plain picklable results out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from app.config import UploadLimits
from app.designs.checks import PartCheck, check_part
from app.designs.mesh_formats import RawMesh
from app.designs.problems import Problem
from app.designs.svg import SvgDesign, read_svg
from app.designs.uploads import read_mesh
from machine_adapters.profiles import Envelope


@dataclass(frozen=True)
class CheckedMesh:
    """A PartCheck as plain arrays, to cross between processes."""

    vertices: np.ndarray
    faces: np.ndarray
    volume_mm3: float
    problems: list[Problem]
    unchanged: bool

    def part_check(self) -> PartCheck:
        mesh = trimesh.Trimesh(self.vertices, self.faces, process=False, validate=False)
        return PartCheck(mesh, self.volume_mm3, list(self.problems), self.unchanged)


def check_mesh_file(
    data: bytes, fmt: str, limits: UploadLimits, envelope: Envelope, lay_flat: bool, scale: float
) -> CheckedMesh:
    raw = read_mesh(data, fmt, limits)
    if scale != 1.0:
        raw = RawMesh(raw.vertices * scale, raw.faces)
    check = check_part(raw, envelope, lay_flat)
    return CheckedMesh(
        np.asarray(check.mesh.vertices), np.asarray(check.mesh.faces), check.volume_mm3, check.problems, check.unchanged
    )


def read_drawing_file(data: bytes, limits: UploadLimits, fit: tuple[float, float] | None) -> SvgDesign:
    return read_svg(data, limits, fit)
