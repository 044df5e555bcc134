"""Strict readers for customer mesh files (STL, 3MF, OBJ): sizes checked before memory is spent.

Each reader returns plain vertex and face arrays in millimetres, or raises DesignRejected with a message
a customer can act on. Nothing here trusts a count, a size or a name written inside the file.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import numpy as np
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml_safely

from app.config import UploadLimits
from app.designs.budget import Budget, over_budget
from app.designs.problems import reject
from app.i18n import t

_BROKEN_ACTION = t("Export the file again from your design program, or pick a design from the catalog.")


@dataclass(frozen=True)
class RawMesh:
    vertices: np.ndarray  # (n, 3) float64, millimetres
    faces: np.ndarray  # (m, 3) int64 indices into vertices


def _checked(vertices: np.ndarray, faces: np.ndarray, limits: UploadLimits) -> RawMesh:
    if len(faces) == 0:
        raise reject("mesh.empty", t("The file contains no surfaces."), _BROKEN_ACTION)
    if len(faces) > limits.max_triangles:
        raise over_budget("triangles", len(faces), limits.max_triangles)
    if len(vertices) > limits.max_vertices:
        raise over_budget("vertices", len(vertices), limits.max_vertices)
    if not np.isfinite(vertices).all():
        raise reject("mesh.not_finite", t("The file contains invalid coordinates (not a number)."), _BROKEN_ACTION)
    if np.abs(vertices).max(initial=0.0) > limits.max_extent_mm * 1000:
        raise reject(
            "mesh.coordinates_huge",
            t("The file contains coordinates far too large for any machine."),
            _BROKEN_ACTION,
        )
    return RawMesh(vertices.astype(np.float64, copy=False), faces.astype(np.int64, copy=False))


# --- STL ---------------------------------------------------------------------------------------


def read_stl(data: bytes, limits: UploadLimits) -> RawMesh:
    if len(data) >= 84:
        count = int.from_bytes(data[80:84], "little")
        if 84 + 50 * count == len(data):
            return _read_binary_stl(data, count, limits)
    if data.lstrip()[:5].lower() == b"solid":
        return _read_ascii_stl(data, limits)
    if len(data) >= 84:
        raise reject(
            "stl.length_mismatch",
            t("The STL file is damaged or incomplete (perhaps cut off while it was sent)."),
            _BROKEN_ACTION,
        )
    raise reject("stl.not_stl", t("This is not an STL file."), _BROKEN_ACTION)


def _read_binary_stl(data: bytes, count: int, limits: UploadLimits) -> RawMesh:
    if count > limits.max_triangles:
        _checked(np.zeros((0, 3)), np.zeros((count, 3)), limits)  # raises the triangle-cap message
    record = np.dtype([("normal", "<f4", 3), ("v", "<f4", (3, 3)), ("attr", "<u2")])
    with np.errstate(invalid="ignore"):  # a NaN or infinity in the file: refused by _checked just below
        triangles = np.frombuffer(data, dtype=record, count=count, offset=84)["v"].reshape(-1, 3).astype(np.float64)
    faces = np.arange(len(triangles), dtype=np.int64).reshape(-1, 3)
    return _checked(triangles, faces, limits)


_VERTEX = re.compile(rb"vertex\s+(\S+)\s+(\S+)\s+(\S+)", re.IGNORECASE)


def _read_ascii_stl(data: bytes, limits: UploadLimits) -> RawMesh:
    rows = _VERTEX.findall(data)
    if len(rows) > 3 * limits.max_triangles:
        _checked(np.zeros((0, 3)), np.zeros((len(rows) // 3, 3)), limits)
    try:
        vertices = np.array(rows, dtype=np.float64) if rows else np.zeros((0, 3))
    except ValueError as e:
        raise reject(
            "stl.bad_number", t("The STL file contains a coordinate that is not a number."), _BROKEN_ACTION
        ) from e
    if len(vertices) % 3:
        raise reject(
            "stl.incomplete_triangle",
            t("The STL file is damaged: a triangle has fewer than three corners."),
            _BROKEN_ACTION,
        )
    faces = np.arange(len(vertices), dtype=np.int64).reshape(-1, 3)
    return _checked(vertices, faces, limits)


# --- OBJ ---------------------------------------------------------------------------------------


def read_obj(data: bytes, limits: UploadLimits, budget: Budget | None = None) -> RawMesh:
    budget = budget or Budget(limits)
    vertices: list[tuple[float, float, float]] = []
    faces: list[tuple[int, int, int]] = []
    for number, raw_line in _obj_lines(data):
        parts = raw_line.split(b"#", 1)[0].split()
        if not parts:
            continue
        if parts[0] == b"v":
            try:
                x, y, z = (float(p) for p in parts[1:4])
            except ValueError as e:
                raise _obj_error(number) from e
            vertices.append((x, y, z))
            if len(vertices) % 4096 == 0:
                budget.charge("vertices", 4096)
        elif parts[0] == b"f":
            corners = [_obj_index(p, len(vertices), number) for p in parts[1:]]
            if len(corners) < 3:
                raise _obj_error(number)
            faces.extend((corners[0], corners[i], corners[i + 1]) for i in range(1, len(corners) - 1))
            if len(faces) > limits.max_triangles:
                _checked(np.zeros((0, 3)), np.zeros((len(faces), 3)), limits)
    return _checked(
        np.array(vertices, dtype=np.float64).reshape(-1, 3),
        np.array(faces, dtype=np.int64).reshape(-1, 3),
        limits,
    )


def _obj_lines(data: bytes) -> list[tuple[int, bytes]]:
    """The file's logical lines with the number each starts on: a line ending in a backslash carries on in the
    next one (the OBJ format's line continuation)."""
    lines: list[tuple[int, bytes]] = []
    pending: bytes | None = None
    start = 0
    for number, line in enumerate(data.splitlines(), start=1):
        if pending is None:
            start, pending = number, b""
        stripped = line.rstrip()
        if stripped.endswith(b"\\"):
            pending += stripped[:-1] + b" "
            continue
        lines.append((start, pending + line))
        pending = None
    if pending:
        lines.append((start, pending))
    return lines


def _obj_index(token: bytes, vertex_count: int, line: int) -> int:
    try:
        index = int(token.split(b"/", 1)[0])
    except ValueError as e:
        raise _obj_error(line) from e
    resolved = index - 1 if index > 0 else vertex_count + index
    if index == 0 or not 0 <= resolved < vertex_count:
        raise reject(
            "obj.bad_index",
            t("The OBJ file is damaged: line {line} refers to a corner that does not exist.", line=line),
            _BROKEN_ACTION,
        )
    return resolved


def _obj_error(line: int) -> Exception:
    return reject("obj.bad_line", t("The OBJ file is damaged at line {line}.", line=line), _BROKEN_ACTION)


# --- 3MF ---------------------------------------------------------------------------------------

_UNITS_MM = {
    "micron": 0.001,
    "millimeter": 1.0,
    "centimeter": 10.0,
    "inch": 25.4,
    "foot": 304.8,
    "meter": 1000.0,
}
_CORE_NS = "{http://schemas.microsoft.com/3dmanufacturing/core/2015/02}"
_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MODEL_REL = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"


def read_3mf(data: bytes, limits: UploadLimits, budget: Budget | None = None) -> RawMesh:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    # a newer format version in the directory: NotImplementedError; other damage: the rest
    except (zipfile.BadZipFile, ValueError, OverflowError, OSError, EOFError, NotImplementedError) as e:
        raise reject("3mf.not_zip", t("This 3MF file is damaged (it is not a valid archive)."), _BROKEN_ACTION) from e
    with archive:
        _check_archive(archive, limits)
        model_name = _model_part_name(archive, limits)
        root = _parse_part(archive, model_name, limits)
    return _mesh_from_model(root, limits, budget or Budget(limits))


def _check_archive(archive: zipfile.ZipFile, limits: UploadLimits) -> None:
    entries = archive.infolist()
    if len(entries) > limits.max_zip_entries:
        raise reject(
            "3mf.too_many_entries",
            t("This 3MF file contains too many parts ({count}).", count=len(entries)),
            _BROKEN_ACTION,
        )
    total = 0
    for entry in entries:
        name = entry.filename
        if (
            name.startswith(("/", "\\"))
            or "\\" in name
            or re.match(r"^[A-Za-z]:", name)
            or ".." in posixpath.normpath(name).split("/")
        ):
            raise reject(
                "3mf.unsafe_name",
                t("This 3MF file contains an unsafe file name and was refused."),
                _BROKEN_ACTION,
            )
        total += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if (
            entry.file_size > limits.max_zip_entry_bytes
            or total > limits.max_zip_total_bytes
            or (entry.file_size > 1_000_000 and ratio > limits.max_zip_ratio)
        ):
            raise reject(
                "3mf.too_large_unpacked",
                t("This 3MF file unpacks to far more data than a model needs."),
                _BROKEN_ACTION,
            )


def _read_member(archive: zipfile.ZipFile, name: str, limits: UploadLimits) -> bytes:
    """Read one entry, never more than the per-entry cap, whatever its header claims."""
    try:
        with archive.open(name) as member:
            content = member.read(limits.max_zip_entry_bytes + 1)
    except KeyError as e:
        raise reject("3mf.no_model", t("This 3MF file contains no 3D model."), _BROKEN_ACTION) from e
    # a damaged deflate stream raises zlib.error; a lying header a negative seek (ValueError) or an OverflowError
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        NotImplementedError,
        RuntimeError,
        zlib.error,
        ValueError,
        OverflowError,
    ) as e:
        raise reject("3mf.not_zip", t("This 3MF file is damaged (it is not a valid archive)."), _BROKEN_ACTION) from e
    if len(content) > limits.max_zip_entry_bytes:
        raise reject(
            "3mf.too_large_unpacked",
            t("This 3MF file unpacks to far more data than a model needs."),
            _BROKEN_ACTION,
        )
    return content


