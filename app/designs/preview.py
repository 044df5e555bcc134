"""Decimated previews (GLB) for the browser: written once to the cache, served over HTTP, never the websocket."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import fast_simplification
import numpy as np
import trimesh

PREVIEW_FACES = 50_000


def write_preview(mesh: trimesh.Trimesh, destination: Path, max_faces: int = PREVIEW_FACES) -> Path:
    """Write a GLB with at most about `max_faces` triangles, centred over the origin and standing on z = 0.

    The full mesh stays for slicing; viewers know where the preview is without reading it.
    """
    if destination.exists():
        return destination
    preview = decimated(mesh, max_faces).copy()
    low, high = preview.bounds
    preview.apply_translation([-(low[0] + high[0]) / 2, -(low[1] + high[1]) / 2, -low[2]])
    destination.parent.mkdir(parents=True, exist_ok=True)
    data = preview.export(file_type="glb")
    assert isinstance(data, bytes)  # trimesh types every export alike; binary formats are bytes
    with tempfile.NamedTemporaryFile(dir=destination.parent, delete=False, suffix=".part") as f:
        f.write(data)
    os.replace(f.name, destination)
    return destination


def decimated(mesh: trimesh.Trimesh, max_faces: int) -> trimesh.Trimesh:
    if len(mesh.faces) <= max_faces:
        return mesh
    reduction = 1.0 - max_faces / len(mesh.faces)
    points, faces = fast_simplification.simplify(
        np.asarray(mesh.vertices, dtype=np.float32), np.asarray(mesh.faces, dtype=np.int32), reduction
    )
    return trimesh.Trimesh(points, faces, process=False)
