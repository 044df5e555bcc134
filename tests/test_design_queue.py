"""The design-work queue: a newer change drops older work (queued, or running with its tool killed), the kiosk goes
first, addresses take turns, an address is limited, a closed page's await never hands back a None."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from app.design_queue import Client, DesignQueue, TooManyRuns, WorkDropped
from app.tool_runner import run_tool
from tests.conftest import eventually


async def until(condition: Callable[[], object], what: str) -> None:
    """Wait for what the queue's threads and this loop's tasks do (the loop runs meanwhile)."""
    await asyncio.to_thread(eventually, condition, 10, what)


class Gate:
    """Holds a worker until opened, so the test decides when the queue moves."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.open = threading.Event()

    def hold(self) -> str:
        self.entered.set()
        assert self.open.wait(30)
        return "held"


async def test_a_newer_change_kills_the_pages_running_tool() -> None:
    queue = DesignQueue(workers=1)
    page = Client("page-1", "10.0.0.7")
    older = queue.begin(page)
    started = time.monotonic()
    running = asyncio.ensure_future(older.run(run_tool, ["sleep", "30"], 60.0))
    await until(lambda: queue.running() == ["page-1"], "the tool to run")
    newer = queue.begin(page)
    with pytest.raises(WorkDropped):
        await running
    assert time.monotonic() - started < 5, "the older render was killed, not waited for"
    assert await newer.run(lambda: "new") == "new"


async def test_a_newer_change_drops_the_pages_queued_work() -> None:
    queue = DesignQueue(workers=1)
    gate = Gate()
    blocker = asyncio.ensure_future(queue.begin(Client("other", "10.0.0.9")).run(gate.hold))
    await asyncio.to_thread(gate.entered.wait, 10)
    page = Client("page-1", "10.0.0.7")
    ran: list[str] = []
    older = asyncio.ensure_future(queue.begin(page).run(ran.append, "older"))
    await until(lambda: queue.waiting() == 1, "the older change to queue")
    newer = asyncio.ensure_future(queue.begin(page).run(ran.append, "newer"))
    await until(lambda: older.done() and queue.waiting() == 1, "the newer change in the older's place")
    gate.open.set()
    with pytest.raises(WorkDropped):
        await older
    await newer
    assert await blocker == "held"
    assert ran == ["newer"]


async def test_the_kiosk_goes_first_then_addresses_take_turns() -> None:
    queue = DesignQueue(workers=1)
    gate = Gate()
    blocker = asyncio.ensure_future(queue.begin(Client("busy", "10.0.0.9")).run(gate.hold))
    await asyncio.to_thread(gate.entered.wait, 10)
    order: list[str] = []
    waiting = []
    for arrived, (page, address, at_machine) in enumerate(
        [
            ("flood-1", "10.0.0.66", False),
            ("flood-2", "10.0.0.66", False),
            ("flood-3", "10.0.0.66", False),
            ("phone", "10.0.0.5", False),
            ("kiosk", "127.0.0.1", True),
        ],
        start=1,
    ):
        ticket = queue.begin(Client(page, address, at_machine))
        waiting.append(asyncio.ensure_future(ticket.run(order.append, page)))
        # each after the one before: queued behind the busy worker, or (the kiosk) run on its own at once
        await until(lambda n=arrived, p=page: queue.waiting() == n or p in order, f"{page} to queue")
    gate.open.set()
    await asyncio.gather(blocker, *waiting)
    # the kiosk first; the phone's one page is not left behind the flooding address's three
    assert order == ["kiosk", "flood-1", "phone", "flood-2", "flood-3"]


def test_an_address_begins_a_few_runs_a_minute_the_kiosk_any() -> None:
    now = [1000.0]
    queue = DesignQueue(workers=1, runs_per_minute=3, clock=lambda: now[0])
    for number in range(3):
        queue.begin(Client(f"page-{number}", "10.0.0.7"))
    with pytest.raises(TooManyRuns):
        queue.begin(Client("page-9", "10.0.0.7"))
    queue.begin(Client("page-x", "10.0.0.8"))  # another address is not affected
    for _ in range(10):
        queue.begin(Client("kiosk", "127.0.0.1", at_machine=True))
    now[0] += 61
    queue.begin(Client("page-9", "10.0.0.7"))


async def test_a_closed_pages_work_ends_in_dropped_never_in_none() -> None:
    queue = DesignQueue(workers=1)
    page = Client("page-1", "10.0.0.7")
    ticket = queue.begin(page)
    running = asyncio.ensure_future(ticket.run(run_tool, ["sleep", "30"], 60.0))
    await until(lambda: queue.running() == ["page-1"], "the tool to run")
    queue.drop(page.page)  # what the page's on_delete does when the browser is gone
    with pytest.raises(WorkDropped):
        await running
    with pytest.raises(WorkDropped):
        await ticket.run(lambda: "too late")


async def test_a_cancelled_wait_drops_only_its_own_run() -> None:
    queue = DesignQueue(workers=1)
    gate = Gate()
    page = Client("page-1", "10.0.0.7")
    older = asyncio.ensure_future(queue.begin(page).run(gate.hold))  # running on the worker
    await asyncio.to_thread(gate.entered.wait, 10)
    ran: list[str] = []
    newer = asyncio.ensure_future(queue.begin(page).run(ran.append, "newer"))  # waits for the page's older stage
    await until(lambda: queue.waiting() == 1, "the newer change to queue")
    older.cancel()  # the older run's task goes away while the newer change waits
    await until(older.done, "the older run's task to end")
    gate.open.set()
    await asyncio.wait_for(newer, 10)
    assert ran == ["newer"]
    assert queue.waiting() == 0


async def test_the_kiosk_never_waits_for_remote_stages_and_its_tools_run_at_normal_priority() -> None:
    queue = DesignQueue(workers=1)
    gate = Gate()
    flood = asyncio.ensure_future(queue.begin(Client("remote", "10.0.0.66")).run(gate.hold))
    await asyncio.to_thread(gate.entered.wait, 10)  # every ordinary worker is taken by a remote page
    niceness = ["sh", "-c", "sleep 0.3; nice"]  # a tool that says its own priority (after the host set it)
    try:
        kiosk = queue.begin(Client("kiosk", "127.0.0.1", at_machine=True))
        at_kiosk = await asyncio.wait_for(kiosk.run(run_tool, niceness, 10.0), 5)
    finally:
        gate.open.set()
    await flood
    remote = await queue.begin(Client("remote", "10.0.0.66")).run(run_tool, niceness, 10.0)
    assert at_kiosk.stdout.strip() == "0"
    assert remote.stdout.strip() == "10"  # a remote page's render or slice yields the cores to the kiosk's
