"""The phone page's part for the designer: follow them from a finished part (the job link holds the follow, and can
undo it), and after pickup "How did it turn out?" (1 to 5 stars and an optional sentence). Also the page a job link
opens once the part was picked up: the share card, the rating and the follow, without the job's controls."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

from nicegui import ui

from app.backing import support
from app.i18n import t
from app.jobs import JobRefused, JobState
from app.models import JobRow, QuoteRow
from app.pages.common import language_switch
from app.production.quotes import format_money
from app.services import Services
from app.tracking import LiveJob

FINISHED = (JobState.READY_FOR_PICKUP.value, JobState.COLLECTED.value)


class SupportPanel:
    """Follow the designer of a finished part; rate it after pickup. Bound to the job's live state, so a phone that
    watched its part being made is asked as soon as staff hand it over."""

    def __init__(self, services: Services, job_id: str, lang: str, live: LiveJob) -> None:
        self.sessions = services.sessions
        self.job_id = job_id
        self.lang = lang
        with self.sessions() as session:
            designer = support.designer_of_job(session, job_id)
            self.designer_name = designer.display_name if designer else ""
            page = designer.name if designer else ""
            following = support.follows(session, job_id)
            rating = support.rating_of(session, job_id)
            job = session.get(JobRow, job_id)
            priced = session.get(QuoteRow, job.quote_id) if job is not None else None
            tip = job.tip if job is not None and priced is not None else Decimal("0")
            currency = priced.currency if priced is not None else ""
        if designer is not None and tip:
            words = t(
                "Your tip for {name}: {tip}. Thank you!", name=self.designer_name, tip=format_money(tip, currency, lang)
            )
            ui.label(words.render(lang)).classes("text-lg").props("data-testid=tip-given").mark("tip-given")
        if designer is not None:
            with ui.column().classes("w-full gap-2") as follow_box:
                ui.link(
                    t("More by {name}", name=self.designer_name).render(lang), f"/designer/{quote(page)}?lang={lang}"
                ).classes("text-xl py-3").props("data-testid=designer-link").mark("designer-link")
                self.follow_button = (
                    ui.button(
                        t("Follow {name}", name=self.designer_name).render(lang), icon="favorite", on_click=self.follow
                    )
                    .props("size=lg")
                    .props("data-testid=follow")
                    .mark("follow")
                )
                with ui.row().classes("items-center gap-4") as self.followed:
                    ui.label(t("You follow {name}.", name=self.designer_name).render(lang)).classes("text-lg").mark(
                        "following"
                    )
                    ui.button(t("Undo").render(lang), on_click=self.unfollow).props("flat").props(
                        "data-testid=unfollow"
                    ).mark("unfollow")
            follow_box.bind_visibility_from(live, "state", lambda s: s in FINISHED)
            self.show_follow(following)
        with ui.column().classes("w-full gap-3 p-4 bg-amber-50 rounded") as rate_box:
            ui.label(t("How did it turn out?").render(lang)).classes("text-2xl font-bold").props(
                "role=heading aria-level=2"
            )
            self.stars = rating.stars if rating else 0
            with ui.row().classes("gap-1").props('role=radiogroup aria-label="1-5"'):
                self.star_buttons = [
                    ui.button("★", on_click=lambda n=n: self.choose(n))
                    .props(f'flat size=xl aria-label="{n}"')
                    .props(f"data-testid=star-{n}")
                    .mark(f"star-{n}")
                    for n in range(1, 6)
                ]
            self.comment = (
                ui.input(t("A sentence about it (optional)").render(lang), value=rating.comment if rating else "")
                .props("outlined maxlength=280")
                .classes("w-full")
                .props("data-testid=rating-comment")
                .mark("rating-comment")
            )
            ui.button(t("Send my rating").render(lang), on_click=self.send).props("size=lg").props(
                "data-testid=rating-send"
            ).mark("rating-send")
            self.thanks = (
                ui.label("").classes("text-lg text-green-900").props("data-testid=rating-thanks").mark("rating-thanks")
            )
        rate_box.bind_visibility_from(live, "state", lambda s: s == JobState.COLLECTED.value)
        self.paint_stars()

    def show_follow(self, following: bool) -> None:
        self.follow_button.set_visibility(not following)
        self.followed.set_visibility(following)

    def follow(self) -> None:
        try:
            with self.sessions.begin() as session:
                support.follow(session, self.job_id, datetime.now(UTC))
        except JobRefused as e:
            ui.notify(e.message.render(self.lang), type="warning")
            return
        self.show_follow(True)

    def unfollow(self) -> None:
        with self.sessions.begin() as session:
            support.unfollow(session, self.job_id, datetime.now(UTC))
        self.show_follow(False)

    def choose(self, stars: int) -> None:
        self.stars = stars
        self.paint_stars()

    def paint_stars(self) -> None:
        for n, button in enumerate(self.star_buttons, start=1):
            button.props(
                f"color={'amber-8' if n <= self.stars else 'grey-6'} aria-pressed={json.dumps(n <= self.stars)}"
            )

    def send(self) -> None:
        if not self.stars:
            ui.notify(t("Choose from one to five stars.").render(self.lang), type="warning")
            return
        try:
            with self.sessions.begin() as session:
                support.rate(session, self.job_id, self.stars, self.comment.value or "", self.lang, datetime.now(UTC))
        except JobRefused as e:
            ui.notify(e.message.render(self.lang), type="warning")
            return
        self.thanks.set_text(t("Thank you! Your rating helps the designer.").render(self.lang))


def after_pickup(services: Services, job_id: str, token: str, title: str, lang: str) -> None:
    """What a job's link opens once the part was picked up: no controls, only the part, its card and its designer."""
    assert services.jobs is not None
    settings = services.settings
    with ui.column().classes("w-full max-w-md mx-auto p-4 gap-4"):
        with ui.row().classes("w-full justify-between items-center"):
            ui.label(settings.store_name).classes("text-lg font-bold")
            language_switch(settings, lang, lambda code: ui.navigate.to(f"/job/{token}?lang={code}"))
        ui.label(title).classes("text-2xl font-bold")
        ui.label(t("Picked up. Enjoy it!").render(lang)).classes("text-xl").props("data-testid=collected").mark(
            "collected"
        )
        ui.link(t("Save the share card").render(lang), f"/job/{token}/card.svg?lang={lang}", new_tab=True).classes(
            "text-xl py-3"
        )
        SupportPanel(services, job_id, lang, services.jobs.live(job_id))
