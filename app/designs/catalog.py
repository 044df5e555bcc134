"""The catalog of parametric templates: OpenSCAD files with customizer annotations plus a metadata file."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from app.designs.customizer import Parameter, TextParam, parse_parameters
from app.designs.fonts import undrawable_characters
from app.designs.outline import Outline, OutlineError, outline_from

KNOWN_KINDS = ("fdm_printer", "laser_engraver", "cnc_router")


class CatalogError(ValueError):
    """A template in the catalog is broken; the message names the file."""


@dataclass(frozen=True)
class Designer:
    name: str
    city: str
    page: str = ""  # the designer's page is /designer/<page>; empty until the designer is known to the store
    id: str = ""  # the designers row, once published from the store's database


@dataclass(frozen=True)
class Template:
    id: str
    title: dict[str, str]
    description: dict[str, str]
    designer: Designer
    machine_kinds: tuple[str, ...]
    output: str  # "stl" for 3-D parts, "svg" for 2-D designs
    fonts: tuple[str, ...]
    scad_path: Path
    source: str
    parameters: tuple[Parameter, ...]
    labels: dict[str, dict[str, str]]  # parameter name -> language -> the designer's label
    outline: Outline | None = None  # where its text may go: checked on every render before a price
    # the published version this is (template_versions row) and the designer's share of each job's total
    version_id: str | None = None
    version: int = 0
    share_percent: Decimal = Decimal("0")

    @cached_property
    def content_hash(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get("en") or self.id

    def description_in(self, lang: str) -> str:
        return self.description.get(lang) or self.description.get("en") or ""

    def undrawable(self, text: str) -> set[str]:
        """Characters of `text` that any of this template's fonts cannot draw."""
        missing: set[str] = set()
        for font in self.fonts:
            missing |= undrawable_characters(font, text)
        return missing


def load_catalog(templates_dir: Path) -> dict[str, Template]:
    """Every template in the folder, by id (the file stem); raise CatalogError on a broken one."""
    templates: dict[str, Template] = {}
    for meta_path in sorted(templates_dir.glob("*.toml")):
        template = load_template(meta_path)
        templates[template.id] = template
    return templates


def load_template(meta_path: Path) -> Template:
    scad_path = meta_path.with_suffix(".scad").resolve()
    if not scad_path.exists():
        raise CatalogError(f"{meta_path.name}: no OpenSCAD file {scad_path.name} beside it")
    try:
        meta_toml = meta_path.read_text(encoding="utf-8")
        source = scad_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise CatalogError(f"{meta_path.name}: {e}") from e
    return template_from(meta_path.stem, meta_toml, source, scad_path, meta_path.name)


def read_meta(meta_toml: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(meta_toml)
    except tomllib.TOMLDecodeError as e:
        raise CatalogError(f"{where}: {e}") from e


def template_from(
    template_id: str,
    meta_toml: str,
    source: str,
    scad_path: Path,
    where: str,
    designer: Designer | None = None,
    version_id: str | None = None,
    version: int = 0,
    share_percent: Decimal = Decimal("0"),
) -> Template:
    """A template from its metadata (TOML text) and OpenSCAD source, rendered from `scad_path` (which holds
    `source`); raise CatalogError naming `where`. `designer`: the published designer, instead of the metadata's."""
    meta = read_meta(meta_toml, where)
    title, description, named = meta.get("title"), meta.get("description", {}), meta.get("designer")
    if not isinstance(title, dict) or "en" not in title:
        raise CatalogError(f'{where}: title needs at least an English text (title = {{ en = "..." }})')
    if designer is None:
        if not isinstance(named, dict) or not named.get("name") or not named.get("city"):
            raise CatalogError(f"{where}: designer needs a name and a city")
        designer = Designer(str(named["name"]), str(named["city"]))
    kinds = tuple(meta.get("machine_kinds", ()))
    if not kinds or any(k not in KNOWN_KINDS for k in kinds):
        raise CatalogError(f"{where}: machine_kinds must list some of {', '.join(KNOWN_KINDS)}")
    output = meta.get("output", "stl")
    if output not in ("stl", "svg"):
        raise CatalogError(f"{where}: output must be stl or svg")
    parameters = tuple(parse_parameters(source))
    fonts = tuple(meta.get("fonts", ()))
    if any(isinstance(p, TextParam) for p in parameters) and not fonts:
        raise CatalogError(f"{where}: a template with text parameters must list its fonts")
    try:
        outline = outline_from(meta.get("outline"), {p.name for p in parameters})
    except OutlineError as e:
        raise CatalogError(f"{where}: {e}") from e
    labels: dict[str, dict[str, str]] = {}
    for lang, by_name in dict(meta.get("labels", {})).items():
        for name, text in dict(by_name).items():
            labels.setdefault(str(name), {})[str(lang)] = str(text)
    return Template(
        id=template_id,
        title=dict(title),
        description=dict(description),
        designer=designer,
        machine_kinds=kinds,
        output=output,
        fonts=fonts,
        scad_path=scad_path,
        source=source,
        parameters=parameters,
        labels=labels,
        outline=outline,
        version_id=version_id,
        version=version,
        share_percent=share_percent,
    )
