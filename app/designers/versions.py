"""The catalog from published template versions: the newest version of each template offered in this store's city,
its source materialised under the data folder for OpenSCAD; the one function that publishes a version; and the
demo templates seeded as version 1 with their designers.

Only the catalog's owner writes these rows (a standalone store, or the head office): a store that is part of a
chain receives them by replication and never calls `publish_version` or `seed_demo_templates`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.designers.accounts import add_designer_row, page_name
from app.designs.catalog import CatalogError, Designer, Template, load_catalog, template_from
from app.models import DesignerRow, TemplateVersionRow

log = logging.getLogger(__name__)
DEMO_SHARE_PERCENT = Decimal("10")  # what the demo catalog's designers are given of each job's total
SEEDED_BY = "demo catalog"


def publish_version(
    session: Session,
    template_id: str,
    designer_id: str,
    meta_toml: str,
    scad_source: str,
    share_percent: Decimal,
    published_by: str,
    now: datetime,
    cities: list[str] | None = None,
    submission_id: str | None = None,
    row_id: str | None = None,
) -> TemplateVersionRow:
    """Add version n+1 of a template, in the caller's transaction. Older versions are never changed: quotes and
    jobs keep the version they were made from."""
    import hashlib

    newest = session.scalar(
        select(func.max(TemplateVersionRow.version)).where(TemplateVersionRow.template_id == template_id)
    )
    row = TemplateVersionRow(
        id=row_id or secrets.token_hex(16),
        template_id=template_id,
        version=(newest or 0) + 1,
        designer_id=designer_id,
        meta_toml=meta_toml,
        scad_source=scad_source,
        content_hash=hashlib.sha256(scad_source.encode("utf-8")).hexdigest(),
        share_percent=share_percent,
        cities=list(cities or []),
        submission_id=submission_id,
        published_at=now,
        published_by=published_by,
    )
    session.add(row)
    session.flush()
    return row


def shipped_id(key: str) -> str:
    """The id of a row of the shipped catalog: the same on every server that ships it, so a store that seeded
    its catalog before joining a chain keeps every reference (quotes, ledger) when the head office's copy of the
    same rows replaces its own."""
    return uuid.uuid5(SHIPPED_NAMESPACE, key).hex


SHIPPED_NAMESPACE = uuid.UUID("6f1d3c4e-2b7a-5e90-8c1f-4a6b2d9e0f17")


def seed_demo_templates(sessions: sessionmaker[Session], templates_dir: Path, now: datetime | None = None) -> int:
    """The shipped templates as version 1, with their designers (page: a slug of the name), where they are
    missing; how many were added. Idempotent: a template with any version is left alone."""
    now = now or datetime.now(UTC)
    added = 0
    with sessions.begin() as session:
        present = set(session.scalars(select(TemplateVersionRow.template_id).distinct()))
        for template in load_catalog(templates_dir).values():
            if template.id in present:
                continue
            page = page_name(template.designer.name)
            designer = session.scalar(select(DesignerRow).where(DesignerRow.name == page))
            if designer is None:
                designer = add_designer_row(
                    session, None, page, template.designer.city, template.designer.name, now, shipped_id(page)
                )
            publish_version(
                session,
                template.id,
                designer.id,
                (templates_dir / f"{template.id}.toml").read_text(encoding="utf-8"),
                template.source,
                DEMO_SHARE_PERCENT,
                SEEDED_BY,
                now,
                row_id=shipped_id(f"{template.id}:1:{template.content_hash}"),
            )
            added += 1
    return added


def newest_versions(session: Session, city: str | None) -> list[tuple[TemplateVersionRow, DesignerRow]]:
    """The newest version of each template that is not withdrawn and is offered in `city` (no cities: everywhere;
    `city` None: wherever it is offered, as the head office sees its catalog)."""
    rows = session.execute(
        select(TemplateVersionRow, DesignerRow)
        .join(DesignerRow, DesignerRow.id == TemplateVersionRow.designer_id)
        .where(TemplateVersionRow.withdrawn_at.is_(None))
        .order_by(TemplateVersionRow.template_id, TemplateVersionRow.version.desc())
    ).all()
    newest: dict[str, tuple[TemplateVersionRow, DesignerRow]] = {}
    for version, designer in rows:
        if version.template_id in newest:
            continue
        cities = [str(c).casefold() for c in (version.cities or [])]
        if cities and city is not None and city.casefold() not in cities:
            continue
        newest[version.template_id] = (version, designer)
    return list(newest.values())


def template_of(version: TemplateVersionRow, designer: DesignerRow, folder: Path) -> Template:
    """The catalog's template for a published version; its source written once under `folder`, named by its
    content, so a file OpenSCAD reads never changes under a render."""
    scad_path = (folder / version.content_hash[:32] / f"{version.template_id}.scad").resolve()
    if not scad_path.exists():
        scad_path.parent.mkdir(parents=True, exist_ok=True)
        partial = scad_path.with_suffix(f".{secrets.token_hex(4)}.part")
        partial.write_text(version.scad_source, encoding="utf-8")
        partial.replace(scad_path)
    return template_from(
        version.template_id,
        version.meta_toml,
        version.scad_source,
        scad_path,
        f"{version.template_id} version {version.version}",
        designer=Designer(designer.display_name, designer.city, designer.name, designer.id),
        version_id=version.id,
        version=version.version,
        share_percent=Decimal(version.share_percent),
    )


class VersionedCatalog(Mapping[str, Template]):
    """The catalog the kiosk, /order and the pipeline read: a mapping by template id, rebuilt from the database
    when a version is published (the whole mapping is swapped, so a reader never sees half of it)."""

    def __init__(self, sessions: sessionmaker[Session], folder: Path, city: str | None) -> None:
        self.sessions = sessions
        self.folder = folder
        self.city = city  # None: every version wherever it is offered (the head office's catalog)
        self._templates: dict[str, Template] = {}
        self._fingerprint = ""
        self._lock = threading.Lock()
        self.on_change: list[Callable[[], None]] = []  # e.g. catalog pictures for new versions
        self.reload()

    def reload_if_changed(self) -> bool:
        """Reload when the published versions or their designers changed since the last load: in a chain they
        arrive in this store's own tables by replication, with nothing here writing them. Blocking (a query)."""
        if self.fingerprint() == self._fingerprint:
            return False
        self.reload()
        return True

    def fingerprint(self) -> str:
        """A digest of what the catalog is built from: every version's id, cities and withdrawal, every designer's
        page, name and city. The tables are small (a catalog, not an order book)."""
        digest = hashlib.sha256()
        with self.sessions() as session:
            versions = session.execute(
                select(TemplateVersionRow.id, TemplateVersionRow.cities, TemplateVersionRow.withdrawn_at).order_by(
                    TemplateVersionRow.id
                )
            )
            for row in versions:
                digest.update(repr(tuple(row)).encode())
            designers = session.execute(
                select(DesignerRow.id, DesignerRow.name, DesignerRow.display_name, DesignerRow.city).order_by(
                    DesignerRow.id
                )
            )
            for row in designers:
                digest.update(repr(tuple(row)).encode())
        return digest.hexdigest()

    def reload(self) -> None:
        fingerprint = self.fingerprint()
        templates: dict[str, Template] = {}
        with self.sessions() as session:
            for version, designer in newest_versions(session, self.city):
                try:
                    templates[version.template_id] = template_of(version, designer, self.folder)
                except CatalogError:
                    log.exception("published version %s cannot be read; left out", version.id)
        with self._lock:
            self._templates = dict(sorted(templates.items()))
            self._fingerprint = fingerprint
        for listener in list(self.on_change):
            listener()

    def version(self, version_id: str) -> Template | None:
        """A published version by its id, newest or not (a quote's own)."""
        with self.sessions() as session:
            found = session.execute(
                select(TemplateVersionRow, DesignerRow)
                .join(DesignerRow, DesignerRow.id == TemplateVersionRow.designer_id)
                .where(TemplateVersionRow.id == version_id)
            ).first()
            return None if found is None else template_of(found[0], found[1], self.folder)

    def __getitem__(self, template_id: str) -> Template:
        return self._templates[template_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._templates)

    def __len__(self) -> int:
        return len(self._templates)


CATALOG_EVERY_S = 2.0  # how soon a version that arrived by replication (or was published elsewhere) is offered


async def keep_catalog_fresh(catalog: VersionedCatalog) -> None:
    """Reload the catalog whenever its tables changed under it: a store of a chain receives versions from the head
    office by replication, and the head office's console changes where a version is offered. Reads this server's
    own database only, off the event loop."""
    while True:
        await asyncio.sleep(CATALOG_EVERY_S)
        try:
            await asyncio.to_thread(catalog.reload_if_changed)
        except Exception:  # a failed round must not stop the catalog from following for the day
            log.exception("reloading the catalog failed")
