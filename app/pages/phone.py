"""The customer's phone: follow one job live (`/job/<token>`), type a short code (`/j`), send a file to the kiosk.

The token in the address is the only key to a job; any other address shows the same polite page and says nothing.
Portrait first, small payload: the preview is a decimated GLB fetched over HTTP; no program ever reaches a phone.
"""

from __future__ import annotations

import json
import logging

from fastapi import HTTPException, Request
from fastapi.responses import Response
from nicegui import app, ui

from app.access import Action, client_address, phone_customer
from app.backing.support import designer_of_job
from app.designs.customizer import TextParam
from app.designs.pictures import share_card
from app.handoff import Handoffs, TooManyAttempts
from app.i18n import t
from app.job_states import ON_MACHINE
from app.jobs import Actor, JobRefused, JobService, JobState
from app.machine_control import act
from app.pages.common import language_switch, not_found, reader_language, touch_page
from app.pages.designer_public import page_url
from app.pages.phone_support import SupportPanel, after_pickup
from app.production.quotes import format_money
from app.services import Services
from ui_components.file_sender import FileSender
from ui_components.job_progress import JobProgress
from ui_components.part_viewer import PartViewer
from ui_components.watch import Watch

log = logging.getLogger(__name__)
ENDED = ("ready_for_pickup", "collected", "held", "failed", "cancelled")  # nothing left to be told about
STOP_BAR_SPACE_PX = 100  # the phone's STOP bar (72 px) and its margins

# The share card as a PNG, made in the phone's own browser from the card's SVG: handed to the system share sheet
# where the Web Share API takes files (a phone saves it to its photos from there), else downloaded.
SHARE_JS = """
<script>
async function fabkioskCardPng(url) {
  const svg = await (await fetch(url)).text();
  const picture = new Image();
  picture.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg);
  await picture.decode();
  const canvas = document.createElement('canvas');
  canvas.width = (picture.naturalWidth || 600) * 2;
  canvas.height = (picture.naturalHeight || 800) * 2;
  canvas.getContext('2d').drawImage(picture, 0, 0, canvas.width, canvas.height);
  return await new Promise(done => canvas.toBlob(done, 'image/png'));
}
async function fabkioskShareCard(url) {
  const file = new File([await fabkioskCardPng(url)], 'fabkiosk-card.png', {type: 'image/png'});
  if (navigator.canShare && navigator.canShare({files: [file]})) {
    await navigator.share({files: [file]});
    return 'shared';
  }
  const link = document.createElement('a');
  link.href = URL.createObjectURL(file);
  link.download = file.name;
  link.click();
  return 'saved';
}
</script>
"""

NOTIFY_JS = """
(async () => {
  if (!('Notification' in window)) return 'unsupported';
  return await Notification.requestPermission();
})()
"""


def _client_key(request: Request, trusted_proxies: tuple[str, ...]) -> str:
    """The real peer: guessing is limited per address, and a proxy's header is believed only from the store's."""
    return client_address(request.client.host if request.client else "unknown", request.headers, trusted_proxies)


def register(services: Services, handoffs: Handoffs) -> None:
    title = services.settings.store_name

    @app.get("/job/{token}/card.svg")
    def share_card_route(token: str, request: Request, lang: str | None = None) -> Response:
        return share_card_response(services, token, request, lang)

    @ui.page("/job/{token}", title=title)
    def job_route(token: str, request: Request, lang: str | None = None) -> None:
        job_page(services, token, request, lang)

    @ui.page("/j", title=title)
    def code_route(request: Request, lang: str | None = None) -> None:
        code_page(services, handoffs, request, lang)

    @ui.page("/send/{inbox}", title=title)
    def send_route(inbox: str, request: Request, lang: str | None = None) -> None:
        send_page(services, handoffs, inbox, request, lang)


