"""Settings from one TOML file, checked with bounds at start so a bad file fails before anything runs.

Longer than 400 lines because every setting, its default and its bounds are read in one place, the way
`fabkiosk.example.toml` lists them.
"""

from __future__ import annotations

import builtins
import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app import ASSETS_DIR

CONFIG_ENV = "FABKIOSK_CONFIG"
DEFAULT_CONFIG_NAME = "fabkiosk.toml"
SUPPORTED_LANGUAGES = ("de", "en")
MACHINE_KINDS = ("fdm_printer", "laser_engraver", "cnc_router")
ROUNDING_MODES = ("up", "nearest", "down")
# who may confirm "the bed is clear" by ticking the kiosk's checklist, after which kind of job end
KIOSK_CLEARS = ("never", "after_finished", "always")
CHAIN_ROLES = ("store", "hq")
# a store's id names its replication slots and publications, so it must be a PostgreSQL identifier part
STORE_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the key and what is allowed."""


@dataclass(frozen=True)
class Prices:
    currency: str = "EUR"
    setup_fee: Decimal = Decimal("2.00")
    round_to: Decimal = Decimal("0.50")
    rounding: str = "up"  # up, nearest or down, to a multiple of round_to
    validity_minutes: int = 60
    # price per gram of material, by material name
    material_per_gram: dict[str, Decimal] = field(
        default_factory=lambda: {"PLA": Decimal("0.06"), "PETG": Decimal("0.08")}
    )
    # price per square centimetre of sheet material, for engravers and routers
    sheet_per_cm2: dict[str, Decimal] = field(
        default_factory=lambda: {
            "plywood_3mm": Decimal("0.02"),
            "acrylic_3mm": Decimal("0.04"),
            "leather_2mm": Decimal("0.06"),
            "anodised_aluminium_card": Decimal("0.08"),
            "plywood_6mm": Decimal("0.03"),
            "hdpe_6mm": Decimal("0.05"),
        }
    )
    # machine time per hour, by machine kind
    machine_per_hour: dict[str, Decimal] = field(
        default_factory=lambda: {
            "fdm_printer": Decimal("3.00"),
            "laser_engraver": Decimal("30.00"),
            "cnc_router": Decimal("36.00"),
        }
    )


@dataclass(frozen=True)
class UploadLimits:
    max_file_bytes: int = 50 * 1024 * 1024
    max_triangles: int = 2_000_000
    max_extent_mm: float = 2000.0
    max_zip_entries: int = 64
    max_zip_total_bytes: int = 512 * 1024 * 1024
    max_zip_entry_bytes: int = 256 * 1024 * 1024
    max_zip_ratio: float = 200.0
    # charged while a file is read, before the work they stand for (app/designs/budget.py)
    max_vertices: int = 3_000_000
    max_instances: int = 10_000  # 3MF build items times components: every copy is read and placed
    max_svg_elements: int = 20_000  # after <use> references are expanded
    max_path_points: int = 100_000  # svgelements takes about 5 s for as many on a loaded 2-core machine
    max_nesting_depth: int = 32
    stage_seconds: float = 10.0  # reading and checking one input, each stage
    memory_mb: int = 500  # the process that reads and checks an input never holds more


@dataclass(frozen=True)
class StaffPolicy:
    session_hours: float = 12.0  # a staff sign-in lasts this long
    lockout_after: int = 5  # wrong passwords in a row for a name before each further try must wait
    lockout_minutes: float = 15.0  # the longest wait; it doubles from one second with every further wrong try
    attempts_per_client_per_minute: int = 10  # sign-in tries from one address, whatever the account


@dataclass(frozen=True)
class ApprovalPolicy:
    """Which jobs start without a staff member approving them. Remote orders always need approval."""

    kiosk_max_minutes: float = 120.0  # kiosk jobs up to this machine time are approved at once
    kiosk_max_grams: float = 150.0  # and up to this much material (printers)


@dataclass(frozen=True)
class StorePolicy:
    """What the store decides about presence at its machines."""

    # a browser on the server's own computer (loopback, no proxy) counts as a kiosk paired beside every machine:
    # the demo's screen works with no set-up; a store whose server is not beside the machines turns it off
    local_browser_is_kiosk: bool = True
    # after a job ended on a machine, may the kiosk's checklist stand for staff's "bed is clear"? "after_finished":
    # only when the last job finished (its part is picked up with it); after a held or stopped job only staff
    kiosk_may_clear: str = "after_finished"
    # where the store is: the catalog shows designers of this city first ("designers of your city")
    city: str = "Köln"


@dataclass(frozen=True)
class DesignerPolicy:
    """What the store (or the brand) offers designers who publish templates."""

    # the share of a job's price a designer may ask for, in percent; each template asks for its own within it
    max_share_percent: Decimal = Decimal("30")
    # the largest tip a customer may add to an order, in the store's currency
    max_tip: Decimal = Decimal("50")


@dataclass(frozen=True)
class ChainSettings:
    """This server's place in a chain of stores (app/chain/). A store that never joined a chain is a whole
    single store, exactly as without this section."""

    role: str = "store"  # "store", or "hq" for the head office
    store_id: str = "demo"  # this store's id in the chain (stamped on every fact it reports); its city: [store]
    # a link or a store whose last word is older than this is shown as stale (stores report machines every 10 s)
    stale_after_s: float = 60.0
    # how much write-ahead log a replication slot may hold for a peer that is away before PostgreSQL gives the
    # slot up (max_slot_wal_keep_size); the peer then needs `fabkiosk chain join --resync`
    slot_keep_mb: int = 1024
    snapshot_every_s: float = 10.0  # machine snapshots for the head office: this often, and on a state change


@dataclass(frozen=True)
class Settings:
    store_name: str = "fabkiosk demo store"
    host: str = "127.0.0.1"
    port: int = 8080
    languages: tuple[str, ...] = SUPPORTED_LANGUAGES
    default_language: str = "de"
    data_dir: Path = Path("data")
    database_url: str = ""
    machines_file: Path = ASSETS_DIR / "machines.example.toml"
    assets_dir: Path = ASSETS_DIR
    render_timeout_s: float = 60.0
    slice_timeout_s: float = 300.0
    store_timezone: str = "Europe/Berlin"
    pickup_place: str = "at the counter"  # where customers collect their parts, shown on the phone page
    public_url: str = ""  # how phones reach this server (for the QR code); empty: the address the kiosk uses
    allowed_hosts: tuple[str, ...] = ()  # Host names answered besides public_url's and loopback's
    trusted_proxies: tuple[str, ...] = ()  # addresses whose X-Forwarded-For is believed; none by default
    kiosk_idle_timeout_s: float = 120.0  # a kiosk left alone this long wipes the customer's session
    abandoned_job_s: float = 600.0  # a kiosk job nobody started at the machine (page gone) frees it after this
    link_hours_after_end: float = 48.0  # a job's phone link works this long after the job ended (unless collected)
    prices: Prices = field(default_factory=Prices)
    uploads: UploadLimits = field(default_factory=UploadLimits)
    staff: StaffPolicy = field(default_factory=StaffPolicy)
    approval: ApprovalPolicy = field(default_factory=ApprovalPolicy)
    store: StorePolicy = field(default_factory=StorePolicy)
    designers: DesignerPolicy = field(default_factory=DesignerPolicy)
    chain: ChainSettings = field(default_factory=ChainSettings)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'fabkiosk.sqlite3').resolve()}"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def templates_dir(self) -> Path:
        return self.assets_dir / "templates"

    @property
    def profiles_dir(self) -> Path:
        return self.assets_dir / "profiles"


def find_config_file(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The config file named by flag, else by environment, else ./fabkiosk.toml if it exists."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    local = Path(DEFAULT_CONFIG_NAME)
    return local if local.exists() else None


def load_settings(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Read and check the settings; raise ConfigError naming the key on anything wrong."""
    file = find_config_file(path)
    raw: dict[str, Any] = {}
    base_dir = Path.cwd()
    if file is not None:
        if not file.is_file():
            raise ConfigError(f"config file {file} does not exist")
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"config file {file} is not valid TOML: {e}") from e
        base_dir = file.resolve().parent
    raw.update({k: v for k, v in overrides.items() if v is not None})
    return _settings_from(raw, base_dir)


