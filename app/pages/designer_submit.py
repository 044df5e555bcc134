"""The designer submits a template (`/designer/submit`, or fixes one: `?fix=<id>`) and sees its intake results
as pictures with plain messages (`/designer/submissions/<id>`). Intake runs on its own worker; the page only
looks at the stored status, off the event loop."""

from __future__ import annotations

import tomllib
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import events, run, ui

from app.access import Forbidden, Principal
from app.designers.accounts import DesignerError
from app.designers.intake import IntakeResult
from app.designers.submissions import MAX_SOURCE_BYTES, Submission, SubmissionForm
from app.designs.fonts import STORE_FONTS
from app.i18n import t
from app.pages.common import KIND_WORDS, not_found, reader_language, touch_page
from app.pages.designer import STATUS_WORDS, designer_header, designer_of, to_sign_in
from app.services import Services

POLL_S = 1.0
CHECK_WORDS = {
    "template": t("The file"),
    "files": t("Other files"),
    "bounds": t("Bounds of the settings"),
    "fonts": t("Fonts"),
    "budget": t("Render time"),
    "render": t("Render"),
    "text_area": t("Text area"),
    "fits": t("Fits the machine"),
    "makes": t("Machine program"),
}


def register(services: Services) -> None:
    settings = services.settings

    @ui.page("/designer/submit", title=settings.store_name)
    def submit_page(request: Request, lang: str | None = None, fix: str = "") -> RedirectResponse | None:
        who = designer_of(services, request)
        if who is None:
            return to_sign_in(services, lang)
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        designer_header(services, who, lang)
        earlier: Submission | None = None
        if fix:
            try:
                earlier = services.submissions.get(who, fix)
            except (Forbidden, KeyError):
                earlier = None
        SubmitForm(services, who, lang, earlier).build()
        return None

    @ui.page("/designer/submissions/{submission_id}", title=settings.store_name)
    def submission_page(request: Request, submission_id: str, lang: str | None = None) -> RedirectResponse | None:
        who = designer_of(services, request)
        if who is None:
            return to_sign_in(services, lang)
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        try:
            submission = services.submissions.get(who, submission_id)
        except (Forbidden, KeyError):
            not_found(settings, lang)  # another designer's submission is not even said to exist
            return None
        designer_header(services, who, lang)
        with ui.column().classes("w-full max-w-5xl mx-auto p-4 gap-4"):
            show_submission(submission, lang)
            if submission.status in ("failed", "sent_back", "in_review"):
                ui.button(
                    t("Fix and submit again").render(lang),
                    on_click=lambda: ui.navigate.to(f"/designer/submit?fix={submission.id}&lang={lang}"),
                    icon="edit",
                ).mark("fix")
        if submission.status == "checking":

            async def look() -> None:
                now = await run.io_bound(services.submissions.get, who, submission_id)
                if now is not None and now.status != "checking":
                    ui.navigate.reload()

            ui.timer(POLL_S, look)
        return None


def show_submission(submission: Submission, lang: str) -> None:
    """Status, the reviewer's reason, and every intake result: what failed first, each with its picture."""
    ui.label(submission.title).classes("text-3xl font-bold")
    ui.label(STATUS_WORDS.get(submission.status, t("Being checked")).render(lang)).classes("text-xl").mark(
        "submission-status"
    )
    if submission.status == "checking":
        ui.spinner(size="lg")
        ui.label(t("The checks render your template at its corners. This takes a minute.").render(lang))
    if submission.reason:
        with ui.card().classes("bg-amber-50 w-full"):
            ui.label(t("Sent back by the store:").render(lang)).classes("font-bold")
            ui.label(submission.reason).mark("sent-back-reason")
    ordered = sorted(submission.results, key=lambda r: r.passed)
    with ui.row().classes("w-full gap-4"):
        for result in ordered:
            intake_card(result, lang)


def intake_card(result: IntakeResult, lang: str) -> None:
    colour = "border-green-700" if result.passed else "border-red-700 bg-red-50"
    mark = "intake-passed" if result.passed else "intake-failed"
    with ui.card().classes(f"w-72 border-2 {colour}").mark(mark):
        heading = CHECK_WORDS.get(result.check, t("Check")).render(lang)
        ui.label(f"{'✓' if result.passed else '✗'} {heading}").classes("font-bold text-lg")
        if result.corner:
            ui.label(result.corner).classes("text-sm text-gray-700 break-all")
        if result.picture:
            alt = t("Picture of the render: {settings}", settings=result.corner or "").render(lang)
            ui.image(f"/media/pictures/{result.picture}.svg").classes("w-64 h-48").props(
                f'fit=contain alt="{alt.replace(chr(34), chr(39))}"'
            )
        ui.label(result.message.get(lang) or result.message.get("en", "")).mark("intake-message")


