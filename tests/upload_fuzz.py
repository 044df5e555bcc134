"""Structured hostile uploads (STL, OBJ, 3MF, SVG) and one run of a case through the real checks, for the fuzz test
and for the benchmark `python -m bench.fuzz`, which runs thousands of them.

Cases are not random bytes only: each starts from a well-formed file and mutates its structure (headers and
counts, indices, numbers, nesting, references, namespaces, compression), so the readers get past their first
check and the deeper code is reached. Every case goes the way an upload goes: the checking process with its
memory limit and deadline, then, for a drawing that is accepted, the laser's toolpaths.
"""

# ruff: noqa: E501  (the generator's SVG and XML snippets read best on one line each)
from __future__ import annotations

import io
import itertools
import math
import random
import struct
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import trimesh

from app.config import UploadLimits, load_settings
from app.designs.check_process import CHECKS
from app.designs.problems import DesignRejected
from app.production import laser_paths
from app.production.laser import LaserMaterial, load_laser_materials
from machine_adapters.profiles import Envelope, MachineProfile, load_machines

GRACE_S = 2.0  # beyond the budget: the checking process is stopped 1 s after it (app/designs/check_process.py) and
# the refusal must be out within 1 s more
WEIRD_NUMBERS = ["nan", "inf", "-inf", "1e300", "-1e308", "1e-300", "0", "-0", "99999999999999999999", "1e", "--1",
                 "0x10", "١٢", "1,5", "", "3.4028236e38", "2.5e-05"]  # fmt: skip


@dataclass(frozen=True)
class Case:
    number: int
    fmt: str  # stl, obj, 3mf or svg
    mutation: str  # what was done to it, for the report
    data: bytes


@dataclass(frozen=True)
class Outcome:
    case: Case
    kind: str  # accepted, refused, internal error
    seconds: float  # both stages
    peak_mb: float
    detail: str
    slowest_stage_s: float = 0.0  # the checks, or the laser's toolpaths: each has the stage budget

    @property
    def over_budget(self) -> bool:
        return self.slowest_stage_s > UploadLimits().stage_seconds + GRACE_S


# --- the generator ------------------------------------------------------------------------------------


def cases(count: int, seed: int = 1) -> Iterator[Case]:
    rng = random.Random(seed)
    makers: list[Callable[[random.Random], tuple[str, bytes]]] = [_stl, _obj, _3mf, _svg]
    for number in range(count):
        maker = makers[number % len(makers)]
        mutation, data = maker(rng)
        yield Case(number, maker.__name__.lstrip("_"), mutation, data)


def _base_mesh(rng: random.Random) -> trimesh.Trimesh:
    choice = rng.randrange(6)
    if choice == 0:
        return trimesh.creation.box(tuple(rng.choice([0.01, 1, 20, 80, 400]) for _ in range(3)))
    if choice == 1:
        return trimesh.creation.icosphere(subdivisions=rng.randrange(1, 4), radius=rng.choice([0.5, 10, 40]))
    if choice == 2:
        return trimesh.creation.cylinder(
            radius=rng.choice([2, 30]), height=rng.choice([0.1, 10]), sections=rng.choice([8, 64, 500])
        )
    if choice == 3:  # an open box: a face missing
        box = trimesh.creation.box((20, 20, 20))
        return trimesh.Trimesh(box.vertices, box.faces[: -rng.randrange(1, 4)])
    if choice == 4:  # a loose triangle soup
        corners = np.array([[rng.uniform(0, 30) for _ in range(3)] for _ in range(3 * rng.randrange(3, 120))])
        return trimesh.Trimesh(corners, np.arange(len(corners)).reshape(-1, 3), process=False)
    return trimesh.util.concatenate(
        [trimesh.creation.box((10, 10, 10)), trimesh.creation.box((5, 5, 5)).apply_translation((20, 0, 0))]
    )


def _flip(rng: random.Random, data: bytes, count: int) -> bytes:
    mutable = bytearray(data)
    for _ in range(count):
        if mutable:
            mutable[rng.randrange(len(mutable))] = rng.randrange(256)
    return bytes(mutable)


