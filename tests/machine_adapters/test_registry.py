"""Choosing real or simulated happens once, from the machines file; unknown combinations fail loudly."""

from dataclasses import replace
from pathlib import Path

import pytest

from machine_adapters.base import MachineState
from machine_adapters.grbl import GrblMachine
from machine_adapters.marlin import MarlinMachine
from machine_adapters.profiles import Connection, ConnectionType, load_machines
from machine_adapters.registry import UnsupportedMachine, build_machine

MACHINES = load_machines(Path(__file__).parents[2] / "assets" / "machines.example.toml")


def test_the_demo_printer_is_the_real_marlin_host_on_the_simulator() -> None:
    machine = build_machine(MACHINES["printer-1"])
    assert isinstance(machine, MarlinMachine)
    machine.connect()
    try:
        assert machine.status.state is MachineState.IDLE
        assert machine.firmware.startswith("FIRMWARE_NAME:Marlin")
    finally:
        machine.disconnect()


def test_serial_printers_get_the_marlin_host_on_their_port() -> None:
    profile = replace(MACHINES["printer-1"], connection=Connection(ConnectionType.SERIAL, port="/dev/fabkiosk-none"))
    machine = build_machine(profile)
    machine.connect()
    assert machine.status.state is MachineState.OFFLINE
    assert "did not answer" in machine.status.last_error


def test_the_demo_laser_is_the_real_grbl_host_on_the_grbl_simulator() -> None:
    machine = build_machine(MACHINES["laser-1"])
    assert isinstance(machine, GrblMachine)
    machine.connect()
    try:
        assert machine.status.state is MachineState.IDLE  # the simulator starts homed, as after opening
        assert machine.settings[32] == 1 and machine.settings[130] == MACHINES["laser-1"].envelope.x
    finally:
        machine.disconnect()


def test_an_unknown_combination_fails_loudly() -> None:
    profile = replace(MACHINES["laser-1"], connection=Connection(ConnectionType.OCTOPRINT, url="http://127.0.0.1:1"))
    with pytest.raises(UnsupportedMachine, match="no adapter for a laser_engraver over octoprint"):
        build_machine(profile)
