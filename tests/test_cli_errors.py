"""The command line tells a refusal (exit 1, the reason) from an error of ours (exit 70, one line, the traceback in
the log)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the fabkiosk command as a real process

ROOT = Path(__file__).parent.parent


def fabkiosk(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)},
    )


def test_an_internal_error_exits_70_with_one_line_and_the_traceback_in_the_log(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "cache").mkdir(parents=True)
    (data / "cache" / "renders").write_text("a file where the render folder belongs")
    result = fabkiosk(tmp_path, "quote", "--data-dir", str(data), "--template", "keychain")
    assert result.returncode == 70, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "internal error (FileExistsError)" in result.stderr
    log = (data / "logs" / "fabkiosk-cli.log").read_text()
    assert "Traceback" in log and "FileExistsError" in log and str(log).count("internal error") == 1


def test_a_refused_design_keeps_exit_1(tmp_path: Path) -> None:
    model = tmp_path / "broken.stl"
    model.write_bytes(b"solid x\nfacet normal 0 0 0\nouter loop\nvertex 0 0 zero\nendloop\nendfacet\nendsolid x\n")
    result = fabkiosk(tmp_path, "quote", "--data-dir", str(tmp_path / "data"), str(model))
    assert result.returncode == 1, result.stderr
    assert "not a number" in result.stderr and "Traceback" not in result.stderr
