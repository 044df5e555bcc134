"""Job states, their named groups and the one table of allowed moves; plus the approval policy. Pure: no I/O.

Pages and services ask these groups ("is this job on its machine?") instead of spelling states out as strings.
"""

from __future__ import annotations

from enum import StrEnum

from app.config import ApprovalPolicy


class JobState(StrEnum):
    SUBMITTED = "submitted"
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    WAITING_FOR_MACHINE_READY = "waiting_for_machine_ready"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHING = "finishing"
    READY_FOR_PICKUP = "ready_for_pickup"
    COLLECTED = "collected"
    HELD = "held"  # the machine stopped the job (fault, lost link); staff decide what happens next
    FAILED = "failed"
    CANCELLED = "cancelled"


ON_MACHINE = frozenset({JobState.RUNNING, JobState.PAUSED, JobState.FINISHING})
QUEUE_STATES = frozenset({JobState.AWAITING_APPROVAL, JobState.QUEUED, JobState.WAITING_FOR_MACHINE_READY})
CANCEL_ON_MACHINE = frozenset({JobState.RUNNING, JobState.PAUSED})  # cancelled through the machine (it winds down)
NOT_STARTED = frozenset({JobState.SUBMITTED}) | QUEUE_STATES  # staff may cancel these: nothing is on a machine
ENDED = frozenset({JobState.READY_FOR_PICKUP, JobState.COLLECTED, JobState.FAILED, JobState.CANCELLED})
CLOSED = frozenset({JobState.COLLECTED, JobState.FAILED, JobState.CANCELLED})  # nobody has anything left to do
OUTCOMES = frozenset({JobState.READY_FOR_PICKUP, JobState.CANCELLED, JobState.HELD, JobState.FAILED})  # to read
_ENDS = frozenset({JobState.FAILED, JobState.CANCELLED})

TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.SUBMITTED: frozenset({JobState.AWAITING_APPROVAL, JobState.QUEUED}) | _ENDS,
    JobState.AWAITING_APPROVAL: frozenset({JobState.QUEUED}) | _ENDS,
    JobState.QUEUED: frozenset({JobState.WAITING_FOR_MACHINE_READY}) | _ENDS,
    JobState.WAITING_FOR_MACHINE_READY: frozenset({JobState.RUNNING, JobState.QUEUED}) | _ENDS,
    JobState.RUNNING: frozenset({JobState.PAUSED, JobState.FINISHING, JobState.HELD}) | _ENDS,
    JobState.PAUSED: frozenset({JobState.RUNNING, JobState.HELD}) | _ENDS,
    JobState.FINISHING: frozenset({JobState.READY_FOR_PICKUP, JobState.HELD}) | _ENDS,
    JobState.READY_FOR_PICKUP: frozenset({JobState.COLLECTED}),
    JobState.HELD: _ENDS,
    JobState.COLLECTED: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELLED: frozenset(),
}


def allowed(old: JobState, new: JobState) -> bool:
    """Whether a job may move from `old` to `new`."""
    return new in TRANSITIONS[old]


def in_group(state: str | None, group: frozenset[JobState]) -> bool:
    """For pages bound to a live view's plain string state: whether it is one of the group's states."""
    return state in {s.value for s in group}


def approved_by_policy(policy: ApprovalPolicy, source: str, estimated_seconds: float, grams: float) -> bool:
    """A job is approved without staff only when the customer stands at the machine (a kiosk job) and it is within
    the store's limits of machine time and material; every remote order waits for staff."""
    return source == "kiosk" and estimated_seconds <= policy.kiosk_max_minutes * 60 and grams <= policy.kiosk_max_grams
