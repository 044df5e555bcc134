"""The intake checks of a submitted template, run before anyone reviews it and before it reaches a machine.

What the pipeline does for a customer's quote is done here for the designer's template at its defaults and at the
corners of its parameter space: rendered from a fresh folder holding only the template (so nothing outside it can
be read), with the render budget; measured against the declared text area; checked against each machine kind's
envelope; sliced (printers) or turned into toolpaths (laser, router) with the store's own profiles. Nothing is
stored as a customer's design and nothing runs on a machine. Each result carries plain words in every language
and, where there is a render, a picture of it.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trimesh

from app.config import SUPPORTED_LANGUAGES
from app.designs.catalog import CatalogError, Template, template_from
from app.designs.customizer import BoolParam, ChoiceParam, NumberParam, Parameter, TextParam
from app.designs.fonts import STORE_FONTS, FontMissing, widest_letter
from app.designs.openscad import render_key, render_template
from app.designs.pictures import Pictures, mesh_picture
from app.designs.problems import DesignRejected, Problem, Severity
from app.i18n import Text, t
from app.pipeline import Design, Pipeline, new_id
from machine_adapters.profiles import MachineProfile

PICTURE_COLOUR = "#f28c28"
# OpenSCAD statements that read another file: `include <f>`, `use <f>`, `import("f")`, `surface(file = "f")`
_READS_A_FILE = re.compile(r"\b(?:(?P<lib>include|use)\s*<|(?P<call>import|surface)\s*\()")
_TEXT_LENGTH_NOTE = re.compile(r"""^\s*(?P<name>[A-Za-z_]\w*)\s*=\s*"(?:[^"\\]|\\.)*"\s*;\s*//\s*(?P<n>\d+)\s*$""")


@dataclass(frozen=True)
class IntakeResult:
    """One check at one corner: passed or not, in plain words, with a picture of the render where there is one."""

    check: str  # "template", "files", "bounds", "fonts", "budget", "render", "text_area", "fits", "makes"
    corner: str  # which settings: "defaults", "size = 120", "name = WWWWWWWWWWWW", "shape = square"; "" for the file
    passed: bool
    message: dict[str, str]  # language -> the message
    picture: str | None = None  # the picture's name under /media/pictures/<name>.svg
    code: str = ""

    def record(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "corner": self.corner,
            "passed": self.passed,
            "message": self.message,
            "picture": self.picture,
            "code": self.code,
        }

    @staticmethod
    def from_record(record: Mapping[str, Any]) -> IntakeResult:
        return IntakeResult(
            str(record["check"]),
            str(record["corner"]),
            bool(record["passed"]),
            dict(record["message"]),
            record.get("picture"),
            str(record.get("code", "")),
        )


@dataclass(frozen=True)
class Corner:
    label: str
    values: dict[str, str | float | bool]


