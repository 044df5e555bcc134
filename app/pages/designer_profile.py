"""The designer's profile (`/designer/profile`): the name customers see, the city, a short text in German and
English, and a portrait or logo (checked and re-encoded by the server before it is kept or shown)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import events, run, ui

from app.access import Forbidden
from app.designers.accounts import MAX_ABOUT, MAX_PORTRAIT_BYTES, DesignerError
from app.i18n import Text, t
from app.pages.common import reader_language, touch_page
from app.pages.designer import designer_header, designer_of, to_sign_in
from app.services import Services


def register(services: Services) -> None:
    settings = services.settings
    designers = services.designers

    @ui.page("/designer/profile", title=settings.store_name)
    def profile_page(request: Request, lang: str | None = None) -> RedirectResponse | None:
        who = designer_of(services, request)
        if who is None or who.designer_id is None:
            return to_sign_in(services, lang)
        designer_id = who.designer_id
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        designer_header(services, who, lang)
        profile = designers.profile(designer_id)

        def tr(text: Text) -> str:
            return text.render(lang)

        with ui.column().classes("w-full max-w-2xl mx-auto p-4 gap-3"):
            ui.label(tr(t("Profile"))).classes("text-3xl font-bold")
            ui.label(tr(t("Your page: /designer/{name}", name=profile.name))).classes("text-gray-700")
            portrait = (
                ui.image(f"/media/portraits/{profile.portrait}" if profile.portrait else "")
                .classes("w-48 h-48")
                .props(f'fit=contain alt="{tr(t("Your portrait or logo"))}"')
                .mark("portrait")
            )
            portrait.set_visibility(bool(profile.portrait))
            display_name = ui.input(tr(t("Your name as customers see it")), value=profile.display_name).mark(
                "display-name"
            )
            city = ui.input(tr(t("Your city")), value=profile.city).mark("city")
            about_de = (
                ui.textarea(tr(t("About you (German)")), value=profile.about.get("de", ""))
                .props(f"maxlength={MAX_ABOUT}")
                .mark("about-de")
            )
            about_en = (
                ui.textarea(tr(t("About you (English)")), value=profile.about.get("en", ""))
                .props(f"maxlength={MAX_ABOUT}")
                .mark("about-en")
            )

            async def save() -> None:
                try:
                    await run.io_bound(
                        designers.update_profile,
                        who,
                        designer_id,
                        display_name.value or "",
                        city.value or "",
                        {"de": about_de.value or "", "en": about_en.value or ""},
                    )
                except (DesignerError, Forbidden) as e:
                    ui.notify(tr(e.message), type="warning")
                    return
                ui.notify(tr(t("Saved.")), type="positive")

            async def uploaded(e: events.UploadEventArguments) -> None:
                data = await e.file.read()
                try:
                    changed = await run.io_bound(designers.set_portrait, who, designer_id, data)
                except (DesignerError, Forbidden) as err:
                    ui.notify(tr(err.message), type="warning")
                    return
                if changed is not None:
                    portrait.set_source(f"/media/portraits/{changed.portrait}")
                    portrait.set_visibility(True)
                    ui.notify(tr(t("Saved.")), type="positive")

            ui.button(tr(t("Save")), on_click=save, icon="save").mark("save-profile")
            ui.label(tr(t("Portrait or logo (PNG, JPEG or WebP)"))).classes("font-bold")
            ui.upload(on_upload=uploaded, auto_upload=True, max_file_size=MAX_PORTRAIT_BYTES).props(
                "accept=.png,.jpg,.jpeg,.webp"
            ).mark("portrait-file")
        return None
