"""The design-work queue: renders, checks and slices for customers' pages, fair across clients and cancellable.

Rules (the store's, not a library's):
- a kiosk beside the machines goes ahead of remote pages: the customer there is standing and waiting; it has a
  worker of its own, and remote pages' tools run at a lower priority (app/tool_runner.py);
- among the rest, clients (addresses) take turns, so one address with many pages gets no more than one with one;
- a page has one run in flight: its newer change drops its older work, queued or running (a running external tool
  is killed through `app.tool_runner`'s cancel);
- an address may begin only a few runs a minute (the kiosk beside the machines is not limited).
Machine control never comes here: it has its own threads (app/machine_control.py).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from app.i18n import Text, t
from app.tool_runner import design_work

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

RUNS_PER_MINUTE = 12  # per address: a customer changing a name every few seconds stays well within it
RATE_WINDOW_S = 60.0
FORGET_PAST = 256  # addresses remembered before quiet ones are forgotten


class WorkDropped(Exception):
    """The work is no longer wanted (a newer change on the page, or the page is gone); nobody waits for it."""


class TooManyRuns(WorkDropped):
    """This address began too many runs in the last minute; the page tells the customer to wait a moment."""

    message: Text = t("Many changes at once: please wait a moment, then change it again.")


@dataclass(frozen=True)
class Client:
    """Who asks: one page (`page`), from one address, and whether it is the kiosk standing beside the machines."""

    page: str
    address: str
    at_machine: bool = False


@dataclass(eq=False)
class _Work:
    ticket: Ticket
    call: Callable[[], Any]
    order: int
    future: Future[Any] = field(default_factory=Future)


class Ticket:
    """One run for one page (one customer change): its stages go through the queue one after another."""

    def __init__(self, queue: DesignQueue, client: Client) -> None:
        self.queue = queue
        self.client = client
        self.cancel = threading.Event()  # set when a newer change or a closed page drops this run

    @property
    def dropped(self) -> bool:
        return self.cancel.is_set()

    async def run(self, action: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run one stage of this run in the queue; raises WorkDropped once the run was dropped."""
        future = self.queue._submit(self, lambda: action(*args, **kwargs))
        try:
            result: R = await asyncio.wrap_future(future)
        except asyncio.CancelledError:  # the page's task is gone: so is this run's work, queued or running
            self.queue.end(self)
            raise
        except Exception:
            if self.dropped:  # a killed tool's error is no news: the run was not wanted any more
                raise WorkDropped from None
            raise
        if self.dropped:
            raise WorkDropped
        return result


class DesignQueue:
    def __init__(
        self,
        workers: int = max(1, os.cpu_count() or 1),
        runs_per_minute: int = RUNS_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runs_per_minute = runs_per_minute
        self.clock = clock
        self._changed = threading.Condition()
        self._waiting: list[_Work] = []
        self._running: dict[str, _Work] = {}  # page -> its stage on a worker
        self._tickets: dict[str, Ticket] = {}  # page -> its current run
        self._served: dict[str, int] = {}  # address -> when (in `_order` terms) it was last served
        self._runs: dict[str, deque[float]] = {}  # address -> when its recent runs began
        self._order = itertools.count()
        for number in range(workers):
            threading.Thread(target=self._work, name=f"design-work-{number}", daemon=True).start()
        # one more worker takes only the kiosk's work: it never waits for a remote page's stage to end
        threading.Thread(target=self._work, args=(True,), name="design-work-kiosk", daemon=True).start()

    def begin(self, client: Client) -> Ticket:
        """A new run for the page: its older run is dropped, queued or running. Raises TooManyRuns past the
        address's limit (the kiosk beside the machines has none)."""
        now = self.clock()
        with self._changed:
            self._forget_quiet_addresses(now)
            if not client.at_machine:
                runs = self._runs.setdefault(client.address, deque())
                while runs and runs[0] <= now - RATE_WINDOW_S:
                    runs.popleft()
                if len(runs) >= self.runs_per_minute:
                    raise TooManyRuns
                runs.append(now)
            self._drop(client.page)
            ticket = self._tickets[client.page] = Ticket(self, client)
            return ticket

    def drop(self, page: str) -> None:
        """The page is closed or moved on: its work is dropped, queued or running."""
        with self._changed:
            self._drop(page)
            self._tickets.pop(page, None)

    def end(self, ticket: Ticket) -> None:
        """This run is not wanted any more (a page's newer run, if there is one, goes on)."""
        with self._changed:
            if self._tickets.get(ticket.client.page) is ticket:
                self._drop(ticket.client.page)
                del self._tickets[ticket.client.page]
            ticket.cancel.set()

    def waiting(self) -> int:
        """How many stages wait for a worker."""
        with self._changed:
            return len(self._waiting)

    def running(self) -> list[str]:
        """The pages whose stage is on a worker right now."""
        with self._changed:
            return list(self._running)

    def _forget_quiet_addresses(self, now: float) -> None:
        """Phones come and go all day: an address without a run in the last minute is forgotten."""
        if len(self._runs) < FORGET_PAST:
            return
        for address in [a for a, runs in self._runs.items() if not runs or runs[-1] <= now - RATE_WINDOW_S]:
            del self._runs[address]
            self._served.pop(address, None)

    def _drop(self, page: str) -> None:
        old = self._tickets.get(page)
        if old is None:
            return
        old.cancel.set()  # a running tool of this run is killed (see app/tool_runner.py)
        for work in [w for w in self._waiting if w.ticket is old]:
            self._waiting.remove(work)
            if not work.future.done():  # its awaiting task may have been cancelled already
                work.future.set_exception(WorkDropped())

    def _submit(self, ticket: Ticket, call: Callable[[], Any]) -> Future[Any]:
        work = _Work(ticket, call, next(self._order))
        with self._changed:
            if ticket.dropped:
                work.future.set_exception(WorkDropped())
            else:
                self._waiting.append(work)
                self._changed.notify()
        return work.future

    def _next(self, kiosk_only: bool) -> _Work | None:
        """The kiosk's work first; then the address served longest ago; a page's stages one at a time."""
        ready = [
            w
            for w in self._waiting
            if w.ticket.client.page not in self._running and (w.ticket.client.at_machine or not kiosk_only)
        ]
        if not ready:
            return None
        work = min(
            ready,
            key=lambda w: (
                not w.ticket.client.at_machine,
                self._served.get(w.ticket.client.address, -1),
                w.order,
            ),
        )
        self._waiting.remove(work)
        return work

    def _work(self, kiosk_only: bool = False) -> None:
        while True:
            with self._changed:
                work = self._next(kiosk_only)
                while work is None:
                    self._changed.wait()
                    work = self._next(kiosk_only)
                client = work.ticket.client
                self._running[client.page] = work
                self._served[client.address] = next(self._order)
            try:
                with design_work(work.ticket.cancel, for_kiosk=client.at_machine):
                    result = work.call()
            except BaseException as e:  # handed to whoever awaits it, as it came
                if not work.future.cancelled():
                    work.future.set_exception(e)
            else:
                if not work.future.cancelled():
                    work.future.set_result(result)
            finally:
                with self._changed:
                    self._running.pop(client.page, None)
                    self._changed.notify_all()
