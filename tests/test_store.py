"""Store operations on the real simulated machines: who may do what (the authorization matrix, every action ×
every kind of person), approval and refusal, the ready handshake, dispatch in the staff's order, the audit log,
and staff accounts (argon2, lockout, rate limit, expiring sessions)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.access import ANONYMOUS, Action, Forbidden, Principal, Role, kiosk_customer, phone_customer
from app.config import StaffPolicy, load_settings
from app.designers.accounts import DesignerError
from app.fleet import Fleet
from app.jobs import Actor, JobRefused, JobState
from app.models import StaffUserRow
from app.services import Services, build_services
from app.staff import SignInRefused, StaffAccounts, StaffError
from app.store import StoreOps
from machine_adapters.base import MachineState
from tests.conftest import machines_file, running_store
from tests.designer_helpers import COASTER_FIXED, coaster_form, designer, submitted

STAFF = Principal(Role.STAFF, name="sam")
ADMIN = Principal(Role.ADMIN, name="ada")


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Services]:
    with running_store(tmp_path, 200) as services:
        yield services


def ops(services: Services) -> StoreOps:
    assert services.store is not None
    return services.store


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def order(services: Services, name: str = "Lena", source: str = "remote") -> tuple[str, str]:
    """A keychain order under this customer's name (the keychain itself is the same each time: sliced once)."""
    quote = services.pipeline.quote_template("keychain", {"name": "Lena"}, "printer-1")
    assert services.jobs is not None
    new = services.jobs.create(quote.quote_id, source=source, actor=Actor.PHONE, customer_name=name)
    return new.job.id, new.token


# --- the authorization matrix --------------------------------------------------------------------------------

OWN = {Action.VIEW_JOB, Action.PAUSE, Action.RESUME, Action.CANCEL, Action.STOP}
DESIGNERS_OWN = {Action.SUBMIT_TEMPLATE, Action.VIEW_OWN_SUBMISSIONS, Action.EDIT_PROFILE}
EXPECTED: dict[str, set[Action]] = {
    "anonymous": set(),
    "customer of job A (phone)": OWN,
    "customer of job A (at the kiosk)": OWN | {Action.START, Action.FRAME},
    "customer of job A (at a kiosk beside another machine)": OWN,
    "customer of job B": set(),
    "staff": set(Action) - {Action.MANAGE_USERS, Action.INVITE_DESIGNERS} - DESIGNERS_OWN,
    "admin": set(Action) - DESIGNERS_OWN,  # a designer's submissions and profile are the designer's own
    "designer (their own)": DESIGNERS_OWN,
    "designer (another's)": set(),
}


def perform(services: Services, who: Principal, action: Action, job_a: str, designer_a: str, submission_a: str) -> None:
    """Do the action on job A (or the machine it is queued for; or designer A's submissions and profile) the way
    the pages do it."""
    store = ops(services)
    machine = "printer-1"
    calls: dict[Action, Callable[[], object]] = {
        Action.VIEW_JOB: lambda: store.view_job(who, job_a),
        Action.APPROVE: lambda: store.approve(who, job_a),
        Action.DENY: lambda: store.deny(who, job_a, "no"),
        Action.REORDER: lambda: store.move(who, job_a, 1),
        Action.REASSIGN: lambda: store.reassign(who, job_a, "laser-1"),
        Action.CONFIRM_READY: lambda: store.confirm_ready(who, machine),
        Action.MARK_COLLECTED: lambda: store.mark_collected(who, job_a),
        Action.STOP_MACHINE: lambda: store.stop_machine(who, "laser-1"),
        Action.STOP_ALL: lambda: store.stop_all(who),
        Action.MAINTENANCE: lambda: store.set_maintenance(who, "laser-1", False),
        Action.SET_MATERIAL: lambda: store.set_material(who, machine, "PLA"),
        Action.REHOME: lambda: store.bring_back(who, "laser-1"),
        Action.CANCEL_AND_REFUND: lambda: store.cancel_and_refund(who, job_a),
        Action.VIEW_AUDIT: lambda: store.audit(who),
        Action.MANAGE_USERS: lambda: store.staff_accounts(who),
        Action.VIEW_CONSOLE: lambda: store.board(who),
        Action.MANAGE_KIOSKS: lambda: store.paired_kiosks(who),
        Action.REVIEW_SUBMISSIONS: lambda: services.submissions.for_review(who),
        Action.INVITE_DESIGNERS: lambda: services.designers.invite(who),
        # a fix of designer A's submission, refused for its share only once past the check
        Action.SUBMIT_TEMPLATE: lambda: services.submissions.submit(who, coaster_form(share="?"), submission_a),
        Action.VIEW_OWN_SUBMISSIONS: lambda: services.submissions.of_designer(who, designer_a),
        Action.EDIT_PROFILE: lambda: services.designers.update_profile(who, designer_a, "Ayla", "Köln", {}),
    }
    call = calls.get(action) or (lambda: store.job_action(who, job_a, action))
    call()