def _parse_part(archive: zipfile.ZipFile, name: str, limits: UploadLimits) -> Element:
    content = _read_member(archive, name, limits)
    try:
        return parse_xml_safely(content, forbid_dtd=True)  # type: ignore[no-any-return]
    except DefusedXmlException as e:
        raise reject(
            "3mf.unsafe_xml", t("This 3MF file contains XML constructs that are not allowed."), _BROKEN_ACTION
        ) from e
    except Exception as e:  # ParseError and the expat errors beneath it
        raise reject("3mf.bad_xml", t("This 3MF file is damaged (its model cannot be read)."), _BROKEN_ACTION) from e


def _model_part_name(archive: zipfile.ZipFile, limits: UploadLimits) -> str:
    names = set(archive.namelist())
    if "_rels/.rels" in names:
        rels = _parse_part(archive, "_rels/.rels", limits)
        for rel in rels.iter(f"{_RELS_NS}Relationship"):
            if rel.get("Type") == _MODEL_REL and rel.get("Target"):
                target = str(rel.get("Target")).lstrip("/")
                if target in names:
                    return target
    if "3D/3dmodel.model" in names:
        return "3D/3dmodel.model"
    raise reject("3mf.no_model", t("This 3MF file contains no 3D model."), _BROKEN_ACTION)


