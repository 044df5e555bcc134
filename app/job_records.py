"""What a job is, as pages and services see it: plain records, who acts, and the refusal they get. No I/O."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from app.i18n import Text
from app.job_states import JobState
from app.models import JobRow


class Actor(StrEnum):
    KIOSK = "kiosk"  # the customer standing at the machine
    PHONE = "phone"  # the customer holding the job's link
    MACHINE = "machine"
    SYSTEM = "system"
    STAFF = "staff"


class JobRefused(Exception):
    """What was asked cannot be done to this job now; the message says why and what to do instead."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Job:
    id: str
    quote_id: str
    machine_id: str
    source: str
    state: JobState
    reason: str
    paused_by: str | None
    display_name: str
    estimated_seconds: int
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    customer_name: str = ""  # remote orders: the name the part is picked up under
    refund: bool = False

    @classmethod
    def of(cls, row: JobRow) -> Job:
        return cls(
            row.id,
            row.quote_id,
            row.machine_id,
            row.source,
            JobState(row.state),
            row.reason,
            row.paused_by,
            row.display_name,
            row.estimated_seconds,
            utc(row.created_at),
            aware(row.started_at),
            aware(row.ended_at),
            row.customer_name or "",
            bool(row.refund),
        )


@dataclass(frozen=True)
class JobSummary:
    """What a page shows about a job besides its live state."""

    display_name: str
    template_id: str | None
    preview_name: str | None  # the preview's file stem under /media/previews/
    size: tuple[float, float, float]
    material: str
    price: Decimal
    currency: str
    values: dict[str, Any] = field(default_factory=dict)  # the template's values as the customer chose them
    geometry_path: Path | None = None  # the checked part (mesh or drawing) the program was made from


@dataclass(frozen=True)
class NewJob:
    job: Job
    token: str  # the phone link's capability; only its hash is stored


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
