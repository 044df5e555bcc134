"""Staff's "Bring back" on the demo store's GRBL machines, whose boards do not reset when their port opens: after a
stop the machine comes back by reconnecting (woken with a soft reset, still homed). Alarms come back by homing:
tests/machine_adapters/test_grbl_host.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.access import Principal, Role
from app.fleet import Fleet
from app.store import StoreOps
from machine_adapters.base import MachineState
from tests.conftest import eventually, running_store

STAFF = Principal(Role.STAFF, name="sam")


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[StoreOps, Fleet]]:
    with running_store(tmp_path, 50) as services:
        assert services.store is not None and services.fleet is not None
        yield services.store, services.fleet


@pytest.mark.parametrize("machine_id", ["laser-1", "router-1"])
def test_a_stopped_machine_comes_back_ready_and_homed(shop: tuple[StoreOps, Fleet], machine_id: str) -> None:
    store, fleet = shop
    machine = fleet.machines[machine_id]
    eventually(lambda: machine.status.state is MachineState.IDLE)
    store.stop_machine(STAFF, machine_id)
    eventually(lambda: machine.status.state is MachineState.HALTED and machine.status.needs_staff)
    store.bring_back(STAFF, machine_id)  # reconnects: a board that does not reset is woken, and kept its homing
    eventually(lambda: machine.status.state is MachineState.IDLE)
    assert not machine.status.needs_staff
