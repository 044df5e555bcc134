"""The head office's console (`/hq`): every store and its machines (state and age of the last report, stale ones
marked), jobs today per store, what is made and rated best per city, designers whose designs travel, machine
utilisation per kind, and publishing a template version to every store or to chosen cities.

Built only for a head-office session (role hq, or an admin of the head office's server); every update asks the
session again, so a page left open after sign-out shows nothing new. Tables are updated in place every few seconds
from the head office's own database; nothing is rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from app.access import Forbidden, Principal
from app.chain.hq_console import HqConsole
from app.config import Settings
from app.designs.catalog import Template
from app.i18n import Text, t
from app.job_records import JobRefused
from app.pages.common import KIND_WORDS, language_switch, reader_language, touch_page
from app.pages.hq_signin import hq_principal, to_sign_in
from app.staff import StaffAccounts
from ui_components.job_progress import STATE_WORDS

REFRESH_S = 5.0
MACHINE_STATE_WORDS = {
    "offline": t("Not available"),
    "connecting": t("Starting up"),
    "idle": t("Ready"),
    "heating": t("Busy"),
    "running": t("Busy"),
    "pausing": t("Busy"),
    "paused": t("Busy"),
    "cancelling": t("Busy"),
    "finishing": t("Busy"),
    "halted": t("Waiting for staff"),
    "alarm": t("Waiting for staff"),
    "link_lost": t("Waiting for staff"),
}


def age_words(seconds: float | None, lang: str) -> str:
    if seconds is None:
        return t("never").render(lang)
    if seconds < 90:
        return t("{n} s ago", n=round(seconds)).render(lang)
    if seconds < 5400:
        return t("{n} min ago", n=round(seconds / 60)).render(lang)
    return t("{n} h ago", n=round(seconds / 3600)).render(lang)


class HqPage:
    """One head-office browser: tables bound to the console's figures, asked again every few seconds."""

    def __init__(
        self,
        console: HqConsole,
        catalog: Mapping[str, Template],
        who: Callable[[], Principal | None],
        lang: str,
        settings: Settings,
    ) -> None:
        self.console = console
        self.catalog = catalog
        self.who = who
        self.lang = lang
        self.settings = settings
        self.tables: dict[str, ui.table] = {}

    def tr(self, text: Text) -> str:
        return text.render(self.lang)

    def build(self) -> None:
        with ui.column().classes("w-full p-6 gap-6"):
            with ui.row().classes("w-full items-center justify-between"):
                ui.label(self.tr(t("Head office"))).classes("text-3xl font-bold").props("role=heading aria-level=1")
                with ui.row().classes("items-center gap-4"):
                    language_switch(self.settings, self.lang, lambda code: ui.navigate.to(f"/hq?lang={code}"))
                    sign_out = self.tr(t("Sign out"))
                    ui.html(
                        '<form method="post" action="/hq/session/end">'
                        f'<button type="submit" class="underline min-h-[48px]">{sign_out}</button></form>',
                        sanitize=False,
                    )
            self.section("stores", self.tr(t("Stores")), [
                ("name", self.tr(t("Store"))), ("city", self.tr(t("City"))), ("jobs_today", self.tr(t("Jobs today"))),
                ("last_report", self.tr(t("Last report"))), ("status", self.tr(t("Status"))),
            ])  # fmt: skip
            self.section("machines", self.tr(t("Machines")), [
                ("store", self.tr(t("Store"))), ("machine", self.tr(t("Machine"))), ("kind", self.tr(t("Kind"))),
                ("state", self.tr(t("State"))), ("last_report", self.tr(t("Last report"))),
            ])  # fmt: skip
            with ui.row().classes("w-full gap-6 items-start"):
                self.section("favourites", self.tr(t("Made and rated best, by city")), [
                    ("city", self.tr(t("City"))), ("design", self.tr(t("Design"))), ("made", self.tr(t("Made"))),
                    ("stars", self.tr(t("Stars"))),
                ])  # fmt: skip
                self.section("designers", self.tr(t("Designs that travel")), [
                    ("designer", self.tr(t("Designer"))), ("home", self.tr(t("Home city"))),
                    ("cities", self.tr(t("Also made in"))), ("made", self.tr(t("Made elsewhere"))),
                ])  # fmt: skip
                self.section("utilisation", self.tr(t("Machine utilisation")), [
                    ("kind", self.tr(t("Kind"))), ("machines", self.tr(t("Machines"))),
                    ("running", self.tr(t("Running now"))), ("today", self.tr(t("Busy today"))),
                ])  # fmt: skip
            self.publishing()
        self.update()
        ui.timer(REFRESH_S, self.update)

    def section(self, name: str, title: str, columns: list[tuple[str, str]]) -> None:
        with ui.column().classes("gap-2"):
            ui.label(title).classes("text-2xl font-bold").props("role=heading aria-level=2")
            table = ui.table(
                columns=[{"name": key, "label": label, "field": key, "align": "left"} for key, label in columns],
                rows=[],
                row_key="key",
            ).props("flat bordered dense wrap-cells")
            table.props(
                f'no-data-label="{self.tr(t("Nothing yet"))}"'
            )  # Quasar's own words follow the server's language
            table.mark(f"hq-{name}")
            self.tables[name] = table

    def title(self, template_id: str) -> str:
        template = self.catalog.get(template_id)
        return template.title_in(self.lang) if template else template_id

    def update(self) -> None:
        who = self.who()
        if who is None:
            return
        try:
            self._update(who)
        except Forbidden:
            return

    def _update(self, who: Principal) -> None:
        lang, console = self.lang, self.console
        stores = console.stores(who)
        self._rows("stores", [
            {"key": s.id, "name": s.name, "city": s.city, "jobs_today": s.jobs_today,
             "last_report": age_words(s.last_report_age_s, lang),
             "status": self.tr(t("Not reporting")) if s.stale else self.tr(t("Reporting"))}
            for s in stores
        ])  # fmt: skip
        self._rows("machines", [
            {"key": f"{s.id}/{m.machine_id}", "store": s.name, "machine": m.machine_id,
             "kind": KIND_WORDS[m.kind].render(lang) if m.kind in KIND_WORDS else m.kind,
             "state": (self.tr(t("Not reporting")) + " · " if m.stale else "")
             + MACHINE_STATE_WORDS.get(m.state, STATE_WORDS.get(m.state, Text(m.state))).render(lang),
             "last_report": age_words(m.age_s, lang)}
            for s in stores for m in s.machines
        ])  # fmt: skip
        self._rows("favourites", [
            {"key": f"{city}/{f.template_id}", "city": city, "design": self.title(f.template_id), "made": f.made,
             "stars": f"{f.stars:.1f} ({f.ratings})" if f.stars is not None else "–"}
            for city, items in console.favourites(who).items() for f in items
        ])  # fmt: skip
        self._rows("designers", [
            {"key": d.designer_id, "designer": d.name, "home": d.home, "cities": ", ".join(d.cities),
             "made": d.made_elsewhere}
            for d in console.travelling_designers(who)
        ])  # fmt: skip
        self._rows("utilisation", [
            {"key": u.kind, "kind": KIND_WORDS[u.kind].render(lang) if u.kind in KIND_WORDS else u.kind,
             "machines": u.machines, "running": u.running_now, "today": f"{u.busy_today:.0%}"}
            for u in console.utilisation(who)
        ])  # fmt: skip
        self._rows("versions", [
            {"key": v.version_id, "design": self.title(v.template_id), "version": v.version,
             "where": ", ".join(v.cities) if v.cities else self.tr(t("every store"))}
            for v in console.versions(who)
        ])  # fmt: skip

    def _rows(self, name: str, rows: list[dict[str, Any]]) -> None:
        table = self.tables[name]
        if table.rows != rows:  # only a change reaches the browser
            table.rows = rows
            table.update()

    def publishing(self) -> None:
        """Choose a version, then every store or some cities, then publish."""
        with ui.column().classes("gap-2"):
            ui.label(self.tr(t("Publish a template version"))).classes("text-2xl font-bold").props(
                "role=heading aria-level=2"
            )
            table = ui.table(
                columns=[
                    {"name": "design", "label": self.tr(t("Design")), "field": "design", "align": "left"},
                    {"name": "version", "label": self.tr(t("Version")), "field": "version", "align": "left"},
                    {"name": "where", "label": self.tr(t("Offered in")), "field": "where", "align": "left"},
                ],
                rows=[],
                row_key="key",
                selection="single",
            ).props("flat bordered dense")
            table.props(f'no-data-label="{self.tr(t("Nothing yet"))}"')
            table.mark("hq-versions")
            self.tables["versions"] = table
            who = self.who()
            cities = self.console.cities(who) if who is not None else []
            chosen = ui.select(cities, multiple=True, label=self.tr(t("Cities (none: every store)"))).classes("w-96")
            chosen.mark("publish-cities")
            message = ui.label().classes("text-lg").mark("publish-message")

            def publish() -> None:
                who = self.who()
                if who is None or not table.selected:
                    message.set_text(self.tr(t("Choose a version first.")))
                    return
                try:
                    done = self.console.publish(who, table.selected[0]["key"], chosen.value or [])
                except Forbidden as e:
                    message.set_text(e.message.render(self.lang))
                    return
                except JobRefused as e:
                    message.set_text(e.message.render(self.lang))
                    return
                where = ", ".join(done.cities) if done.cities else self.tr(t("every store"))
                message.set_text(
                    self.tr(t("Published: {design} in {where}.", design=self.title(done.template_id), where=where))
                )
                self.update()

            ui.button(self.tr(t("Publish")), on_click=publish, icon="campaign").mark("publish")


def register(settings: Settings, accounts: StaffAccounts, console: HqConsole, catalog: Mapping[str, Template]) -> None:
    @ui.page("/hq", title=settings.store_name)
    def hq_page(request: Request, lang: str | None = None) -> RedirectResponse | None:
        who = hq_principal(accounts, request)
        if who is None:
            return to_sign_in(settings, lang)
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        try:
            console.stores(who)  # asked once before anything is built: only head-office staff see the page
        except Forbidden:
            ui.label(t("Only head-office staff may see this page.").render(lang)).classes("text-2xl m-8").mark(
                "forbidden"
            )
            return None
        token = request.cookies.get("fabkiosk_hq", "")
        HqPage(console, catalog, lambda: accounts.principal(token), lang, settings).build()
        return None
