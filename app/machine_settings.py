"""What staff set per machine, kept in the database across restarts and read from memory: maintenance (customers
see "not available"), the material loaded (quoting and dispatch use it), and the ready handshake (after a job
ended on a machine, someone must confirm the build plate or bed is clear before the next job starts)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.models import MachineSettingsRow
from machine_adapters.profiles import MachineProfile

# Kinds whose ready handshake only staff can give: a router's stock clamped and work zero set cannot be seen by a
# customer, so the kiosk's checklist never stands in for it.
STAFF_READIES: frozenset[str] = frozenset({"cnc_router"})


@dataclass(frozen=True)
class MachineSetting:
    maintenance: bool
    loaded_material: str
    needs_clearing: bool
    staff_must_clear: bool = False  # the last job did not finish: only staff judge what is left on the bed


class MachineSettings:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        profiles: Mapping[str, MachineProfile],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessions
        self.profiles = profiles
        self.clock = clock
        self._lock = threading.Lock()
        self._settings = {
            machine_id: MachineSetting(False, profile.loaded_material, False)
            for machine_id, profile in profiles.items()
        }
        with sessions() as session:
            for row in session.scalars(select(MachineSettingsRow)):
                profile = profiles.get(row.machine_id)
                if profile is None:
                    continue
                material = row.loaded_material if row.loaded_material in profile.materials else profile.loaded_material
                self._settings[row.machine_id] = MachineSetting(
                    row.maintenance, material, row.needs_clearing, row.needs_clearing and row.staff_must_clear
                )

    def get(self, machine_id: str) -> MachineSetting:
        with self._lock:
            return self._settings[machine_id]

    def loaded_material(self, machine_id: str) -> str:
        return self.get(machine_id).loaded_material

    def set_maintenance(self, machine_id: str, on: bool) -> None:
        self._change(machine_id, maintenance=on)

    def set_material(self, machine_id: str, material: str) -> None:
        if material not in self.profiles[machine_id].materials:
            raise ValueError(f"{machine_id} has no material {material}")
        self._change(machine_id, loaded_material=material)

    def needs_clearing(self, machine_id: str, staff_only: bool = False) -> None:
        """A job ended on the machine; `staff_only`: it did not finish (held, stopped, cancelled)."""
        self._change(machine_id, needs_clearing=True, staff_must_clear=staff_only)

    def cleared(self, machine_id: str) -> None:
        self._change(machine_id, needs_clearing=False, staff_must_clear=False)

    def _change(self, machine_id: str, **changes: object) -> None:
        with self._lock:
            setting = self._settings[machine_id] = replace(self._settings[machine_id], **changes)  # type: ignore[arg-type]
            with self.sessions.begin() as session:
                row = session.get(MachineSettingsRow, machine_id)
                if row is None:
                    row = MachineSettingsRow(machine_id=machine_id)
                    session.add(row)
                row.maintenance = setting.maintenance
                row.loaded_material = setting.loaded_material
                row.needs_clearing = setting.needs_clearing
                row.staff_must_clear = setting.staff_must_clear
                row.updated_at = self.clock()