def _mesh_from_model(root: Element, limits: UploadLimits, budget: Budget) -> RawMesh:
    scale = _UNITS_MM.get(root.get("unit", "millimeter"), 1.0)
    objects = {obj.get("id"): obj for obj in root.iter(f"{_CORE_NS}object")}
    build = root.find(f"{_CORE_NS}build")
    items = list(build.iter(f"{_CORE_NS}item")) if build is not None else []
    if not items:
        items = [Element("item", objectid=str(oid)) for oid in objects]
    meshes = _ObjectMeshes(objects, budget)
    placed: list[tuple[np.ndarray, np.ndarray]] = []
    for item in items:
        meshes.place(item.get("objectid"), _transform(item.get("transform")), 0, placed)
    all_faces = [faces for _, faces in placed if len(faces)]
    if not all_faces:
        raise reject("mesh.empty", t("The file contains no surfaces."), _BROKEN_ACTION)
    offsets = np.cumsum([0] + [len(v) for v, _ in placed])
    vertices = np.concatenate([v for v, _ in placed]) * scale
    faces = np.concatenate([f + offsets[i] for i, (_, f) in enumerate(placed)])
    return _checked(vertices, faces, limits)


class _ObjectMeshes:
    """Each object's mesh read once, placed once per copy; every copy's corners and triangles are charged to the
    budget before they are placed (3MF build items and components multiply: a small file can mean millions)."""

    def __init__(self, objects: dict[str | None, Element], budget: Budget) -> None:
        self.objects = objects
        self.budget = budget
        self.read: dict[str | None, tuple[np.ndarray, np.ndarray] | None] = {}

    def place(
        self, object_id: str | None, matrix: np.ndarray, depth: int, out: list[tuple[np.ndarray, np.ndarray]]
    ) -> None:
        obj = self.objects.get(object_id)
        if obj is None or depth > 16:
            raise reject("3mf.bad_reference", t("This 3MF file refers to a part it does not contain."), _BROKEN_ACTION)
        self.budget.charge("instances")
        mesh = self._mesh(object_id, obj)
        if mesh is not None:
            vertices, faces = mesh
            self.budget.charge("vertices", len(vertices))
            self.budget.charge("triangles", len(faces))
            if len(faces):  # corners no triangle uses add nothing to the part: leave them out
                out.append((vertices @ matrix[:3, :3].T + matrix[:3, 3], faces))
        components = obj.find(f"{_CORE_NS}components")
        if components is not None:
            for comp in components.iter(f"{_CORE_NS}component"):
                self.place(comp.get("objectid"), matrix @ _transform(comp.get("transform")), depth + 1, out)

    def _mesh(self, object_id: str | None, obj: Element) -> tuple[np.ndarray, np.ndarray] | None:
        if object_id not in self.read:
            mesh = obj.find(f"{_CORE_NS}mesh")
            self.read[object_id] = _mesh_arrays(mesh, self.budget) if mesh is not None else None
        return self.read[object_id]