@dataclass
class Intake:
    """The intake of the store's machines and tools: one per store, used from a worker thread."""

    pipeline: Pipeline
    pictures: Pictures
    render_budget_s: float
    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))

    def check(self, template_id: str, meta_toml: str, source: str) -> list[IntakeResult]:
        """Every intake check of the template; the renders at its corners in parallel within the tool slots."""
        with tempfile.TemporaryDirectory(prefix="fabkiosk-intake-") as folder:
            scad_path = Path(folder) / f"{template_id}.scad"  # alone in its folder: nothing beside it to read
            scad_path.write_text(source, encoding="utf-8")
            try:
                template = template_from(template_id, meta_toml, source, scad_path, template_id)
            except CatalogError as e:
                return [_failed("template", "", t("The template's details cannot be used: {why}", why=str(e)))]
            static = static_checks(template)
            if any(not r.passed for r in static):
                return static
            corners = corners_of(template)
            with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="intake-corner") as pool:
                results = list(pool.map(lambda c: self._corner(template, c), corners))
        return static + [r for corner in results for r in corner]

    def _corner(self, template: Template, corner: Corner) -> list[IntakeResult]:
        cache = self.pipeline.settings.cache_dir
        try:
            path, checked = render_template(template, corner.values, cache, self.render_budget_s)
        except DesignRejected as e:
            problem = e.problems[0]
            if problem.code == "design.text_outside":
                rendered = cache / "renders" / f"{template.id}-{render_key(template, corner.values)}.{template.output}"
                return [_failed("text_area", corner.label, _said(problem), self._picture(rendered), problem.code)]
            if problem.code == "render.timeout":
                message = t(
                    "Rendering took longer than the budget of {seconds} s and was stopped.",
                    seconds=f"{self.render_budget_s:g}",
                )
                return [_failed("budget", corner.label, message, code=problem.code)]
            message = t(
                "OpenSCAD could not make the template with these settings. Open it in OpenSCAD with the same "
                "settings to see why."
            )
            return [_failed("render", corner.label, message, code=problem.code)]
        picture = self._picture(path)
        said = t("Rendered and inside its text area.") if template.outline else t("Rendered.")
        results = [_passed("render", corner.label, said, picture)]
        design = Design(new_id(), "template", template.output, path, template.title_in("en"), template, checked)
        for kind in template.machine_kinds:
            machine = self._machine_of(kind)
            if machine is None:
                results.append(_failed("fits", corner.label, t("This store has no {kind} to check on.", kind=kind)))
                continue
            results.extend(self._on_machine(design, machine, corner.label, picture))
        return results

    def _on_machine(
        self, design: Design, machine: MachineProfile, corner: str, picture: str | None
    ) -> list[IntakeResult]:
        """Fits the machine (the checks a customer's part gets), then sliced or given toolpaths."""
        pipeline = self.pipeline
        try:
            part = pipeline.part_for(design, machine.id)
        except DesignRejected as e:
            return [_failed("fits", corner, _said(e.problems[0]), picture, e.problems[0].code)]
        errors = [p for p in part.problems if p.severity is Severity.ERROR]
        if errors:
            return [_failed("fits", corner, _said(errors[0]), picture, errors[0].code)]
        fits = _passed("fits", corner, t("Fits the {machine}.", machine=machine.name), picture)
        try:
            pipeline.plan_for(part, machine.id)
        except DesignRejected as e:
            how = t("Slicing failed") if machine.kind.value == "fdm_printer" else t("No toolpaths could be made")
            said = {lang: f"{how.render(lang)}: {e.problems[0].render(lang)}" for lang in SUPPORTED_LANGUAGES}
            return [fits, IntakeResult("makes", corner, False, said, picture, e.problems[0].code)]
        made = t("Sliced for the printer.") if machine.kind.value == "fdm_printer" else t("Toolpaths made.")
        return [fits, _passed("makes", corner, made, picture)]

    def _machine_of(self, kind: str) -> MachineProfile | None:
        return next((m for m in self.pipeline.machines.values() if m.kind.value == kind), None)

    def _picture(self, rendered: Path) -> str | None:
        """A picture of a render (a drawing is its own picture), kept where /media/pictures serves it."""
        if not rendered.exists():
            return None
        if rendered.suffix == ".svg":
            return self.pictures.keep(rendered.read_bytes())
        mesh = trimesh.load_mesh(rendered, file_type="stl")  # our own render, not a customer's file
        return self.pictures.keep(mesh_picture(mesh, PICTURE_COLOUR).encode("utf-8"))


class IntakePipeline(Pipeline):
    """The customer's pipeline for checking a designer's template: the same checks, slicer and toolpaths, but
    nothing is written as a customer's design, part, plan or quote."""

    def _store(self, row: Any) -> None:
        return None