def _stl(rng: random.Random) -> tuple[str, bytes]:
    mesh = _base_mesh(rng)
    data = bytes(mesh.export(file_type="stl"))
    choice = rng.randrange(7)
    if choice == 0:
        return "as made", data
    if choice == 1:
        count = rng.choice([0, 1, len(mesh.faces) + 1, 2**31, 2**32 - 1])
        return "triangle count in the header", data[:80] + struct.pack("<I", count) + data[84:]
    if choice == 2:
        return "cut off", data[: rng.randrange(0, len(data))]
    if choice == 3:
        return "bytes flipped", _flip(rng, data, rng.randrange(1, 40))
    if choice == 4:
        floats = np.frombuffer(bytearray(data[84:]), dtype=np.uint8).copy()
        for _ in range(rng.randrange(1, 10)):
            at = 84 + 50 * rng.randrange(max(1, len(mesh.faces))) + 12 + 4 * rng.randrange(9)
            value = rng.choice([math.nan, math.inf, -math.inf, 3.4e38, 1e-38, 0.0])
            if at + 4 <= len(data):
                floats[at - 84 : at - 80] = np.frombuffer(struct.pack("<f", value), dtype=np.uint8)
        return "odd coordinates", data[:84] + floats.tobytes()
    text = ["solid fuzz"]
    for triangle in mesh.triangles[:200]:
        text += ["facet normal 0 0 0", "outer loop"]
        text += [f"vertex {x:g} {y:g} {z:g}" for x, y, z in triangle]
        text += ["endloop", "endfacet"]
    text.append("endsolid fuzz")
    lines = text
    if choice == 5:
        for _ in range(rng.randrange(1, 6)):
            at = rng.randrange(len(lines))
            parts = lines[at].split(" ")
            if parts[0] == "vertex" and len(parts) == 4:
                parts[rng.randrange(1, 4)] = rng.choice(WEIRD_NUMBERS)
                lines[at] = " ".join(parts)
        return "ASCII with odd numbers", "\n".join(lines).encode()
    del lines[rng.randrange(1, len(lines))]
    return "ASCII with a line missing", "\n".join(lines).encode()


def _obj(rng: random.Random) -> tuple[str, bytes]:
    mesh = _base_mesh(rng)
    lines = [f"v {x:g} {y:g} {z:g}" for x, y, z in mesh.vertices] + [
        f"f {a + 1} {b + 1} {c + 1}" for a, b, c in mesh.faces
    ]
    choice = rng.randrange(7)
    if choice == 0:
        return "as made", "\n".join(lines).encode()
    if choice == 1:
        at = rng.randrange(len(lines))
        lines[at] = lines[at].replace(" ", " \\\n ", 1)
        return "line continuation", "\n".join(lines).encode()
    if choice == 2:
        faces = [i for i, line in enumerate(lines) if line.startswith("f")]
        at = rng.choice(faces)
        lines[at] = (
            f"f 1 2 {rng.choice(['0', '-99999', '99999999999999999999', str(len(mesh.vertices) + 1), 'x', '1/2/3'])}"
        )
        return "odd index", "\n".join(lines).encode()
    if choice == 3:
        at = rng.randrange(len(mesh.vertices))
        lines[at] = f"v {rng.choice(WEIRD_NUMBERS)} 0 0"
        return "odd number", "\n".join(lines).encode()
    if choice == 4:
        lines.insert(
            rng.randrange(len(lines)),
            rng.choice(["f 1 2", "v 1 2", "vt 0 0", "o part", "g", "s off", "# c", "usemtl x"]),
        )
        return "odd line", "\n".join(lines).encode()
    if choice == 5:
        vertices = "\n".join(f"v {i} 0 0" for i in range(rng.choice([10, 5000, 60000])))
        return "corners without faces", vertices.encode()
    return "bytes flipped", _flip(rng, "\n".join(lines).encode(), rng.randrange(1, 20))


_CORE = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
COMPONENT = '<component objectid="1"/>'
USE = '<use href="#l{}"/>'


