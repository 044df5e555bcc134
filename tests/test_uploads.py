"""Customer files: every malformed, hostile or absurd upload ends in a clear message, never a crash or a hang."""

import io
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.config import UploadLimits
from app.designs.checks import check_part
from app.designs.problems import DesignRejected
from app.designs.uploads import display_name, read_drawing, read_mesh, store_upload
from machine_adapters.profiles import Envelope
from tests.conftest import ascii_stl, model_xml, stl_bytes, threemf_bytes

LIMITS = UploadLimits()
BED = Envelope(220, 220, 250)
CUBE = trimesh.creation.box((20, 20, 20))


def rejected(fmt: str, data: bytes, limits: UploadLimits = LIMITS) -> tuple[str, str]:
    with pytest.raises(DesignRejected) as caught:
        raw = read_mesh(data, fmt, limits) if fmt != "svg" else read_drawing(data, limits)
        if fmt != "svg":
            check_part(raw, BED, lay_flat=True)
    problem = caught.value.problems[0]
    assert problem.action is not None and problem.render("de") != problem.render("en")
    return problem.code, problem.render("en")


# --- the formats we accept ----------------------------------------------------------------------


def test_binary_and_ascii_stl_give_the_same_part() -> None:
    triangles = CUBE.triangles
    text = ascii_stl([[tuple(str(c) for c in v) for v in tri] for tri in triangles])
    binary = read_mesh(stl_bytes(CUBE), "stl", LIMITS)
    ascii_ = read_mesh(text, "stl", LIMITS)
    assert np.allclose(binary.vertices, ascii_.vertices)
    assert check_part(ascii_, BED, lay_flat=True).volume_mm3 == pytest.approx(8000)


def test_binary_stl_whose_header_starts_with_solid_is_read_as_binary() -> None:
    data = bytearray(stl_bytes(CUBE))
    data[:5] = b"solid"
    assert len(read_mesh(bytes(data), "stl", LIMITS).faces) == 12


def test_3mf_with_units_and_placement() -> None:
    xml = model_xml(CUBE, unit="centimeter").replace(
        '<item objectid="1"/>', '<item objectid="1" transform="1 0 0 0 1 0 0 0 1 5 5 5"/>'
    )
    raw = read_mesh(threemf_bytes(xml), "3mf", LIMITS)
    assert np.allclose(raw.vertices.max(axis=0) - raw.vertices.min(axis=0), [200, 200, 200])


def test_3mf_found_through_its_relationships_file() -> None:
    rels = (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Target="/3D/other.model" Id="r0" '
        'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>'
    )
    data = threemf_bytes(model_xml(CUBE), {"_rels/.rels": rels.encode()}, name="3D/other.model")
    assert len(read_mesh(data, "3mf", LIMITS).faces) == 12


def test_obj_with_quads_and_negative_indices() -> None:
    data = b"v 0 0 0\nv 10 0 0\nv 10 10 0\nv 0 10 0\nv 5 5 10\nf 1 2 3 4\nf -5/1/1 -4//2 -1\n"
    raw = read_mesh(data, "obj", LIMITS)
    assert raw.faces.tolist() == [[0, 1, 2], [0, 2, 3], [0, 1, 4]]


# --- bad input: each with its message -----------------------------------------------------------


def test_empty_file() -> None:
    assert rejected("stl", b"")[0] == "file.empty"


def test_random_bytes_named_stl() -> None:
    data = os.urandom(3000)
    assert rejected("stl", data)[0] in {"stl.length_mismatch", "stl.not_stl"}


def test_truncated_binary_stl() -> None:
    code, message = rejected("stl", stl_bytes(CUBE)[:-30])
    assert code == "stl.length_mismatch" and "cut off" in message


def test_header_claiming_a_billion_triangles() -> None:
    data = b"\0" * 80 + struct.pack("<I", 1_000_000_000) + stl_bytes(CUBE)[84:]
    code, message = rejected("stl", data)
    assert code == "stl.length_mismatch" and "1000000000" not in message and "announces" not in message


def test_triangle_cap_is_checked_before_memory_is_spent() -> None:
    limits = UploadLimits(max_triangles=100)
    sphere = trimesh.creation.icosphere(subdivisions=3)
    assert rejected("stl", stl_bytes(sphere), limits)[0] == "mesh.too_many_triangles"


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-inf"])
def test_ascii_stl_with_nan_or_infinite_coordinates(bad: str) -> None:
    data = ascii_stl([[("0", "0", "0"), ("1", "0", "0"), (bad, "1", "0")]])
    assert rejected("stl", data)[0] == "mesh.not_finite"


def test_ascii_stl_with_huge_coordinates() -> None:
    data = ascii_stl([[("0", "0", "0"), ("1e30", "0", "0"), ("0", "1", "0")]])
    assert rejected("stl", data)[0] == "mesh.coordinates_huge"


def test_ascii_stl_with_words_for_numbers() -> None:
    data = ascii_stl([[("0", "0", "0"), ("one", "0", "0"), ("0", "1", "0")]])
    assert rejected("stl", data)[0] == "stl.bad_number"


def test_3mf_zip_bomb() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("3D/3dmodel.model", b"<" + b" " * 300_000_000)
    assert len(buffer.getvalue()) < 1_000_000
    assert rejected("3mf", buffer.getvalue())[0] == "3mf.too_large_unpacked"


