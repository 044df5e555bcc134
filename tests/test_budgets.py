"""Budgets: every input is decided within its time and memory, small hostile files are refused while they are read
(before the work they stand for), and the heavy checks' process can run out of memory or time without harm."""

import math
import time
from dataclasses import replace
from pathlib import Path

import pytest
import trimesh

from app.config import UploadLimits, load_settings
from app.designs.check_process import CHECKS
from app.designs.isolated_checks import CheckedMesh
from app.designs.problems import DesignRejected
from app.designs.svg import read_svg
from app.designs.uploads import read_drawing, read_mesh
from machine_adapters.profiles import Envelope
from tests.conftest import stl_bytes, threemf_bytes

LIMITS = UploadLimits()
# Speed is measured in bench/fuzz.py. Here a deadline wide enough for a busy test machine (the suite runs on two
# workers) and still below what the quadratic work took before on a quiet one (56 s to 231 s).
ROOMY = replace(LIMITS, stage_seconds=45)
BED = Envelope(220, 220, 250)
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}">{body}</svg>'


def refused_within(seconds: float, read: object, *args: object) -> str:
    """The reader refuses within `seconds` of this thread's own CPU time: what it spent, not what threads left
    running by other tests in this worker process spent meanwhile (process time counts those too)."""
    started = time.thread_time()
    with pytest.raises(DesignRejected) as caught:
        read(*args)  # type: ignore[operator]
    assert time.thread_time() - started < seconds
    problem = caught.value.problems[0]
    assert problem.action is not None and problem.render("de") != problem.render("en")
    return problem.code


def test_copies_of_an_object_of_corners_without_triangles_are_charged_before_they_are_placed() -> None:
    corners = "".join(f'<vertex x="{i}" y="0" z="0"/>' for i in range(20_000))
    items = '<item objectid="2"/>' * 10_000
    xml = (
        '<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"><resources>'
        f'<object id="1" type="model"><mesh><vertices>{corners}</vertices><triangles/></mesh></object>'
        '<object id="2" type="model"><components><component objectid="1"/></components></object>'
        f"</resources><build>{items}</build></model>"
    )
    assert refused_within(5, read_mesh, threemf_bytes(xml), "3mf", LIMITS) == "budget.vertices"


ITEM = '<item objectid="1"/>'


def test_a_3mf_copied_more_often_than_allowed_is_refused() -> None:
    cube = trimesh.creation.box((5, 5, 5))
    vertices = "".join(f'<vertex x="{x}" y="{y}" z="{z}"/>' for x, y, z in cube.vertices)
    triangles = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in cube.faces)
    xml = (
        '<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"><resources>'
        f'<object id="1" type="model"><mesh><vertices>{vertices}</vertices><triangles>{triangles}</triangles>'
        f"</mesh></object></resources><build>{ITEM * 101}</build></model>"
    )
    assert refused_within(5, read_mesh, threemf_bytes(xml), "3mf", UploadLimits(max_instances=100)) == (
        "budget.instances"
    )
    assert len(read_mesh(threemf_bytes(xml), "3mf", LIMITS).faces) == 101 * 12


def test_a_cylinder_of_15000_sides_is_checked_within_the_budget() -> None:
    cylinder = trimesh.creation.cylinder(radius=40, height=10, sections=15_000)
    # within the memory budget (the checking process's limit) and a roomy deadline
    checked: CheckedMesh = CHECKS.run("mesh", (stl_bytes(cylinder), "stl", ROOMY, BED, True, 1.0), ROOMY)
    part = checked.part_check()
    assert part.size == pytest.approx((80, 80, 10)) and part.unchanged


def test_3000_circles_are_filled_within_the_budget() -> None:
    body = "".join(f'<circle cx="{(i % 60) * 3 + 2}" cy="{(i // 60) * 3 + 2}" r="1"/>' for i in range(3000))
    drawing = read_drawing(SVG.format(w=200, h=200, body=body).encode(), ROOMY)  # past its deadline: refused
    assert drawing.area_mm2 == pytest.approx(3000 * math.pi, rel=0.02)
    assert (drawing.width_mm, drawing.height_mm) == pytest.approx((179, 149), abs=0.1)


