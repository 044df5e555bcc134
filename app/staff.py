"""Staff accounts: argon2 password hashes, sign-in with rate limits and growing delays, sessions that expire.

A session is a random token in an HttpOnly, SameSite=Strict cookie; only its SHA-256 is stored, so a copy of the
database signs nobody in. No answer tells which names exist: an unknown name is counted, delayed and answered
exactly like a real one. There is no lockout an attacker could trigger: after a few wrong passwords for a name,
each further try must wait (one second, doubling, at most `lockout_minutes`); and a browser where that account
signed in before (its device cookie) is not slowed by wrong passwords typed elsewhere, so staff still sign in
from their console's own device while someone guesses from outside.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.access import Principal, Role
from app.config import StaffPolicy
from app.i18n import Text, t
from app.jobs import token_hash
from app.models import DesignerRow, StaffDeviceRow, StaffSessionRow, StaffUserRow

Clock = Callable[[], datetime]
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")
MIN_PASSWORD = 10
COOKIE = "fabkiosk_staff"
DEVICE_COOKIE = "fabkiosk_staff_device"
MAX_TRACKED_NAMES = 10_000  # names with wrong tries remembered; the oldest are forgotten first


class StaffError(ValueError):
    """An account cannot be made as asked; the message says why."""


class SignInRefused(Exception):
    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class _Failures:
    """Wrong passwords in a row for one name (or one remembered device), and when the next try may come."""

    count: int = 0
    next_try_at: float = 0.0


@dataclass(frozen=True)
class StaffUser:
    id: int
    name: str
    role: Role
    locked_until: datetime | None


class StaffAccounts:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        policy: StaffPolicy,
        clock: Clock = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.policy = policy
        self.clock = clock
        self.monotonic = monotonic
        self._hasher = PasswordHasher()
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))  # verified for unknown names: same time taken
        self._attempts: dict[str, deque[float]] = {}
        self._failures: OrderedDict[str, _Failures] = OrderedDict()  # by "name:<name>" or "device:<hash>"
        self._lock = threading.Lock()

    def add_user(
        self,
        name: str,
        role: str,
        password: str,
        city: str = "",
        display_name: str = "",
        session: Session | None = None,
    ) -> StaffUser:
        """A new account; for a designer also their `designers` row (their page's name is the account's, in lower
        case), in the same transaction. `session`: a transaction of the caller's to make it in (an invitation used
        up with it)."""
        if not NAME.fullmatch(name):
            raise StaffError("the name: 2 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        if role not in (Role.STAFF.value, Role.ADMIN.value, Role.DESIGNER.value):
            raise StaffError("the role: staff, admin or designer")
        if len(password) < MIN_PASSWORD:
            raise StaffError(f"the password: at least {MIN_PASSWORD} characters")
        if role == Role.DESIGNER.value:
            from app.designers.accounts import check_designer_fields

            check_designer_fields(name, city, display_name)
        if session is None:
            with self.sessions.begin() as own:
                return self.add_user(name, role, password, city, display_name, own)
        if session.scalar(select(StaffUserRow).where(StaffUserRow.name == name)) is not None:
            raise StaffError(f"there is already an account called {name}")
        row = StaffUserRow(
            name=name,
            role=role,
            password_hash=self._hasher.hash(password),
            failed_logins=0,
            created_at=self.clock(),
        )
        session.add(row)
        session.flush()
        if role == Role.DESIGNER.value:
            from app.designers.accounts import add_designer_row

            add_designer_row(session, row.id, name, city, display_name or name, self.clock())
        return _user(row)

    def users(self) -> list[StaffUser]:
        with self.sessions() as session:
            return [_user(r) for r in session.scalars(select(StaffUserRow).order_by(StaffUserRow.name))]

    def sign_in(
        self,
        name: str,
        password: str,
        client: str,
        device: str | None = None,
        roles: frozenset[Role] = frozenset({Role.STAFF, Role.ADMIN}),
    ) -> str:
        """A new session token, or SignInRefused: too many tries from this client, a name that must wait after
        wrong passwords (known or not), or a wrong name or password (one message for both). `device`: the browser's
        device cookie; where this account signed in before, only that browser's own wrong tries slow it down.
        `roles`: who signs in at this door (staff at /staff, designers at /designer); any other account is
        answered like a wrong password."""
        self._count_attempt(client)
        now = self.clock()
        with self.sessions.begin() as session:
            row = session.scalar(select(StaffUserRow).where(StaffUserRow.name == name).with_for_update())
            key = f"name:{name.lower()}"
            if row is not None and device and self._device_of(session, device) == row.id:
                key = f"device:{token_hash(device)}"
            self._check_wait(key)
            if row is not None and Role(row.role) not in roles:
                row = None  # another door's account: answered exactly like an unknown name
            if row is None or not self._verify(row.password_hash, password):
                if row is None:
                    self._verify(self._dummy, password)  # the same time taken as for a real account
                self._count_failure(key)
                wrong = SignInRefused(t("The name or the password is wrong."))
            else:
                self._forget_failures(key)
                if self._hasher.check_needs_rehash(row.password_hash):
                    row.password_hash = self._hasher.hash(password)
                token = secrets.token_urlsafe(32)
                session.add(
                    StaffSessionRow(
                        token_hash=token_hash(token),
                        user_id=row.id,
                        created_at=now,
                        expires_at=now + timedelta(hours=self.policy.session_hours),
                    )
                )
                return token
        raise wrong

    def remember_device(self, token: str) -> str | None:
        """A device cookie for the browser that just signed in with this session token (only its hash is kept)."""
        device = secrets.token_urlsafe(32)
        with self.sessions.begin() as session:
            row = session.get(StaffSessionRow, token_hash(token))
            if row is None:
                return None
            session.add(StaffDeviceRow(token_hash=token_hash(device), user_id=row.user_id, created_at=self.clock()))
        return device

    @staticmethod
    def _device_of(session: Session, device: str) -> int | None:
        row = session.get(StaffDeviceRow, token_hash(device))
        return None if row is None else row.user_id

    def _check_wait(self, key: str) -> None:
        """A try before the wait is over is refused unheard and counts as one more wrong try (hammering a name
        only makes it wait longer)."""
        with self._lock:
            failures = self._failures.get(key)
            waiting = failures is not None and failures.next_try_at > self.monotonic()
        if waiting:
            self._count_failure(key)
            raise SignInRefused(t("Too many wrong passwords for this name. Wait a moment, then try again."))

    def _count_failure(self, key: str) -> None:
        with self._lock:
            failures = self._failures.pop(key, None) or _Failures()
            self._failures[key] = failures  # most recent last, so the oldest are forgotten first
            failures.count += 1
            beyond = failures.count - self.policy.lockout_after
            if beyond >= 0:
                delay = min(2.0 ** min(beyond, 30), self.policy.lockout_minutes * 60)
                failures.next_try_at = self.monotonic() + delay
            while len(self._failures) > MAX_TRACKED_NAMES:
                self._failures.popitem(last=False)

    def _forget_failures(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def principal(self, token: str | None) -> Principal | None:
        """The staff member a session token belongs to, while it is valid."""
        if not token:
            return None
        with self.sessions() as session:
            row = session.get(StaffSessionRow, token_hash(token))
            if row is None or row.ended_at is not None or _aware(row.expires_at) <= self.clock():
                return None
            user = session.get(StaffUserRow, row.user_id)
            if user is None:
                return None
            designer_id = None
            if user.role == Role.DESIGNER.value:
                designer_id = session.scalar(select(DesignerRow.id).where(DesignerRow.user_id == user.id))
            return Principal(Role(user.role), name=user.name, designer_id=designer_id)

    def sign_out(self, token: str | None) -> None:
        if not token:
            return
        with self.sessions.begin() as session:
            row = session.get(StaffSessionRow, token_hash(token))
            if row is not None and row.ended_at is None:
                row.ended_at = self.clock()

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def _count_attempt(self, client: str) -> None:
        now = self.monotonic()
        with self._lock:
            attempts = self._attempts.setdefault(client, deque())
            while attempts and attempts[0] < now - 60:
                attempts.popleft()
            if len(attempts) >= self.policy.attempts_per_client_per_minute:
                raise SignInRefused(t("Too many tries from this device. Wait a minute, then try again."))
            attempts.append(now)


def _user(row: StaffUserRow) -> StaffUser:
    return StaffUser(row.id, row.name, Role(row.role), _aware(row.locked_until) if row.locked_until else None)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