class SubmitForm:
    """The template and its details; filled from an earlier submission when fixing one."""

    def __init__(self, services: Services, who: Principal, lang: str, earlier: Submission | None) -> None:
        self.services = services
        self.who = who
        self.lang = lang
        self.earlier = earlier
        self.meta: dict[str, Any] = tomllib.loads(earlier.meta_toml) if earlier else {}

    def tr(self, text: Any) -> str:
        return str(text.render(self.lang))

    def build(self) -> None:
        meta, outline = self.meta, dict(self.meta.get("outline", {}))
        title, about = dict(meta.get("title", {})), dict(meta.get("description", {}))
        policy = self.services.settings.designers
        with ui.column().classes("w-full max-w-3xl mx-auto p-4 gap-3"):
            ui.label(self.tr(t("Submit a template"))).classes("text-3xl font-bold")
            self.title_en = ui.input(self.tr(t("Title (English)")), value=title.get("en", "")).mark("title-en")
            self.title_de = ui.input(self.tr(t("Title (German)")), value=title.get("de", "")).mark("title-de")
            self.about_en = ui.textarea(self.tr(t("Description (English)")), value=about.get("en", "")).mark(
                "description-en"
            )
            self.about_de = ui.textarea(self.tr(t("Description (German)")), value=about.get("de", "")).mark(
                "description-de"
            )
            ui.label(self.tr(t("Made on"))).classes("font-bold")
            kinds = set(meta.get("machine_kinds", ()))
            self.kinds = {
                kind: ui.checkbox(self.tr(words), value=kind in kinds).mark(f"kind-{kind}")
                for kind, words in KIND_WORDS.items()
            }
            ui.label(self.tr(t("Fonts"))).classes("font-bold")
            fonts = set(meta.get("fonts", ()))
            self.fonts = {font: ui.checkbox(font, value=font in fonts).mark(f"font-{font}") for font in STORE_FONTS}
            ui.label(self.tr(t("Text area: where the text must stay (sizes in mm, from the settings)"))).classes(
                "font-bold"
            )
            self.width = ui.input(self.tr(t("Width, e.g. size")), value=outline.get("width", "")).mark("outline-width")
            self.height = ui.input(self.tr(t("Height, e.g. size")), value=outline.get("height", "")).mark(
                "outline-height"
            )
            self.texts = ui.input(
                self.tr(t("Text settings inside it, e.g. name")), value=", ".join(outline.get("texts", ()))
            ).mark("outline-texts")
            names, parts = dict(outline.get("text", {})), dict(outline.get("part", {}))
            self.text_en = ui.input(self.tr(t("The text is called (English)")), value=names.get("en", "")).mark(
                "text-name-en"
            )
            self.text_de = ui.input(self.tr(t("The text is called (German)")), value=names.get("de", "")).mark(
                "text-name-de"
            )
            self.part_en = ui.input(self.tr(t("The part is called (English)")), value=parts.get("en", "")).mark(
                "part-name-en"
            )
            self.part_de = ui.input(self.tr(t("The part is called (German)")), value=parts.get("de", "")).mark(
                "part-name-de"
            )
            shown = self.earlier.share_percent if self.earlier else policy.max_share_percent / 2
            self.share = ui.input(
                self.tr(t("Your share of each price, in percent (at most {max})", max=f"{policy.max_share_percent:g}")),
                value=f"{shown:g}",
            ).mark("share")
            ui.label(self.tr(t("The OpenSCAD customizer file"))).classes("font-bold")
            ui.upload(on_upload=self.uploaded, auto_upload=True, max_file_size=MAX_SOURCE_BYTES).props(
                "accept=.scad"
            ).mark("scad-file")
            self.source = (
                ui.textarea(self.tr(t("… or paste it here")), value=self.earlier.source if self.earlier else "")
                .props("rows=12 input-style='font-family: monospace'")
                .classes("w-full")
                .mark("scad-source")
            )
            ui.button(self.tr(t("Submit for checking")), on_click=self.submit, icon="send").mark("submit")

    async def uploaded(self, e: events.UploadEventArguments) -> None:
        data = await e.file.read()
        if len(data) > MAX_SOURCE_BYTES:
            ui.notify(self.tr(t("Upload the OpenSCAD file (at most {kb} kB).", kb=MAX_SOURCE_BYTES // 1000)))
            return
        self.source.value = data.decode("utf-8", errors="replace")

    async def submit(self) -> None:
        form = SubmissionForm(
            title={"en": self.title_en.value or "", "de": self.title_de.value or ""},
            description={"en": self.about_en.value or "", "de": self.about_de.value or ""},
            machine_kinds=tuple(kind for kind, box in self.kinds.items() if box.value),
            fonts=tuple(font for font, box in self.fonts.items() if box.value),
            share_percent=str(self.share.value or ""),
            source=str(self.source.value or ""),
            outline_width=self.width.value or "",
            outline_height=self.height.value or "",
            outline_texts=tuple(n.strip() for n in (self.texts.value or "").split(",") if n.strip()),
            text_name={"en": self.text_en.value or "", "de": self.text_de.value or ""},
            part_name={"en": self.part_en.value or "", "de": self.part_de.value or ""},
        )
        replaces = self.earlier.id if self.earlier else None
        try:
            result = await run.io_bound(self.services.submissions.submit, self.who, form, replaces)
        except DesignerError as e:
            ui.notify(self.tr(e.message), type="warning", multi_line=True)
            return
        except Forbidden as e:
            ui.notify(self.tr(e.message), type="negative")
            return
        if result is not None:
            ui.navigate.to(f"/designer/submissions/{result[0]}?lang={self.lang}")