def test_even_odd_holds_over_the_whole_drawing() -> None:
    # a square with a smaller one inside (a frame) and a dot in the middle of the frame's hole
    body = (
        '<rect width="30" height="30"/><rect x="5" y="5" width="20" height="20"/>'
        '<rect x="13" y="13" width="4" height="4"/>'
    )
    drawing = read_drawing(SVG.format(w=40, h=40, body=body).encode(), LIMITS)
    assert drawing.area_mm2 == pytest.approx(900 - 400 + 16, rel=1e-4)


def test_a_use_fan_out_of_5_to_the_7th_is_refused_before_it_is_expanded() -> None:
    levels = ['<g id="l0"><rect width="1" height="1"/></g>']
    for level in range(1, 8):
        uses = "".join(f'<use href="#l{level - 1}" x="{i}"/>' for i in range(5))
        levels.append(f'<g id="l{level}">{uses}</g>')
    data = SVG.format(w=10, h=10, body="<defs>" + "".join(levels) + '</defs><use href="#l7"/>').encode()
    assert len(data) < 2000
    assert refused_within(3, read_drawing, data, LIMITS) == "budget.elements"


def test_a_300000_point_polygon_is_refused_before_it_is_parsed() -> None:
    n = 300_000
    points = " ".join(f"{50 + 40 * math.cos(2 * math.pi * i / n):.3f},{50 + 40 * math.sin(i):.3f}" for i in range(n))
    data = SVG.format(w=100, h=100, body=f'<polygon points="{points}"/>').encode()
    assert refused_within(3, read_drawing, data, LIMITS) == "budget.points"


def test_nesting_deeper_than_allowed_is_refused() -> None:
    body = "<g>" * 200 + '<rect width="5" height="5"/>' + "</g>" * 200
    assert refused_within(3, read_drawing, SVG.format(w=10, h=10, body=body).encode(), LIMITS) == "budget.nesting"


def test_a_drawing_far_too_big_for_the_machine_is_refused_before_its_region_is_worked_out() -> None:
    body = "".join(f'<circle cx="{(i % 35) * 25 + 5}" cy="{(i // 35) * 25 + 5}" r="3"/>' for i in range(700))
    data = SVG.format(w=900, h=520, body=body).encode()
    assert refused_within(3, read_svg, data, LIMITS, (390.0, 290.0)) == "size.does_not_fit"


def test_a_check_that_needs_more_memory_than_allowed_is_refused_and_the_server_carries_on() -> None:
    sphere = stl_bytes(trimesh.creation.icosphere(subdivisions=7, radius=50))  # 330,000 triangles
    small = UploadLimits(memory_mb=200)
    with pytest.raises(DesignRejected) as caught:
        CHECKS.run("mesh", (sphere, "stl", small, BED, True, 1.0), small)
    assert caught.value.problems[0].code == "budget.memory"
    cube = stl_bytes(trimesh.creation.box((20, 20, 20)))
    assert CHECKS.run("mesh", (cube, "stl", small, BED, True, 1.0), small).volume_mm3 == pytest.approx(8000)


def test_a_check_past_its_deadline_is_stopped_and_refused() -> None:
    sphere = stl_bytes(trimesh.creation.icosphere(subdivisions=7, radius=50))
    hurried = UploadLimits(stage_seconds=0.1)  # far less than checking 330,000 triangles takes on any machine
    started = time.monotonic()
    with pytest.raises(DesignRejected) as caught:
        CHECKS.run("mesh", (sphere, "stl", hurried, BED, True, 1.0), hurried)
    assert caught.value.problems[0].code == "budget.time"
    assert time.monotonic() - started < 0.1 + 1 + 4  # the deadline, the grace, and time to kill it on a busy machine
    cube = stl_bytes(trimesh.creation.box((20, 20, 20)))
    assert CHECKS.run("mesh", (cube, "stl", LIMITS, BED, True, 1.0), LIMITS).volume_mm3 == pytest.approx(8000)


def test_the_store_sets_its_budgets_in_the_settings_file(tmp_path: Path) -> None:
    config = tmp_path / "fabkiosk.toml"
    config.write_text("[uploads]\nmax_path_points = 5000\nstage_seconds = 4\nmemory_mb = 300\nmax_instances = 50\n")
    limits = load_settings(config, data_dir=str(tmp_path)).uploads
    assert (limits.max_path_points, limits.stage_seconds, limits.memory_mb, limits.max_instances) == (5000, 4, 300, 50)
