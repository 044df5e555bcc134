"""A sign-in door: the form, its post and sign-out for one kind of account (staff at /staff, designers at
/designer, head-office staff at /hq). Each door has its own HttpOnly, SameSite=Strict session cookie scoped to its
own path, lets in only its roles (any other account is answered like a wrong password) and remembers the browsers
where an account signed in before, so nobody else's wrong tries slow them down (app/staff.py).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import urlencode, urlparse

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from nicegui import ui

from app.access import Role, client_address
from app.config import Settings
from app.i18n import Text, t
from app.pages.common import reader_language, touch_page
from app.staff import SignInRefused, StaffAccounts

SIGN_IN_ERRORS: dict[str, Text] = {
    "wrong": t("The name or the password is wrong."),
    "locked": t("Too many wrong passwords for this name. Wait a moment, then try again."),
    "busy": t("Too many tries from this device. Wait a minute, then try again."),
    "origin": t("Sign in from this store's own page."),
}
FORM_INPUT = 'class="border rounded p-3 w-full min-h-[48px]"'


def same_origin(request: Request) -> bool:
    """A form post from this server's own pages: the Origin (or, without one, the Referer) names our host."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # not a browser posting across sites (browsers always send Origin on cross-site posts)
    return urlparse(origin).netloc == request.headers.get("host", "")


@dataclass(frozen=True)
class Door:
    home: str  # the area behind the door: its form is at {home}/login, it posts to {home}/session
    cookie: str  # the session cookie, scoped to `home`
    device_cookie: str  # the browsers where an account signed in before, scoped to the post
    roles: frozenset[Role]
    heading: Text

    def to_form(self, settings: Settings, lang: str | None, error: str = "") -> RedirectResponse:
        """Back to the form, in the reader's language, with why the last try was refused."""
        query = {"lang": lang if lang in settings.languages else "", "error": error}
        filled = urlencode({key: value for key, value in query.items() if value})
        return RedirectResponse(f"{self.home}/login" + (f"?{filled}" if filled else ""), 303)

    def sign_in(
        self, settings: Settings, accounts: StaffAccounts, request: Request, name: str, password: str, lang: str
    ) -> Response:
        """The form's post: the session cookie and on into the area, or back to the form with the reason."""
        if not same_origin(request):
            return self.to_form(settings, lang, "origin")
        try:
            peer = client_address(
                request.client.host if request.client else "?", request.headers, settings.trusted_proxies
            )
            token = accounts.sign_in(name.strip(), password, peer, request.cookies.get(self.device_cookie), self.roles)
        except SignInRefused as e:
            reason = next((k for k, v in SIGN_IN_ERRORS.items() if v.msgid == e.message.msgid), "wrong")
            return self.to_form(settings, lang, reason)
        response = RedirectResponse(f"{self.home}?lang={lang}" if lang in settings.languages else self.home, 303)
        secure = request.url.scheme == "https"
        device = accounts.remember_device(token)
        if device is not None:  # this browser's own wrong tries slow it, nobody else's
            response.set_cookie(
                self.device_cookie,
                device,
                max_age=365 * 86400,
                path=f"{self.home}/session",
                httponly=True,
                samesite="strict",
                secure=secure,
            )
        response.set_cookie(
            self.cookie,
            token,
            max_age=int(settings.staff.session_hours * 3600),
            path=self.home,
            httponly=True,
            samesite="strict",
            secure=secure,
        )
        return response

    def sign_out(self, settings: Settings, accounts: StaffAccounts, request: Request) -> Response:
        if same_origin(request):
            accounts.sign_out(request.cookies.get(self.cookie))
        response = self.to_form(settings, None)
        response.delete_cookie(self.cookie, path=self.home)
        return response

    def form(
        self, settings: Settings, request: Request, lang: str | None, error: str, notice: Text | None = None
    ) -> None:
        """The sign-in page: a plain HTML form posted to the server, with the reason the last try was refused."""
        lang = reader_language(settings, lang, request)
        touch_page(lang)

        def tr(text: Text) -> str:
            return html.escape(text.render(lang))

        with ui.column().classes("w-full max-w-md mx-auto mt-16 gap-6"):
            ui.label(self.heading.render(lang)).classes("text-3xl font-bold").props("role=heading aria-level=1")
            if notice is not None:
                ui.label(notice.render(lang)).classes("text-lg text-green-800")
            if error in SIGN_IN_ERRORS:
                ui.label(SIGN_IN_ERRORS[error].render(lang)).classes("text-lg text-red-800").mark("sign-in-error")
            ui.html(
                f'<form method="post" action="{self.home}/session" class="flex flex-col gap-4">'
                f'<input type="hidden" name="lang" value="{html.escape(lang)}">'
                f'<label>{tr(t("Name"))}<br><input name="name" autocomplete="username" required {FORM_INPUT}></label>'
                f"<label>{tr(t('Password'))}<br>"
                f'<input name="password" type="password" autocomplete="current-password" required {FORM_INPUT}></label>'
                f'<button type="submit" class="bg-blue-700 text-white rounded p-3 min-h-[48px]">{tr(t("Sign in"))}'
                "</button></form>",
                sanitize=False,
            )
