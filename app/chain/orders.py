"""The store's intake of orders placed at the head office.

Replication brings each `hq_orders` row for this store (and only this store's: the publication's row filter) into the
store's own database. A watcher on that local table turns each new row into a remote job through the store's own
pipeline and job service: the design is checked, sliced and priced again on the store's machine, the price the
customer was quoted is honoured (the store never charges more than it) or the order is refused with a reason the
customer's link shows; a taken order waits for staff approval as any remote order. The job row carries the order's
id, and that fact flowing back tells the head office "the store has it". Nothing here talks to another server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.access import Action, Principal, authorize
from app.design_queue import Client, DesignQueue, TooManyRuns
from app.designs.problems import DesignRejected
from app.i18n import Text, t
from app.jobs import Actor, JobService
from app.models import HqOrderRow, JobRow, QuoteRow
from app.pipeline import Pipeline
from machine_adapters.base import MachineState

log = logging.getLogger(__name__)
HEAD_OFFICE = "head-office"  # the design queue's address for orders from the head office: one client among many
INTAKE_EVERY_S = 2.0  # a local table read: cheap, and an order waits at most this long after it arrived
PRICE_CHANGED = t("This store's price for it has changed since you were given yours. Please order again.")
CANNOT_MAKE = t("This store cannot make this design now. Please order again and choose another store.")


@dataclass(frozen=True)
class Taken:
    order_id: str
    job_id: str | None  # None: it waits (the store's catalog or machine is not ready for it yet)
    refused: Text | None = None


@dataclass(frozen=True)
class StoreOrder:
    """An order the head office took for this store, as the store's staff see it."""

    order_id: str
    customer_name: str
    template_id: str
    total: Decimal
    currency: str
    job_id: str | None
    cannot_make: bool = False  # its design failed this store's own checks: staff call the customer


