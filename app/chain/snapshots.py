"""Machine snapshots for the head office: each machine's state, job and progress, written by its store at a modest
rate (on a state change, at most once per 2 s per machine; all of them every `[chain] snapshot_every_s`).

Status events only note the newest status in memory (they may run on the event loop); a thread of its own writes.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.fleet import Fleet
from app.models import MachineSnapshotRow
from machine_adapters.base import MachineStatus

log = logging.getLogger(__name__)
MIN_GAP_S = 2.0  # a machine changing state many times a second is still written at most this often


class MachineSnapshots:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        fleet: Fleet,
        store_id: str,
        every_s: float = 10.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.fleet = fleet
        self.store_id = store_id
        self.every_s = every_s
        self.clock = clock
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._newest: dict[str, MachineStatus] = {}
        self._written_state: dict[str, str] = {}
        self._written_at: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        for machine_id, machine in fleet.machines.items():
            self._newest[machine_id] = machine.status
            machine.status_changed.subscribe(functools.partial(self._note, machine_id))

    def _note(self, machine_id: str, status: MachineStatus) -> None:
        with self._lock:
            self._newest[machine_id] = status

    def due(self) -> list[str]:
        """The machines to write now: a changed state after the shortest gap, any of them after `every_s`."""
        now = self.monotonic()
        with self._lock:
            due = []
            for machine_id, status in self._newest.items():
                since = now - self._written_at.get(machine_id, -1e9)
                changed = self._written_state.get(machine_id) != status.state.value
                if since >= self.every_s or (changed and since >= MIN_GAP_S):
                    due.append(machine_id)
            return due

    def write(self, machine_ids: list[str]) -> None:
        if not machine_ids:
            return
        with self._lock:
            statuses = {m: self._newest[m] for m in machine_ids}
        at = self.clock()
        with self.sessions.begin() as session:
            for machine_id, status in statuses.items():
                session.merge(
                    MachineSnapshotRow(
                        store=self.store_id,
                        machine_id=machine_id,
                        kind=self.fleet.machines[machine_id].profile.kind.value,
                        state=status.state.value,
                        job_id=status.job_id,
                        progress=round(status.progress, 4),
                        updated_at=at,
                    )
                )
        now = self.monotonic()
        with self._lock:
            for machine_id, status in statuses.items():
                self._written_state[machine_id] = status.state.value
                self._written_at[machine_id] = now

    def start(self) -> MachineSnapshots:
        self._thread = threading.Thread(target=self._run, name="machine-snapshots", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self.write(self.due())
            except SQLAlchemyError:  # the store's own database: a failed round is tried again, never fatal
                log.exception("machine snapshots not written")
