"""Rendering with the real OpenSCAD: parameters travel as data in a parameter file, with a timeout and a cache."""

import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import trimesh

from app.designs.catalog import load_catalog, load_template
from app.designs.openscad import render_template
from app.designs.problems import DesignRejected
from app.tool_runner import run_tool

TEMPLATES = Path(__file__).parent.parent / "assets" / "templates"

PROBE = """// A probe whose size shows what OpenSCAD received.
label = "x"; // 60
count = 3; // [1:100]
flag = true;
pick = "a"; // [a, b]
cube([len(label) + 1, count, flag ? 2 : 1]);
"""

FOREVER = """count = 1; // [1:2]
// 10^15 loop steps that keep nothing: runs for days in constant memory
x = [for (a = [0:99999]) for (b = [0:99999]) for (c = [0:99999]) if (a < 0) a];
cube(len(x) + count);
"""


def make_template(tmp_path: Path, name: str, source: str) -> Path:
    (tmp_path / f"{name}.scad").write_text(source)
    (tmp_path / f"{name}.toml").write_text(
        'title = { en = "Probe" }\ndesigner = { name = "Test", city = "Testdorf" }\n'
        'machine_kinds = ["fdm_printer"]\nfonts = ["Liberation Sans"]\n'
    )
    return tmp_path / f"{name}.toml"


@pytest.mark.parametrize("template_id", ["keychain", "phone_stand", "plant_tag", "name_sign"])
def test_every_shipped_template_renders_with_its_defaults(tmp_path: Path, template_id: str) -> None:
    template = load_catalog(TEMPLATES)[template_id]
    path, _ = render_template(template, {}, tmp_path)
    if template.output == "stl":
        mesh = trimesh.load(path, force="mesh")
        assert mesh.is_watertight and mesh.volume > 100
    else:
        assert b"<svg" in path.read_bytes() and b"<path" in path.read_bytes()


@pytest.mark.parametrize(
    "text",
    [
        '"); import("/etc/passwd"); //',
        "include </etc/passwd>",
        "use <../../x.scad>",
        '\\"; cube(1000); \\',
        '"; label = "',
        "échappé \\n",
    ],
)
def test_text_that_looks_like_code_is_drawn_not_run(tmp_path: Path, text: str) -> None:
    template = load_template(make_template(tmp_path, "probe", PROBE))
    path, checked = render_template(template, {"label": text, "count": "4", "flag": "false"}, tmp_path / "cache")
    size = trimesh.load(path, force="mesh").extents
    assert np.allclose(size, [len(text) + 1, 4, 1])  # OpenSCAD saw exactly the text, as a string
    assert checked["label"] == text


@pytest.mark.parametrize("values", [{"count": '4; import("/etc/passwd")'}, {"count": "1e9"}, {"pick": 'a"); x=("'}])
def test_code_in_numbers_and_choices_never_reaches_openscad(tmp_path: Path, values: dict) -> None:
    template = load_template(make_template(tmp_path, "probe", PROBE))
    with pytest.raises(DesignRejected):
        render_template(template, values, tmp_path / "cache")
    assert not (tmp_path / "cache" / "renders").exists() or not any((tmp_path / "cache" / "renders").iterdir())


def test_a_template_that_runs_forever_is_stopped(tmp_path: Path) -> None:
    template = load_template(make_template(tmp_path, "forever", FOREVER))
    started = time.monotonic()
    with pytest.raises(DesignRejected) as caught:
        render_template(template, {}, tmp_path / "cache", timeout_s=2)
    assert caught.value.problems[0].code == "render.timeout"
    assert time.monotonic() - started < 10
    assert "took too long" in caught.value.problems[0].render("en")


def test_same_values_render_once(tmp_path: Path) -> None:
    template = load_catalog(TEMPLATES)["keychain"]
    first, _ = render_template(template, {"name": "Mila"}, tmp_path)
    stamp = first.stat().st_mtime_ns
    second, _ = render_template(template, {"name": "Mila"}, tmp_path)
    assert second == first and second.stat().st_mtime_ns == stamp  # the cached file, not written again
    other, _ = render_template(template, {"name": "Milo"}, tmp_path)
    assert other != first


def test_external_tools_run_at_most_one_per_core() -> None:
    cores = os.cpu_count() or 1

    def one() -> None:
        run_tool([shutil.which("sleep") or "sleep", "0.3"], 10)

    threads = [threading.Thread(target=one) for _ in range(cores * 2)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started >= 0.55  # two rounds, not one
