"""Kiosk devices: presence at a machine belongs to a device staff paired, never to a page.

Pairing, once per kiosk: the kiosk's browser asks (`request_pairing`) and shows a one-time code; it keeps a claim
token in an HttpOnly cookie. Staff confirm that code in the console (or with `fabkiosk kiosk pair CODE` on the
server), name the kiosk and tick the machines it stands beside. The browser then claims its device secret: a long
random token in an HttpOnly cookie, of which only the SHA-256 is stored, so a copy of the database pairs nobody.
Staff list and revoke kiosks; a revoked kiosk is an ordinary browser again at its next action.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.jobs import token_hash
from app.models import KioskRow

Clock = Callable[[], datetime]
DEVICE_COOKIE = "fabkiosk_kiosk"
CLAIM_COOKIE = "fabkiosk_pairing"
CODE_MINUTES = 10.0  # a pairing code not confirmed by then is gone
MAX_PENDING = 20  # unconfirmed requests at a time: a flood of requests cannot push a real one out of reach
MAX_PENDING_PER_ADDRESS = 3
LOCAL_KIOSK_ID = "local"


class KioskError(ValueError):
    """Pairing cannot go on as asked; the message says why in plain words (staff and the command line see it)."""


@dataclass(frozen=True)
class KioskDevice:
    id: str
    name: str
    machines: frozenset[str]  # the machines this kiosk stands beside: the only ones it may start or frame on
    confirmed_at: datetime | None
    confirmed_by: str
    revoked: bool

    @property
    def active(self) -> bool:
        return not self.revoked


@dataclass(frozen=True)
class Pairing:
    """What a pairing browser sees of its request."""

    code: str
    confirmed: bool
    expired: bool


def local_kiosk(machine_ids: Iterable[str]) -> KioskDevice:
    """The browser on the server's own computer, when the store lets it count as a kiosk beside every machine."""
    return KioskDevice(LOCAL_KIOSK_ID, "local", frozenset(machine_ids), None, "", False)


