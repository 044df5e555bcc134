"""Who gets which principal: the real peer behind proxies, the browser on the server's own computer, the Host names
the server answers to, kiosk pairing (one-time codes, hashed device secrets, revocation), and who may confirm a
machine clear after a job that did not finish."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.access import (
    ANONYMOUS,
    Action,
    Forbidden,
    Principal,
    Role,
    client_address,
    is_local_browser,
    kiosk_customer,
    phone_customer,
)
from app.config import StorePolicy, load_settings
from app.jobs import JobRefused, JobState
from app.kiosks import MAX_PENDING_PER_ADDRESS, KioskError, Kiosks
from app.models import KioskRow
from app.server import allowed_host_names
from app.services import Services
from machine_adapters.base import MachineState
from tests.conftest import eventually, running_store
from tests.test_store import STAFF

PROXY = ("10.0.0.1",)


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "proxies", "real"),
    [
        ("192.168.1.20", "127.0.0.1", (), "192.168.1.20"),  # nobody's header is believed by default
        ("10.0.0.1", "192.168.1.20", PROXY, "192.168.1.20"),  # the store's own proxy is looked through
        ("10.0.0.1", "127.0.0.1, 192.168.1.20", PROXY, "192.168.1.20"),  # what the client wrote itself is not
        ("10.0.0.1", "192.168.1.20, 10.0.0.1", PROXY, "192.168.1.20"),  # chained through the proxy twice
        ("10.0.0.1", "", PROXY, "10.0.0.1"),
        ("10.0.0.1", "not-an-address", PROXY, "10.0.0.1"),
    ],
)
def test_the_real_peer_believes_forwarded_for_only_from_the_stores_proxies(
    peer: str, forwarded_for: str, proxies: tuple[str, ...], real: str
) -> None:
    headers = {"x-forwarded-for": forwarded_for} if forwarded_for else {}
    assert client_address(peer, headers, proxies) == real


@pytest.mark.parametrize(
    ("peer", "headers", "proxies", "local"),
    [
        ("127.0.0.1", {"host": "127.0.0.1:8080"}, (), True),
        ("127.0.0.1", {"host": "localhost"}, (), True),
        ("::1", {"host": "[::1]:8080"}, (), True),
        ("127.0.0.1", {"host": "shop.example.com"}, (), False),  # a proxy on this computer passing the name on
        ("127.0.0.1", {"host": "127.0.0.1", "x-forwarded-for": "192.168.1.20"}, (), False),  # any proxy
        ("127.0.0.1", {"host": "127.0.0.1", "forwarded": "for=192.168.1.20"}, (), False),
        ("127.0.0.1", {"host": "127.0.0.1"}, ("127.0.0.1",), False),  # the store's proxy speaks for others
        ("192.168.1.20", {"host": "127.0.0.1:8080"}, (), False),  # a phone naming loopback is still a phone
        ("10.0.0.1", {"host": "localhost", "x-forwarded-for": "127.0.0.1"}, PROXY, False),
    ],
)
def test_only_a_browser_on_the_servers_own_computer_is_local(
    peer: str, headers: dict[str, str], proxies: tuple[str, ...], local: bool
) -> None:
    assert is_local_browser(peer, headers, proxies) is local


def test_the_host_names_answered_are_public_urls_the_configured_ones_and_loopbacks(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        data_dir=str(tmp_path),
        public_url="https://shop.example.com:8443",
        allowed_hosts=["Kiosk.Local"],
        host="192.168.1.10",
    )
    assert allowed_host_names(settings) == {
        "shop.example.com", "kiosk.local", "192.168.1.10", "localhost", "127.0.0.1", "[::1]"
    }  # fmt: skip
    assert "0.0.0.0" not in allowed_host_names(load_settings(None, data_dir=str(tmp_path), host="0.0.0.0"))


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_pairing_code_is_confirmed_once_and_the_device_secret_claimed_once(services: Services) -> None:
    clock = Clock()
    kiosks = Kiosks(services.sessions, services.machines, clock)
    claim, code = kiosks.request_pairing("192.168.1.30")
    assert kiosks.claim(claim) is None  # not before staff confirmed
    with pytest.raises(KioskError):
        kiosks.confirm("000000" if code != "000000" else "000001", "Front", ["printer-1"], "staff:sam")
    with pytest.raises(KioskError):
        kiosks.confirm(code, "Front", ["no-such-machine"], "staff:sam")
    device = kiosks.confirm(code[:3] + " " + code[3:], "Front", ["printer-1"], "staff:sam")  # as the screen shows it
    with pytest.raises(KioskError):
        kiosks.confirm(code, "Again", ["laser-1"], "staff:sam")  # one time only
    secret = kiosks.claim(claim)
    assert secret is not None and len(secret) >= 43 and kiosks.claim(claim) is None  # claimed once
    assert kiosks.device(secret) == device and device.machines == {"printer-1"}
    with services.sessions() as session:
        row = session.scalars(select(KioskRow)).one()
        assert secret not in (row.secret_hash or "") and row.claim_hash is None  # only the hash is kept
    assert kiosks.device("made-up") is None
    kiosks.revoke(device.id)
    assert kiosks.device(secret) is None and kiosks.paired()[0].revoked


def test_codes_expire_and_a_flood_of_requests_is_bounded(services: Services) -> None:
    clock = Clock()
    kiosks = Kiosks(services.sessions, services.machines, clock)
    _, code = kiosks.request_pairing("192.168.1.30")
    clock.now += timedelta(minutes=11)
    with pytest.raises(KioskError, match="expired"):
        kiosks.confirm(code, "Late", ["printer-1"], "staff:sam")
    for _ in range(MAX_PENDING_PER_ADDRESS):
        kiosks.request_pairing("203.0.113.9")
    with pytest.raises(KioskError, match="too many"):
        kiosks.request_pairing("203.0.113.9")
    kiosks.request_pairing("192.168.1.31")  # another screen is not crowded out by one address


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Services]:
    with running_store(tmp_path, 200) as services:
        yield services


def kiosk_job(services: Services) -> str:
    assert services.jobs is not None
    quote = services.pipeline.quote_template("keychain", {"name": "Lena"}, "printer-1")
    return services.jobs.create(quote.quote_id).job.id


def test_after_a_stopped_job_only_staff_confirm_the_bed_clear_unless_the_store_says_otherwise(shop: Services) -> None:
    store, jobs, fleet = shop.store, shop.jobs, shop.fleet
    assert store is not None and jobs is not None and fleet is not None
    eventually(lambda: fleet.machines["printer-1"].status.state is MachineState.IDLE)
    first = kiosk_job(shop)
    at_printer = frozenset({"printer-1"})
    store.job_action(kiosk_customer(first, at_printer), first, Action.START)
    eventually(lambda: fleet.machines["printer-1"].status.lines_done > 0, 30, "the part to be begun")
    store.job_action(kiosk_customer(first, at_printer), first, Action.STOP)
    eventually(lambda: jobs.get(first).state is JobState.CANCELLED)
    assert jobs.machine_settings.get("printer-1").staff_must_clear  # half a part may be on the bed
    store.bring_back(STAFF, "printer-1")
    eventually(lambda: fleet.machines["printer-1"].status.state is MachineState.IDLE)
    second = kiosk_job(shop)
    with pytest.raises(JobRefused, match="clear"):
        store.job_action(kiosk_customer(second, at_printer), second, Action.START)  # the checklist is not enough
    jobs.settings = replace(shop.settings, store=StorePolicy(kiosk_may_clear="always"))  # a store that says so
    store.job_action(kiosk_customer(second, at_printer), second, Action.START)
    eventually(lambda: jobs.get(second).state is JobState.READY_FOR_PICKUP, 60)


# --- a chain: the head office, a store's staff, another store's staff, customers -----------------------------

CHAIN_EXPECTED: dict[str, set[Action]] = {
    "anonymous": set(),
    "customer": set(),
    "staff of this store": {Action.VIEW_STORE_ORDERS},
    "staff of another store": set(),  # never another store's customers (names, links)
    "admin of this store": {Action.VIEW_STORE_ORDERS, Action.VIEW_HQ, Action.PUBLISH},
    "head-office staff": {Action.VIEW_HQ, Action.PUBLISH},  # the chain's figures, never a customer
}


def test_the_chains_authorization_matrix(tmp_path: Path) -> None:
    """Each chain action done the way its page does it, by every kind of person: the head office's console and
    publishing, and a store's list of the orders the head office took for it (with the customers' names)."""
    from app.chain.orders import OrderIntake
    from app.fleet import Fleet
    from app.jobs import JobService
    from tests.test_hq_console import version
    from tests.test_hq_intake import head_office_order
    from tests.test_hq_orders import arrive, head_office

    office = head_office(tmp_path)
    services = office.services
    arrive(office, head_office_order("demo", Decimal("5.00"), "Ada")[1], version("v-1", "keychain", "d"))
    intake = OrderIntake(
        "demo", services.sessions, services.pipeline, JobService(services.settings, services.sessions, Fleet())
    )
    principals = {
        "anonymous": ANONYMOUS,
        "customer": phone_customer("a-job"),
        "staff of this store": Principal(Role.STAFF, name="sam", store="demo"),
        "staff of another store": Principal(Role.STAFF, name="kim", store="berlin"),
        "admin of this store": Principal(Role.ADMIN, name="ada", store="demo"),
        "head-office staff": Principal(Role.HQ, name="hugo"),
    }
    calls: dict[Action, Callable[[Principal], object]] = {
        Action.VIEW_HQ: office.console.stores,
        Action.PUBLISH: lambda who: office.console.publish(who, "v-1", []),
        Action.VIEW_STORE_ORDERS: intake.orders,
    }
    for label, who in principals.items():
        for action, call in calls.items():
            try:
                call(who)
                outcome = "allowed"
            except Forbidden:
                outcome = "denied"
            assert outcome == ("allowed" if action in CHAIN_EXPECTED[label] else "denied"), (label, action.value)
    assert {o.customer_name for o in intake.orders(principals["staff of this store"])} == {"Ada"}
