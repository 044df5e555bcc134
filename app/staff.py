"""Staff accounts: argon2 password hashes, sign-in with rate limiting and lockout, sessions that expire.

A session is a random token in an HttpOnly, SameSite=Strict cookie; only its SHA-256 is stored, so a copy of the
database signs nobody in. Sign-in answers the same for an unknown name and a wrong password.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import deque
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
from app.models import StaffSessionRow, StaffUserRow

Clock = Callable[[], datetime]
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")
MIN_PASSWORD = 10
COOKIE = "fabkiosk_staff"


class StaffError(ValueError):
    """An account cannot be made as asked; the message says why."""


class SignInRefused(Exception):
    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


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
        self._lock = threading.Lock()

    def add_user(self, name: str, role: str, password: str) -> StaffUser:
        if not NAME.fullmatch(name):
            raise StaffError("the name: 2 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        if role not in (Role.STAFF.value, Role.ADMIN.value):
            raise StaffError("the role: staff or admin")
        if len(password) < MIN_PASSWORD:
            raise StaffError(f"the password: at least {MIN_PASSWORD} characters")
        with self.sessions.begin() as session:
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
            return _user(row)

    def users(self) -> list[StaffUser]:
        with self.sessions() as session:
            return [_user(r) for r in session.scalars(select(StaffUserRow).order_by(StaffUserRow.name))]

    def sign_in(self, name: str, password: str, client: str) -> str:
        """A new session token, or SignInRefused: too many tries from this client, a locked account, or a wrong
        name or password (one message for both)."""
        self._count_attempt(client)
        now = self.clock()
        with self.sessions.begin() as session:
            row = session.scalar(select(StaffUserRow).where(StaffUserRow.name == name).with_for_update())
            if row is None:
                self._verify(self._dummy, password)
                raise SignInRefused(t("The name or the password is wrong."))
            if row.locked_until is not None and _aware(row.locked_until) > now:
                raise SignInRefused(t("This account is locked after too many wrong passwords. Try again later."))
            if not self._verify(row.password_hash, password):
                row.failed_logins += 1
                if row.failed_logins >= self.policy.lockout_after:
                    row.locked_until = now + timedelta(minutes=self.policy.lockout_minutes)
                    row.failed_logins = 0
                wrong = SignInRefused(t("The name or the password is wrong."))
            else:
                row.failed_logins, row.locked_until = 0, None
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

    def principal(self, token: str | None) -> Principal | None:
        """The staff member a session token belongs to, while it is valid."""
        if not token:
            return None
        with self.sessions() as session:
            row = session.get(StaffSessionRow, token_hash(token))
            if row is None or row.ended_at is not None or _aware(row.expires_at) <= self.clock():
                return None
            user = session.get(StaffUserRow, row.user_id)
            return None if user is None else Principal(Role(user.role), name=user.name)

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
