"""Customer uploads: size capped before reading, stored under a server-made name, read by a strict parser."""

from __future__ import annotations

import os
import secrets
import tempfile
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

from app.config import UploadLimits
from app.designs.mesh_formats import RawMesh, read_3mf, read_obj, read_stl
from app.designs.problems import reject
from app.designs.svg import SvgDesign, read_svg
from app.i18n import t

MESH_FORMATS = ("stl", "3mf", "obj")
DRAWING_FORMATS = ("svg",)
FORMATS = MESH_FORMATS + DRAWING_FORMATS


def format_of(filename: str) -> str:
    suffix = PurePosixPath(display_name(filename)).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise reject(
            "file.unknown_format",
            t("Files of this type cannot be used. Use STL, 3MF or OBJ for the printer, SVG for the engraver."),
            t("Export your design in one of these formats."),
        )
    return suffix


def display_name(filename: str) -> str:
    """The customer's filename as safe display text: last path component, no control characters, capped."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    name = "".join(c for c in unicodedata.normalize("NFC", name) if c.isprintable())
    return name.strip()[:120] or "upload"


def check_size(size: int, limits: UploadLimits) -> None:
    """Call before reading a file into memory."""
    if size == 0:
        raise reject("file.empty", t("The file is empty."), t("Choose the file again, or export it once more."))
    if size > limits.max_file_bytes:
        raise reject(
            "file.too_large",
            t(
                "The file is too large ({size} MB); at most {limit} MB are possible.",
                size=f"{size / 1e6:.0f}",
                limit=f"{limits.max_file_bytes / 1e6:.0f}",
            ),
            t("Reduce the detail when you export the model."),
        )


def store_upload(data: bytes, filename: str, uploads_dir: Path, limits: UploadLimits) -> tuple[Path, str, str]:
    """Write the bytes under a server-made name; return (path, format, display name)."""
    check_size(len(data), limits)
    fmt = format_of(filename)
    uploads_dir.mkdir(parents=True, exist_ok=True)
    path = uploads_dir / f"{secrets.token_hex(16)}.{fmt}"
    with tempfile.NamedTemporaryFile(dir=uploads_dir, delete=False, suffix=".part") as f:
        f.write(data)
    os.replace(f.name, path)
    return path, fmt, display_name(filename)


def read_mesh(data: bytes, fmt: str, limits: UploadLimits) -> RawMesh:
    check_size(len(data), limits)
    readers = {"stl": read_stl, "3mf": read_3mf, "obj": read_obj}
    if fmt not in readers:
        raise reject(
            "file.not_a_mesh",
            t("This file is a drawing, not a 3-D model."),
            t("Choose the laser engraver for drawings."),
        )
    return readers[fmt](data, limits)


def read_drawing(data: bytes, limits: UploadLimits) -> SvgDesign:
    check_size(len(data), limits)
    return read_svg(data, limits)