def _settings_from(raw: dict[str, Any], base_dir: Path) -> Settings:
    reader = _Reader(raw, "")
    defaults = Settings()
    languages = tuple(reader.list_of_str("languages", list(defaults.languages)))
    for lang in languages:
        if lang not in SUPPORTED_LANGUAGES:
            raise ConfigError(f"languages: '{lang}' is not supported; allowed: {', '.join(SUPPORTED_LANGUAGES)}")
    if not languages:
        raise ConfigError("languages: give at least one of " + ", ".join(SUPPORTED_LANGUAGES))
    default_language = reader.str("default_language", defaults.default_language)
    if default_language not in languages:
        raise ConfigError(f"default_language: '{default_language}' must be one of languages ({', '.join(languages)})")
    settings = Settings(
        store_name=reader.str("store_name", defaults.store_name, max_len=80),
        host=reader.str("host", defaults.host),
        port=reader.int("port", defaults.port, 1, 65535),
        languages=languages,
        default_language=default_language,
        data_dir=reader.path("data_dir", defaults.data_dir, base_dir),
        database_url=reader.str("database_url", defaults.database_url),
        machines_file=reader.path("machines_file", defaults.machines_file, base_dir),
        assets_dir=reader.path("assets_dir", defaults.assets_dir, base_dir),
        render_timeout_s=reader.float("render_timeout_s", defaults.render_timeout_s, 1, 3600),
        slice_timeout_s=reader.float("slice_timeout_s", defaults.slice_timeout_s, 1, 7200),
        store_timezone=_timezone(reader.str("store_timezone", defaults.store_timezone)),
        pickup_place=reader.str("pickup_place", defaults.pickup_place, max_len=200),
        public_url=_public_url(reader.str("public_url", defaults.public_url, max_len=200)),
        allowed_hosts=tuple(_host_name(h) for h in reader.list_of_str("allowed_hosts", [])),
        trusted_proxies=tuple(_address(a) for a in reader.list_of_str("trusted_proxies", [])),
        kiosk_idle_timeout_s=reader.float("kiosk_idle_timeout_s", defaults.kiosk_idle_timeout_s, 1, 86400),
        abandoned_job_s=reader.float("abandoned_job_s", defaults.abandoned_job_s, 10, 86400),
        link_hours_after_end=reader.float("link_hours_after_end", defaults.link_hours_after_end, 0.01, 24 * 90),
        prices=_prices_from(reader.table("prices"), defaults.prices),
        uploads=_uploads_from(reader.table("uploads"), defaults.uploads),
        staff=_staff_from(reader.table("staff"), defaults.staff),
        approval=_approval_from(reader.table("approval"), defaults.approval),
        store=_store_from(reader.table("store"), defaults.store),
        designers=_designers_from(reader.table("designers"), defaults.designers),
        chain=_chain_from(reader.table("chain"), defaults.chain),
    )
    reader.reject_unknown()
    if settings.database_url and not settings.database_url.startswith(("sqlite", "postgresql")):
        raise ConfigError("database_url: must start with sqlite:// or postgresql://")
    return settings


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ConfigError(f"store_timezone: '{name}' is not a known time zone (e.g. Europe/Berlin)") from e
    return name


