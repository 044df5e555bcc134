"""Finding designers: who they are by page name, how often each design was made, and the catalog's order (designers
of the store's city first, the most loved first within each group) and its filter by designer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.backing.support import Loved
from app.designers.accounts import RESERVED_NAMES
from app.designs.catalog import Template
from app.job_states import JobState
from app.models import DesignerRow, DesignRow, JobRow, PartRow, PlanRow, QuoteRow

MADE = (JobState.READY_FOR_PICKUP.value, JobState.COLLECTED.value)  # a part exists


def designer_named(session: Session, name: str) -> DesignerRow | None:
    """The designer whose page is /designer/<name>; None for an unknown or reserved name."""
    if name in RESERVED_NAMES or len(name) > 64:
        return None
    return session.scalars(select(DesignerRow).where(DesignerRow.name == name)).first()


def made_counts(session: Session) -> dict[str, int]:
    """How many parts were made of each template (jobs ready for pickup or collected)."""
    query = (
        select(DesignRow.template_id, func.count(JobRow.id))
        .join(QuoteRow, QuoteRow.id == JobRow.quote_id)
        .join(PlanRow, PlanRow.id == QuoteRow.plan_id)
        .join(PartRow, PartRow.id == PlanRow.part_id)
        .join(DesignRow, DesignRow.id == PartRow.design_id)
        .where(JobRow.state.in_(MADE), DesignRow.template_id.is_not(None))
        .group_by(DesignRow.template_id)
    )
    return {str(template_id): int(count) for template_id, count in session.execute(query)}


def designs_of(catalog: Mapping[str, Template], designer: DesignerRow) -> list[Template]:
    """The catalog's templates by this designer, as published."""
    return [template for template in catalog.values() if template.designer.id == designer.id]


def same_city(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def catalog_order(templates: Iterable[Template], city: str, loved: Mapping[str, Loved]) -> list[Template]:
    """Designers of the store's city first; within each group the most loved first (mean stars, then how many
    rated), unrated after rated; then by title so the order is stable."""

    def key(template: Template) -> tuple[Any, ...]:
        rating = loved.get(template.id)
        stars = rating.stars if rating else Decimal(0)
        count = rating.count if rating else 0
        return (not same_city(template.designer.city, city), -stars, -count, template.title_in("en").casefold())

    return sorted(templates, key=key)


def by_designer(templates: Iterable[Template], designer: str | None) -> list[Template]:
    """The catalog filtered to one designer (by their shown name); everything for None or ""."""
    return [t for t in templates if not designer or t.designer.name == designer]


def designers_in(templates: Iterable[Template], city: str) -> list[str]:
    """The designers' names for the filter: the store's city first, then alphabetically."""
    names = {(not same_city(t.designer.city, city), t.designer.name) for t in templates}
    return [name for _, name in sorted(names)]
