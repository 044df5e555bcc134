"""Machine control's own path: start, STOP, pause, resume, frame, dispatch and staff actions run on these threads.

Design work (OpenSCAD, PrusaSlicer, mesh checks) runs in the design-work queue (app/design_queue.py) and NiceGUI's
worker pool; neither is used here, so a machine action never waits behind a customer's render or slice. The event
loop only awaits: the action itself (a database write, a line to the port thread, a whole program's validation for
a start) runs on a machine-control thread.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

# Machine actions are short (a database write, a line handed to a port thread) and the longest, a start's program
# validation, takes a second or two: a handful of threads keeps a STOP from queueing behind two starts at once.
CONTROL_THREADS = 6
_executor = ThreadPoolExecutor(max_workers=CONTROL_THREADS, thread_name_prefix="machine-control")
# STOP has a lane of its own: it never waits even behind other machine actions (SAFETY.md: stop never waits)
_stop_lane = ThreadPoolExecutor(max_workers=2, thread_name_prefix="machine-stop")


async def control(action: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a machine action on machine control's own threads and return its result (or raise its error).

    Unlike NiceGUI's `run.io_bound` it never answers None: a closed page's await is cancelled, the action itself
    still completes (a STOP sent is sent)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor, functools.partial(action, *args, **kwargs))


async def stop(action: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a STOP (of a job, a machine or all machines) on its own lane, free even when every machine-control
    thread is busy with starts and staff actions."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_stop_lane, functools.partial(action, *args, **kwargs))


async def act(action_name: str, run: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """A customer's job action by its name: "stop" takes the stop lane, the rest machine control's threads."""
    lane = stop if action_name == "stop" else control
    return await lane(run, *args, **kwargs)