def test_the_authorization_matrix(shop: Services) -> None:
    job_a, _ = order(shop, "Ada")
    designer_a = designer(shop, "ayla")
    designer_b = designer(shop, "bea")
    assert designer_a.designer_id is not None
    submission_a = submitted(shop, designer_a, COASTER_FIXED).id
    job_b, _ = order(shop, "Bo")
    principals = {
        "anonymous": ANONYMOUS,
        "customer of job A (phone)": phone_customer(job_a),
        "customer of job A (at the kiosk)": kiosk_customer(job_a, frozenset({"printer-1"})),
        "customer of job A (at a kiosk beside another machine)": kiosk_customer(job_a, frozenset({"laser-1"})),
        "customer of job B": phone_customer(job_b),
        "staff": STAFF,
        "admin": ADMIN,
        "designer (their own)": designer_a,
        "designer (another's)": designer_b,
    }
    cells = 0
    for label, who in principals.items():
        for action in Action:
            try:
                perform(shop, who, action, job_a, designer_a.designer_id, submission_a)
                outcome = "allowed"
            except Forbidden:
                outcome = "denied"
            except (JobRefused, DesignerError):
                outcome = "allowed"  # past the check; refused only because of the job's or machine's state
            expected = "allowed" if action in EXPECTED[label] else "denied"
            assert outcome == expected, (label, action.value)
            cells += 1
    assert cells == len(principals) * len(Action) == 9 * 28


# --- approvals, the handshake, dispatch ----------------------------------------------------------------------


def test_remote_orders_wait_for_approval_and_a_refusal_reaches_the_customer(shop: Services) -> None:
    store, jobs = ops(shop), shop.jobs
    assert jobs is not None
    job_id, token = order(shop)
    assert jobs.get(job_id).state is JobState.AWAITING_APPROVAL
    with pytest.raises(JobRefused, match="approve"):
        jobs.start(job_id, Actor.STAFF)
    with pytest.raises(JobRefused, match="Say why"):
        store.deny(STAFF, job_id, "  ")
    store.deny(STAFF, job_id, "We are out of orange filament today.")
    found = jobs.find(token)
    assert found is not None and found.state is JobState.CANCELLED
    assert jobs.live(job_id).reason == "We are out of orange filament today."
    entries = store.audit(STAFF, job_id[:6])
    assert any(e.what == "deny" and e.actor == "staff:sam" for e in entries)
    assert any(e.what == "awaiting_approval → cancelled" for e in entries)


def test_large_kiosk_jobs_need_approval_small_ones_do_not(tmp_path: Path) -> None:
    settings = load_settings(
        None, data_dir=str(tmp_path / "data"), machines_file=str(machines_file(tmp_path, 200)), approval={}
    )
    services = build_services(settings)
    services.run_machines(Fleet.build(services.machines))
    small, _ = order(services, "Al", source="kiosk")
    assert services.jobs is not None and services.jobs.get(small).state is JobState.WAITING_FOR_MACHINE_READY
    strict = load_settings(
        None,
        data_dir=str(tmp_path / "data2"),
        machines_file=str(machines_file(tmp_path, 200)),
        approval={"kiosk_max_minutes": 0.01},
    )
    services = build_services(strict)
    services.run_machines(Fleet.build(services.machines))
    big, _ = order(services, "Al", source="kiosk")
    assert services.jobs is not None and services.jobs.get(big).state is JobState.AWAITING_APPROVAL
    ops(services).approve(STAFF, big)  # the customer is at the kiosk: approved, it can be started there
    assert services.jobs.get(big).state is JobState.WAITING_FOR_MACHINE_READY


