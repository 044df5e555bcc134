"""Orders at the head office: which store can make a design and when, the price made here against that store's own
machine, the order as an `hq_orders` row (replication takes it to the store), and what its customer's link shows
while it travels.

What the head office knows of a store is what the store published: its machines (kind, state, progress) in
`machine_snapshots`, its queue in its `jobs` rows. The price is made here by the same pipeline (OpenSCAD, the slicer
or the toolpath planner) on the chain's reference machine of the kind the store makes it on: the head office's own
machines file, which describes the machine each kind of the chain is (it runs none of them). The store checks the
design again on its own machine and honours that price or refuses with its reason (app/chain/orders.py).
A store whose reports stopped is shown as stale; an order for it is still taken and waits, and its link says so,
until the store is back and takes it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.chain.hq_console import aware_utc, store_is_stale
from app.config import Settings
from app.designs.catalog import Template
from app.i18n import Text, t
from app.job_records import JobRefused, token_hash
from app.job_states import NOT_STARTED, ON_MACHINE, JobState
from app.models import HqOrderRow, JobEventRow, JobRow, MachineSnapshotRow, StoreRow
from app.pipeline import QuoteResult
from machine_adapters.profiles import MachineProfile

Clock = Callable[[], datetime]
UNAVAILABLE = ("offline", "connecting", "halted", "alarm", "link_lost")  # machines that take no job now
QUEUED = frozenset(s.value for s in NOT_STARTED)
MAKING = frozenset(s.value for s in ON_MACHINE)


@dataclass(frozen=True)
class StoreChoice:
    """A store a customer may pick up from, for designs of some machine kinds."""

    id: str
    name: str
    city: str
    machine_id: str  # its machine that would make it: free first
    free_at: datetime  # when that machine is expected to be free, from the store's own queue facts
    stale: bool  # the store's reports stopped: orders for it wait until it is back


@dataclass(frozen=True)
class OrderView:
    """What the customer's link shows: the order, and the store's job for it once the store has it."""

    order_id: str
    store: StoreChoice | None
    store_name: str
    display_name: str
    total: Decimal
    currency: str
    stage: str  # "sent", "at_store" or "refused"
    job_state: str | None  # the store's job state, once it has it
    reason: str  # the store's reason for refusing or holding it, as the store wrote it
    events: tuple[tuple[datetime, str], ...]  # the store's transitions of the job, oldest first
    percent: int | None = None  # while its machine makes it: how far, as the store's machine reported


class HqOrders:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        catalog: Mapping[str, Template],
        machines: Mapping[str, MachineProfile],
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.catalog = catalog
        self.machines = machines  # the chain's reference machine of each kind, for prices
        self.stale_after = timedelta(seconds=settings.chain.stale_after_s)
        self.clock = clock

    # --- where, and when ----------------------------------------------------------------------------------------

    def cities(self) -> list[str]:
        with self.sessions() as session:
            return sorted(set(session.scalars(select(StoreRow.city).where(StoreRow.retired_at.is_(None)))))

    def stores_for(self, kinds: Iterable[str], city: str | None = None) -> list[StoreChoice]:
        """Stores with a machine of these kinds that takes jobs: those reporting first, the customer's city first
        among them, then by the earliest free machine."""
        kinds = set(kinds)
        now = self.clock()
        with self.sessions() as session:
            stores = {s.id: s for s in session.scalars(select(StoreRow).where(StoreRow.retired_at.is_(None)))}
            machines = [
                m
                for m in session.scalars(select(MachineSnapshotRow).where(MachineSnapshotRow.kind.in_(kinds)))
                if m.store in stores
            ]
            waiting = session.execute(
                select(JobRow.store, JobRow.machine_id, JobRow.state, JobRow.estimated_seconds, JobRow.started_at)
                .where(JobRow.state.in_(QUEUED | MAKING))
                .where(JobRow.store.in_(list(stores)))
            ).all()
        queue: dict[tuple[str, str], float] = {}
        for store_id, machine_id, state, estimate, started in waiting:
            left = float(estimate)
            if state in MAKING and started is not None:  # the part already made is no longer waited for
                left = max(0.0, left - (now - aware_utc(started)).total_seconds())
            queue[(store_id, machine_id)] = queue.get((store_id, machine_id), 0.0) + left
        best: dict[str, StoreChoice] = {}
        for m in machines:
            if m.state in UNAVAILABLE:
                continue
            store = stores[m.store]
            free_at = now + timedelta(seconds=queue.get((m.store, m.machine_id), 0.0))
            choice = StoreChoice(
                store.id,
                store.name,
                store.city,
                m.machine_id,
                free_at,
                store_is_stale(m.updated_at, now, self.stale_after),
            )
            known = best.get(store.id)
            if known is None or (choice.stale, choice.free_at) < (known.stale, known.free_at):
                best[store.id] = choice
        # a quiet store's times are old: any store that reports goes first, then the customer's city, then the soonest
        return sorted(best.values(), key=lambda c: (c.stale, c.city != city, c.free_at, c.name))

    def suggest(self, kinds: Iterable[str], city: str | None) -> StoreChoice | None:
        """The store in the customer's city with the earliest ready time (any city's, when theirs has none that
        reports)."""
        choices = self.stores_for(kinds, city)
        return choices[0] if choices else None

    # --- the price, made here on the chain's machine of that kind ----------------------------------------------

    def machine_for(self, kind: str) -> str | None:
        """The chain's reference machine of this kind (the head office's machines file)."""
        return next((m.id for m in self.machines.values() if m.kind.value == kind), None)

    # --- the order ---------------------------------------------------------------------------------------------

    def place(self, result: QuoteResult, store: str, customer_name: str, tip: Decimal = Decimal("0")) -> str:
        """The order as the head office's row for the store; the customer's link token (only its hash is kept)."""
        if result.quote.valid_until < self.clock():
            raise JobRefused(t("This price is no longer valid. Go back and get a new price."))
        if result.design.template is None:
            raise JobRefused(t("Orders through the head office are for catalog designs."))
        if not 0 <= tip <= self.settings.designers.max_tip:
            raise JobRefused(t("A tip of at most {amount} can be added.", amount=self.settings.designers.max_tip))
        kind = self.machines[result.plan.machine_id].kind.value
        token = secrets.token_urlsafe(24)  # 192 bits, as the store's own links
        with self.sessions.begin() as session:
            if session.get(StoreRow, store) is None:
                raise JobRefused(t("This store is not known. Choose another store."))
            session.add(
                HqOrderRow(
                    id=secrets.token_hex(16),
                    store=store,
                    token_hash=token_hash(token),
                    template_id=result.design.template.id,
                    template_version_id=result.design.template.version_id,
                    parameters=dict(result.design.values or {}),
                    machine_kind=kind,
                    material=result.plan.material,
                    customer_name=customer_name,
                    total=result.quote.total,
                    currency=result.quote.currency,
                    tip=tip,
                    created_at=self.clock(),
                )
            )
        return token

    # --- following it ------------------------------------------------------------------------------------------

    def follow(self, token: str) -> OrderView | None:
        """The order a link opens, or None for any link that opens nothing."""
        now = self.clock()
        with self.sessions() as session:
            order = session.scalar(select(HqOrderRow).where(HqOrderRow.token_hash == token_hash(token)))
            if order is None:
                return None
            store = session.get(StoreRow, order.store)
            job = session.scalar(select(JobRow).where(JobRow.hq_order_id == order.id, JobRow.store == order.store))
            events = (
                session.execute(
                    select(JobEventRow.at, JobEventRow.to_state)
                    .where(JobEventRow.job_id == job.id)
                    .order_by(JobEventRow.at)
                ).all()
                if job is not None
                else []
            )
            making = job is not None and job.state in MAKING
            progress = (
                session.scalar(
                    select(MachineSnapshotRow.progress).where(
                        MachineSnapshotRow.store == order.store, MachineSnapshotRow.job_id == job.id
                    )
                )
                if making and job is not None
                else None
            )
            last_report = session.scalar(
                select(MachineSnapshotRow.updated_at)
                .where(MachineSnapshotRow.store == order.store)
                .order_by(MachineSnapshotRow.updated_at.desc())
                .limit(1)
            )
        template = self.catalog.get(order.template_id)
        stale = store_is_stale(last_report, now, self.stale_after)
        choice = StoreChoice(store.id, store.name, store.city, "", now, stale) if store is not None else None
        stage = "sent"
        if job is not None:
            refused = job.state == JobState.CANCELLED.value and not job.started_at and job.source == "remote"
            stage = "refused" if refused and _refused_by_store(events) else "at_store"
        return OrderView(
            order.id,
            choice,
            store.name if store is not None else order.store,
            template.title_in("en") if template else order.template_id,
            order.total,
            order.currency,
            stage,
            job.state if job is not None else None,
            job.reason if job is not None else "",
            tuple((aware_utc(at), state) for at, state in events),
            round(progress * 100) if progress is not None else None,
        )


def _refused_by_store(events: Sequence[Any]) -> bool:
    """Cancelled while waiting for approval: the store refused it (a customer cancelling is not possible from here)."""
    states = [state for _, state in events]
    return JobState.AWAITING_APPROVAL.value in states and JobState.QUEUED.value not in states


def stage_words(view: OrderView) -> Text:
    """The honest state of an order in words, while it travels and at the store."""
    if view.stage == "sent":
        if view.store is not None and view.store.stale:
            return t("Waiting: the store cannot be reached right now. Your order goes to it as soon as it is back.")
        return t("Sent to the store")
    if view.stage == "refused":
        return t("The store could not take your order")
    return t("The store has it")
