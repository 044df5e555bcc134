"""Who may read what is owed to designers: every kind of person × every read (a designer's statement, its CSV, the
list of what is owed to whom). A designer reads only their own statement; an admin reads everything."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from app.access import ANONYMOUS, Forbidden, Principal, Role, phone_customer
from app.backing.showcase import designer_named
from app.backing.statements import owed_to_designers, statement, statement_csv
from app.services import Services

PASSWORD = "correct horse battery"


def signed_in(services: Services, name: str, role: str, city: str = "", display: str = "") -> Principal:
    """A real account signed in at its own door; the principal its session gives."""
    services.staff.add_user(name, role, PASSWORD, city, display)
    doors = frozenset({Role.DESIGNER}) if role == "designer" else frozenset({Role.STAFF, Role.ADMIN})
    who = services.staff.principal(services.staff.sign_in(name, PASSWORD, "127.0.0.1", roles=doors))
    assert who is not None
    return who


def test_a_designer_reads_only_their_own_statement(services: Services) -> None:
    zone = ZoneInfo(services.settings.store_timezone)
    principals = {
        "anonymous": ANONYMOUS,
        "customer": phone_customer("0" * 32),
        "staff": signed_in(services, "sam", "staff"),
        "admin": signed_in(services, "ada", "admin"),
        # the demo catalog's designers take their seeded rows over when their accounts are made
        "lena (the statement's designer)": signed_in(services, "lena-vogt", "designer", "Leipzig", "Lena Vogt"),
        "jonas (another designer)": signed_in(services, "jonas-becker", "designer", "Berlin", "Jonas Becker"),
        "a designer passing another's id": Principal(Role.DESIGNER, name="mallory", designer_id=None),
    }
    with services.sessions() as session:
        lena = designer_named(session, "lena-vogt")
        assert lena is not None and lena.user_id is not None
        session.expunge(lena)
    reads: dict[str, Callable[[Principal], object]] = {
        "statement": lambda who: _read(services, lambda s: statement(s, who, lena, zone)),
        "csv": lambda who: _read(services, lambda s: statement_csv(s, who, lena, zone)),
        "owed": lambda who: _read(services, lambda s: owed_to_designers(s, who)),
    }
    allowed = {
        "statement": {"admin", "lena (the statement's designer)"},
        "csv": {"admin", "lena (the statement's designer)"},
        "owed": {"admin"},
    }
    for label, who in principals.items():
        for read, call in reads.items():
            if label in allowed[read]:
                call(who)
            else:
                with pytest.raises(Forbidden):
                    call(who)


def _read(services: Services, read: Callable[[object], object]) -> object:
    with services.sessions() as session:
        return read(session)
