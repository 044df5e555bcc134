"""The staff console's audit log (`/staff/audit`): who did what to which job and machine, newest first, searchable
by a job's number."""

from __future__ import annotations

from datetime import UTC

from nicegui import ui

from app.i18n import t, translate
from app.pages.staff import StaffConsole


class AuditLog(StaffConsole):
    def audit_page(self, job: str) -> None:
        self.header()
        who = self.who()
        if who is None:
            return
        with ui.column().classes("w-full p-4 gap-2"):
            ui.label(self.tr(t("Audit log"))).classes("text-2xl font-bold")
            search = ui.input(self.tr(t("Job number (the first characters are enough)")), value=job).classes("w-96")
            ui.button(
                self.tr(t("Search")),
                on_click=lambda: ui.navigate.to(f"/staff/audit?job={search.value.strip()}&lang={self.lang}"),
            )
            for entry in self.store.audit(who, job.strip()[:32]):
                when = entry.at.astimezone(self.zone) if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
                parts = [f"{when:%Y-%m-%d %H:%M:%S}", entry.actor, entry.what]
                if entry.job_id:
                    parts.append(self.tr(t("job {id}", id=entry.job_id[:8])))
                if entry.machine_id:
                    parts.append(entry.machine_id)
                if entry.reason:
                    parts.append(translate(entry.reason, self.lang))
                ui.label(" · ".join(parts)).classes("font-mono text-sm").mark("audit-entry")
