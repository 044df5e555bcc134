"""The designers' ledger: what each designer is owed, written in the same transaction as the job move that causes it.

A collected job credits its designer's share (fixed on the quote when the price was given) and the customer's tip.
A refund, or a cancel or failure after a credit, adds reversals that name the entry they undo. Entries are only
ever added, in exact decimals of the store's currency, and each names its job: the sum of a job's entries is what
that job still owes its designer.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.job_states import JobState
from app.models import DesignerRow, DesignRow, JobRow, LedgerEntryRow, PartRow, PlanRow, QuoteRow

SHARE = "share"
TIP = "tip"
REVERSAL = "reversal"
CENT = Decimal("0.01")
# a job that ends this way after its credit owes its designer nothing any more
REVERSING_STATES = frozenset({JobState.CANCELLED, JobState.FAILED})


def cents(amount: Decimal) -> Decimal:
    """An amount as the ledger stores it: exact, to the cent (never a float on the way)."""
    return Decimal(amount).quantize(CENT)


def on_move(session: Session, job: JobRow, to: JobState, now: datetime, store: str) -> list[LedgerEntryRow]:
    """The ledger's part of a job move, in the move's own transaction: credit at collection, reverse on a cancel or
    failure after a credit. The entries added."""
    if to is JobState.COLLECTED:
        return credit(session, job, now, store)
    if to in REVERSING_STATES:
        return reverse(session, job.id, now, store)
    return []


def credit(session: Session, job: JobRow, now: datetime, store: str) -> list[LedgerEntryRow]:
    """The designer's share and the tip of a collected job. Nothing for a job without a designer, for one already
    credited (a move is never counted twice) or for one whose money staff flagged to be given back."""
    quote = session.get(QuoteRow, job.quote_id)
    if quote is None or quote.designer_id is None or job.refund or _has_entries(session, job.id):
        return []
    template_id = _template_of(session, quote)
    entries = [
        LedgerEntryRow(
            id=secrets.token_hex(16),
            job_id=job.id,
            designer_id=quote.designer_id,
            template_id=template_id,
            kind=kind,
            amount=cents(amount),
            currency=quote.currency,
            reverses=None,
            created_at=now,
            store=store,
        )
        for kind, amount in ((SHARE, quote.designer_share or Decimal(0)), (TIP, job.tip or Decimal(0)))
        if cents(amount) > 0
    ]
    session.add_all(entries)
    return entries


def reverse(session: Session, job_id: str, now: datetime, store: str) -> list[LedgerEntryRow]:
    """Undo every credit of this job not yet undone: one reversal per entry, naming it."""
    rows = list(session.scalars(select(LedgerEntryRow).where(LedgerEntryRow.job_id == job_id)))
    undone = {row.reverses for row in rows if row.kind == REVERSAL}
    reversals = [
        LedgerEntryRow(
            id=secrets.token_hex(16),
            job_id=job_id,
            designer_id=row.designer_id,
            template_id=row.template_id,
            kind=REVERSAL,
            amount=-cents(row.amount),
            currency=row.currency,
            reverses=row.id,
            created_at=now,
            store=store,
        )
        for row in rows
        if row.kind != REVERSAL and row.id not in undone
    ]
    session.add_all(reversals)
    return reversals


@dataclass(frozen=True)
class Owed:
    """What the store owes one designer, in one currency."""

    designer_id: str
    name: str
    display_name: str
    city: str
    currency: str
    amount: Decimal
    jobs: int


def owed(session: Session) -> list[Owed]:
    """What is owed to whom: every designer with entries, the largest sum first."""
    query = (
        select(
            DesignerRow.id,
            DesignerRow.name,
            DesignerRow.display_name,
            DesignerRow.city,
            LedgerEntryRow.currency,
            func.count(func.distinct(LedgerEntryRow.job_id)),
        )
        .join(LedgerEntryRow, LedgerEntryRow.designer_id == DesignerRow.id)
        .group_by(DesignerRow.id, LedgerEntryRow.currency)
    )
    result = [
        Owed(designer_id, name, display, city, currency, job_total(session, designer_id, currency), jobs)
        for designer_id, name, display, city, currency, jobs in session.execute(query)
    ]
    return sorted(result, key=lambda o: (-o.amount, o.display_name))


def job_total(session: Session, designer_id: str, currency: str) -> Decimal:
    """The exact sum of a designer's entries in one currency (summed here: SQLite would sum numerics as floats)."""
    amounts = session.scalars(
        select(LedgerEntryRow.amount).where(
            LedgerEntryRow.designer_id == designer_id, LedgerEntryRow.currency == currency
        )
    )
    return sum((cents(a) for a in amounts), Decimal("0.00"))


def entries_of_job(session: Session, job_id: str) -> list[LedgerEntryRow]:
    return list(
        session.scalars(
            select(LedgerEntryRow).where(LedgerEntryRow.job_id == job_id).order_by(LedgerEntryRow.created_at)
        )
    )


def _has_entries(session: Session, job_id: str) -> bool:
    return session.scalar(select(func.count()).where(LedgerEntryRow.job_id == job_id)) != 0


def _template_of(session: Session, quote: QuoteRow) -> str | None:
    plan = session.get(PlanRow, quote.plan_id)
    part = session.get(PartRow, plan.part_id) if plan else None
    design = session.get(DesignRow, part.design_id) if part else None
    return design.template_id if design else None


@dataclass(frozen=True)
class CreditedJob:
    """A collected job whose designer's credit stands (not reversed): what a refund would take back."""

    job_id: str
    display_name: str
    designer: str
    amount: Decimal
    currency: str
    collected_at: datetime


def credited_jobs(session: Session, limit: int = 50) -> list[CreditedJob]:
    """The newest jobs whose credit still stands, newest first."""
    totals: dict[str, Decimal] = {}
    first: dict[str, LedgerEntryRow] = {}
    for row in session.scalars(select(LedgerEntryRow).order_by(LedgerEntryRow.created_at.desc())):
        totals[row.job_id] = totals.get(row.job_id, Decimal("0.00")) + cents(row.amount)
        first.setdefault(row.job_id, row)
    standing = [job_id for job_id, total in totals.items() if total > 0][:limit]
    result = []
    for job_id in standing:
        job = session.get(JobRow, job_id)
        entry = first[job_id]
        designer = session.get(DesignerRow, entry.designer_id)
        if job is None or designer is None:
            continue
        result.append(
            CreditedJob(
                job_id, job.display_name, designer.display_name, totals[job_id], entry.currency, entry.created_at
            )
        )
    return result
