"""Machine profiles from the machines file (TOML), checked with bounds when loaded."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

_E = TypeVar("_E", bound=StrEnum)


DEFAULT_STOCK_TOP_MM = 10.0  # routers without `work_z`: the stock's top sits this far above the lowest Z


class ProfileError(ValueError):
    """The machines file cannot be used; the message names the machine and the key."""


class MachineKind(StrEnum):
    FDM_PRINTER = "fdm_printer"
    LASER_ENGRAVER = "laser_engraver"
    CNC_ROUTER = "cnc_router"


class ConnectionType(StrEnum):
    SIMULATED = "simulated"
    SERIAL = "serial"
    OCTOPRINT = "octoprint"


@dataclass(frozen=True)
class Envelope:
    """Work volume in millimetres, origin at the front left of the bed."""

    x: float
    y: float
    z: float

    def fits(self, size: tuple[float, float, float]) -> bool:
        return size[0] <= self.x and size[1] <= self.y and size[2] <= self.z


@dataclass(frozen=True)
class MaterialLimits:
    """What one material may be run at on this machine."""

    name: str
    hotend: tuple[float, float] | None = None
    bed: tuple[float, float] | None = None
    laser_power_max_pct: float | None = None
    # lasers: the slowest the beam may move at the material's full power (laser_power_max_pct); at lower power
    # proportionally slower, so the energy per millimetre never exceeds what this material takes
    laser_min_feed_mm_s: float | None = None
    stock_mm: float | None = None  # routers: the thickness of the sheet; cuts go at most this deep plus the allowance
    colour: str = ""
    colour_hex: str = ""


@dataclass(frozen=True)
class Connection:
    type: ConnectionType
    port: str = ""
    baud: int = 115200
    url: str = ""
    api_key: str = ""
    speed: float = 1.0  # simulated machines: how many times faster than real time they run


@dataclass(frozen=True)
class Limits:
    hotend_max: float = 0.0
    bed_max: float = 0.0
    max_feed_mm_s: dict[str, float] = field(default_factory=dict)
    max_acceleration: float = 1000.0
    # per axis (x, y, z, e), the machine's own M201 limits; an axis missing here may not be raised by a program
    max_acceleration_per_axis: dict[str, float] = field(default_factory=dict)
    max_extrusion_per_move: float = 0.0
    spindle_rpm: tuple[float, float] | None = None
    laser_power_max_pct: float = 0.0
    spoilboard_allowance_mm: float = 0.0  # routers: how far below the stock a through-cut may go into the board


@dataclass(frozen=True)
class MachineProfile:
    id: str
    name: str
    kind: MachineKind
    connection: Connection
    envelope: Envelope
    limits: Limits
    materials: dict[str, MaterialLimits]
    loaded_material: str
    slicer_profile: str = ""
    rx_buffer: int = 128
    spindle_s_max: float = 1000.0  # GRBL's $30: the S value of full laser power or top spindle speed
    air_assist: bool = False  # lasers: the air pump is switched by the coolant output (M8 on, M9 off)
    work_z: tuple[float, float] | None = None  # routers: Z a program may use, from the stock's top (work zero)

    @property
    def material(self) -> MaterialLimits:
        return self.materials[self.loaded_material]

    @property
    def z_range(self) -> tuple[float, float]:
        """The Z a program may use, in work coordinates. A router's work zero is the stock's top, set by staff
        somewhere within the axis's travel: its programs may use only the part of the travel below and above
        that point (`work_z`, e.g. -10 to 30 on a 40 mm axis), not the travel's length both ways."""
        if self.kind is MachineKind.CNC_ROUTER:
            return self.work_z or (-DEFAULT_STOCK_TOP_MM, self.envelope.z - DEFAULT_STOCK_TOP_MM)
        return (0.0, self.envelope.z)