def test_dispatch_in_the_staffs_order_and_the_ready_handshake_blocks_the_next_start(shop: Services) -> None:
    store, jobs = ops(shop), shop.jobs
    assert jobs is not None and shop.fleet is not None
    printer = shop.fleet.machines["printer-1"]
    wait_for(lambda: printer.status.state is MachineState.IDLE)
    first, _ = order(shop, "First")
    second, _ = order(shop, "Second")
    store.set_maintenance(STAFF, "printer-1", True)  # nothing is dispatched while staff look after the printer
    store.approve(STAFF, first)
    store.approve(STAFF, second)
    assert jobs.get(first).state is JobState.QUEUED
    store.move(STAFF, second, -1)  # staff put the second order first
    store.set_maintenance(STAFF, "printer-1", False)
    assert jobs.get(second).state is JobState.WAITING_FOR_MACHINE_READY
    assert jobs.get(first).state is JobState.QUEUED  # one job at a machine at a time
    with pytest.raises(Forbidden):
        store.job_action(phone_customer(second), second, Action.START)  # nobody starts from a distance
    store.job_action(STAFF, second, Action.START)
    wait_for(lambda: jobs.get(second).state is JobState.READY_FOR_PICKUP, 60)
    assert jobs.machine_settings.get("printer-1").needs_clearing  # the part is still on the bed
    wait_for(lambda: printer.status.state is MachineState.IDLE)
    assert store.dispatch() == []  # not before the bed is confirmed clear
    store.confirm_ready(STAFF, "printer-1")
    assert jobs.get(first).state is JobState.WAITING_FOR_MACHINE_READY
    store.job_action(STAFF, first, Action.START)
    wait_for(lambda: jobs.get(first).state is JobState.READY_FOR_PICKUP, 60)
    third, _ = order(shop, "Third")
    store.approve(STAFF, third)
    wait_for(lambda: printer.status.state is MachineState.IDLE)
    assert jobs.get(third).state is JobState.QUEUED  # first's part is on the bed: no dispatch
    kiosk_quote = shop.pipeline.quote_template("keychain", {"name": "Lena"}, "printer-1")
    at_kiosk = jobs.create(kiosk_quote.quote_id).job.id  # a walk-in customer is at the machine
    with pytest.raises(JobRefused, match="clear"):
        store.job_action(STAFF, at_kiosk, Action.START)  # staff did not confirm the bed clear
    at_printer = kiosk_customer(at_kiosk, frozenset({"printer-1"}))
    store.job_action(at_printer, at_kiosk, Action.START)  # after a finished job the kiosk's checklist confirms
    wait_for(lambda: jobs.get(at_kiosk).state is JobState.READY_FOR_PICKUP, 60)
    store.mark_collected(STAFF, second)
    assert jobs.get(second).state is JobState.COLLECTED


def test_maintenance_keeps_customers_off_a_machine(shop: Services) -> None:
    store = ops(shop)
    store.set_maintenance(STAFF, "printer-1", True)
    quote = shop.pipeline.quote_template("keychain", {"name": "Max"}, "printer-1")
    assert shop.jobs is not None
    with pytest.raises(JobRefused, match="not available"):
        shop.jobs.create(quote.quote_id)
    store.set_maintenance(STAFF, "printer-1", False)
    assert shop.jobs.create(quote.quote_id).job.state is JobState.WAITING_FOR_MACHINE_READY


# --- accounts ------------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def accounts(services: Services, clock: Clock, policy: StaffPolicy | None = None) -> StaffAccounts:
    return StaffAccounts(services.sessions, policy or StaffPolicy(), clock, monotonic=lambda: clock.now.timestamp())