def share_card_response(services: Services, token: str, request: Request, lang: str | None) -> Response:
    """The share card of a finished job: the part, its designer, the store. Same key as the job page."""
    settings, jobs = services.settings, services.jobs
    assert jobs is not None
    job = jobs.find(token, collected=True)  # the card stays the customer's after pickup, for the link's lifetime
    if job is None or job.state not in (JobState.READY_FOR_PICKUP, JobState.COLLECTED) or services.pictures is None:
        raise HTTPException(status_code=404)
    summary = jobs.summary(job.id)
    if summary.geometry_path is None:
        raise HTTPException(status_code=404)
    lang = lang if lang in settings.languages else settings.default_language
    template = services.catalog.get(summary.template_id) if summary.template_id else None
    machine = services.machines[job.machine_id]
    material = machine.materials.get(summary.material)
    colour = material.colour_hex if material and material.colour_hex else "#f28c28"
    picture = services.pictures.for_part(summary.geometry_path, colour).read_text()
    title = template.title_in(lang) if template else summary.display_name
    credit = (
        t("by {name}, {city}", name=template.designer.name, city=template.designer.city).render(lang)
        if template
        else ""
    )
    with services.sessions() as session:
        designer = designer_of_job(session, job.id)
        link = page_url(services, request, designer.name) if designer else ""
    card = share_card(picture, title, credit, settings.store_name, t("Made at").render(lang), link)
    return Response(
        card,
        media_type="image/svg+xml",
        headers={
            "Content-Disposition": 'attachment; filename="fabkiosk-card.svg"',
            "Cache-Control": "private, max-age=3600",
            "Content-Security-Policy": "script-src 'none'",
        },
    )


def job_page(services: Services, token: str, request: Request, lang: str | None) -> None:
    """`/job/<token>`: one job, followed live; any other token gets the polite page that says nothing."""
    settings, jobs = services.settings, services.jobs
    assert jobs is not None
    lang = reader_language(settings, lang, request)
    touch_page(lang)
    ui.add_head_html('<meta name="robots" content="noindex">' + SHARE_JS)
    job = jobs.find(token, collected=True)
    if job is None:
        not_found(settings, lang)
        return
    if job.state is JobState.COLLECTED:  # the job's own page closed at pickup: its card and designer stay
        after_pickup(services, job.id, token, job.display_name, lang)
        return
    JobFollower(services, jobs, job.id, token, lang)


def code_page(services: Services, handoffs: Handoffs, request: Request, lang: str | None) -> None:
    """`/j`: the short code the kiosk shows opens its job (guesses are limited per address)."""
    settings = services.settings
    lang = reader_language(settings, lang, request)
    client = _client_key(request, settings.trusted_proxies)
    touch_page(lang)

    def open_job() -> None:
        try:
            token = handoffs.redeem(code.value or "", client)
        except TooManyAttempts:
            message.set_text(t("Too many wrong codes. Please wait ten minutes, or scan the QR code.").render(lang))
            return
        if token is None:
            message.set_text(t("This code does not open anything. Check it and try again.").render(lang))
            return
        ui.navigate.to(f"/job/{token}?lang={lang}")

    with ui.column().classes("w-full max-w-md mx-auto p-6 gap-4"):
        ui.label(settings.store_name).classes("text-2xl font-bold")
        ui.label(t("Type the code shown on the kiosk").render(lang)).classes("text-xl")
        code = (
            ui.input(t("Code").render(lang))
            .props("outlined autocapitalize=characters maxlength=12 input-class=text-3xl data-testid=code-input")
            .mark("code-input")
            .classes("w-full font-mono")
        )
        code.on("keydown.enter", open_job)
        ui.button(t("Open my job").render(lang), on_click=open_job).props("size=xl")
        message = ui.label().classes("text-xl text-red-800").props("data-testid=code-message").mark("code-message")


def send_page(services: Services, handoffs: Handoffs, inbox: str, request: Request, lang: str | None) -> None:
    """`/send/<inbox>`: a phone sends a file to the kiosk that showed this inbox's QR code."""
    settings = services.settings
    lang = reader_language(settings, lang, request)
    touch_page(lang)
    if not handoffs.inbox_open(inbox):
        not_found(settings, lang)
        return
    with ui.column().classes("w-full max-w-md mx-auto p-6 gap-4"):
        ui.label(settings.store_name).classes("text-2xl font-bold")
        ui.label(t("Send your design to the kiosk").render(lang)).classes("text-2xl")
        ui.label(t("3-D models (STL, 3MF, OBJ) are printed; drawings (SVG) are engraved.").render(lang))
        done = ui.label().classes("text-xl text-green-800").props("data-testid=sent").mark("sent")

        def sent() -> None:
            done.set_text(t("Sent. Look at the kiosk screen.").render(lang))
            upload.set_visibility(False)

        def refused() -> None:  # too large, or the inbox closed meanwhile
            if handoffs.inbox_open(inbox):
                ui.notify(t("This file is too large.").render(lang), type="warning")
            else:
                done.set_text(t("The kiosk no longer waits for this file. Scan its code again.").render(lang))

        # streamed to the server, which refuses it past the size limit while it arrives (app/upload_route.py)
        upload = FileSender(
            f"/inbox/{inbox}",
            t("Choose a file").render(lang),
            settings.uploads.max_file_bytes,
            ".stl,.3mf,.obj,.svg",
            on_sent=sent,
            on_refused=refused,
        ).classes("w-full")