def _model_xml(rng: random.Random, mesh: trimesh.Trimesh) -> tuple[str, str]:
    vertices = "".join(f'<vertex x="{x:g}" y="{y:g}" z="{z:g}"/>' for x, y, z in mesh.vertices)
    triangles = [f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in mesh.faces]
    objects = f'<object id="1" type="model"><mesh><vertices>{vertices}</vertices><triangles>{"".join(triangles)}</triangles></mesh></object>'
    items = '<item objectid="1"/>'
    namespace, unit = _CORE, rng.choice(["millimeter", "inch", "micron", "meter", "parsec", ""])
    choice = rng.randrange(9)
    mutation = "as made"
    if choice == 1 and triangles:
        triangles[rng.randrange(len(triangles))] = (
            f'<triangle v1="{rng.choice(["-1", "99999999999999999999", "x", "1e3"])}" v2="0" v3="1"/>'
        )
        objects = objects.split("<triangles>")[0] + f"<triangles>{''.join(triangles)}</triangles></mesh></object>"
        mutation = "odd index"
    elif choice == 2:
        namespace, mutation = rng.choice(["http://example.com/other", "", _CORE + "x"]), "another namespace"
    elif choice == 3:
        objects += '<object id="2"><components><component objectid="2"/></components></object>'
        items, mutation = '<item objectid="2"/>', "an object made of itself"
    elif choice == 4:
        objects += f'<object id="2"><components>{COMPONENT * rng.choice([5, 50, 500])}</components></object>'
        items, mutation = '<item objectid="2"/>' * rng.choice([10, 100, 1000]), "copies of copies"
    elif choice == 5:
        items = f'<item objectid="1" transform="{" ".join(rng.choice(WEIRD_NUMBERS) for _ in range(12))}"/>'
        mutation = "odd placement"
    elif choice == 6:
        items, mutation = '<item objectid="7"/>', "a missing object"
    elif choice == 7:
        nested = "<a>" * rng.choice([50, 5000]) + "</a>" * 5000
        objects, mutation = objects + nested[: len(nested) // 2], "deep or broken nesting"
    elif choice == 8:
        corners = "".join(f'<vertex x="{i}" y="0" z="0"/>' for i in range(rng.choice([100, 20000])))
        objects = f'<object id="1"><mesh><vertices>{corners}</vertices><triangles/></mesh></object>'
        items, mutation = '<item objectid="1"/>' * rng.choice([10, 1000, 10000]), "corners without triangles, copied"
    unit_attribute = f' unit="{unit}"' if unit else ""
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return mutation, f"<model{unit_attribute}{xmlns}><resources>{objects}</resources><build>{items}</build></model>"


def _3mf(rng: random.Random) -> tuple[str, bytes]:
    mutation, xml = _model_xml(rng, _base_mesh(rng))
    buffer = io.BytesIO()
    compression = rng.choice([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        if rng.random() < 0.5:
            target = rng.choice(["/3D/3dmodel.model", "/3D/other.model", "../../etc/passwd", ""])
            archive.writestr(
                "_rels/.rels",
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Target="{target}" Id="r" '
                'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>',
            )
        archive.writestr("3D/3dmodel.model", xml)
    data = buffer.getvalue()
    damage = rng.randrange(8)
    if damage == 1:  # inside the compressed stream
        data, mutation = _flip(rng, data, rng.randrange(1, 8)), mutation + ", archive bytes flipped"
    elif damage == 2:  # the end record's directory offset
        end = data.rfind(b"PK\x05\x06")
        if end >= 0:
            mutable = bytearray(data)
            struct.pack_into("<I", mutable, end + 16, rng.choice([0, 2**32 - 1, len(data) + 5000]))
            data, mutation = bytes(mutable), mutation + ", directory offset changed"
    elif damage == 3:
        data, mutation = data[: rng.randrange(len(data))], mutation + ", archive cut off"
    return mutation, data


def _svg(rng: random.Random) -> tuple[str, bytes]:
    shapes = []
    for _ in range(rng.randrange(1, 12)):
        x, y, size = rng.uniform(0, 80), rng.uniform(0, 80), rng.uniform(0.5, 40)
        shapes.append(
            rng.choice(
                [
                    f'<rect x="{x:.2f}" y="{y:.2f}" width="{size:.2f}" height="{size / 2:.2f}"/>',
                    f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{size / 2:.2f}"/>',
                    f'<ellipse cx="{x:.2f}" cy="{y:.2f}" rx="{size:.2f}" ry="{size / 3:.2f}"/>',
                    f'<path d="M{x:.1f} {y:.1f} C {x + size:.1f} {y} {x} {y + size:.1f} {x + size:.1f} {y + size:.1f} '
                    f'A {size / 2:.1f} {size / 3:.1f} 30 1 1 {x:.1f} {y + size:.1f} Z"/>',
                    f'<polygon points="{x:.1f},{y:.1f} {x + size:.1f},{y:.1f} {x:.1f},{y + size:.1f}"/>',
                    f'<path fill-rule="evenodd" d="M{x} {y} h{size} v{size} h-{size} Z M{x + 1} {y + 1} h{size / 3} v{size / 3} h-{size / 3} Z"/>',
                    f'<polyline points="{x},{y} {x + size},{y + size}"/>',
                    f'<text x="{x}" y="{y}">Ada</text>',
                ]
            )
        )
    namespace, attributes = "http://www.w3.org/2000/svg", 'width="100mm" height="100mm" viewBox="0 0 100 100"'
    choice = rng.randrange(10)
    mutation = "as made"
    if choice == 1:
        shapes[rng.randrange(len(shapes))] = (
            f'<g transform="{rng.choice(["scale", "translate", "rotate", "matrix"])}({", ".join(rng.choice(WEIRD_NUMBERS) for _ in range(rng.choice([1, 2, 6])))})">{shapes[0]}</g>'
        )
        mutation = "odd transform"
    elif choice == 2:
        attributes = f'width="{rng.choice(WEIRD_NUMBERS)}mm" height="{rng.choice(WEIRD_NUMBERS)}" viewBox="{" ".join(rng.choice(WEIRD_NUMBERS) for _ in range(4))}"'
        mutation = "odd size or viewBox"
    elif choice == 3:
        namespace, mutation = (
            rng.choice(["http://example.com/not-svg", "", "http://www.w3.org/1999/xlink"]),
            "another namespace",
        )
    elif choice == 4:
        depth = rng.choice([5, 40, 500])
        shapes, mutation = ["<g>" * depth + shapes[0] + "</g>" * depth], f"nested {depth} deep"
    elif choice == 5:
        shapes += (
            ['<g id="a"><use href="#b"/></g>', '<g id="b"><use href="#a"/></g>']
            if rng.random() < 0.5
            else ['<use id="c" href="#c"/>']
        )
        mutation = "a reference to itself"
    elif choice == 6:
        fan = rng.choice([3, 5, 8])
        levels = [f'<g id="l0">{shapes[0]}</g>'] + [f'<g id="l{i}">{USE.format(i - 1) * fan}</g>' for i in range(1, 8)]
        shapes, mutation = ["<defs>", *levels, "</defs>", '<use href="#l7"/>'], f"<use> fan-out {fan}^7"
    elif choice == 7:
        count = rng.choice([1000, 50_000, 200_000])
        points = " ".join(f"{50 + 40 * math.cos(i):.3f},{50 + 40 * math.sin(i * 1.0001):.3f}" for i in range(count))
        shapes, mutation = [f'<polygon points="{points}"/>'], f"{count}-point polygon"
    elif choice == 8:
        circles = rng.choice([500, 3000])
        shapes = [f'<circle cx="{(i % 60) * 1.6 + 1}" cy="{(i // 60) * 1.6 + 1}" r="0.6"/>' for i in range(circles)]
        mutation = f"{circles} circles"
    elif choice == 9:
        shapes = [s.replace('"', "'", 1) if rng.random() < 0.3 else s for s in shapes] + [
            '<path d="M 1 1 L"/>',
            '<path d="Z Z Z"/>',
            '<path d="M1e400 0 L 5 5"/>',
        ]
        mutation = "broken paths"
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return mutation, f"<svg{xmlns} {attributes}>{''.join(shapes)}</svg>".encode()


# --- running a case -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Laser:
    """The demo store's laser and the material its drawings are priced in."""

    profile: MachineProfile
    material: LaserMaterial


def run_case(case: Case, laser: Laser | None, limits: UploadLimits | None = None) -> Outcome:
    """One case the way an upload goes; internal errors are caught and counted, never raised."""
    limits = limits or UploadLimits()
    peak: list[float] = []
    started = time.monotonic()
    stages = [started]
    try:
        if case.fmt == "svg":
            drawing = CHECKS.run("drawing", (case.data, limits, (390.0, 290.0)), limits, peak)
            stages.append(time.monotonic())
            if laser is not None:
                laser_paths.laser_job(drawing.region, laser.material, laser.profile)
        else:
            CHECKS.run("mesh", (case.data, case.fmt, limits, Envelope(220, 220, 250), True, 1.0), limits, peak)
        kind, detail = "accepted", ""
    except DesignRejected as e:
        kind, detail = "refused", e.problems[0].code
    except Exception as e:  # what the fuzzer is looking for
        kind, detail = "internal error", f"{type(e).__name__}: {str(e)[:300]}"
    stages.append(time.monotonic())
    slowest = max(b - a for a, b in itertools.pairwise(stages))
    return Outcome(case, kind, stages[-1] - started, max(peak, default=0.0), detail, slowest)


def warm_up() -> None:
    """Start the checking process before the first case is timed, as a running server has it: its imports are no
    case's time."""
    tiny = b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="5" height="5"/></svg>'
    CHECKS.run("drawing", (tiny, UploadLimits(), None), UploadLimits())


def demo_laser() -> Laser:
    settings = load_settings(None)
    profile = next(m for m in load_machines(settings.machines_file).values() if m.kind.value == "laser_engraver")
    materials = load_laser_materials(settings.assets_dir / "laser_materials.toml")
    return Laser(profile, materials[profile.loaded_material])