class Kiosks:
    def __init__(
        self, sessions: sessionmaker[Session], machine_ids: Iterable[str], clock: Clock = lambda: datetime.now(UTC)
    ) -> None:
        self.sessions = sessions
        self.machine_ids = tuple(machine_ids)
        self.clock = clock
        self._lock = threading.Lock()  # one code is handed out at a time, so two requests never share one

    # --- the kiosk's browser ----------------------------------------------------------------------------

    def request_pairing(self, requested_from: str) -> tuple[str, str]:
        """A new pairing request: (the claim token for the browser's cookie, the one-time code it shows)."""
        now = self.clock()
        claim = secrets.token_urlsafe(32)
        with self._lock, self.sessions.begin() as session:
            session.execute(delete(KioskRow).where(KioskRow.confirmed_at.is_(None), KioskRow.code_expires_at < now))
            pending = select(func.count()).select_from(KioskRow).where(KioskRow.confirmed_at.is_(None))
            if (session.scalar(pending) or 0) >= MAX_PENDING or (
                session.scalar(pending.where(KioskRow.requested_from == requested_from[:64])) or 0
            ) >= MAX_PENDING_PER_ADDRESS:
                raise KioskError("too many pairing requests are waiting; try again in a few minutes")
            taken = {c for c in session.scalars(select(KioskRow.code).where(KioskRow.code.is_not(None))) if c}
            code = _new_code(taken)
            session.add(
                KioskRow(
                    id=secrets.token_hex(16),
                    name="",
                    machines=[],
                    secret_hash=None,
                    claim_hash=token_hash(claim),
                    code=code,
                    code_expires_at=now + timedelta(minutes=CODE_MINUTES),
                    requested_from=requested_from[:64],
                    confirmed_by="",
                    created_at=now,
                )
            )
        return claim, code

    def pairing(self, claim: str | None) -> Pairing | None:
        """The request this claim token belongs to, while it is not yet claimed."""
        if not claim:
            return None
        with self.sessions() as session:
            row = session.scalar(select(KioskRow).where(KioskRow.claim_hash == token_hash(claim)))
            if row is None or row.revoked_at is not None:
                return None
            expired = row.confirmed_at is None and _aware(row.code_expires_at) < self.clock()
            return Pairing(_spaced(row.code or ""), row.confirmed_at is not None, expired)

    def claim(self, claim: str | None) -> str | None:
        """The device secret for the browser holding this claim token, once staff confirmed its code; only once."""
        if not claim:
            return None
        secret = secrets.token_urlsafe(32)  # 256 bits
        with self.sessions.begin() as session:
            row = session.scalar(select(KioskRow).where(KioskRow.claim_hash == token_hash(claim)).with_for_update())
            if row is None or row.confirmed_at is None or row.revoked_at is not None or row.secret_hash is not None:
                return None
            row.secret_hash, row.claim_hash = token_hash(secret), None
        return secret

    def device(self, secret: str | None) -> KioskDevice | None:
        """The paired kiosk a device secret belongs to, unless revoked."""
        if not secret:
            return None
        with self.sessions() as session:
            row = session.scalar(select(KioskRow).where(KioskRow.secret_hash == token_hash(secret)))
            return None if row is None or row.revoked_at is not None else self._device(row)

    # --- staff ---------------------------------------------------------------------------------------------

    def confirm(self, code: str, name: str, machines: Iterable[str], by: str) -> KioskDevice:
        """Staff confirm the code the kiosk shows, name the kiosk and say which machines it stands beside."""
        wanted = frozenset(machines)
        unknown = wanted - set(self.machine_ids)
        if unknown:
            raise KioskError(f"no such machine: {', '.join(sorted(unknown))}")
        if not wanted:
            raise KioskError("tick at least one machine the kiosk stands beside")
        name = name.strip()[:80]
        if not name:
            raise KioskError("give the kiosk a name staff will recognise")
        digits = "".join(c for c in code if c.isdigit())
        with self.sessions.begin() as session:
            row = session.scalar(
                select(KioskRow)
                .where(KioskRow.code == digits, KioskRow.confirmed_at.is_(None), KioskRow.revoked_at.is_(None))
                .with_for_update()
            )
            if row is None or _aware(row.code_expires_at) < self.clock():
                raise KioskError("this code is not waiting to be paired (it may have expired): ask the kiosk again")
            row.name, row.machines = name, sorted(wanted)
            row.code, row.confirmed_at, row.confirmed_by = None, self.clock(), by[:80]
            return self._device(row)

    def get(self, kiosk_id: str) -> KioskDevice | None:
        with self.sessions() as session:
            row = session.get(KioskRow, kiosk_id)
            return None if row is None or row.confirmed_at is None else self._device(row)

    def paired(self) -> list[KioskDevice]:
        """Every kiosk staff confirmed, revoked ones included (the list says so), oldest first."""
        with self.sessions() as session:
            rows = session.scalars(
                select(KioskRow).where(KioskRow.confirmed_at.is_not(None)).order_by(KioskRow.confirmed_at)
            )
            return [self._device(row) for row in rows]

    def revoke(self, kiosk_id: str) -> None:
        with self.sessions.begin() as session:
            row = session.get(KioskRow, kiosk_id, with_for_update=True)
            if row is None:
                raise KioskError(f"no kiosk {kiosk_id}")
            if row.revoked_at is None:
                row.revoked_at, row.claim_hash = self.clock(), None

    def _device(self, row: KioskRow) -> KioskDevice:
        machines = frozenset(str(m) for m in row.machines if m in self.machine_ids)  # a machine since removed: none
        confirmed = _aware(row.confirmed_at) if row.confirmed_at else None
        return KioskDevice(row.id, row.name, machines, confirmed, row.confirmed_by, row.revoked_at is not None)


def _new_code(taken: set[str]) -> str:
    """Six digits: typed by staff standing at the kiosk, short-lived, and only staff can confirm one."""
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        if code not in taken:
            return code


def _spaced(code: str) -> str:
    return f"{code[:3]} {code[3:]}" if len(code) == 6 else code


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
