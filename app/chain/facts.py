"""What every fact row carries in a chain: the store that wrote it; a job also carries the figures the head
office shows (price, material, machine kind, template), copied from its quote and plan when first written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from app.models import (
    DesignRow,
    FollowRow,
    JobEventRow,
    JobRow,
    LedgerEntryRow,
    MachineSnapshotRow,
    PartRow,
    PlanRow,
    QuoteRow,
    RatingRow,
)
from machine_adapters.profiles import MachineProfile

_STAMPED = (JobRow, JobEventRow, MachineSnapshotRow, RatingRow, LedgerEntryRow, FollowRow)


def stamp_facts(sessions: sessionmaker[Session], store_id: str, machines: Mapping[str, MachineProfile]) -> None:
    """Every session from `sessions` fills in, before it writes, the store of each new fact row and a new job's
    figures. One place, so no writer of facts can forget them (a fact without its store would meet another
    store's rows at the head office)."""

    def before_flush(session: Session, _context: Any, _instances: Any) -> None:
        for row in session.new:
            if isinstance(row, _STAMPED) and not row.store:
                row.store = store_id
            if isinstance(row, JobRow) and not row.currency:
                _copy_figures(session, row, machines)

    event.listen(sessions, "before_flush", before_flush)


def _copy_figures(session: Session, job: JobRow, machines: Mapping[str, MachineProfile]) -> None:
    quote = session.get(QuoteRow, job.quote_id)
    if quote is None:
        return
    job.total, job.currency = quote.total, quote.currency
    plan = session.get(PlanRow, quote.plan_id)
    profile = machines.get(job.machine_id)
    job.machine_kind = profile.kind.value if profile else ""
    if plan is None:
        return
    job.material = plan.material
    part = session.get(PartRow, plan.part_id)
    design = session.get(DesignRow, part.design_id) if part else None
    job.template_id = design.template_id if design else None
