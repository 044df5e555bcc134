"""The designer's own area: sign-in at /designer (the staff sign-in's protections: plain form, argon2, growing
delays, per-address limits, a device cookie), joining by an invitation link, and the home page listing their
submissions. Submitting and the profile are in designer_submit.py and designer_profile.py.

The session cookie is HttpOnly, SameSite=Strict and scoped to /designer, separate from the staff console's; a
designer's session opens no staff page and a staff session no designer page (the sign-in doors take only their
own roles, and every page and button checks the role again on the server).
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

from fastapi import Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from nicegui import app, ui

from app.access import Principal, Role
from app.designers.accounts import DesignerError
from app.i18n import Text, t
from app.pages.common import language_switch, reader_language, touch_page
from app.pages.sign_in_door import FORM_INPUT, Door, same_origin
from app.services import Services

COOKIE = "fabkiosk_designer"
DEVICE_COOKIE = "fabkiosk_designer_device"
DESIGNERS = frozenset({Role.DESIGNER})
# designers only, at their own door (app/pages/sign_in_door.py)
DESIGNER_DOOR = Door("/designer", COOKIE, DEVICE_COOKIE, DESIGNERS, t("Designer sign-in"))
_PORTRAIT_NAME = re.compile(r"^[0-9a-f]{32}\.png$")
STATUS_WORDS: dict[str, Text] = {
    "checking": t("Being checked"),
    "failed": t("Intake found problems"),
    "in_review": t("Waiting for review"),
    "sent_back": t("Sent back"),
    "approved": t("Published"),
    "withdrawn": t("Withdrawn"),
}


def designer_of(services: Services, request: Request) -> Principal | None:
    """The signed-in designer of this request, or None (no session, expired, or not a designer's)."""
    who = services.staff.principal(request.cookies.get(COOKIE, ""))
    return who if who is not None and who.role is Role.DESIGNER and who.designer_id else None


def to_sign_in(services: Services, lang: str | None, error: str = "") -> RedirectResponse:
    return DESIGNER_DOOR.to_form(services.settings, lang, error)


def designer_header(services: Services, who: Principal, lang: str) -> None:
    def tr(text: Text) -> str:
        return text.render(lang)

    with ui.header().classes("items-center justify-between bg-slate-800 px-6"):
        ui.label(f"{services.settings.store_name}: {tr(t('Designers'))}").classes("text-2xl font-bold")
        with ui.row().classes("items-center gap-4"):
            for words, path in (
                (t("My designs"), "/designer"),
                (t("Submit a template"), "/designer/submit"),
                (t("Statement"), "/designer/statement"),
            ):
                ui.link(tr(words), f"{path}?lang={lang}").classes("inline-block py-3 px-1 text-white")
            ui.link(tr(t("Profile")), f"/designer/profile?lang={lang}").classes("inline-block py-3 px-1 text-white")
            language_switch(services.settings, lang, lambda code: ui.navigate.to(f"?lang={code}"))
            ui.label(who.name).classes("text-lg")
            ui.html(
                '<form method="post" action="/designer/session/end" style="display:inline">'
                '<button type="submit" class="underline min-h-[48px] px-2">'
                f"{html.escape(tr(t('Sign out')))}</button></form>",
                sanitize=False,
            )


def register(services: Services) -> None:
    settings = services.settings
    accounts = services.staff

    @app.post("/designer/session")
    def sign_in(request: Request, name: str = Form(""), password: str = Form(""), lang: str = Form("")) -> Response:
        return DESIGNER_DOOR.sign_in(settings, accounts, request, name, password, lang)

    @app.post("/designer/session/end")
    def sign_out(request: Request) -> Response:
        return DESIGNER_DOOR.sign_out(settings, accounts, request)

    @ui.page("/designer/login", title=settings.store_name)
    def login_page(request: Request, lang: str | None = None, error: str = "", joined: str = "") -> None:
        DESIGNER_DOOR.form(settings, request, lang, error, t("Your account is ready. Sign in.") if joined else None)

    @app.post("/designer/join")
    def join(
        request: Request,
        token: str = Form(""),
        name: str = Form(""),
        display_name: str = Form(""),
        city: str = Form(""),
        password: str = Form(""),
        lang: str = Form(""),
    ) -> Response:
        lang = lang if lang in settings.languages else settings.default_language
        if not same_origin(request):
            return RedirectResponse(f"/designer/join/{token}?lang={lang}&error=origin", 303)
        try:
            services.designers.join(token, name, password, display_name, city)
        except DesignerError as e:
            query = urlencode({"lang": lang, "why": e.message.render(lang)[:300]})
            return RedirectResponse(f"/designer/join/{token}?{query}", 303)
        return RedirectResponse(f"/designer/login?lang={lang}&joined=1", 303)

    @ui.page("/designer/join/{token}", title=settings.store_name)
    def join_page(request: Request, token: str, lang: str | None = None, why: str = "") -> None:
        lang = reader_language(settings, lang, request)
        touch_page(lang)

        def tr(text: Text) -> str:
            return html.escape(text.render(lang))

        with ui.column().classes("w-full max-w-md mx-auto mt-12 gap-6"):
            ui.label(t("Become a designer").render(lang)).classes("text-3xl font-bold")
            if not services.designers.invitation_open(token):
                ui.label(t("This invitation link was used already or has expired. Ask for a new one.").render(lang))
                return
            if why:
                ui.label(why).classes("text-lg text-red-800").mark("join-error")
            ui.html(
                '<form method="post" action="/designer/join" class="flex flex-col gap-4">'
                f'<input type="hidden" name="token" value="{html.escape(token)}">'
                f'<input type="hidden" name="lang" value="{html.escape(lang)}">'
                f"<label>{tr(t('Name to sign in with (letters, digits, - and _)'))}<br>"
                f'<input name="name" autocomplete="username" required {FORM_INPUT}></label>'
                f"<label>{tr(t('Your name as customers see it'))}<br>"
                f'<input name="display_name" required maxlength="120" {FORM_INPUT}></label>'
                f'<label>{tr(t("Your city"))}<br><input name="city" required maxlength="80" {FORM_INPUT}></label>'
                f"<label>{tr(t('Password (at least 10 characters)'))}<br>"
                f'<input name="password" type="password" autocomplete="new-password" minlength="10" required '
                f"{FORM_INPUT}></label>"
                f'<button type="submit" class="bg-blue-700 text-white rounded p-3 min-h-[48px]">'
                f"{tr(t('Make my account'))}</button></form>",
                sanitize=False,
            )

    @ui.page("/designer", title=settings.store_name)
    def home(request: Request, lang: str | None = None) -> RedirectResponse | None:
        who = designer_of(services, request)
        if who is None:
            return to_sign_in(services, lang)
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        designer_header(services, who, lang)
        submissions = services.submissions.mine(who)
        with ui.column().classes("w-full max-w-4xl mx-auto p-4 gap-4"):
            ui.label(t("My designs").render(lang)).classes("text-3xl font-bold")
            if not submissions:
                ui.label(t("Nothing submitted yet.").render(lang)).classes("text-gray-700")
            for submission in submissions:
                with ui.row().classes("items-center gap-4 border-b py-2 w-full").mark(f"submission-{submission.id}"):
                    ui.link(submission.title, f"/designer/submissions/{submission.id}?lang={lang}").classes(
                        "text-xl py-3"
                    )
                    ui.label(STATUS_WORDS.get(submission.status, t("Being checked")).render(lang)).mark(
                        "submission-status"
                    )
        return None

    @app.get("/media/portraits/{name}")
    def portrait(name: str) -> FileResponse:
        """A designer's portrait: only our own PNG re-encoding, named by its content."""
        path = settings.data_dir / "portraits" / name
        if not _PORTRAIT_NAME.match(name) or not path.is_file():
            raise HTTPException(status_code=404)
        return FileResponse(
            path, media_type="image/png", headers={"Cache-Control": "public, max-age=31536000, immutable"}
        )
