"""Pictures of parts as small SVG drawings, made on the server without a display: catalog cards and share cards.

A shaded, painter's-algorithm projection of a decimated mesh; a 2-D design is its own picture.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import trimesh

from app.designs.catalog import Template
from app.designs.openscad import render_template
from app.designs.preview import decimated

log = logging.getLogger(__name__)
PICTURE_FACES = 1500
VIEW = np.array([0.55, -0.75, 0.45])  # from the front right, a little above
LIGHT = np.array([0.3, -0.5, 0.8])


def mesh_picture(mesh: trimesh.Trimesh, colour_hex: str, size: int = 320) -> str:
    """An SVG drawing of the mesh seen from the front right, shaded in the material's colour."""
    small = decimated(mesh, PICTURE_FACES)
    view = VIEW / np.linalg.norm(VIEW)
    right = np.cross([0.0, 0.0, 1.0], view)
    right /= np.linalg.norm(right)
    up = np.cross(view, right)
    triangles = np.asarray(small.vertices)[np.asarray(small.faces)]
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    lengths = np.linalg.norm(normals, axis=1)
    keep = (lengths > 0) & (normals @ view > 0)  # faces turned towards the viewer
    triangles, normals = triangles[keep], normals[keep] / lengths[keep, None]
    xy = np.stack([triangles @ right, -(triangles @ up)], axis=-1)
    if len(xy) == 0:
        return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}"/>'
    low, high = xy.reshape(-1, 2).min(axis=0), xy.reshape(-1, 2).max(axis=0)
    scale = 0.9 * size / max(float((high - low).max()), 1e-6)
    offset = (size - (high - low) * scale) / 2
    points = (xy - low) * scale + offset
    order = np.argsort(triangles.mean(axis=1) @ view)  # farthest first
    light = LIGHT / np.linalg.norm(LIGHT)
    shade = 0.4 + 0.6 * np.clip(normals @ light, 0, 1)
    base = np.array([int(colour_hex[i : i + 2], 16) for i in (1, 3, 5)])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" height="{size}">']
    for index in order:
        r, g, b = (base * shade[index]).astype(int)
        colour = f"#{r:02x}{g:02x}{b:02x}"
        corners = " ".join(f"{x:.1f},{y:.1f}" for x, y in points[index])
        parts.append(f'<polygon points="{corners}" fill="{colour}" stroke="{colour}" stroke-width="0.6"/>')
    parts.append("</svg>")
    return "".join(parts)


def share_card(picture_svg: str, title: str, credit: str, store: str, made_at: str, link: str = "") -> str:
    """A square card to save or share: the part, its name, the designer's credit and the store; `link`: the
    designer's page, written under the credit (and a link where the card is opened as a drawing)."""
    picture = base64.b64encode(picture_svg.encode("utf-8")).decode("ascii")
    page = (
        f'<a href="{escape(link, {chr(34): "&quot;"})}"><text x="540" y="1064" font-family="Liberation Sans, '
        f'sans-serif" font-size="24" text-anchor="middle" fill="#1d4ed8">{escape(link)}</text></a>'
        if link
        else ""
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1080 1080" width="1080" height="1080">'
        '<rect width="1080" height="1080" fill="#fbfaf7"/>'
        f'<image x="190" y="120" width="700" height="700" href="data:image/svg+xml;base64,{picture}"/>'
        f'<text x="540" y="880" font-family="Liberation Sans, sans-serif" font-size="56" font-weight="bold" '
        f'text-anchor="middle" fill="#222">{escape(title)}</text>'
        f'<text x="540" y="950" font-family="Liberation Sans, sans-serif" font-size="36" font-style="italic" '
        f'text-anchor="middle" fill="#444">{escape(credit)}</text>'
        f'<text x="540" y="1020" font-family="Liberation Sans, sans-serif" font-size="32" text-anchor="middle" '
        f'fill="#666">{escape(made_at)} {escape(store)}</text>'
        f"{page}</svg>"
    )


class Pictures:
    """Catalog pictures (each template with its default values) and part pictures, cached as files."""

    def __init__(self, cache_dir: Path, catalog: Mapping[str, Template], render_timeout_s: float) -> None:
        self.folder = cache_dir / "pictures"
        self.cache_dir = cache_dir
        self.catalog = catalog
        self.render_timeout_s = render_timeout_s
        self._templates: dict[str, str] = {}  # template id -> picture name

    def url_for_template(self, template_id: str) -> str | None:
        name = self._templates.get(template_id)
        return f"/media/pictures/{name}.svg" if name else None

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.svg"

    def render_catalog(self) -> None:
        """Draw every template once with its defaults (slow: OpenSCAD runs; call on a thread at start)."""
        for template in self.catalog.values():
            try:
                defaults = {p.name: p.default for p in template.parameters}
                path, _ = render_template(template, defaults, self.cache_dir, self.render_timeout_s)
                data = path.read_bytes()
                if template.output == "svg":
                    self._templates[template.id] = self._store(data)
                else:
                    mesh = trimesh.load_mesh(path, file_type="stl")  # our own render, not a customer's file
                    self._templates[template.id] = self._store(mesh_picture(mesh, "#f28c28").encode())
            except Exception:  # a picture is a nicety: the card shows an icon instead
                log.exception("no catalog picture for %s", template.id)

    def for_part(self, geometry: Path, colour_hex: str) -> Path:
        """The picture of a stored part, drawn once (a 2-D design is its own picture)."""
        if geometry.suffix == ".svg":
            return geometry
        stl = geometry
        key = hashlib.sha256(stl.name.encode() + colour_hex.encode()).hexdigest()[:32]
        path = self.path(key)
        if not path.exists():
            mesh = trimesh.load_mesh(stl, file_type="stl")  # a part the checks already read and wrote
            self._write(path, mesh_picture(mesh, colour_hex).encode())
        return path

    def keep(self, data: bytes) -> str:
        """Keep a picture drawn elsewhere (a designer's intake renders); its name for /media/pictures/<name>.svg."""
        return self._store(data)

    def _store(self, data: bytes) -> str:
        name = hashlib.sha256(data).hexdigest()[:32]
        self._write(self.path(name), data)
        return name

    def _write(self, path: Path, data: bytes) -> None:
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".part") as f:
            f.write(data)
        os.replace(f.name, path)

    def start(self) -> None:
        threading.Thread(target=self.render_catalog, name="catalog-pictures", daemon=True).start()