def _mesh_arrays(mesh: Element, budget: Budget) -> tuple[np.ndarray, np.ndarray]:
    corners = list(mesh.iter(f"{_CORE_NS}vertex"))
    triangles = list(mesh.iter(f"{_CORE_NS}triangle"))
    budget.charge("vertices", len(corners))  # once for reading; each copy is charged again where it is placed
    budget.charge("triangles", len(triangles))
    try:
        vertices = np.array(
            [(float(v.get("x", "nan")), float(v.get("y", "nan")), float(v.get("z", "nan"))) for v in corners],
            dtype=np.float64,
        ).reshape(-1, 3)
        indices = [(int(f.get("v1", "-1")), int(f.get("v2", "-1")), int(f.get("v3", "-1"))) for f in triangles]
    except ValueError as e:
        raise reject("3mf.bad_number", t("This 3MF file contains a value that is not a number."), _BROKEN_ACTION) from e
    if any(not 0 <= i < len(vertices) for triangle in indices for i in triangle):  # also a 20-digit index
        raise reject(
            "3mf.bad_index",
            t("This 3MF file is damaged: a triangle refers to a missing corner."),
            _BROKEN_ACTION,
        )
    return vertices, np.array(indices, dtype=np.int64).reshape(-1, 3)


def _transform(text: str | None) -> np.ndarray:
    matrix = np.eye(4)
    if not text:
        return matrix
    try:
        values = [float(v) for v in text.split()]
    except ValueError as e:
        raise reject("3mf.bad_number", t("This 3MF file contains a value that is not a number."), _BROKEN_ACTION) from e
    if len(values) != 12 or not all(np.isfinite(values)):
        raise reject("3mf.bad_transform", t("This 3MF file contains an invalid placement."), _BROKEN_ACTION)
    # 3MF stores row vectors: [x y z 1] @ M, with M as 4 rows of 3 columns
    m = np.array(values).reshape(4, 3)
    matrix[:3, :3] = m[:3, :].T
    matrix[:3, 3] = m[3, :]
    return matrix