def load_machines(path: Path) -> dict[str, MachineProfile]:
    """All machines of the file by id; raise ProfileError naming the key on anything wrong."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ProfileError(f"machines file {path} does not exist") from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ProfileError(f"machines file {path} is not valid TOML: {e}") from e
    entries = raw.get("machine")
    if not isinstance(entries, list) or not entries:
        raise ProfileError(f"{path}: define at least one [[machine]]")
    machines: dict[str, MachineProfile] = {}
    for index, entry in enumerate(entries):
        profile = _profile_from(entry, f"machine[{index}]")
        if profile.id in machines:
            raise ProfileError(f"machine[{index}].id: '{profile.id}' is used twice")
        machines[profile.id] = profile
    return machines


def _profile_from(entry: Any, where: str) -> MachineProfile:
    if not isinstance(entry, dict):
        raise ProfileError(f"{where}: must be a table")
    machine_id = _text(entry, "id", where, pattern_ok=str.isascii)
    if not machine_id.replace("-", "").replace("_", "").isalnum():
        raise ProfileError(f"{where}.id: use letters, digits, '-' and '_' only")
    where = f"machine '{machine_id}'"
    kind = _enum(MachineKind, entry.get("kind"), f"{where}.kind")
    connection = _connection_from(entry.get("connection"), f"{where}.connection")
    env = _table(entry, "envelope", where)
    envelope = Envelope(*(_number(env, axis, f"{where}.envelope", 1, 5000) for axis in ("x", "y", "z")))
    limits = _limits_from(_table(entry, "limits", where), kind, f"{where}.limits")
    materials_raw = _table(entry, "materials", where)
    if not materials_raw:
        raise ProfileError(f"{where}.materials: list at least one material")
    materials = {
        name: _material_from(name, value, kind, limits, f"{where}.materials.{name}")
        for name, value in materials_raw.items()
    }
    loaded = _text(entry, "loaded_material", where)
    if loaded not in materials:
        raise ProfileError(f"{where}.loaded_material: '{loaded}' is not one of {', '.join(materials)}")
    slicer_profile = entry.get("slicer_profile", "")
    if kind is MachineKind.FDM_PRINTER and not slicer_profile:
        raise ProfileError(f"{where}.slicer_profile: a printer needs a PrusaSlicer printer profile file name")
    rx_buffer = int(_number(entry, "rx_buffer", where, 16, 4096, default=128))
    spindle_s_max = _number(entry, "spindle_s_max", where, 1, 100_000, default=1000)
    work_z = _work_z(entry, kind, envelope, where)
    air_assist = entry.get("air_assist", False)
    if not isinstance(air_assist, bool) or (air_assist and kind is not MachineKind.LASER_ENGRAVER):
        raise ProfileError(f"{where}.air_assist: true or false, and only on a laser engraver")
    unknown = set(entry) - {
        "id",
        "name",
        "kind",
        "connection",
        "envelope",
        "limits",
        "materials",
        "loaded_material",
        "slicer_profile",
        "rx_buffer",
        "spindle_s_max",
        "air_assist",
        "work_z",
    }
    if unknown:
        raise ProfileError(f"{where}.{sorted(unknown)[0]}: unknown key")
    return MachineProfile(
        id=machine_id,
        name=_text(entry, "name", where),
        kind=kind,
        connection=connection,
        envelope=envelope,
        limits=limits,
        materials=materials,
        loaded_material=loaded,
        slicer_profile=str(slicer_profile),
        rx_buffer=rx_buffer,
        spindle_s_max=spindle_s_max,
        air_assist=air_assist,
        work_z=work_z,
    )


def _work_z(entry: dict[str, Any], kind: MachineKind, envelope: Envelope, where: str) -> tuple[float, float] | None:
    """A router's [lowest, highest] Z from the stock's top: below zero and above it, spanning at most the travel."""
    if "work_z" not in entry:
        return None
    if kind is not MachineKind.CNC_ROUTER:
        raise ProfileError(f"{where}.work_z: only a router has a work Z range")
    low, high = _range(entry, "work_z", where, -envelope.z, envelope.z)
    if not low < 0 < high or high - low > envelope.z + 1e-9:
        raise ProfileError(f"{where}.work_z: give [below, above] the stock's top, within the {envelope.z:g} mm travel")
    return (low, high)


def _connection_from(raw: Any, where: str) -> Connection:
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: give a table with type = simulated, serial or octoprint")
    ctype = _enum(ConnectionType, raw.get("type"), f"{where}.type")
    if ctype is ConnectionType.SERIAL:
        port = _text(raw, "port", where)
        baud = int(_number(raw, "baud", where, 9600, 4_000_000, default=115200))
        return Connection(ctype, port=port, baud=baud)
    if ctype is ConnectionType.OCTOPRINT:
        url = _text(raw, "url", where)
        if not url.startswith(("http://", "https://")):
            raise ProfileError(f"{where}.url: give the OctoPrint address starting with http:// or https://")
        # the printer's port and baud as OctoPrint knows them, for connecting it when it is disconnected
        port = str(raw.get("port", "AUTO"))
        baud = int(_number(raw, "baud", where, 9600, 4_000_000, default=115200))
        return Connection(ctype, url=url, api_key=_text(raw, "api_key", where), port=port, baud=baud)
    return Connection(ctype, speed=_number(raw, "speed", where, 0.1, 10_000, default=1.0))


def _limits_from(raw: dict[str, Any], kind: MachineKind, where: str) -> Limits:
    feed = raw.get("max_feed_mm_s", {})
    if not isinstance(feed, dict) or not feed:
        raise ProfileError(f"{where}.max_feed_mm_s: give a table such as {{ x = 200, y = 200, z = 12 }}")
    max_feed = {axis: _number(feed, axis, f"{where}.max_feed_mm_s", 0.1, 2000) for axis in feed}
    for axis in max_feed:
        if axis not in ("x", "y", "z", "e"):
            raise ProfileError(f"{where}.max_feed_mm_s.{axis}: allowed axes are x, y, z, e")
    spindle = raw.get("spindle_rpm")
    per_axis = raw.get("max_acceleration_per_axis", {})
    if not isinstance(per_axis, dict) or any(axis not in ("x", "y", "z", "e") for axis in per_axis):
        raise ProfileError(f"{where}.max_acceleration_per_axis: give a table such as {{ x = 1000, z = 100, e = 5000 }}")
    axis_acceleration = {
        axis: _number(per_axis, axis, f"{where}.max_acceleration_per_axis", 10, 50000) for axis in per_axis
    }
    if kind is MachineKind.FDM_PRINTER:
        return Limits(
            hotend_max=_number(raw, "hotend_max", where, 150, 320),
            bed_max=_number(raw, "bed_max", where, 0, 80),
            max_feed_mm_s=max_feed,
            max_acceleration=_number(raw, "max_acceleration", where, 10, 20000),
            max_acceleration_per_axis=axis_acceleration,
            max_extrusion_per_move=_number(raw, "max_extrusion_per_move", where, 0.1, 100, default=30),
        )
    if kind is MachineKind.CNC_ROUTER:
        if not (isinstance(spindle, list) and len(spindle) == 2 and 0 < spindle[0] < spindle[1] <= 60000):
            raise ProfileError(f"{where}.spindle_rpm: give [min, max] revolutions per minute, 0 < min < max")
        return Limits(
            max_feed_mm_s=max_feed,
            max_acceleration=_number(raw, "max_acceleration", where, 10, 20000),
            max_acceleration_per_axis=axis_acceleration,
            spindle_rpm=(float(spindle[0]), float(spindle[1])),
            spoilboard_allowance_mm=_number(raw, "spoilboard_allowance_mm", where, 0, 5, default=0.5),
        )
    return Limits(
        max_feed_mm_s=max_feed,
        max_acceleration=_number(raw, "max_acceleration", where, 10, 20000),
        max_acceleration_per_axis=axis_acceleration,
        laser_power_max_pct=_number(raw, "laser_power_max_pct", where, 1, 100),
    )


def _material_from(name: str, raw: Any, kind: MachineKind, limits: Limits, where: str) -> MaterialLimits:
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: must be a table")
    colour = str(raw.get("colour", ""))
    colour_hex = str(raw.get("colour_hex", ""))
    if kind is MachineKind.FDM_PRINTER:
        hotend = _range(raw, "hotend", where, 150, limits.hotend_max)
        bed = _range(raw, "bed", where, 0, limits.bed_max)
        return MaterialLimits(name, hotend=hotend, bed=bed, colour=colour, colour_hex=colour_hex)
    if kind is MachineKind.LASER_ENGRAVER:
        power = _number(raw, "laser_power_max_pct", where, 1, limits.laser_power_max_pct)
        min_feed = _number(raw, "laser_min_feed_mm_s", where, 0.1, 1000)
        return MaterialLimits(
            name, laser_power_max_pct=power, laser_min_feed_mm_s=min_feed, colour=colour, colour_hex=colour_hex
        )
    stock = _number(raw, "stock_mm", where, 0.1, 200)
    return MaterialLimits(name, stock_mm=stock, colour=colour, colour_hex=colour_hex)


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise ProfileError(f"{where}.{key}: must be a table")
    return value


def _text(raw: dict[str, Any], key: str, where: str, pattern_ok: Any = None) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > 120:
        raise ProfileError(f"{where}.{key}: give a non-empty text of at most 120 characters")
    if pattern_ok is not None and not pattern_ok(value):
        raise ProfileError(f"{where}.{key}: use plain ASCII")
    return value


def _number(raw: dict[str, Any], key: str, where: str, low: float, high: float, default: float | None = None) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ProfileError(f"{where}.{key}: give a number from {low:g} to {high:g}")
    return float(value)


def _range(raw: dict[str, Any], key: str, where: str, low: float, high: float) -> tuple[float, float]:
    value = raw.get(key)
    ok = isinstance(value, list) and len(value) == 2 and all(isinstance(v, int | float) for v in value)
    if not ok or not low <= value[0] <= value[1] <= high:  # type: ignore[index]
        raise ProfileError(f"{where}.{key}: give [min, max] within {low:g} to {high:g}")
    return (float(value[0]), float(value[1]))  # type: ignore[index]


def _enum(enum: type[_E], value: Any, where: str) -> _E:
    try:
        return enum(value)
    except ValueError as e:
        allowed = ", ".join(member.value for member in enum)
        raise ProfileError(f"{where}: '{value}' is unknown; allowed: {allowed}") from e
