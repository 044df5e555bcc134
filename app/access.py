"""Who may do what: one table, checked on the server for every page and every action.

Customers hold a capability: the job they started at the kiosk or whose link they have; they act on that job only,
and start or frame it only when they stand at its machine (the kiosk). Staff act on every job and machine; admins
also manage the staff accounts. Nobody else may do anything but look at the kiosk and order.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.i18n import t
from app.jobs import JobRefused


class Role(StrEnum):
    ANONYMOUS = "anonymous"
    CUSTOMER = "customer"
    STAFF = "staff"
    ADMIN = "admin"


class Action(StrEnum):
    # a customer's own job
    VIEW_JOB = "view_job"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    STOP = "stop"
    # at the machine only
    START = "start"
    FRAME = "frame"
    # the store
    VIEW_CONSOLE = "view_console"
    APPROVE = "approve"
    DENY = "deny"
    REORDER = "reorder"
    REASSIGN = "reassign"
    CONFIRM_READY = "confirm_ready"
    MARK_COLLECTED = "mark_collected"
    STOP_MACHINE = "stop_machine"
    STOP_ALL = "stop_all"
    MAINTENANCE = "maintenance"
    SET_MATERIAL = "set_material"
    REHOME = "rehome"
    CANCEL_AND_REFUND = "cancel_and_refund"
    VIEW_AUDIT = "view_audit"
    # accounts
    MANAGE_USERS = "manage_users"


OWN_JOB = frozenset({Action.VIEW_JOB, Action.PAUSE, Action.RESUME, Action.CANCEL, Action.STOP})
AT_THE_MACHINE = frozenset({Action.START, Action.FRAME})
STAFF_ACTIONS = frozenset(Action) - {Action.MANAGE_USERS}


@dataclass(frozen=True)
class Principal:
    role: Role
    name: str = ""  # staff: the account's name
    job_id: str | None = None  # customers: the one job they hold
    at_machine: bool = False  # customers: standing at the kiosk beside the machine

    @property
    def actor(self) -> str:
        """How the audit log names them."""
        if self.role in (Role.STAFF, Role.ADMIN):
            return f"{self.role.value}:{self.name}"
        if self.role is Role.CUSTOMER:
            return "kiosk" if self.at_machine else "phone"
        return "anonymous"

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF, Role.ADMIN)


ANONYMOUS = Principal(Role.ANONYMOUS)


def kiosk_customer(job_id: str) -> Principal:
    return Principal(Role.CUSTOMER, job_id=job_id, at_machine=True)


def phone_customer(job_id: str) -> Principal:
    return Principal(Role.CUSTOMER, job_id=job_id)


class Forbidden(JobRefused):
    """The principal may not do this; the message is the same whatever the reason, so it tells nothing."""

    def __init__(self) -> None:
        super().__init__(t("You are not allowed to do this."))


def allowed(principal: Principal, action: Action, job_id: str | None = None) -> bool:
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.STAFF:
        return action in STAFF_ACTIONS
    if principal.role is Role.CUSTOMER:
        if job_id is None or job_id != principal.job_id:
            return False
        return action in OWN_JOB or (action in AT_THE_MACHINE and principal.at_machine)
    return False


def authorize(principal: Principal, action: Action, job_id: str | None = None) -> None:
    if not allowed(principal, action, job_id):
        raise Forbidden()
