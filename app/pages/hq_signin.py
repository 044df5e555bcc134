"""Signing in to the head office's console: the staff sign-in (same accounts, same limits, same form), with its own
session cookie on the path /hq, so a head-office session is never sent to any other page of the server."""

from __future__ import annotations

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from nicegui import app, ui

from app.access import Principal, Role
from app.config import Settings
from app.i18n import t
from app.pages.sign_in_door import Door
from app.staff import StaffAccounts

HQ_COOKIE = "fabkiosk_hq"


# head-office staff and the head office's admins (app/pages/sign_in_door.py)
HQ_DOOR = Door("/hq", HQ_COOKIE, "fabkiosk_hq_device", frozenset({Role.HQ, Role.ADMIN}), t("Head office sign-in"))


def to_sign_in(settings: Settings, lang: str | None, error: str = "") -> RedirectResponse:
    return HQ_DOOR.to_form(settings, lang, error)


def hq_principal(accounts: StaffAccounts, request: Request) -> Principal | None:
    return accounts.principal(request.cookies.get(HQ_COOKIE, ""))


def register(settings: Settings, accounts: StaffAccounts) -> None:
    @app.post("/hq/session")
    def sign_in(request: Request, name: str = Form(""), password: str = Form(""), lang: str = Form("")) -> Response:
        return HQ_DOOR.sign_in(settings, accounts, request, name, password, lang)

    @app.post("/hq/session/end")
    def sign_out(request: Request) -> Response:
        return HQ_DOOR.sign_out(settings, accounts, request)

    @ui.page("/hq/login", title=settings.store_name)
    def login_page(request: Request, lang: str | None = None, error: str = "") -> None:
        HQ_DOOR.form(settings, request, lang, error)