def test_3mf_entry_lying_about_its_size_is_read_no_further_than_the_cap() -> None:
    limits = UploadLimits(max_zip_entry_bytes=10_000, max_zip_ratio=10_000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("3D/3dmodel.model", b"<" + b" " * 50_000)
    data = bytearray(buffer.getvalue())
    # shrink the uncompressed size written in the central directory, as a hostile archive would
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 100)
    code, _ = rejected("3mf", bytes(data), limits)
    assert code in {"3mf.too_large_unpacked", "3mf.not_zip"}


@pytest.mark.parametrize("name", ["../evil.model", "/abs/3dmodel.model", "3D/../../x", "C:/x.model", "3D\\..\\x"])
def test_3mf_with_unsafe_names(name: str) -> None:
    data = threemf_bytes(model_xml(CUBE), {name: b"x"})
    assert rejected("3mf", data)[0] == "3mf.unsafe_name"


def test_3mf_with_too_many_entries() -> None:
    data = threemf_bytes(model_xml(CUBE), {f"Metadata/{i}.txt": b"x" for i in range(100)})
    assert rejected("3mf", data)[0] == "3mf.too_many_entries"


def test_3mf_xml_entity_bomb() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        '<model xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">&lol3;</model>'
    )
    assert rejected("3mf", threemf_bytes(bomb))[0] == "3mf.unsafe_xml"


def test_3mf_external_entity() -> None:
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<model xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">&x;</model>'
    )
    assert rejected("3mf", threemf_bytes(xxe))[0] == "3mf.unsafe_xml"


def test_3mf_that_is_not_a_zip() -> None:
    assert rejected("3mf", b"PK\x03\x04 not really")[0] == "3mf.not_zip"


def test_3mf_with_triangle_pointing_nowhere() -> None:
    xml = model_xml(CUBE).replace('v1="0"', 'v1="999"', 1)
    assert rejected("3mf", threemf_bytes(xml))[0] == "3mf.bad_index"


def test_obj_with_out_of_range_indices() -> None:
    code, message = rejected("obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 7\n")
    assert code == "obj.bad_index" and "line 4" in message


def test_obj_with_zero_index() -> None:
    assert rejected("obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n")[0] == "obj.bad_index"


def test_a_part_a_kilometre_long() -> None:
    rod = trimesh.creation.box((1_000_000, 10, 10))
    code, message = rejected("stl", stl_bytes(rod))
    assert code == "size.does_not_fit" and "1000000" in message


def test_a_part_a_micrometre_long() -> None:
    speck = trimesh.creation.box((0.001, 0.001, 0.001))
    assert rejected("stl", stl_bytes(speck))[0] == "size.too_small"


def test_file_of_unknown_type() -> None:
    with pytest.raises(DesignRejected) as caught:
        store_upload(b"hello", "virus.exe", Path("/nonexistent"), LIMITS)
    assert caught.value.problems[0].code == "file.unknown_format"


def test_file_over_the_size_cap() -> None:
    with pytest.raises(DesignRejected) as caught:
        read_mesh(b"x" * 2000, "stl", UploadLimits(max_file_bytes=1024))
    assert caught.value.problems[0].code == "file.too_large"


# --- SVG ----------------------------------------------------------------------------------------


def test_svg_with_geometry_is_measured_in_millimetres() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="50mm" viewBox="0 0 100 50">'
        b'<rect x="10" y="10" width="80" height="30"/></svg>'
    )
    drawing = read_drawing(svg, LIMITS)
    assert drawing.width_mm == pytest.approx(80, abs=0.5) and drawing.height_mm == pytest.approx(30, abs=0.5)
    assert drawing.area_mm2 == pytest.approx(2400, rel=0.01)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "file.empty"),
        (b"<svg", "svg.bad_xml"),
        (b"<html/>", "svg.not_svg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "svg.no_geometry"),
        (
            b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg">&b;</svg>',
            "svg.unsafe_xml",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="99999" height="10"/></svg>', "svg.too_large"),
    ],
)
def test_bad_svg(data: bytes, code: str) -> None:
    assert rejected("svg", data)[0] == code


# --- names and storage --------------------------------------------------------------------------


def test_customer_filename_is_display_text_and_never_a_path(tmp_path: Path) -> None:
    path, fmt, shown = store_upload(stl_bytes(CUBE), "../../etc/<b>Anna's</b>\x00.stl", tmp_path, LIMITS)
    assert path.parent == tmp_path and fmt == "stl"
    assert path.name != shown and len(path.stem) == 32 and set(path.stem) <= set("0123456789abcdef")
    assert "/" not in shown and "\x00" not in shown
    assert display_name("C:\\Users\\x\\part.STL") == "part.STL"
    assert not list(tmp_path.glob("*.part"))  # nothing half-written left behind


# --- property: mutated STL bytes never crash the reader ----------------------------------------

SMALL = stl_bytes(trimesh.creation.icosphere(subdivisions=1, radius=10))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flips=st.lists(st.tuples(st.integers(0, len(SMALL) - 1), st.integers(0, 255)), max_size=20),
    cut=st.integers(0, len(SMALL)),
)
def test_mutated_stl_is_either_read_or_rejected_plainly(flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(SMALL)
    for position, value in flips:
        data[position] = value
    data = data[:cut] if cut < len(SMALL) // 2 else data
    try:
        check = check_part(read_mesh(bytes(data), "stl", LIMITS), BED, lay_flat=True)
    except DesignRejected as e:
        assert e.problems and all(p.render("de") for p in e.problems)
        return
    assert BED.fits(check.size)
