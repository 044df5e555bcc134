"""Who may do what: one table, checked on the server for every page and every action.

Customers hold a capability: the job they started at the kiosk or whose link they have; they act on that job only,
and start or frame it only from a kiosk device staff paired beside that job's machine. Staff act on every job and
machine; admins also manage the staff accounts. Nobody else may do anything but look at the catalog and order.

Which request gets which principal is decided here too: the real peer address (X-Forwarded-For believed only from
configured proxies) and whether a browser is the one on the server's own computer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from app.i18n import t
from app.jobs import JobRefused


class Role(StrEnum):
    ANONYMOUS = "anonymous"
    CUSTOMER = "customer"
    STAFF = "staff"
    ADMIN = "admin"
    DESIGNER = "designer"  # publishes templates; sees only their own submissions and profile, never the store


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
    MANAGE_KIOSKS = "manage_kiosks"  # pair a kiosk beside machines, revoke one
    REVIEW_SUBMISSIONS = "review_submissions"  # see designers' submissions, approve or send one back
    # accounts
    MANAGE_USERS = "manage_users"
    INVITE_DESIGNERS = "invite_designers"
    # a designer's own
    SUBMIT_TEMPLATE = "submit_template"
    VIEW_OWN_SUBMISSIONS = "view_own_submissions"
    EDIT_PROFILE = "edit_profile"


OWN_JOB = frozenset({Action.VIEW_JOB, Action.PAUSE, Action.RESUME, Action.CANCEL, Action.STOP})
AT_THE_MACHINE = frozenset({Action.START, Action.FRAME})
DESIGNER_ACTIONS = frozenset({Action.SUBMIT_TEMPLATE, Action.VIEW_OWN_SUBMISSIONS, Action.EDIT_PROFILE})
STAFF_ACTIONS = frozenset(Action) - {Action.MANAGE_USERS, Action.INVITE_DESIGNERS} - DESIGNER_ACTIONS


@dataclass(frozen=True)
class Principal:
    role: Role
    name: str = ""  # staff: the account's name
    job_id: str | None = None  # customers: the one job they hold
    beside: frozenset[str] = frozenset()  # customers at a paired kiosk: the machines it stands beside
    designer_id: str | None = None  # designers: their designers row, the only one whose things they act on

    @property
    def at_machine(self) -> bool:
        """A customer at a paired kiosk (beside at least one machine), not a phone or a browser elsewhere."""
        return bool(self.beside)

    @property
    def actor(self) -> str:
        """How the audit log names them."""
        if self.role in (Role.STAFF, Role.ADMIN):
            return f"{self.role.value}:{self.name}"
        if self.role is Role.CUSTOMER:
            return "kiosk" if self.at_machine else "phone"
        if self.role is Role.DESIGNER:
            return f"designer:{self.name}"
        return "anonymous"

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF, Role.ADMIN)


ANONYMOUS = Principal(Role.ANONYMOUS)


def kiosk_customer(job_id: str, beside: frozenset[str]) -> Principal:
    """The customer at a paired kiosk: at the machines that kiosk stands beside, and no others."""
    return Principal(Role.CUSTOMER, job_id=job_id, beside=beside)


def phone_customer(job_id: str) -> Principal:
    return Principal(Role.CUSTOMER, job_id=job_id)


class Forbidden(JobRefused):
    """The principal may not do this; the message is the same whatever the reason, so it tells nothing."""

    def __init__(self) -> None:
        super().__init__(t("You are not allowed to do this."))


def allowed(
    principal: Principal,
    action: Action,
    job_id: str | None = None,
    machine_id: str | None = None,
    designer_id: str | None = None,
) -> bool:
    """`machine_id`: the machine of the job, for the actions done at the machine. `designer_id`: whose submission or
    profile a designer's action is on (only their own)."""
    if principal.role is Role.ADMIN:
        return action not in DESIGNER_ACTIONS  # an admin reviews and invites; a designer's work is the designer's
    if principal.role is Role.STAFF:
        return action in STAFF_ACTIONS
    if principal.role is Role.DESIGNER:
        return action in DESIGNER_ACTIONS and principal.designer_id is not None and designer_id == principal.designer_id
    if principal.role is Role.CUSTOMER:
        if job_id is None or job_id != principal.job_id:
            return False
        return action in OWN_JOB or (action in AT_THE_MACHINE and machine_id in principal.beside)
    return False


def authorize(
    principal: Principal,
    action: Action,
    job_id: str | None = None,
    machine_id: str | None = None,
    designer_id: str | None = None,
) -> None:
    if not allowed(principal, action, job_id, machine_id, designer_id):
        raise Forbidden()


# --- who is asking ------------------------------------------------------------------------------------------

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})


def host_name(host_header: str) -> str:
    """The name in a Host header, lower case, without the port."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def client_address(peer: str, headers: Mapping[str, str], trusted_proxies: tuple[str, ...]) -> str:
    """The real peer: the connection's address, or, when that is a proxy the store named, the last address in
    X-Forwarded-For that is not one of its proxies (addresses further left were written by the client itself and
    prove nothing). Rate limits and the local-kiosk rule key on this."""
    if _canonical(peer) not in trusted_proxies:
        return peer
    hops = [hop.strip() for hop in headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if _canonical(hop) not in trusted_proxies:
            return _canonical(hop) or peer
    return peer


def is_local_browser(peer: str, headers: Mapping[str, str], trusted_proxies: tuple[str, ...]) -> bool:
    """A browser on the server's own computer: the connection comes from loopback, and not from a proxy (a named
    one, or any that says it forwarded), and it asked for a loopback name. A DNS-rebinding page asks for its own
    name and a phone cannot reach loopback, so neither passes."""
    if not _is_loopback(peer) or _canonical(peer) in trusted_proxies:
        return False
    if "x-forwarded-for" in headers or "forwarded" in headers:
        return False
    return host_name(headers.get("host", "")) in LOOPBACK_NAMES


def _canonical(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return ""


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
