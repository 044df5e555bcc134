"""Renders a template with the OpenSCAD CLI: values through a parameter file, never `-D`; cached on disk."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.designs.catalog import Template
from app.designs.customizer import check_values
from app.designs.outline import check_fits
from app.designs.problems import DesignRejected, Problem, Severity
from app.i18n import t
from app.tool_runner import ToolTimeout, run_tool

OPENSCAD = "openscad"
PARAMETER_SET = "fabkiosk"
_FAILURE_MARKERS = (
    "ERROR:",
    "No top level geometry",
    "Current top level object is empty",
    "not a 3D object",
    "not a 2D object",
)


def render_template(
    template: Template, values: Mapping[str, Any], cache_dir: Path, timeout_s: float = 60.0
) -> tuple[Path, dict[str, str | float | bool]]:
    """Check the values, render (or take from cache) and return the output file and the checked values."""
    checked = check_values(list(template.parameters), values, template.undrawable, template.labels)
    key = render_key(template, checked)
    out_dir = cache_dir / "renders"
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / f"{template.id}-{key}.{template.output}"
    if output.exists():
        _check_outline(template, checked, output)
        return output, checked
    with tempfile.TemporaryDirectory(prefix="fabkiosk-scad-") as work:
        params_file = Path(work) / "params.json"
        params_file.write_text(json.dumps(_parameter_file(checked)), encoding="utf-8")
        partial = Path(work) / f"out.{template.output}"
        args = [
            OPENSCAD,
            "-o",
            str(partial),
            "-p",
            str(params_file),
            "-P",
            PARAMETER_SET,
            str(template.scad_path),
        ]
        try:
            result = run_tool(args, timeout_s, cwd=Path(work))
        except ToolTimeout as e:
            raise DesignRejected(
                [
                    Problem(
                        "render.timeout",
                        Severity.ERROR,
                        t(
                            "Making this design took too long ({seconds} s) and was stopped.",
                            seconds=f"{timeout_s:g}",
                        ),
                        t("Try smaller or simpler settings, or ask the staff for help."),
                    )
                ]
            ) from e
        log = result.stderr + result.stdout
        if result.returncode != 0 or any(m in log for m in _FAILURE_MARKERS) or not _has_content(partial):
            raise DesignRejected(
                [
                    Problem(
                        "render.failed",
                        Severity.ERROR,
                        t("This design could not be made with these settings."),
                        t("Try other settings, or ask the staff for help."),
                    )
                ]
            )
        os.replace(partial, output)  # atomic: a half-written render is never in the cache
    _check_outline(template, checked, output)
    return output, checked


def _check_outline(template: Template, checked: Mapping[str, Any], output: Path) -> None:
    """Text that left its part (the template's declared outline) is refused before anything is priced."""
    if template.outline is not None:
        check_fits(template.outline, checked, output, template.output)


def render_key(template: Template, checked: Mapping[str, Any]) -> str:
    """Cache key: template content and the checked parameter values."""
    payload = json.dumps({"template": template.content_hash, "values": checked}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def _parameter_file(checked: Mapping[str, str | float | bool]) -> dict[str, Any]:
    def as_data(value: str | float | bool) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return f"{value:.10g}"
        return value

    return {
        "fileFormatVersion": "1",
        "parameterSets": {PARAMETER_SET: {k: as_data(v) for k, v in checked.items()}},
    }


def _has_content(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 100
