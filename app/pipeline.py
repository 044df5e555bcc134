"""From design source to price: Design -> Part -> Plan -> Quote, each step stored.

Blocking and CPU-heavy (OpenSCAD, trimesh, PrusaSlicer): pages call it through the design-work queue
(`app/design_queue.py`).

Longer than 400 lines because the four steps share their cache keys and stored rows; the checks, slicing and
toolpaths they call live in app/designs/ and app/production/.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.designs.catalog import Template
from app.designs.check_process import CHECKS
from app.designs.checks import PartCheck
from app.designs.mesh_formats import RawMesh
from app.designs.openscad import render_template
from app.designs.preview import write_preview
from app.designs.problems import DesignRejected, Problem, Severity, reject
from app.designs.svg import SvgDesign, drawing_does_not_fit
from app.designs.uploads import DRAWING_FORMATS, check_size, read_mesh, store_upload
from app.i18n import t
from app.models import DesignRow, PartRow, PlanRow, QuoteRow
from app.production import cnc_paths, laser_paths
from app.production.cnc import CncMaterial
from app.production.laser import LaserMaterial
from app.production.programs import load_program
from app.production.quotes import Quote, QuoteInput, quote_for
from app.production.slicer import SlicedProgram, profile_files, slice_part
from app.production.toolpaths import MARGIN_MM
from machine_adapters.gcode import ProgramRejected
from machine_adapters.profiles import MachineKind, MachineProfile

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)
_PREVIEWS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fabkiosk-preview")
_SLICES = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fabkiosk-early-slice")


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Design:
    id: str
    source: str  # "template" or "upload"
    geometry_format: str  # "stl", "3mf", "obj" or "svg"
    geometry_path: Path
    display_name: str
    template: Template | None = None
    values: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Part:
    id: str
    design_id: str
    machine_id: str
    geometry_path: Path  # placed STL for printers, the SVG for engravers
    preview_path: Path | None
    size: tuple[float, float, float]
    volume_mm3: float
    triangles: int
    problems: tuple[Problem, ...]
    content_hash: str  # sha256 of the geometry file: names the programs made from it
    unchanged: bool = False  # same shape and orientation as the uploaded file, only moved
    drawing: SvgDesign | None = None  # for 2-D designs: the region the engraver's toolpaths are made from


@dataclass(frozen=True)
class Plan:
    id: str
    part_id: str
    machine_id: str
    material: str
    program_path: Path | None
    estimated_seconds: int
    material_grams: float
    sheet_cm2: float
    layers: int


@dataclass(frozen=True)
class _EarlySlice:
    future: Future[SlicedProgram]
    cancel: threading.Event


@dataclass(frozen=True)
class QuoteResult:
    design: Design
    part: Part
    plan: Plan
    quote: Quote
    quote_id: str


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        machines: Mapping[str, MachineProfile],
        catalog: Mapping[str, Template],
        laser_materials: Mapping[str, LaserMaterial],
        cnc_materials: Mapping[str, CncMaterial],
        sessions: sessionmaker[Session],
        clock: Clock = utc_now,
    ) -> None:
        self.settings = settings
        self.machines = machines
        self.catalog = catalog
        self.laser_materials = laser_materials
        self.cnc_materials = cnc_materials
        # what each machine has loaded; the store's staff change it at run time (see app/machine_settings.py)
        self.loaded_material: Callable[[str], str] = lambda machine_id: self.machines[machine_id].loaded_material
        self.sessions = sessions
        self.clock = clock

    # --- whole journeys --------------------------------------------------------------------

    def quote_template(
        self, template_id: str, values: Mapping[str, Any], machine_id: str, material: str | None = None
    ) -> QuoteResult:
        design = self.design_from_template(template_id, values, machine_id)
        return self.quote_design(design, machine_id, material)

    def quote_upload(
        self, data: bytes, filename: str, machine_id: str, material: str | None = None, scale: float = 1.0
    ) -> QuoteResult:
        design = self.design_from_upload(data, filename)
        return self.quote_design(design, machine_id, material, scale)

    def quote_design(
        self, design: Design, machine_id: str, material: str | None = None, scale: float = 1.0
    ) -> QuoteResult:
        _, early = self._start_early_slice(design, machine_id, material, scale)
        try:
            part, preview = self._part(design, machine_id, scale)
            if early is not None and not part.unchanged:
                early.cancel.set()  # the checks changed the part: that program is of no use
            try:
                plan = self.plan_for(part, machine_id, material, early if part.unchanged else None)
                return self.quote(design, part, plan)
            finally:
                if preview is not None:
                    preview.result()
        finally:
            if early is not None:
                early.cancel.set()

    def _start_early_slice(
        self, design: Design, machine_id: str, material: str | None, scale: float
    ) -> tuple[RawMesh | None, _EarlySlice | None]:
        """For an STL upload, start PrusaSlicer on the file as it came while the checks run.

        Most uploads need no repair and no turning; then that program is the one we want and the customer
        waits for the slicer alone, not checks plus slicer. The file is read by our strict parser first, so
        PrusaSlicer only ever sees a well-formed STL (never a customer 3MF, which could carry its own settings).
        """
        machine = self.machine(machine_id)
        material = material or self.loaded_material(machine.id)
        if not (design.source == "upload" and design.geometry_format == "stl" and scale == 1.0):
            return None, None
        if machine.kind is not MachineKind.FDM_PRINTER or material not in machine.materials:
            return None, None
        data = design.geometry_path.read_bytes()
        raw = read_mesh(data, "stl", self.settings.uploads)
        output = self._program_path(hashlib.sha256(data).hexdigest(), machine, material)
        cancel = threading.Event()
        future = _SLICES.submit(
            slice_part,
            design.geometry_path,
            machine,
            material,
            self.settings.profiles_dir,
            output,
            self.settings.slice_timeout_s,
            cancel,
        )
        return raw, _EarlySlice(future, cancel)

    # --- steps -------------------------------------------------------------------------------

    def design_from_template(self, template_id: str, values: Mapping[str, Any], machine_id: str) -> Design:
        template = self.catalog.get(template_id)
        if template is None:
            raise reject(
                "design.unknown_template",
                t("This design is not in the catalog."),
                t("Pick a design from the catalog."),
            )
        machine = self.machine(machine_id)
        if machine.kind.value not in template.machine_kinds:
            raise reject(
                "design.wrong_machine",
                t("This design is not made on this machine."),
                t("Choose a machine that makes this design."),
            )
        path, checked = render_template(template, values, self.settings.cache_dir, self.settings.render_timeout_s)
        design = Design(new_id(), "template", template.output, path, template.title_in("en"), template, checked)
        self._store(
            DesignRow(
                id=design.id,
                source="template",
                template_id=template.id,
                template_hash=template.content_hash,
                parameters=dict(checked),
                display_name=design.display_name,
                created_at=self.clock(),
            )
        )
        return design

    def design_from_upload(self, data: bytes, filename: str) -> Design:
        path, fmt, shown = store_upload(data, filename, self.settings.uploads_dir, self.settings.uploads)
        design = Design(new_id(), "upload", fmt, path, shown)
        self._store(
            DesignRow(
                id=design.id,
                source="upload",
                upload_path=str(path),
                upload_format=fmt,
                display_name=shown,
                parameters={},
                created_at=self.clock(),
            )
        )
        return design

    def part_for(self, design: Design, machine_id: str, scale: float = 1.0) -> Part:
        part, preview = self._part(design, machine_id, scale)
        if preview is not None:
            preview.result()
        return part

    def _part(self, design: Design, machine_id: str, scale: float) -> tuple[Part, Future[Path] | None]:
        machine = self.machine(machine_id)
        if not 0.001 <= scale <= 1000:
            raise reject("size.bad_scale", t("The scale must be between 0.001 and 1000."), None)
        limits = self.settings.uploads
        data = design.geometry_path.read_bytes()
        check_size(len(data), limits)
        if design.geometry_format in DRAWING_FORMATS:
            # a drawing larger than the machine is refused before its region is worked out (the slow part)
            room = (machine.envelope.x - 2 * MARGIN_MM, machine.envelope.y - 2 * MARGIN_MM)
            fit = room if machine.kind is not MachineKind.FDM_PRINTER else None
            drawing = CHECKS.run("drawing", (data, limits, fit), limits)
            return self._drawing_part(design, machine, drawing, hashlib.sha256(data).hexdigest()), None
        if machine.kind is not MachineKind.FDM_PRINTER:
            raise reject(
                "design.wrong_machine",
                t("3-D models are made on a printer, not on this machine."),
                t("Choose a printer."),
            )
        # read, repaired and turned in a child process with a memory limit: a hostile file cannot take us down
        lay_flat = design.source == "upload"
        checked = CHECKS.run("mesh", (data, design.geometry_format, limits, machine.envelope, lay_flat, scale), limits)
        return self._mesh_part(design, machine, checked.part_check())

    def _mesh_part(self, design: Design, machine: MachineProfile, check: PartCheck) -> tuple[Part, Future[Path]]:
        stl = check.mesh.export(file_type="stl")
        assert isinstance(stl, bytes)  # trimesh types every export alike; binary STL is bytes
        digest = hashlib.sha256(stl).hexdigest()
        parts_dir = self.settings.cache_dir / "parts"
        parts_dir.mkdir(parents=True, exist_ok=True)
        mesh_path = parts_dir / f"{digest[:32]}.stl"
        if not mesh_path.exists():
            _write_atomically(mesh_path, stl)
        preview_path = self.settings.cache_dir / "previews" / f"{digest[:32]}.glb"
        preview = _PREVIEWS.submit(write_preview, check.mesh, preview_path)
        part = Part(
            new_id(),
            design.id,
            machine.id,
            mesh_path,
            preview_path,
            check.size,
            check.volume_mm3,
            check.triangles,
            tuple(check.problems),
            digest,
            unchanged=check.unchanged,
        )
        self._store(
            PartRow(
                id=part.id,
                design_id=design.id,
                machine_id=machine.id,
                geometry_path=str(mesh_path),
                preview_path=str(preview_path),
                content_hash=digest,
                size_x=part.size[0],
                size_y=part.size[1],
                size_z=part.size[2],
                volume_mm3=part.volume_mm3,
                triangles=part.triangles,
                problems=[_problem_record(p) for p in part.problems],
                created_at=self.clock(),
            )
        )
        return part, preview

    def _drawing_part(self, design: Design, machine: MachineProfile, drawing: SvgDesign, digest: str) -> Part:
        if machine.kind is MachineKind.FDM_PRINTER:
            raise reject(
                "design.wrong_machine",
                t("Drawings are made on the laser engraver, not on a printer."),
                t("Choose the laser engraver."),
            )
        w, h = drawing.width_mm + 2 * MARGIN_MM, drawing.height_mm + 2 * MARGIN_MM  # with the margin around it
        env = machine.envelope
        if not (w <= env.x and h <= env.y):
            raise drawing_does_not_fit(w, h, (env.x, env.y))
        part = Part(
            new_id(),
            design.id,
            machine.id,
            design.geometry_path,
            None,
            (drawing.width_mm, drawing.height_mm, 0.0),
            0.0,
            0,
            (),
            digest,
            drawing=drawing,
        )
        self._store(
            PartRow(
                id=part.id,
                design_id=design.id,
                machine_id=machine.id,
                geometry_path=str(design.geometry_path),
                preview_path=None,
                content_hash=digest,
                size_x=drawing.width_mm,
                size_y=drawing.height_mm,
                size_z=0.0,
                volume_mm3=0.0,
                triangles=0,
                problems=[],
                created_at=self.clock(),
            )
        )
        return part

    def plan_for(
        self, part: Part, machine_id: str, material: str | None = None, early: _EarlySlice | None = None
    ) -> Plan:
        if any(p.severity is Severity.ERROR for p in part.problems):
            raise reject("plan.part_has_errors", t("This part has problems that must be fixed first."), None)
        machine = self.machine(machine_id)
        material = material or self.loaded_material(machine.id)
        if material not in machine.materials:
            raise reject(
                "plan.unknown_material",
                t("This machine cannot run {material}.", material=material),
                t("Choose one of: {choices}.", choices=", ".join(machine.materials)),
            )
        if machine.kind is MachineKind.FDM_PRINTER:
            plan = self._slice(part, machine, material, early)
        else:
            plan = self._sheet_plan(part, machine, material)
        self._check_program(plan, machine)
        self._store(
            PlanRow(
                id=plan.id,
                part_id=part.id,
                machine_id=machine.id,
                material=material,
                program_path=str(plan.program_path) if plan.program_path else None,
                estimated_seconds=plan.estimated_seconds,
                material_grams=plan.material_grams,
                sheet_cm2=plan.sheet_cm2,
                layers=plan.layers,
                created_at=self.clock(),
            )
        )
        return plan

    def _check_program(self, plan: Plan, machine: MachineProfile) -> None:
        """The program itself passes the machine's safety check before a price is shown: a part that fits the bed
        may still not, once the slicer put a skirt or brim around it. (Checked again at the start.)"""
        if plan.program_path is None:
            return
        try:
            load_program(Path(plan.program_path), machine, plan.material)
        except ProgramRejected as e:
            log.info("plan for %s refused by the machine check: %s", machine.id, e)
            raise reject(
                "plan.refused_by_machine_check",
                t("The program for this part does not pass the machine's safety check."),
                t("Make the part a little smaller, or ask the staff for help."),
            ) from e

    def _program_path(self, mesh_digest: str, machine: MachineProfile, material: str) -> Path:
        """Where the program for this mesh, machine and material lives: named by everything that shapes it."""
        key = hashlib.sha256(mesh_digest.encode("ascii"))
        for profile in profile_files(self.settings.profiles_dir, machine, material):
            key.update(profile.read_bytes())
        key.update(f"{machine.envelope}".encode())
        return self.settings.cache_dir / "programs" / f"{key.hexdigest()[:32]}.gcode"

    def _slice(self, part: Part, machine: MachineProfile, material: str, early: _EarlySlice | None) -> Plan:
        if early is not None:
            program = early.future.result()
        else:
            output = self._program_path(part.content_hash, machine, material)
            program = slice_part(
                part.geometry_path,
                machine,
                material,
                self.settings.profiles_dir,
                output,
                self.settings.slice_timeout_s,
            )
        return Plan(
            new_id(),
            part.id,
            machine.id,
            material,
            program.gcode_path,
            program.estimated_seconds,
            program.material_grams,
            0.0,
            program.layers,
        )

    def _sheet_plan(self, part: Part, machine: MachineProfile, material: str) -> Plan:
        """Toolpaths for a drawing on the engraver or the router, written once per design, material and machine."""
        drawing = part.drawing
        assert drawing is not None, "a drawing part carries its region"
        if machine.kind is MachineKind.LASER_ENGRAVER:
            laser_material = self.laser_materials.get(material)
            if laser_material is None:
                raise _no_sheet_material(material)
            version, settings = laser_paths.VERSION, f"{laser_material}"
            job = laser_paths.laser_job(drawing.region, laser_material, machine)
            gcode, seconds = job.gcode, laser_paths.estimate_seconds(job, machine)
            picture = partial(laser_paths.toolpath_svg, job)
        else:
            cnc_material = self.cnc_materials.get(material)
            if cnc_material is None:
                raise _no_sheet_material(material)
            version, settings = cnc_paths.VERSION, f"{cnc_material}"
            cnc_job = cnc_paths.cnc_job(drawing.region, cnc_material, machine)
            gcode, seconds = cnc_job.gcode, cnc_paths.estimate_seconds(cnc_job, machine)
            picture = partial(cnc_paths.toolpath_svg, cnc_job)
        sheet_cm2 = (drawing.width_mm + 2 * MARGIN_MM) * (drawing.height_mm + 2 * MARGIN_MM) / 100
        key = hashlib.sha256(
            f"{machine.kind}|{version}|{part.content_hash}|{settings}|{machine.limits}|{machine.spindle_s_max}"
            f"|{machine.air_assist}".encode()
        )
        output = self.settings.cache_dir / "programs" / f"{key.hexdigest()[:32]}.gcode"
        if not output.exists():
            output.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(output, gcode.encode("ascii"))
            _write_atomically(output.with_suffix(".svg"), picture().encode("ascii"))  # for the pages
        return Plan(
            new_id(),
            part.id,
            machine.id,
            material,
            output,
            max(1, round(seconds)),
            0.0,
            round(sheet_cm2, 1),
            0,
        )

    def quote(self, design: Design, part: Part, plan: Plan) -> QuoteResult:
        machine = self.machine(plan.machine_id)
        quote = quote_for(
            QuoteInput(machine.kind.value, plan.material, plan.estimated_seconds, plan.material_grams, plan.sheet_cm2),
            self.settings.prices,
            self.clock(),
        )
        quote_id = new_id()
        template = design.template
        self._store(
            QuoteRow(
                id=quote_id,
                plan_id=plan.id,
                currency=quote.currency,
                material_cost=quote.material_cost,
                machine_cost=quote.machine_cost,
                setup_fee=quote.setup_fee,
                total=quote.total,
                created_at=quote.created_at,
                valid_until=quote.valid_until,
                # the version priced and its designer's share: a newer version never changes this quote
                template_version_id=template.version_id if template else None,
                designer_id=(template.designer.id or None) if template else None,
                designer_share=designer_share(quote.total, template.share_percent) if template else Decimal("0"),
            )
        )
        return QuoteResult(design, part, plan, quote, quote_id)

    # --- helpers -----------------------------------------------------------------------------

    def machine(self, machine_id: str) -> MachineProfile:
        machine = self.machines.get(machine_id)
        if machine is None:
            raise reject(
                "machine.unknown",
                t("There is no machine called '{machine}'.", machine=machine_id),
                t("Choose one of: {choices}.", choices=", ".join(self.machines)),
            )
        return machine

    def _store(self, row: Any) -> None:
        with self.sessions.begin() as session:
            session.add(row)


def designer_share(total: Decimal, share_percent: Decimal) -> Decimal:
    """The designer's part of a job's total: total × share / 100, rounded half-up to the cent, in exact decimals."""
    return (Decimal(total) * Decimal(share_percent) / Decimal(100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _no_sheet_material(material: str) -> DesignRejected:
    return reject(
        "plan.material_not_for_machine",
        t("{material} cannot be worked on this machine.", material=material),
        t("Choose another material."),
    )


def _problem_record(problem: Problem) -> dict[str, Any]:
    return {
        "code": problem.code,
        "severity": problem.severity.value,
        "message": problem.message.msgid,
        "params": {k: str(v) for k, v in problem.message.params.items()},
        "field": problem.field,
        "suggested_scale": problem.suggested_scale,
    }


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_suffix(path.suffix + f".{secrets.token_hex(4)}.part")
    partial.write_bytes(data)
    partial.replace(path)