def _public_url(url: str) -> str:
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError("public_url: must start with http:// or https://")
    return url.rstrip("/")


def _host_name(name: str) -> str:
    """A Host name as browsers send it, without a port: letters, digits, dots and dashes (or an IPv6 literal)."""
    name = name.strip().lower()
    if not re.fullmatch(r"[a-z0-9.-]{1,253}|\[[0-9a-f:.]+\]", name):
        raise ConfigError(f"allowed_hosts: '{name}' is not a host name (e.g. shop.example.com, without port)")
    return name


def _address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError as e:
        raise ConfigError(f"trusted_proxies: '{value}' is not an IP address") from e


def _store_from(reader: _Reader, d: StorePolicy) -> StorePolicy:
    policy = StorePolicy(
        local_browser_is_kiosk=reader.bool("local_browser_is_kiosk", d.local_browser_is_kiosk),
        kiosk_may_clear=reader.choice("kiosk_may_clear", d.kiosk_may_clear, KIOSK_CLEARS),
        city=reader.str("city", d.city, max_len=80),
    )
    reader.reject_unknown()
    return policy


def _designers_from(reader: _Reader, d: DesignerPolicy) -> DesignerPolicy:
    policy = DesignerPolicy(
        max_share_percent=reader.decimal("max_share_percent", d.max_share_percent, minimum=Decimal("0")),
        max_tip=reader.decimal("max_tip", d.max_tip, minimum=Decimal("0")),
    )
    if policy.max_share_percent > 100:
        raise ConfigError("designers.max_share_percent: give a percentage from 0 to 100")
    reader.reject_unknown()
    return policy


