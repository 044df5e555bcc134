"""Hand-offs between the kiosk and a customer's phone: short codes for job links, and upload inboxes.

Both live in memory and for minutes only: a short code is a typing aid for a link the kiosk just showed, an inbox
receives one file from the phone that scanned the kiosk's QR code. A restart forgets them; the job links stay.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a screen and typed on a phone
CODE_LENGTH = 6  # 32**6 ≈ 10**9 codes; with the attempt limit, guessing a live one is hopeless
CODE_TTL_S = 15 * 60
INBOX_TTL_S = 15 * 60
ATTEMPTS = 10  # wrong codes per client and window before it must wait
ATTEMPT_WINDOW_S = 10 * 60

FileHandler = Callable[[bytes, str], object]


class TooManyAttempts(Exception):
    """This client typed too many wrong codes; it must wait before trying again."""


@dataclass
class _Inbox:
    on_file: FileHandler
    until: float


@dataclass
class Handoffs:
    clock: Callable[[], float] = time.monotonic
    _codes: dict[str, tuple[str, float]] = field(default_factory=dict)  # code -> (job token, valid until)
    _inboxes: dict[str, _Inbox] = field(default_factory=dict)
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def code_for(self, token: str) -> str:
        """A short code that opens the job link `token` for the next 15 minutes."""
        now = self.clock()
        with self._lock:
            self._forget_expired(now)
            while True:
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if code not in self._codes:
                    self._codes[code] = (token, now + CODE_TTL_S)
                    return code

    def redeem(self, code: str, client: str) -> str | None:
        """The job token for a typed code, or None; raises TooManyAttempts for a client that keeps guessing."""
        now = self.clock()
        normalised = code.strip().upper().replace(" ", "").replace("-", "")
        with self._lock:
            failures = self._failures.setdefault(client, deque())
            while failures and failures[0] < now - ATTEMPT_WINDOW_S:
                failures.popleft()
            if len(failures) >= ATTEMPTS:
                raise TooManyAttempts
            self._forget_expired(now)
            found = self._codes.get(normalised)
            if found is None:
                failures.append(now)
                return None
            return found[0]

    def open_inbox(self, on_file: FileHandler) -> str:
        """An address token for one phone upload; `on_file(data, filename)` receives it."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._forget_expired(self.clock())
            self._inboxes[token] = _Inbox(on_file, self.clock() + INBOX_TTL_S)
        return token

    def inbox_open(self, token: str) -> bool:
        with self._lock:
            inbox = self._inboxes.get(token)
            return inbox is not None and inbox.until > self.clock()

    def deliver(self, token: str, data: bytes, filename: str) -> bool:
        """Hand a phone's file to the kiosk that opened the inbox; False when it is closed or expired."""
        with self._lock:
            inbox = self._inboxes.pop(token, None)
        if inbox is None or inbox.until <= self.clock():
            return False
        inbox.on_file(data, filename)
        return True

    def close_inbox(self, token: str) -> None:
        with self._lock:
            self._inboxes.pop(token, None)

    def _forget_expired(self, now: float) -> None:
        for code in [c for c, (_, until) in self._codes.items() if until <= now]:
            del self._codes[code]
        for token in [k for k, inbox in self._inboxes.items() if inbox.until <= now]:
            del self._inboxes[token]