class JobFollower:
    """One phone following one job: binds to the job's live view, offers only the safe choices."""

    def __init__(self, services: Services, jobs: JobService, job_id: str, token: str, lang: str) -> None:
        self.jobs = jobs
        assert services.store is not None
        self.store = services.store
        self.job_id = job_id
        self.lang = lang
        settings = services.settings
        live = jobs.live(job_id)
        summary = self.store.view_job(phone_customer(job_id), job_id)  # the link is the capability
        template = services.catalog.get(summary.template_id) if summary.template_id else None
        # The page scrolls in a box that ends above the STOP bar, so no control can ever lie under STOP, at any
        # scroll position (a tap meant for Pause must never stop the job for good).
        # Not positioned itself, so STOP (fixed, above every dialog) is not trapped in its stacking context.
        ui.query(".nicegui-content").classes("p-0")
        scroller = ui.element("div").classes("w-full overflow-y-auto").mark("job-scroller")
        Watch(
            live,
            "state",
            lambda state: scroller.style(f"height: calc(100dvh - {STOP_BAR_SPACE_PX if state in ON_MACHINE else 0}px)"),
        )
        with scroller, ui.column().classes("w-full max-w-md mx-auto p-4 gap-4"):
            with ui.row().classes("w-full justify-between items-center"):
                ui.label(settings.store_name).classes("text-lg font-bold")
                language_switch(settings, lang, lambda code: ui.navigate.to(f"/job/{token}?lang={code}"))
            ui.label(template.title_in(lang) if template else summary.display_name).classes("text-2xl font-bold")
            texts = (
                [summary.values.get(p.name) for p in template.parameters if isinstance(p, TextParam)]
                if template
                else []
            )
            if any(texts):  # the customer's own words (a name on a tag), shown as text, never as markup
                ui.label(" · ".join(f"“{text}”" for text in texts if text)).classes("text-xl").mark("texts")
            if template is not None:
                credit = t("by {name}, {city}", name=template.designer.name, city=template.designer.city)
                ui.label(credit.render(lang)).classes("italic")
            if summary.preview_name:
                viewer = PartViewer(f"/media/previews/{summary.preview_name}.glb", summary.size, width=340, height=260)
                Watch(live, "percent", lambda p: viewer.show_progress((p or 0) / 100))
            JobProgress(live, lang, settings.store_timezone, Actor.PHONE.value, self.act)
            with ui.column().classes("w-full gap-3 p-4 bg-green-50 rounded") as ready:
                ui.label(t("Ready for pickup {place}", place=settings.pickup_place).render(lang)).classes(
                    "text-2xl font-bold text-green-900"
                ).props("data-testid=ready").mark("ready")
                card = f"/job/{token}/card.svg?lang={lang}"
                ui.button(
                    t("Share the picture").render(lang),
                    on_click=lambda: ui.run_javascript(f"fabkioskShareCard({json.dumps(card)})"),
                    icon="share",
                ).props("size=lg data-testid=share-card").mark("share-card")
                ui.link(t("Save the share card").render(lang), card, new_tab=True).classes("text-xl py-3")
            ready.bind_visibility_from(live, "state", lambda s: s == JobState.READY_FOR_PICKUP)
            SupportPanel(services, job_id, lang, live)  # follow the designer; after pickup, rate the part
            ui.label(
                t("Price: {price}", price=format_money(summary.price, summary.currency, lang)).render(lang)
            ).classes("text-lg text-gray-700")
            ui.button(
                t("Tell me when it is ready").render(lang), on_click=self.ask_notifications, icon="notifications"
            ).bind_visibility_from(live, "state", lambda s: s not in ENDED).mark("notify-me")
            Watch(live, "state", self.state_changed)

    async def act(self, action: str) -> None:
        try:
            await act(action, self.store.job_action, phone_customer(self.job_id), self.job_id, Action(action))
        except JobRefused as e:
            ui.notify(e.message.render(self.lang), type="warning", position="center")

    async def ask_notifications(self) -> None:
        answer = await ui.run_javascript(NOTIFY_JS, timeout=30)
        if answer == "granted":
            ui.notify(t("We will tell you when it is ready.").render(self.lang))

    def state_changed(self, state: str) -> None:
        if state == JobState.READY_FOR_PICKUP:
            title = t("Ready for pickup").render(self.lang)
            ui.run_javascript(
                "if ('Notification' in window && Notification.permission === 'granted') "
                f"new Notification({json.dumps(title)});"
            )
