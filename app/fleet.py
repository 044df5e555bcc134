"""The store's machines at run time: built once from the profiles, connected in the background at start."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from nicegui.binding import BindableProperty

from machine_adapters.base import Machine, MachineState, MachineStatus
from machine_adapters.profiles import MachineProfile
from machine_adapters.registry import UnsupportedMachine, build_machine

log = logging.getLogger(__name__)


class MachineLight:
    """A machine's state for pages to bind to: changes only when the state (or the need for staff) does."""

    state = BindableProperty()
    needs_staff = BindableProperty()

    def __init__(self) -> None:
        self.state = MachineState.OFFLINE.value
        self.needs_staff = False

    def show(self, status: MachineStatus) -> None:
        self.state = status.state.value
        self.needs_staff = status.needs_staff


@dataclass
class Fleet:
    machines: dict[str, Machine] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)  # machine id -> why it cannot be driven
    lights: dict[str, MachineLight] = field(default_factory=dict)

    @classmethod
    def build(cls, profiles: Mapping[str, MachineProfile]) -> Fleet:
        fleet = cls()
        for machine_id, profile in profiles.items():
            try:
                machine = fleet.machines[machine_id] = build_machine(profile)
                light = fleet.lights[machine_id] = MachineLight()
                machine.status_changed.subscribe(light.show)
            except UnsupportedMachine as e:
                log.warning("%s", e)
                fleet.unavailable[machine_id] = str(e)
        return fleet

    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        for machine in self.machines.values():
            machine.attach_loop(loop)

    def connect_all(self, then: Callable[[str], object] | None = None) -> None:
        """Connect every machine on its own thread, so a slow or absent one delays nobody; `then(machine_id)`
        runs once a machine has answered (or given up)."""

        def connect(machine: Machine) -> None:
            machine.connect()
            if then is not None:
                then(machine.profile.id)

        for machine in self.machines.values():
            threading.Thread(target=connect, args=(machine,), name=f"connect-{machine.profile.id}", daemon=True).start()

    def disconnect_all(self) -> None:
        for machine in self.machines.values():
            machine.disconnect()
