"""Real or simulated is chosen once, here: a table from connection type and protocol to a machine builder.

Pages never ask "is this real"; they get a Machine. An unknown combination fails loudly at start.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from machine_adapters.base import Clock, Machine
from machine_adapters.marlin import MarlinMachine
from machine_adapters.octoprint import OctoPrintMachine
from machine_adapters.octoprint_api import OctoPrintApi
from machine_adapters.profiles import ConnectionType, MachineKind, MachineProfile
from machine_adapters.simulators.marlin import MarlinSimulator
from machine_adapters.transport import SerialTransport


class UnsupportedMachine(ValueError):
    """No adapter exists for this machine kind and connection type."""


def _simulated_marlin(profile: MachineProfile, clock: Clock) -> Machine:
    firmware = MarlinSimulator(time_factor=1.0 / profile.connection.speed, advanced_ok=True)
    return MarlinMachine(profile, lambda: firmware, clock)


def _serial_marlin(profile: MachineProfile, clock: Clock) -> Machine:
    connection = profile.connection
    return MarlinMachine(profile, lambda: SerialTransport(connection.port, connection.baud), clock)


def _octoprint(profile: MachineProfile, clock: Clock) -> Machine:
    connection = profile.connection
    return OctoPrintMachine(profile, OctoPrintApi(connection.url, connection.api_key), clock)


BUILDERS: dict[tuple[ConnectionType, MachineKind], Callable[[MachineProfile, Clock], Machine]] = {
    (ConnectionType.SIMULATED, MachineKind.FDM_PRINTER): _simulated_marlin,
    (ConnectionType.SERIAL, MachineKind.FDM_PRINTER): _serial_marlin,
    (ConnectionType.OCTOPRINT, MachineKind.FDM_PRINTER): _octoprint,
}


def build_machine(profile: MachineProfile, clock: Clock = time.monotonic) -> Machine:
    builder = BUILDERS.get((profile.connection.type, profile.kind))
    if builder is None:
        known = ", ".join(f"{kind.value} over {ctype.value}" for ctype, kind in BUILDERS)
        raise UnsupportedMachine(
            f"machine '{profile.id}': no adapter for a {profile.kind.value} over {profile.connection.type.value}; "
            f"this version drives: {known}"
        )
    return builder(profile, clock)