def static_checks(template: Template) -> list[IntakeResult]:
    """What is refused before anything renders: no parameters, files read from outside, unbounded settings,
    fonts the store does not have."""
    results: list[IntakeResult] = []
    if not template.parameters:
        results.append(
            _failed(
                "template",
                "",
                t("No settings were found. Write them as customizer settings: name = value; // [min:step:max]"),
            )
        )
    for number, line in _code_lines(template.source):
        found = _READS_A_FILE.search(line)
        if found:
            word = found.group("lib") or found.group("call")
            results.append(
                _failed(
                    "files",
                    "",
                    t(
                        "Line {line} uses '{word}': a template may not read other files. Put everything it needs "
                        "into this one file.",
                        line=number,
                        word=word,
                    ),
                    code=f"files.{word}",
                )
            )
    declared = {m.group("name") for m in map(_TEXT_LENGTH_NOTE.match, template.source.splitlines()) if m}
    for param in template.parameters:
        if isinstance(param, NumberParam) and not param.is_slider:
            results.append(
                _failed(
                    "bounds",
                    param.name,
                    t(
                        "The setting '{name}' has no lowest and highest value. Write them after it, e.g. // [1:1:10].",
                        name=param.name,
                    ),
                    code="bounds.number",
                )
            )
        if isinstance(param, TextParam) and param.name not in declared:
            results.append(
                _failed(
                    "bounds",
                    param.name,
                    t(
                        "The text '{name}' has no longest length. Write it after it, e.g. // 12.",
                        name=param.name,
                    ),
                    code="bounds.text",
                )
            )
    for font in template.fonts:
        if font not in STORE_FONTS:
            results.append(
                _failed(
                    "fonts",
                    "",
                    t(
                        "The font '{font}' is not one the store offers: {fonts}.",
                        font=font,
                        fonts=", ".join(STORE_FONTS),
                    ),
                    code="fonts.unknown",
                )
            )
    if not results:
        results.append(_passed("template", "", t("The template reads only itself and every setting has bounds.")))
    return results


def corners_of(template: Template) -> list[Corner]:
    """The defaults, and from them one setting at a time: each number at its lowest and highest, each text at its
    longest in the widest letter of the template's widest font, each choice, each switch the other way."""
    defaults: dict[str, str | float | bool] = {p.name: p.default for p in template.parameters}
    corners = [Corner("defaults", dict(defaults))]

    def add(param: Parameter, value: str | float | bool, shown: str) -> None:
        if value != defaults[param.name]:
            corners.append(Corner(f"{param.name} = {shown}", {**defaults, param.name: value}))

    for param in template.parameters:
        if isinstance(param, NumberParam) and param.minimum is not None and param.maximum is not None:
            add(param, param.minimum, f"{param.minimum:g}")
            add(param, param.maximum, f"{param.maximum:g}")
        elif isinstance(param, TextParam):
            longest = _longest_text(template, param)
            add(param, longest, longest)
        elif isinstance(param, ChoiceParam):
            for value in param.values:
                add(param, value, str(value))
        elif isinstance(param, BoolParam):
            add(param, not param.default, "true" if not param.default else "false")
    return corners


def _longest_text(template: Template, param: TextParam) -> str:
    """The longest text in the letter the template's fonts draw widest (the widest of its fonts' widest)."""
    letters: list[str] = []
    for font in template.fonts:
        try:
            letters.append(widest_letter(font))
        except FontMissing:
            continue
    letter = max(letters, key=letters.count) if letters else "W"
    return letter * param.max_length


def _code_lines(source: str) -> list[tuple[int, str]]:
    """The source's lines with comments and string contents blanked out (a word in a comment reads nothing)."""
    code = re.sub(r'"(?:[^"\\\n]|\\.)*"', lambda m: '"' + " " * (len(m.group()) - 2) + '"', source)
    code = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), code, flags=re.DOTALL)
    code = re.sub(r"//[^\n]*", "", code)
    return list(enumerate(code.splitlines(), start=1))


def _said(problem: Problem) -> Text | dict[str, str]:
    return {lang: problem.render(lang) for lang in SUPPORTED_LANGUAGES}


def _words(message: Text | dict[str, str]) -> dict[str, str]:
    return dict(message) if isinstance(message, dict) else {lang: message.render(lang) for lang in SUPPORTED_LANGUAGES}


def _failed(
    check: str, corner: str, message: Text | dict[str, str], picture: str | None = None, code: str = ""
) -> IntakeResult:
    return IntakeResult(check, corner, False, _words(message), picture, code or check)


def _passed(check: str, corner: str, message: Text, picture: str | None = None) -> IntakeResult:
    return IntakeResult(check, corner, True, _words(message), picture, check)


def intake_passed(results: list[IntakeResult]) -> bool:
    return bool(results) and all(r.passed for r in results)
