"""Which browser is a kiosk, and the pairing screen (`/kiosk/pair`) that makes one.

A browser is a kiosk when it holds the device secret of a kiosk staff paired (an HttpOnly cookie), or, when the
store allows it, when it is the browser on the server's own computer. Pairing: the screen asks for a one-time code
(a form post, so the claim token lands in an HttpOnly cookie), shows it, waits for staff to confirm it in the
console, then claims its device secret with a second form post. Every post checks the Origin header.
"""

from __future__ import annotations

import html

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from nicegui import app, ui

from app.access import client_address, is_local_browser
from app.i18n import t
from app.kiosks import CLAIM_COOKIE, CODE_MINUTES, DEVICE_COOKIE, KioskDevice, KioskError, local_kiosk
from app.pages.common import reader_language
from app.pages.sign_in_door import same_origin
from app.services import Services

DEVICE_COOKIE_DAYS = 3650  # a kiosk stays paired until staff revoke it
CHECK_EVERY_S = 2.0


def peer_of(services: Services, request: Request) -> str:
    """The real peer address of a request (the store's proxies are looked through, nobody else's)."""
    peer = request.client.host if request.client else ""
    return client_address(peer, request.headers, services.settings.trusted_proxies)


def kiosk_device(services: Services, request: Request) -> KioskDevice | None:
    """The kiosk this browser is, or None: an ordinary browser (a phone, a laptop, a page from another site)."""
    device = services.kiosks.device(request.cookies.get(DEVICE_COOKIE))
    if device is not None:
        return device
    settings = services.settings
    peer = request.client.host if request.client else ""
    if settings.store.local_browser_is_kiosk and is_local_browser(peer, request.headers, settings.trusted_proxies):
        return local_kiosk(services.machines)
    return None


def pair_button(label: str) -> None:
    """A form posting to /kiosk/pair: the answer sets the claim cookie, which a page event could not."""
    ui.html(
        '<form method="post" action="/kiosk/pair/request">'
        f'<button type="submit" class="underline text-lg" data-testid="pair-kiosk">{html.escape(label)}</button>'
        "</form>",
        sanitize=False,
    )


def register(services: Services) -> None:
    settings = services.settings
    kiosks = services.kiosks

    @app.post("/kiosk/pair/request")
    def ask_to_pair(request: Request) -> Response:
        if not same_origin(request):
            return RedirectResponse("/kiosk/pair?error=origin", 303)
        try:
            claim, _ = kiosks.request_pairing(peer_of(services, request))
        except KioskError:
            return RedirectResponse("/kiosk/pair?error=busy", 303)
        response = RedirectResponse("/kiosk/pair", 303)
        response.set_cookie(
            CLAIM_COOKIE,
            claim,
            max_age=int(CODE_MINUTES * 60) + 3600,  # staff confirmed in time: the claim may follow a little later
            path="/kiosk",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @app.post("/kiosk/pair/finish")
    def finish_pairing(request: Request) -> Response:
        if not same_origin(request):
            return RedirectResponse("/kiosk/pair?error=origin", 303)
        secret = kiosks.claim(request.cookies.get(CLAIM_COOKIE))
        if secret is None:
            return RedirectResponse("/kiosk/pair", 303)
        response = RedirectResponse("/", 303)
        response.set_cookie(
            DEVICE_COOKIE,
            secret,
            max_age=DEVICE_COOKIE_DAYS * 86400,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        response.delete_cookie(CLAIM_COOKIE, path="/kiosk")
        return response

    @ui.page("/kiosk/pair", title=settings.store_name)
    def pairing_page(request: Request, lang: str | None = None, error: str = "") -> None:
        lang = reader_language(settings, lang, request)
        claim = request.cookies.get(CLAIM_COOKIE)
        pairing = kiosks.pairing(claim)
        with ui.column().classes("w-full max-w-2xl mx-auto mt-16 gap-6 text-center items-center"):
            ui.label(t("Pair this screen as a kiosk").render(lang)).classes("text-4xl font-bold")
            if error == "busy":
                ui.label(t("Too many screens are waiting to be paired. Try again in a few minutes.").render(lang))
            if error == "origin":
                ui.label(t("Pair from this store's own page.").render(lang))
            if pairing is None or pairing.expired:
                ui.label(
                    t("A staff member confirms the code this screen shows, in the staff console.").render(lang)
                ).classes("text-xl")
                pair_button(t("Show a pairing code").render(lang))
                return
            ui.label(t("Pairing code").render(lang)).classes("text-2xl")
            ui.label(pairing.code).classes("text-7xl font-mono font-bold").props("data-testid=pairing-code").mark(
                "pairing-code"
            )
            ui.label(
                t(
                    "Staff: open Kiosks in the staff console, type this code and tick the machines beside this screen."
                ).render(lang)
            ).classes("text-xl")
            finish = ui.html(
                '<form id="finish-pairing" method="post" action="/kiosk/pair/finish">'
                f'<button type="submit" class="bg-green-700 text-white rounded p-4 text-2xl">'
                f"{html.escape(t('Finish pairing').render(lang))}</button></form>",
                sanitize=False,
            ).mark("finish-pairing")
            finish.set_visibility(pairing.confirmed)

            def check() -> None:
                now = kiosks.pairing(claim)
                if now is not None and now.confirmed and not finish.visible:
                    finish.set_visibility(True)
                    ui.run_javascript("document.getElementById('finish-pairing').submit()")

            ui.timer(CHECK_EVERY_S, check)
