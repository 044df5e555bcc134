"""The staff console's designers section (`/staff/submissions`): every submission with its intake results and
pictures; approve (publishes the template's next version to the catalog) or send back with a reason the designer
sees. Admins also make invitation links for new designers here. Every button checks the session again."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from app.access import Action, Forbidden, allowed
from app.designers.accounts import DesignerError
from app.designers.submissions import Submission
from app.i18n import t
from app.pages.common import reader_language, touch_page
from app.pages.designer import STATUS_WORDS
from app.pages.designer_submit import intake_card
from app.pages.staff import StaffConsole
from app.services import Services
from app.staff import COOKIE


def register(services: Services) -> None:
    settings = services.settings

    @ui.page("/staff/submissions", title=settings.store_name)
    def submissions(request: Request, lang: str | None = None) -> RedirectResponse | None:
        who = services.staff.principal(request.cookies.get(COOKIE, ""))
        if who is None or not who.is_staff:
            return RedirectResponse("/staff/login", 303)
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        assert services.store is not None
        SubmissionReview(services, services.store, request.cookies.get(COOKIE, ""), who, lang).page()
        return None


class SubmissionReview(StaffConsole):
    def page(self) -> None:
        self.header()
        who = self.who()
        if who is None:
            return
        with ui.column().classes("w-full p-4 gap-4"):
            if allowed(who, Action.INVITE_DESIGNERS):
                self.invitations()
            ui.label(self.tr(t("Designers' submissions"))).classes("text-2xl font-bold")
            self.submission_list()

    def invitations(self) -> None:
        link = ui.label("").classes("font-mono break-all").mark("invitation-link")

        async def invite() -> None:
            who = self.who()
            if who is None:
                return
            try:
                token = await run.io_bound(self.services.designers.invite, who)
            except Forbidden as e:
                ui.notify(self.tr(e.message), type="negative")
                return
            base = self.services.settings.public_url.rstrip("/")
            link.set_text(f"{base}/designer/join/{token}")

        with ui.row().classes("items-center gap-4"):
            ui.button(self.tr(t("Invite a designer")), on_click=invite, icon="person_add").mark("invite")
            ui.label(self.tr(t("The link works once, for 7 days."))).classes("text-gray-700")

    @ui.refreshable_method
    def submission_list(self) -> None:
        who = self.who()
        if who is None:
            return
        found = self.services.submissions.for_review(who)
        if not found:
            ui.label(self.tr(t("No submissions yet."))).classes("text-gray-600")
        for submission in found:
            self.submission_card(submission)

    def submission_card(self, submission: Submission) -> None:
        with ui.card().classes("w-full").mark(f"review-{submission.id}"):
            with ui.row().classes("items-center gap-4"):
                ui.label(submission.title).classes("text-xl font-bold")
                ui.label(f"{submission.designer_name} · {submission.share_percent:g} %")
                ui.label(STATUS_WORDS.get(submission.status, t("Being checked")).render(self.lang)).mark(
                    "review-status"
                )
            with ui.row().classes("gap-4"):
                for result in sorted(submission.results, key=lambda r: r.passed):
                    intake_card(result, self.lang)
            if submission.status in ("in_review", "failed"):
                reason = (
                    ui.input(self.tr(t("Why it goes back (the designer reads this)")))
                    .classes("w-full")
                    .mark("send-back-reason")
                )
                with ui.row().classes("gap-4"):
                    if submission.status == "in_review":
                        ui.button(
                            self.tr(t("Approve and publish")),
                            on_click=lambda s=submission.id: self.decide(s, None),
                            color="green-9",
                            icon="publish",
                        ).mark("approve")
                    ui.button(
                        self.tr(t("Send back")),
                        on_click=lambda s=submission.id, r=reason: self.decide(s, r.value or ""),
                        icon="undo",
                    ).mark("send-back")

    async def decide(self, submission_id: str, reason: str | None) -> None:
        who = self.who()
        if who is None:
            return
        submissions = self.services.submissions
        try:
            if reason is None:
                await run.io_bound(submissions.approve, who, submission_id)
                ui.notify(self.tr(t("Published: the catalog shows it now.")), type="positive")
            else:
                await run.io_bound(submissions.send_back, who, submission_id, reason)
                ui.notify(self.tr(t("Sent back to the designer.")), type="positive")
        except (DesignerError, Forbidden) as e:
            ui.notify(self.tr(e.message), type="warning")
            return
        self.submission_list.refresh()
