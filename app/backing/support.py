"""Customers backing a designer: a tip when ordering, a follow held by the job's link, a rating after pickup.

No account anywhere: the job link is the customer's only key, so a follow and a rating belong to a job.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import DesignerPolicy
from app.i18n import t
from app.job_records import JobRefused
from app.job_states import JobState
from app.models import DesignerRow, DesignRow, FollowRow, JobRow, PartRow, PlanRow, QuoteRow, RatingRow

FINISHED = frozenset({JobState.READY_FOR_PICKUP, JobState.COLLECTED})  # a part exists: its designer may be followed
MAX_COMMENT = 280


def checked_tip(amount: Decimal | str | int, policy: DesignerPolicy, has_designer: bool) -> Decimal:
    """A customer's tip as the job stores it, to the cent; refused when negative, above the store's `max_tip`, or
    for a design nobody can be tipped for."""
    try:
        tip = Decimal(str(amount)).quantize(Decimal("0.01"))
    except InvalidOperation as e:
        raise JobRefused(t("A tip is an amount of money, such as 2.50.")) from e
    if tip.is_nan() or tip < 0:
        raise JobRefused(t("A tip is an amount of money, such as 2.50."))
    if tip > policy.max_tip:
        raise JobRefused(t("A tip can be at most {amount}.", amount=str(policy.max_tip)))
    if tip > 0 and not has_designer:
        raise JobRefused(t("This design has no designer to tip."))
    return tip


def designer_of_job(session: Session, job_id: str) -> DesignerRow | None:
    """The designer whose template the job was made from (the one fixed on its quote), if any."""
    job = session.get(JobRow, job_id)
    quote = session.get(QuoteRow, job.quote_id) if job else None
    return session.get(DesignerRow, quote.designer_id) if quote and quote.designer_id else None


# --- follows ------------------------------------------------------------------------------------------------


def follow(session: Session, job_id: str, now: datetime) -> DesignerRow:
    """The job's customer follows the job's designer (again); once per job. Only for a finished part."""
    job, designer = _finished_job_and_designer(session, job_id)
    if _open_follow(session, job.id, designer.id) is None:
        session.add(FollowRow(id=secrets.token_hex(16), designer_id=designer.id, job_id=job.id, created_at=now))
    return designer


def unfollow(session: Session, job_id: str, now: datetime) -> None:
    """Undo the follow this job's link holds (a no-op when there is none)."""
    designer = designer_of_job(session, job_id)
    row = _open_follow(session, job_id, designer.id) if designer else None
    if row is not None:
        row.ended_at = now


def follows(session: Session, job_id: str) -> bool:
    """Whether this job's link follows its designer now."""
    designer = designer_of_job(session, job_id)
    return designer is not None and _open_follow(session, job_id, designer.id) is not None


def followers(session: Session, designer_id: str) -> int:
    """How many job links follow this designer now."""
    query = select(func.count()).where(FollowRow.designer_id == designer_id, FollowRow.ended_at.is_(None))
    return int(session.scalar(query) or 0)


def _open_follow(session: Session, job_id: str, designer_id: str) -> FollowRow | None:
    query = select(FollowRow).where(
        FollowRow.job_id == job_id, FollowRow.designer_id == designer_id, FollowRow.ended_at.is_(None)
    )
    return session.scalars(query).first()


def _finished_job_and_designer(session: Session, job_id: str) -> tuple[JobRow, DesignerRow]:
    job = session.get(JobRow, job_id)
    if job is None or JobState(job.state) not in FINISHED:
        raise JobRefused(t("You can follow the designer once your part is made."))
    designer = designer_of_job(session, job_id)
    if designer is None:
        raise JobRefused(t("This design has no designer to follow."))
    return job, designer


# --- ratings ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loved:
    """How a template's customers rated it: the mean of their stars and how many rated."""

    stars: Decimal
    count: int


def rate(session: Session, job_id: str, stars: int, comment: str, lang: str, now: datetime) -> RatingRow:
    """The customer's rating after pickup: 1 to 5 stars and an optional sentence; a second rating replaces the first."""
    job = session.get(JobRow, job_id)
    if job is None or job.state != JobState.COLLECTED.value:
        raise JobRefused(t("You can rate your part once you have picked it up."))
    if not 1 <= stars <= 5:
        raise JobRefused(t("Choose from one to five stars."))
    quote = session.get(QuoteRow, job.quote_id)
    plan = session.get(PlanRow, quote.plan_id) if quote else None
    part = session.get(PartRow, plan.part_id) if plan else None
    design = session.get(DesignRow, part.design_id) if part else None
    row = session.scalars(select(RatingRow).where(RatingRow.job_id == job_id)).first()
    if row is None:
        row = RatingRow(id=secrets.token_hex(16), job_id=job_id, created_at=now)
        session.add(row)
    row.template_id = design.template_id if design else None
    row.template_version_id = quote.template_version_id if quote else None
    row.designer_id = quote.designer_id if quote else None
    row.stars = stars
    row.comment = " ".join(comment.split())[:MAX_COMMENT]  # one plain sentence: no line breaks, capped
    row.lang = lang[:8]
    row.created_at = now
    return row


def rating_of(session: Session, job_id: str) -> RatingRow | None:
    return session.scalars(select(RatingRow).where(RatingRow.job_id == job_id)).first()


def loved(session: Session) -> dict[str, Loved]:
    """Every rated template's mean stars (exact, to a tenth) and count."""
    query = select(RatingRow.template_id, func.sum(RatingRow.stars), func.count()).group_by(RatingRow.template_id)
    return {
        template_id: Loved((Decimal(int(total)) / count).quantize(Decimal("0.1")), int(count))
        for template_id, total, count in session.execute(query)
        if template_id is not None and count
    }


def comments(session: Session, template_id: str, limit: int = 5) -> list[RatingRow]:
    """The newest sentences customers wrote about a template."""
    query = (
        select(RatingRow)
        .where(RatingRow.template_id == template_id, RatingRow.comment != "")
        .order_by(RatingRow.created_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