def test_passwords_are_stored_as_argon2_and_bad_accounts_are_refused(services: Services) -> None:
    clock = Clock()
    staff = accounts(services, clock)
    staff.add_user("sam", "staff", "correct horse battery")
    with services.sessions() as session:
        row = session.query(StaffUserRow).one()
        assert row.password_hash.startswith("$argon2id$") and "correct" not in row.password_hash
    for name, role, password in [("sam", "staff", "another password"), ("x", "staff", "long enough pw"),
                                 ("eve", "root", "long enough pw"), ("eve", "staff", "short")]:  # fmt: skip
        with pytest.raises(StaffError):
            staff.add_user(name, role, password)


def test_wrong_passwords_slow_a_name_down_known_or_not_then_sessions_expire_and_sign_out(services: Services) -> None:
    clock = Clock()
    staff = accounts(services, clock, StaffPolicy(session_hours=1, lockout_after=3, lockout_minutes=15))
    staff.add_user("sam", "staff", "correct horse battery")
    answers: dict[str, list[str]] = {}
    for name in ("sam", "nobody"):  # a real account and a name that does not exist answer alike
        for attempt in range(5):
            try:
                staff.sign_in(name, "guess", f"10.0.{attempt}.1")
                answers.setdefault(name, []).append("signed in")
            except SignInRefused as e:
                answers.setdefault(name, []).append(str(e))
    assert answers["sam"] == answers["nobody"]
    assert answers["sam"][:3] == ["The name or the password is wrong."] * 3
    assert all("Wait" in answer for answer in answers["sam"][3:])  # the 4th and 5th come too soon after the 3rd
    with pytest.raises(SignInRefused, match="Wait"):
        staff.sign_in("sam", "correct horse battery", "10.0.0.2")  # even the right password must wait
    clock.now += timedelta(seconds=7)  # each try too soon doubled the wait (1, 2, 4, 8 s) ...
    with pytest.raises(SignInRefused, match="Wait"):
        staff.sign_in("sam", "correct horse battery", "10.0.0.3")
    clock.now += timedelta(seconds=17)  # ... but it never locks the account
    token = staff.sign_in("sam", "correct horse battery", "10.0.0.4")
    assert staff.principal(token) == Principal(Role.STAFF, name="sam")
    clock.now += timedelta(minutes=61)
    assert staff.principal(token) is None  # expired
    token = staff.sign_in("sam", "correct horse battery", "10.0.0.4")
    staff.sign_out(token)
    assert staff.principal(token) is None
    assert staff.principal("made-up") is None


def test_guessing_from_elsewhere_never_keeps_staff_out_of_their_own_console(services: Services) -> None:
    clock = Clock()
    staff = accounts(
        services, clock, StaffPolicy(lockout_after=2, lockout_minutes=15, attempts_per_client_per_minute=1000)
    )
    staff.add_user("sam", "staff", "correct horse battery")
    console = staff.remember_device(staff.sign_in("sam", "correct horse battery", "10.0.0.5"))
    assert console is not None
    for _ in range(40):  # someone outside keeps trying passwords for sam
        with contextlib.suppress(SignInRefused):
            staff.sign_in("sam", "guess", "203.0.113.9")
        clock.now += timedelta(seconds=1)
    with pytest.raises(SignInRefused, match="Wait"):
        staff.sign_in("sam", "correct horse battery", "10.0.0.6")  # a new browser waits like the attacker
    token = staff.sign_in("sam", "correct horse battery", "10.0.0.5", console)  # the console's own device does not
    assert staff.principal(token) == Principal(Role.STAFF, name="sam")
    with pytest.raises(SignInRefused, match="wrong"):
        staff.sign_in("sam", "guess", "10.0.0.5", "a-made-up-device-cookie")  # a forged cookie is no device


def test_sign_in_tries_are_limited_per_client(services: Services) -> None:
    clock = Clock()
    staff = accounts(services, clock, StaffPolicy(attempts_per_client_per_minute=4, lockout_after=100))
    for _ in range(4):
        with pytest.raises(SignInRefused, match="wrong"):
            staff.sign_in(f"user{_}", "guess", "10.0.0.9")
    with pytest.raises(SignInRefused, match="Too many tries"):
        staff.sign_in("sam", "guess", "10.0.0.9")
    clock.now += timedelta(seconds=61)
    with pytest.raises(SignInRefused, match="wrong"):
        staff.sign_in("sam", "guess", "10.0.0.9")