class OrderIntake:
    def __init__(
        self,
        store: str,
        sessions: sessionmaker[Session],
        pipeline: Pipeline,
        jobs: JobService,
        on_taken: Callable[[Taken], None] | None = None,
    ) -> None:
        self.store = store
        self.sessions = sessions
        self.pipeline = pipeline
        self.jobs = jobs
        self.on_taken = on_taken
        self._waiting_logged: set[str] = set()
        self._cannot_make: set[str] = set()  # orders whose design failed here: not checked again every round

    def pending(self) -> list[HqOrderRow]:
        """This store's orders not cancelled and not yet a job here, oldest first."""
        taken = select(JobRow.hq_order_id).where(JobRow.hq_order_id.is_not(None))
        with self.sessions() as session:
            rows = session.scalars(
                select(HqOrderRow)
                .where(HqOrderRow.store == self.store, HqOrderRow.cancelled_at.is_(None))
                .where(HqOrderRow.id.not_in(taken))
                .order_by(HqOrderRow.created_at)
            )
            return [row for row in rows if row.id not in self._cannot_make]

    def take_all(self) -> list[Taken]:
        """Take every pending order (slow: OpenSCAD and the slicer run; call off the event loop)."""
        return [taken for order in self.pending() if (taken := self.take_one(order)) is not None]

    def take_one(self, order: HqOrderRow) -> Taken | None:
        try:
            taken = self.take(order)
        except Exception:  # one broken order must not keep the others from the store
            log.exception("head-office order %s could not be taken", order.id)
            return None
        if self.on_taken is not None and taken.job_id is not None:
            self.on_taken(taken)
        return taken

    def take(self, order: HqOrderRow) -> Taken:
        machine_id = self._machine_for(order.machine_kind, order.material)
        if machine_id is None or order.template_id not in self.pipeline.catalog:
            # the catalog version may still be on its way, or the machine in maintenance: the order waits, and the
            # customer's link keeps saying "sent to the store"
            if order.id not in self._waiting_logged:
                log.warning("head-office order %s waits: no machine or template for it here yet", order.id)
                self._waiting_logged.add(order.id)
            return Taken(order.id, None)
        try:
            result = self.pipeline.quote_template(order.template_id, order.parameters, machine_id, order.material)
        except DesignRejected as e:
            return self._refuse_without_price(order, e)
        refusal = None
        if result.quote.currency != order.currency or result.quote.total > order.total:
            refusal = PRICE_CHANGED
        else:
            self._honour(result.quote_id, order.total)
        new = self.jobs.create(
            result.quote_id,
            source="remote",
            actor=Actor.SYSTEM,
            customer_name=order.customer_name,
            hq_order_id=order.id,
            link_hash=order.token_hash,  # the customer's link opens the job here too
        )
        if refusal is not None:
            self.jobs.deny(new.job.id, refusal.msgid)  # the reason travels with the job row to the customer's link
            log.info("head-office order %s refused: %s", order.id, refusal)
        return Taken(order.id, new.job.id, refusal)

    def _refuse_without_price(self, order: HqOrderRow, rejected: DesignRejected) -> Taken:
        """The design does not pass the store's own checks (its catalog or machine differs from the head office's):
        there is no price to make a job of, so the order is left for staff and not checked again until restart."""
        log.error(
            "head-office order %s: the design does not pass here, staff must call the customer: %s", order.id, rejected
        )
        self._cannot_make.add(order.id)
        return Taken(order.id, None, CANNOT_MAKE)

    def _honour(self, quote_id: str, total: Decimal) -> None:
        """The customer pays what they were quoted: the store's own price is not higher, so the quote says theirs."""
        with self.sessions.begin() as session:
            quote = session.get(QuoteRow, quote_id, with_for_update=True)
            assert quote is not None
            quote.total = total

    def _machine_for(self, kind: str, material: str) -> str | None:
        """A machine of the kind that works the material, not in maintenance; one that answers first."""
        fleet = self.jobs.fleet
        candidates = [
            m
            for m in fleet.machines.values()
            if m.profile.kind.value == kind
            and material in m.profile.materials
            and not self.jobs.machine_settings.get(m.profile.id).maintenance
        ]
        candidates.sort(key=lambda m: m.status.state in (MachineState.OFFLINE, MachineState.CONNECTING))
        return candidates[0].profile.id if candidates else None

    # --- what the store's staff see --------------------------------------------------------------------------

    def orders(self, who: Principal) -> list[StoreOrder]:
        """The head office's orders for this store with their customers' names: this store's staff only."""
        authorize(who, Action.VIEW_STORE_ORDERS, store=self.store)
        jobs_of = select(JobRow.hq_order_id, JobRow.id).where(JobRow.hq_order_id.is_not(None))
        with self.sessions() as session:
            job_ids = {order: job for order, job in session.execute(jobs_of)}
            rows = session.scalars(
                select(HqOrderRow).where(HqOrderRow.store == self.store).order_by(HqOrderRow.created_at)
            )
            return [
                StoreOrder(
                    r.id,
                    r.customer_name,
                    r.template_id,
                    r.total,
                    r.currency,
                    job_ids.get(r.id),
                    r.id in self._cannot_make,
                )
                for r in rows
            ]


async def keep_taking_orders(intake: OrderIntake, queue: DesignQueue) -> None:
    """The store's watcher on its own `hq_orders` table, every few seconds. Checking and slicing an order is design
    work: it takes its turn in the design queue as a remote page does, so the kiosk's customer still goes first."""
    while True:
        await asyncio.sleep(INTAKE_EVERY_S)
        try:
            for order in await asyncio.to_thread(intake.pending):
                ticket = queue.begin(Client(f"hq-order-{order.id}", HEAD_OFFICE))
                try:
                    await ticket.run(intake.take_one, order)
                finally:
                    queue.end(ticket)
        except TooManyRuns:
            continue  # the next round takes the rest
        except Exception:  # a failed round must not end the intake for the day
            log.exception("taking head-office orders failed")
