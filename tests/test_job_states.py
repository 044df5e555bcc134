"""The job state table: every move, allowed or refused, spelled out once more by hand; and the approval policy."""

from __future__ import annotations

import itertools

import pytest

from app.config import ApprovalPolicy
from app.job_states import (
    CLOSED,
    NOT_STARTED,
    ON_MACHINE,
    QUEUE_STATES,
    JobState,
    allowed,
    approved_by_policy,
    in_group,
)

S = JobState
# written out move by move (not derived from the table under test): what the store's process allows
ALLOWED = {
    (S.SUBMITTED, S.AWAITING_APPROVAL),
    (S.SUBMITTED, S.QUEUED),
    (S.AWAITING_APPROVAL, S.QUEUED),
    (S.QUEUED, S.WAITING_FOR_MACHINE_READY),
    (S.WAITING_FOR_MACHINE_READY, S.RUNNING),
    (S.WAITING_FOR_MACHINE_READY, S.QUEUED),
    (S.RUNNING, S.PAUSED),
    (S.RUNNING, S.FINISHING),
    (S.RUNNING, S.HELD),
    (S.PAUSED, S.RUNNING),
    (S.PAUSED, S.HELD),
    (S.FINISHING, S.READY_FOR_PICKUP),
    (S.FINISHING, S.HELD),
    (S.READY_FOR_PICKUP, S.COLLECTED),
} | {
    (live, end)
    for live in (
        S.SUBMITTED,
        S.AWAITING_APPROVAL,
        S.QUEUED,
        S.WAITING_FOR_MACHINE_READY,
        S.RUNNING,
        S.PAUSED,
        S.FINISHING,
        S.HELD,
    )
    for end in (S.FAILED, S.CANCELLED)
}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(JobState, JobState)))
def test_every_move_is_allowed_or_refused_as_the_table_says(old: JobState, new: JobState) -> None:
    assert allowed(old, new) is ((old, new) in ALLOWED)


def test_the_groups_name_the_states_pages_ask_about() -> None:
    assert {S.RUNNING, S.PAUSED, S.FINISHING} == ON_MACHINE
    assert {S.AWAITING_APPROVAL, S.QUEUED, S.WAITING_FOR_MACHINE_READY} == QUEUE_STATES
    assert QUEUE_STATES | {S.SUBMITTED} == NOT_STARTED
    assert {S.COLLECTED, S.FAILED, S.CANCELLED} == CLOSED
    assert all(not allowed(closed, new) for closed in CLOSED for new in JobState)
    assert in_group("paused", ON_MACHINE) and not in_group("queued", ON_MACHINE) and not in_group(None, ON_MACHINE)


@pytest.mark.parametrize(
    ("source", "seconds", "grams", "approved"),
    [
        ("kiosk", 60 * 60, 20, True),
        ("kiosk", 120 * 60, 150, True),  # at the limits: still within them
        ("kiosk", 120 * 60 + 1, 20, False),  # longer than the store allows without staff
        ("kiosk", 60, 150.5, False),  # more material than the store allows without staff
        ("remote", 60, 1, False),  # nobody stands at the machine: staff always approve
        ("phone", 60, 1, False),
    ],
)
def test_the_approval_policy_lets_only_small_kiosk_jobs_through(
    source: str, seconds: float, grams: float, approved: bool
) -> None:
    policy = ApprovalPolicy(kiosk_max_minutes=120, kiosk_max_grams=150)
    assert approved_by_policy(policy, source, seconds, grams) is approved
