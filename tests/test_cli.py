"""The `fabkiosk` command as a store owner runs it: quotes for templates and files, clear errors, exit codes."""

import subprocess
import sys
from pathlib import Path

import pytest
import trimesh

from tests.conftest import model_xml, obj_bytes, stl_bytes, threemf_bytes

pytestmark = pytest.mark.slow  # the fabkiosk command as a real process


def fabkiosk(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)},
    )


def quote(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return fabkiosk(tmp_path, "quote", "--data-dir", str(tmp_path / "data"), *args)


@pytest.mark.parametrize("template", ["keychain", "phone_stand", "plant_tag", "name_sign"])
def test_quote_for_every_template(tmp_path: Path, template: str) -> None:
    result = quote(tmp_path, "--template", template)
    assert result.returncode == 0, result.stderr
    assert "Price: €" in result.stdout and "Estimated time:" in result.stdout


def test_quote_with_parameters_in_german(tmp_path: Path) -> None:
    result = quote(
        tmp_path,
        "--template",
        "keychain",
        "--param",
        "name=Anna",
        "--param",
        "text_size=10",
        "--lang",
        "de",
        "--material",
        "PETG",
    )
    assert result.returncode == 0, result.stderr
    assert "Preis:" in result.stdout and "€" in result.stdout and "PETG" in result.stdout


@pytest.mark.parametrize("suffix", ["stl", "3mf", "obj"])
def test_quote_for_an_uploaded_file(tmp_path: Path, suffix: str) -> None:
    mesh = trimesh.creation.box((30, 20, 10))
    path = tmp_path / f"part.{suffix}"
    writers = {"stl": stl_bytes, "3mf": lambda m: threemf_bytes(model_xml(m)), "obj": obj_bytes}
    path.write_bytes(writers[suffix](mesh))
    result = quote(tmp_path, str(path), "--machine", "printer-1")
    assert result.returncode == 0, result.stderr
    assert "30.0 × 20.0 × 10.0 mm" in result.stdout


def test_bad_parameter_exits_non_zero_with_the_reason(tmp_path: Path) -> None:
    result = quote(tmp_path, "--template", "keychain", "--param", "text_size=99")
    assert result.returncode == 1
    assert "'Letter height in mm' must be between 6 and 14" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_file_exits_non_zero_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "broken.stl"
    path.write_bytes(b"\x00" * 500)
    result = quote(tmp_path, str(path))
    assert result.returncode == 1 and "damaged" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--template", "keychain", "--param", "oops"], "--param takes NAME=VALUE"),
        (["/no/such/file.stl"], "There is no file at /no/such/file.stl"),
        ([], "give either a model file or --template NAME"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = quote(tmp_path, *args)
    assert result.returncode == 2 and message in result.stderr


def test_bad_config_stops_the_start_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "fabkiosk.toml").write_text("[prices]\ncurrency = 5\n")
    result = fabkiosk(tmp_path, "templates")
    assert result.returncode == 2 and "prices.currency" in result.stderr


def test_templates_lists_parameters(tmp_path: Path) -> None:
    result = fabkiosk(tmp_path, "templates")
    assert result.returncode == 0
    assert "keychain: Name keychain — Lena Vogt, Leipzig" in result.stdout
    assert "text_size: number 6..14 step 0.5" in result.stdout
