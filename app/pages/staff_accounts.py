"""Staff accounts: sign-in and sign-out (a plain HTML form posted to the server, which sets the session cookie), and
the accounts page for admins.

The cookie is HttpOnly, SameSite=Strict and scoped to /staff; the kiosk and the phone pages never see it. The forms
check the Origin header (`same_origin`), so another site's page cannot sign staff in or out.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from nicegui import ui

from app.access import Forbidden, Principal, Role
from app.config import Settings
from app.i18n import t
from app.pages.common import reader_language
from app.pages.sign_in_door import Door
from app.services import Services
from app.staff import COOKIE
from app.staff import DEVICE_COOKIE as STAFF_DEVICE_COOKIE

# staff and admins; the form, its post and sign-out are the doors' (app/pages/sign_in_door.py)
STAFF_DOOR = Door("/staff", COOKIE, STAFF_DEVICE_COOKIE, frozenset({Role.STAFF, Role.ADMIN}), t("Staff sign-in"))


def to_sign_in(settings: Settings, lang: str | None, error: str = "") -> RedirectResponse:
    return STAFF_DOOR.to_form(settings, lang, error)


def principal_of(services: Services, request: Request) -> tuple[Principal | None, str]:
    """Who the session cookie says this is (None: nobody signed in), and the session's token."""
    token = request.cookies.get(COOKIE, "")
    who = services.staff.principal(token)
    return (who if who is not None and who.is_staff else None), token  # a designer's session opens no staff page


def sign_in(services: Services, request: Request, name: str, password: str, lang: str) -> Response:
    """The sign-in form's post: the session cookie and on to the console, or back to the form with the reason."""
    return STAFF_DOOR.sign_in(services.settings, services.staff, request, name, password, lang)


def sign_out(services: Services, request: Request) -> Response:
    return STAFF_DOOR.sign_out(services.settings, services.staff, request)


def login_page(services: Services, request: Request, lang: str | None, error: str) -> None:
    """`/staff/login`: the sign-in form, with the reason the last try was refused."""
    STAFF_DOOR.form(services.settings, request, lang, error)


def users_page(services: Services, request: Request, lang: str | None) -> RedirectResponse | None:
    """`/staff/users`: the staff accounts, for admins."""
    who, _ = principal_of(services, request)
    if who is None:
        return to_sign_in(services.settings, lang)
    assert services.store is not None
    lang = reader_language(services.settings, lang, request)
    try:
        accounts_list = services.store.staff_accounts(who)
    except Forbidden:
        ui.label(t("Only an admin may manage the staff accounts.").render(lang)).classes("text-2xl m-8").mark(
            "forbidden"
        )
        return None
    with ui.column().classes("m-8 gap-2"):
        ui.label(t("Staff accounts").render(lang)).classes("text-3xl font-bold")
        for account in accounts_list:
            locked = t(" (locked)").render(lang) if account.locked_until else ""
            ui.label(f"{account.name}: {account.role.value}{locked}").mark("account")
        ui.label(t("Add accounts with: fabkiosk user add NAME --role staff").render(lang)).classes("text-gray-600")
    return None
