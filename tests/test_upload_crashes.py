"""Files that used to crash the readers: each now ends in the readers' own plain refusal (or is read, where the
format allows it), one test per kind of damage."""

import io
import struct
import zipfile

import pytest
import trimesh

from app.config import UploadLimits
from app.designs.problems import DesignRejected
from app.designs.uploads import read_drawing, read_mesh
from tests.conftest import model_xml, threemf_bytes

LIMITS = UploadLimits()
CUBE = trimesh.creation.box((20, 20, 20))
GOOD_3MF = threemf_bytes(model_xml(CUBE))


def refusal(fmt: str, data: bytes) -> str:
    with pytest.raises(DesignRejected) as caught:
        read_drawing(data, LIMITS) if fmt == "svg" else read_mesh(data, fmt, LIMITS)
    problem = caught.value.problems[0]
    assert problem.action is not None and problem.render("de") != problem.render("en")
    return problem.code


def _model_entry() -> zipfile.ZipInfo:
    return zipfile.ZipFile(io.BytesIO(GOOD_3MF)).getinfo("3D/3dmodel.model")


def test_3mf_with_a_corrupt_deflate_stream() -> None:
    entry, data = _model_entry(), bytearray(GOOD_3MF)
    start = entry.header_offset + 30 + len(entry.filename) + len(entry.extra)
    for i in range(start + 5, start + 25):
        data[i] ^= 0x5A  # the compressed bytes themselves: zlib finds invalid code lengths
    assert refusal("3mf", bytes(data)) == "3mf.not_zip"


def test_3mf_whose_directory_points_before_the_archive() -> None:
    data = bytearray(GOOD_3MF)
    end = data.rindex(b"PK\x05\x06")
    (offset,) = struct.unpack_from("<I", data, end + 16)
    struct.pack_into("<I", data, end + 16, offset + 5000)  # every local header now lies 5000 bytes before the start
    assert refusal("3mf", bytes(data)) == "3mf.not_zip"


def test_3mf_whose_directory_asks_for_a_newer_zip_version() -> None:
    data = bytearray(GOOD_3MF)
    directory = data.index(b"PK\x01\x02")
    struct.pack_into("<H", data, directory + 6, 209)  # "version needed to extract": 20.9, found by the fuzzer
    assert refusal("3mf", bytes(data)) == "3mf.not_zip"


def test_3mf_with_a_twenty_digit_triangle_index() -> None:
    xml = model_xml(CUBE).replace('v1="0"', 'v1="99999999999999999999"', 1)
    assert refusal("3mf", threemf_bytes(xml)) == "3mf.bad_index"


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10mm" height="10mm" %s>%s</svg>'


@pytest.mark.parametrize(
    ("attributes", "body"),
    [
        (b"", b'<rect transform="scale(1e300)" width="5" height="5"/>'),
        (b"", b'<rect style="transform: scale(1e300)" width="5" height="5"/>'),
        (b'viewBox="0 0 1e-300 1e-300"', b'<rect width="5" height="5"/>'),
        (b"", b'<rect width="1e300" height="5"/>'),
    ],
)
def test_svg_with_numbers_near_the_float_limit(attributes: bytes, body: bytes) -> None:
    assert refusal("svg", SVG % (attributes, body)) in ("svg.too_large", "svg.bad_geometry")


def test_svg_whose_root_is_in_another_namespace() -> None:
    data = b'<svg xmlns="http://example.com/not-svg" width="10mm" height="10mm"><rect width="5" height="5"/></svg>'
    assert refusal("svg", data) == "svg.not_svg"


@pytest.mark.parametrize(
    "body",
    [
        b'<g id="a"><rect width="5" height="5"/><use href="#a"/></g>',
        b'<use id="a" href="#b"/><use id="b" href="#a"/><rect width="5" height="5"/>',
        b'<g id="a"><use xmlns:x="http://www.w3.org/1999/xlink" x:href="#a"/></g>',
    ],
)
def test_svg_with_a_shape_that_refers_to_itself(body: bytes) -> None:
    assert refusal("svg", SVG % (b"", body)) == "svg.circular_reference"


def test_obj_with_line_continuation_is_read() -> None:
    data = b"v 0 0 0\nv 10 0 0\nv 0 10 0\nv 0 0 \\\n 10\nf 1 2 \\\n 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n"
    raw = read_mesh(data, "obj", LIMITS)
    assert len(raw.faces) == 4 and raw.vertices[3].tolist() == [0, 0, 10]


def test_obj_damage_after_a_continuation_names_the_line_it_starts_on() -> None:
    data = b"v 0 0 0\nv 10 0 0\nv 0 10 0\nf 1 2 \\\n 3\nf 1 2 x\n"
    with pytest.raises(DesignRejected, match="line 6"):
        read_mesh(data, "obj", LIMITS)
