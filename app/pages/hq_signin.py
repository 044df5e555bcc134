"""Signing in to the head office's console: the staff sign-in (same accounts, same limits, same form), with its own
session cookie on the path /hq, so a head-office session is never sent to any other page of the server."""

from __future__ import annotations

import html
from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from nicegui import app, ui

from app.access import Principal, Role, client_address
from app.config import Settings
from app.i18n import t
from app.pages.common import reader_language, touch_page
from app.pages.staff_accounts import SIGN_IN_ERRORS, same_origin
from app.staff import DEVICE_COOKIE, SignInRefused, StaffAccounts

HQ_COOKIE = "fabkiosk_hq"


HQ_DOOR = frozenset({Role.HQ, Role.ADMIN})


def to_sign_in(settings: Settings, lang: str | None, error: str = "") -> RedirectResponse:
    query = {"lang": lang if lang in settings.languages else "", "error": error}
    filled = urlencode({key: value for key, value in query.items() if value})
    return RedirectResponse("/hq/login" + (f"?{filled}" if filled else ""), 303)


def hq_principal(accounts: StaffAccounts, request: Request) -> Principal | None:
    return accounts.principal(request.cookies.get(HQ_COOKIE, ""))


def register(settings: Settings, accounts: StaffAccounts) -> None:
    @app.post("/hq/session")
    def sign_in(request: Request, name: str = Form(""), password: str = Form(""), lang: str = Form("")) -> Response:
        if not same_origin(request):
            return to_sign_in(settings, lang, "origin")
        try:
            peer = client_address(
                request.client.host if request.client else "?", request.headers, settings.trusted_proxies
            )
            token = accounts.sign_in(  # head-office staff, and the head office's admins
                name.strip(), password, peer, request.cookies.get(DEVICE_COOKIE), roles=HQ_DOOR
            )
        except SignInRefused as e:
            error = next((k for k, v in SIGN_IN_ERRORS.items() if v.msgid == e.message.msgid), "wrong")
            return to_sign_in(settings, lang, error)
        response = RedirectResponse(f"/hq?lang={lang}" if lang in settings.languages else "/hq", 303)
        response.set_cookie(
            HQ_COOKIE,
            token,
            max_age=int(settings.staff.session_hours * 3600),
            path="/hq",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @app.post("/hq/session/end")
    def sign_out(request: Request) -> Response:
        if same_origin(request):
            accounts.sign_out(request.cookies.get(HQ_COOKIE))
        response = to_sign_in(settings, None)
        response.delete_cookie(HQ_COOKIE, path="/hq")
        return response

    @ui.page("/hq/login", title=settings.store_name)
    def login_page(request: Request, lang: str | None = None, error: str = "") -> None:
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        with ui.column().classes("w-full max-w-md mx-auto mt-16 gap-6"):
            ui.label(t("Head office sign-in").render(lang)).classes("text-3xl font-bold").props(
                "role=heading aria-level=1"
            )
            if error in SIGN_IN_ERRORS:
                ui.label(SIGN_IN_ERRORS[error].render(lang)).classes("text-lg text-red-800").mark("sign-in-error")
            ui.html(
                '<form method="post" action="/hq/session" class="flex flex-col gap-4">'
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
