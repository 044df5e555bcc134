"""Real or simulated is chosen once, here: a table from connection type and protocol to a machine builder.

Pages never ask "is this real"; they get a Machine. An unknown combination fails loudly at start.
"""

from __future__ import annotations

from collections.abc import Callable

from machine_adapters.base import Clock, Machine
from machine_adapters.clock import REAL_CLOCK
from machine_adapters.grbl import GrblMachine
from machine_adapters.marlin import MarlinMachine
from machine_adapters.octoprint import OctoPrintMachine
from machine_adapters.octoprint_api import OctoPrintApi
from machine_adapters.profiles import ConnectionType, MachineKind, MachineProfile
from machine_adapters.simulators.grbl import GrblSimulator
from machine_adapters.simulators.marlin import MarlinSimulator
from machine_adapters.transport import SerialTransport


class UnsupportedMachine(ValueError):
    """No adapter exists for this machine kind and connection type."""


def _simulated_marlin(profile: MachineProfile, clock: Clock) -> Machine:
    firmware = MarlinSimulator(time_factor=1.0 / profile.connection.speed, advanced_ok=True, clock=clock)

    def open_port() -> MarlinSimulator:
        if firmware.halted:
            firmware.reset()  # opening the port of a halted board resets it, as DTR does on a USB printer
        return firmware

    return MarlinMachine(profile, open_port, clock)


def _serial_marlin(profile: MachineProfile, clock: Clock) -> Machine:
    connection = profile.connection
    return MarlinMachine(profile, lambda: SerialTransport(connection.port, connection.baud), clock)


def simulated_grbl_firmware(profile: MachineProfile, time_factor: float, clock: Clock = REAL_CLOCK) -> GrblSimulator:
    """A GRBL simulator whose settings match the profile, homed as at opening time, and (routers) with the work
    zero at the top of the stock at the front left of the bed, as staff set it when the stock was clamped. X and
    Y home to the front left, Z up ($23=3), as on most small routers and lasers. A 32-bit board: opening its
    port does not reset it (the host wakes it), so the demo stays homed across a reconnect."""
    feed, envelope = profile.limits.max_feed_mm_s, profile.envelope
    settings = {
        23: 3,
        130: envelope.x,
        131: envelope.y,
        132: envelope.z,
        30: profile.spindle_s_max,
        32: 1 if profile.kind is MachineKind.LASER_ENGRAVER else 0,
        110: feed.get("x", 100.0) * 60,
        111: feed.get("y", 100.0) * 60,
        112: feed.get("z", 10.0) * 60,
        120: profile.limits.max_acceleration,
        121: profile.limits.max_acceleration,
        122: profile.limits.max_acceleration,
    }
    # the stock's top as far above the lowest Z as the profile's work range reaches below it
    work_zero = (0.0, 0.0, -profile.z_range[0]) if profile.kind is MachineKind.CNC_ROUTER else (0.0, 0.0, 0.0)
    return GrblSimulator(
        time_factor=time_factor,
        rx_buffer=profile.rx_buffer,
        settings=settings,
        homed=True,
        work_zero=work_zero,
        auto_reset=False,
        clock=clock,
    )


def _simulated_grbl(profile: MachineProfile, clock: Clock) -> Machine:
    """The real GRBL host on the GRBL simulator."""
    firmware = simulated_grbl_firmware(profile, 1.0 / profile.connection.speed, clock)
    return GrblMachine(profile, firmware.open, clock)


def _serial_grbl(profile: MachineProfile, clock: Clock) -> Machine:
    connection = profile.connection
    return GrblMachine(profile, lambda: SerialTransport(connection.port, connection.baud), clock)


def _octoprint(profile: MachineProfile, clock: Clock) -> Machine:
    connection = profile.connection
    return OctoPrintMachine(profile, OctoPrintApi(connection.url, connection.api_key), clock)


BUILDERS: dict[tuple[ConnectionType, MachineKind], Callable[[MachineProfile, Clock], Machine]] = {
    (ConnectionType.SIMULATED, MachineKind.FDM_PRINTER): _simulated_marlin,
    (ConnectionType.SERIAL, MachineKind.FDM_PRINTER): _serial_marlin,
    (ConnectionType.OCTOPRINT, MachineKind.FDM_PRINTER): _octoprint,
    (ConnectionType.SIMULATED, MachineKind.LASER_ENGRAVER): _simulated_grbl,
    (ConnectionType.SERIAL, MachineKind.LASER_ENGRAVER): _serial_grbl,
    (ConnectionType.SIMULATED, MachineKind.CNC_ROUTER): _simulated_grbl,
    (ConnectionType.SERIAL, MachineKind.CNC_ROUTER): _serial_grbl,
}


def build_machine(profile: MachineProfile, clock: Clock = REAL_CLOCK) -> Machine:
    builder = BUILDERS.get((profile.connection.type, profile.kind))
    if builder is None:
        known = ", ".join(f"{kind.value} over {ctype.value}" for ctype, kind in BUILDERS)
        raise UnsupportedMachine(
            f"machine '{profile.id}': no adapter for a {profile.kind.value} over {profile.connection.type.value}; "
            f"this version drives: {known}"
        )
    return builder(profile, clock)