def _chain_from(reader: _Reader, d: ChainSettings) -> ChainSettings:
    store_id = reader.str("store_id", d.store_id, max_len=40)
    if not STORE_ID.fullmatch(store_id):
        raise ConfigError(
            "chain.store_id: give lower-case letters, digits and _ starting with a letter (e.g. koeln), at most 40"
        )
    chain = ChainSettings(
        role=reader.choice("role", d.role, CHAIN_ROLES),
        store_id=store_id,
        stale_after_s=reader.float("stale_after_s", d.stale_after_s, 5, 86400),
        slot_keep_mb=reader.int("slot_keep_mb", d.slot_keep_mb, 1, 10_000_000),
        snapshot_every_s=reader.float("snapshot_every_s", d.snapshot_every_s, 1, 3600),
    )
    reader.reject_unknown()
    return chain


def _prices_from(reader: _Reader, d: Prices) -> Prices:
    currency = reader.str("currency", d.currency)
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise ConfigError("prices.currency: give a three-letter ISO 4217 code such as EUR or CHF")
    machine_per_hour = reader.decimal_table("machine_per_hour", d.machine_per_hour)
    for kind in machine_per_hour:
        if kind not in MACHINE_KINDS:
            raise ConfigError(
                f"prices.machine_per_hour.{kind}: unknown machine kind; allowed: {', '.join(MACHINE_KINDS)}"
            )
    prices = Prices(
        currency=currency,
        setup_fee=reader.decimal("setup_fee", d.setup_fee),
        round_to=reader.decimal("round_to", d.round_to, minimum=Decimal("0.01")),
        rounding=reader.choice("rounding", d.rounding, ROUNDING_MODES),
        validity_minutes=reader.int("validity_minutes", d.validity_minutes, 1, 60 * 24 * 14),
        material_per_gram=reader.decimal_table("material_per_gram", d.material_per_gram),
        sheet_per_cm2=reader.decimal_table("sheet_per_cm2", d.sheet_per_cm2),
        machine_per_hour=machine_per_hour,
    )
    reader.reject_unknown()
    return prices


def _staff_from(reader: _Reader, d: StaffPolicy) -> StaffPolicy:
    policy = StaffPolicy(
        session_hours=reader.float("session_hours", d.session_hours, 0.1, 24 * 7),
        lockout_after=reader.int("lockout_after", d.lockout_after, 1, 100),
        lockout_minutes=reader.float("lockout_minutes", d.lockout_minutes, 1, 24 * 60),
        attempts_per_client_per_minute=reader.int(
            "attempts_per_client_per_minute", d.attempts_per_client_per_minute, 1, 1000
        ),
    )
    reader.reject_unknown()
    return policy


def _approval_from(reader: _Reader, d: ApprovalPolicy) -> ApprovalPolicy:
    policy = ApprovalPolicy(
        kiosk_max_minutes=reader.float("kiosk_max_minutes", d.kiosk_max_minutes, 0, 24 * 60),
        kiosk_max_grams=reader.float("kiosk_max_grams", d.kiosk_max_grams, 0, 100_000),
    )
    reader.reject_unknown()
    return policy


def _uploads_from(reader: _Reader, d: UploadLimits) -> UploadLimits:
    limits = UploadLimits(
        max_file_bytes=reader.int("max_file_bytes", d.max_file_bytes, 1024, 2 * 1024**3),
        max_triangles=reader.int("max_triangles", d.max_triangles, 100, 50_000_000),
        max_extent_mm=reader.float("max_extent_mm", d.max_extent_mm, 10, 100_000),
        max_zip_entries=reader.int("max_zip_entries", d.max_zip_entries, 1, 10_000),
        max_zip_total_bytes=reader.int("max_zip_total_bytes", d.max_zip_total_bytes, 1024, 8 * 1024**3),
        max_zip_entry_bytes=reader.int("max_zip_entry_bytes", d.max_zip_entry_bytes, 1024, 8 * 1024**3),
        max_zip_ratio=reader.float("max_zip_ratio", d.max_zip_ratio, 1, 10_000),
        max_vertices=reader.int("max_vertices", d.max_vertices, 100, 150_000_000),
        max_instances=reader.int("max_instances", d.max_instances, 1, 10_000_000),
        max_svg_elements=reader.int("max_svg_elements", d.max_svg_elements, 10, 10_000_000),
        max_path_points=reader.int("max_path_points", d.max_path_points, 100, 100_000_000),
        max_nesting_depth=reader.int("max_nesting_depth", d.max_nesting_depth, 2, 1000),
        stage_seconds=reader.float("stage_seconds", d.stage_seconds, 1, 3600),
        memory_mb=reader.int("memory_mb", d.memory_mb, 200, 1_000_000),
    )
    reader.reject_unknown()
    return limits


