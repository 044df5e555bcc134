"""A designer's statement: what they were credited, per month, per design, per store, with every entry traceable to
its job; as a table for the page and as CSV. A designer sees only their own; an admin sees everyone's and what is
owed to whom."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Forbidden, Principal, Role
from app.backing.ledger import REVERSAL, SHARE, TIP, Owed, cents, owed
from app.job_records import utc
from app.models import DesignerRow, LedgerEntryRow


@dataclass(frozen=True)
class StatementLine:
    """One month, one design, one store: the shares and tips credited, what was reversed, and the net owed."""

    month: str  # "2026-12", in the store's time zone
    template_id: str
    store: str
    currency: str
    jobs: int
    shares: Decimal
    tips: Decimal
    reversed: Decimal  # negative or zero
    net: Decimal


def authorize_statement(who: Principal, designer: DesignerRow) -> None:
    """A designer sees their own statement only (their session names their designers row); an admin sees any.
    Everyone else gets the same refusal, whatever the reason."""
    if who.role is Role.ADMIN:
        return
    if who.role is not Role.DESIGNER or who.designer_id is None or who.designer_id != designer.id:
        raise Forbidden()


def owed_to_designers(session: Session, who: Principal) -> list[Owed]:
    """What is owed to whom: admins only."""
    if who.role is not Role.ADMIN:
        raise Forbidden()
    return owed(session)


def entries(session: Session, designer_id: str) -> list[LedgerEntryRow]:
    query = select(LedgerEntryRow).where(LedgerEntryRow.designer_id == designer_id)
    return list(session.scalars(query.order_by(LedgerEntryRow.created_at, LedgerEntryRow.id)))


def statement(session: Session, who: Principal, designer: DesignerRow, zone: ZoneInfo) -> list[StatementLine]:
    """The designer's statement, newest month first, then by design and store."""
    authorize_statement(who, designer)
    groups: dict[tuple[str, str, str, str], list[LedgerEntryRow]] = {}
    for entry in entries(session, designer.id):
        month = utc(entry.created_at).astimezone(zone).strftime("%Y-%m")
        groups.setdefault((month, entry.template_id or "", entry.store, entry.currency), []).append(entry)
    lines = []
    for (month, template_id, store, currency), rows in groups.items():

        def total(kind: str, rows: list[LedgerEntryRow] = rows) -> Decimal:
            return sum((cents(r.amount) for r in rows if r.kind == kind), Decimal("0.00"))

        shares, tips, reversed_ = total(SHARE), total(TIP), total(REVERSAL)
        jobs = len({r.job_id for r in rows})
        lines.append(
            StatementLine(month, template_id, store, currency, jobs, shares, tips, reversed_, shares + tips + reversed_)
        )
    return sorted(lines, key=lambda line: (_negated_month(line.month), line.template_id, line.store))


def statement_csv(session: Session, who: Principal, designer: DesignerRow, zone: ZoneInfo) -> str:
    """Every entry as a CSV row (date, month, job, design, store, kind, amount, currency, the entry it reverses),
    so each amount can be traced to its job; amounts written exactly, to the cent."""
    authorize_statement(who, designer)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "month", "entry", "job", "design", "store", "kind", "amount", "currency", "reverses"])
    for entry in entries(session, designer.id):
        local = utc(entry.created_at).astimezone(zone)
        writer.writerow(
            [
                local.strftime("%Y-%m-%d %H:%M"),
                local.strftime("%Y-%m"),
                entry.id,
                entry.job_id,
                _safe_cell(entry.template_id or ""),
                _safe_cell(entry.store),
                entry.kind,
                f"{cents(entry.amount):.2f}",
                entry.currency,
                entry.reverses or "",
            ]
        )
    return out.getvalue()


def _negated_month(month: str) -> int:
    year, number = month.split("-")
    return -(int(year) * 12 + int(number))


def _safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: a leading =, +, - or @ would be run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
