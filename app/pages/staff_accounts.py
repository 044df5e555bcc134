"""Staff accounts: sign-in and sign-out (a plain HTML form posted to the server, which sets the session cookie), and
the accounts page for admins.

The cookie is HttpOnly, SameSite=Strict and scoped to /staff; the kiosk and the phone pages never see it. The forms
check the Origin header (`same_origin`), so another site's page cannot sign staff in or out.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode, urlparse

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from nicegui import ui

from app.access import Forbidden, Principal, client_address
from app.config import Settings
from app.i18n import Text, t
from app.pages.common import reader_language, touch_page
from app.services import Services
from app.staff import COOKIE, SignInRefused
from app.staff import DEVICE_COOKIE as STAFF_DEVICE_COOKIE

SIGN_IN_ERRORS: dict[str, Text] = {
    "wrong": t("The name or the password is wrong."),
    "locked": t("Too many wrong passwords for this name. Wait a moment, then try again."),
    "busy": t("Too many tries from this device. Wait a minute, then try again."),
    "origin": t("Sign in from this store's own page."),
}


def same_origin(request: Request) -> bool:
    """A form post from this server's own pages: the Origin (or, without one, the Referer) names our host."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # not a browser posting across sites (browsers always send Origin on cross-site posts)
    return urlparse(origin).netloc == request.headers.get("host", "")


def to_sign_in(settings: Settings, lang: str | None, error: str = "") -> RedirectResponse:
    query = {"lang": lang if lang in settings.languages else "", "error": error}
    filled = urlencode({key: value for key, value in query.items() if value})
    return RedirectResponse("/staff/login" + (f"?{filled}" if filled else ""), 303)


def principal_of(services: Services, request: Request) -> tuple[Principal | None, str]:
    """Who the session cookie says this is (None: nobody signed in), and the session's token."""
    token = request.cookies.get(COOKIE, "")
    who = services.staff.principal(token)
    return (who if who is not None and who.is_staff else None), token  # a designer's session opens no staff page


def sign_in(services: Services, request: Request, name: str, password: str, lang: str) -> Response:
    """The sign-in form's post: the session cookie and on to the console, or back to the form with the reason."""
    settings, accounts = services.settings, services.staff
    if not same_origin(request):
        return to_sign_in(settings, lang, "origin")
    try:
        peer = request.client.host if request.client else "?"
        peer = client_address(peer, request.headers, settings.trusted_proxies)
        token = accounts.sign_in(name.strip(), password, peer, request.cookies.get(STAFF_DEVICE_COOKIE))
    except SignInRefused as e:
        reason = next((k for k, v in SIGN_IN_ERRORS.items() if v.msgid == e.message.msgid), "wrong")
        return to_sign_in(settings, lang, reason)
    response = RedirectResponse(f"/staff?lang={lang}" if lang in settings.languages else "/staff", 303)
    device = accounts.remember_device(token)
    if device is not None:  # this browser's own wrong tries slow it, nobody else's (app/staff.py)
        response.set_cookie(
            STAFF_DEVICE_COOKIE,
            device,
            max_age=365 * 86400,
            path="/staff/session",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(settings.staff.session_hours * 3600),
        path="/staff",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


def sign_out(services: Services, request: Request) -> Response:
    if same_origin(request):
        services.staff.sign_out(request.cookies.get(COOKIE))
    response = to_sign_in(services.settings, None)
    response.delete_cookie(COOKIE, path="/staff")
    return response


def login_page(services: Services, request: Request, lang: str | None, error: str) -> None:
    """`/staff/login`: the sign-in form, with the reason the last try was refused."""
    lang = reader_language(services.settings, lang, request)
    touch_page(lang)
    with ui.column().classes("w-full max-w-md mx-auto mt-16 gap-6"):
        ui.label(t("Staff sign-in").render(lang)).classes("text-3xl font-bold").props("role=heading aria-level=1")
        if error in SIGN_IN_ERRORS:
            ui.label(SIGN_IN_ERRORS[error].render(lang)).classes("text-lg text-red-800").mark("sign-in-error")
        ui.html(
            '<form method="post" action="/staff/session" class="flex flex-col gap-4">'
            f'<input type="hidden" name="lang" value="{html.escape(lang)}">'
            f"<label>{html.escape(t('Name').render(lang))}<br>"
            '<input name="name" autocomplete="username" required'
            ' class="border rounded p-3 w-full min-h-[48px]"></label>'
            f"<label>{html.escape(t('Password').render(lang))}<br>"
            '<input name="password" type="password" autocomplete="current-password" required'
            ' class="border rounded p-3 w-full min-h-[48px]"></label>'
            f'<button type="submit" class="bg-blue-700 text-white rounded p-3 min-h-[48px]">'
            f"{html.escape(t('Sign in').render(lang))}</button>"
            "</form>",
            sanitize=False,
        )


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