class _Reader:
    """Reads typed values from a TOML table, remembering which keys it used."""

    def __init__(self, raw: dict[builtins.str, Any], prefix: builtins.str) -> None:
        self.raw = raw
        self.prefix = prefix
        self.used: set[builtins.str] = set()

    def _key(self, key: builtins.str) -> builtins.str:
        return f"{self.prefix}{key}"

    def _get(self, key: builtins.str) -> Any:
        self.used.add(key)
        return self.raw.get(key)

    def str(self, key: builtins.str, default: builtins.str, max_len: int = 1000) -> builtins.str:
        value = self._get(key)
        if value is None:
            return default
        if not isinstance(value, builtins.str) or len(value) > max_len:
            raise ConfigError(f"{self._key(key)}: give text of at most {max_len} characters")
        return value

    def bool(self, key: builtins.str, default: bool) -> bool:
        value = self._get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ConfigError(f"{self._key(key)}: give true or false")
        return value

    def choice(self, key: builtins.str, default: builtins.str, allowed: tuple[builtins.str, ...]) -> builtins.str:
        value = self._get(key)
        if value is None:
            return default
        if value not in allowed:
            raise ConfigError(f"{self._key(key)}: '{value}' is not allowed; allowed: {', '.join(allowed)}")
        return str(value)

    def int(self, key: builtins.str, default: int, low: int, high: int) -> int:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"{self._key(key)}: give a whole number from {low} to {high}")
        return value

    def float(self, key: builtins.str, default: float, low: float, high: float) -> float:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise ConfigError(f"{self._key(key)}: give a number from {low:g} to {high:g}")
        return float(value)

    def decimal(self, key: builtins.str, default: Decimal, minimum: Decimal = Decimal(0)) -> Decimal:
        value = self._get(key)
        if value is None:
            return default
        return self._to_decimal(self._key(key), value, minimum)

    @staticmethod
    def _to_decimal(name: builtins.str, value: Any, minimum: Decimal) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | builtins.str):
            raise ConfigError(f"{name}: give an amount such as 2.50")
        try:
            amount = Decimal(str(value))
        except ArithmeticError as e:
            raise ConfigError(f"{name}: give an amount such as 2.50") from e
        if not amount.is_finite() or amount < minimum or amount > Decimal(1_000_000):
            raise ConfigError(f"{name}: give an amount from {minimum} to 1000000")
        return amount

    def decimal_table(self, key: builtins.str, default: dict[builtins.str, Decimal]) -> dict[builtins.str, Decimal]:
        value = self._get(key)
        if value is None:
            return dict(default)
        if not isinstance(value, dict):
            raise ConfigError(f"{self._key(key)}: give a table of name = amount")
        return {name: self._to_decimal(f"{self._key(key)}.{name}", v, Decimal(0)) for name, v in value.items()}

    def list_of_str(self, key: builtins.str, default: list[builtins.str]) -> list[builtins.str]:
        value = self._get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, builtins.str) for v in value):
            raise ConfigError(f"{self._key(key)}: give a list of text values")
        return value

    def path(self, key: builtins.str, default: Path, base_dir: Path) -> Path:
        """An absolute path: relative ones (given or default) are read from `base_dir`.

        Absolute because external tools (PrusaSlicer, OpenSCAD) run in folders of their own, where a relative
        path would name another file.
        """
        value = self._get(key)
        if value is None:
            value = default
        if not isinstance(value, builtins.str | Path) or not str(value):
            raise ConfigError(f"{self._key(key)}: give a file or folder path")
        path = Path(value).expanduser()
        return (path if path.is_absolute() else base_dir / path).resolve()

    def table(self, key: builtins.str) -> _Reader:
        value = self._get(key)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise ConfigError(f"{self._key(key)}: must be a table ([{self._key(key)}])")
        return _Reader(value, f"{self._key(key)}.")

    def reject_unknown(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            allowed = ", ".join(sorted(self.used))
            raise ConfigError(f"{self._key(unknown[0])}: unknown key; allowed here: {allowed}")
