"""A machine's card on the staff console: its state, job, temperatures and last error, the staff's ready handshake,
the loaded material, maintenance, bring back and STOP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from app.access import Principal
from app.i18n import Text, t, translate
from app.jobs import JobRefused, JobService
from app.machine_settings import STAFF_READIES
from app.pages.common import MACHINE_WORDS
from app.store import StoreOps
from machine_adapters.base import NEEDS_STAFF_STATES, Machine, MachineState

# a staff action run on machine control's path: the action, what to tell staff when done, whether it is a STOP
StaffAction = Callable[[Callable[[Principal], object], Text | None, bool], Awaitable[None]]


def _quoteless(text: str) -> str:
    """Text for a props attribute value: Quasar props are split on spaces and quotes, so quotes go."""
    return text.replace('"', "'")


def temperature_words(machine: Machine, lang: str) -> str:
    """Nozzle and bed, now and targeted; nothing for a machine without heaters."""
    status = machine.status
    if status.hotend is None or status.bed is None:
        return ""
    return t(
        "Nozzle {h:.0f}/{ht:.0f} °C, bed {b:.0f}/{bt:.0f} °C",
        h=status.hotend.current,
        ht=status.hotend.target,
        b=status.bed.current,
        bt=status.bed.target,
    ).render(lang)


class MachineCard:
    def __init__(
        self,
        machine: Machine,
        jobs: JobService,
        store: StoreOps,
        lang: str,
        do: StaffAction,
        bring_back: Callable[[str], Awaitable[None]],
    ) -> None:
        """A machine's card

        Drawn anew when what it is made of changes; its progress bar and temperatures change in place
        (`show_live_values`).

        :param machine: the machine shown
        :param jobs: the job service (the machine's settings and its job)
        :param store: the store's operations the buttons call
        :param lang: the reader's language
        :param do: runs a staff action (the session checked again)
        :param bring_back: called with the machine's id when staff bring it back (rehome or reconnect)
        """
        self.machine = machine
        self.lang = lang
        self.progress: ui.linear_progress | None = None
        self.temperatures: ui.label | None = None
        profile, status = machine.profile, machine.status
        machine_id = profile.id
        setting = jobs.machine_settings.get(machine_id)
        tr: Callable[[Text], str] = lambda text: text.render(lang)  # noqa: E731
        with ui.card().classes("w-80 gap-2").mark(f"machine-card-{machine_id}"):
            ui.label(profile.name).classes("text-xl font-bold")
            state = tr(t("In maintenance")) if setting.maintenance else tr(MACHINE_WORDS[status.state])
            ui.label(f"{state} ({status.state.value})").mark(f"machine-state-{machine_id}")
            if status.job_id:
                try:
                    job = jobs.get(status.job_id)
                    ui.label(tr(t("Job: {name}", name=job.customer_name or job.display_name)))
                except JobRefused:
                    pass
                self.progress = (
                    ui.linear_progress(status.progress, show_value=False)
                    .props(f'aria-label="{_quoteless(profile.name)}"')
                    .mark(f"progress-{machine_id}")
                )
            if status.hotend is not None and status.bed is not None:
                self.temperatures = ui.label(temperature_words(machine, lang)).mark(f"temperatures-{machine_id}")
            if status.last_error:
                ui.label(translate(status.last_error, lang)).classes("text-red-800")
            if setting.needs_clearing:
                ready = (
                    t("New stock clamped, work zero set")
                    if profile.kind.value in STAFF_READIES
                    else t("Bed is clear, material is right")
                )
                ui.button(
                    tr(ready),
                    on_click=lambda: do(lambda w: store.confirm_ready(w, machine_id), t("Ready again."), False),
                    icon="task_alt",
                ).mark(f"confirm-ready-{machine_id}")
            ui.select(
                {name: name for name in profile.materials},
                value=setting.loaded_material,
                label=tr(t("Material loaded")),
                on_change=lambda e: do(lambda w: store.set_material(w, machine_id, e.value), None, False),
            ).classes("w-full").mark(f"material-{machine_id}")
            ui.switch(
                tr(t("Maintenance")),
                value=setting.maintenance,
                on_change=lambda e: do(lambda w: store.set_maintenance(w, machine_id, e.value), None, False),
            ).classes("min-h-[48px]").mark(f"maintenance-{machine_id}")
            with ui.row().classes("gap-2"):
                if status.state in NEEDS_STAFF_STATES or status.state is MachineState.OFFLINE:
                    ui.button(tr(t("Bring back")), on_click=lambda: bring_back(machine_id), icon="restart_alt").mark(
                        f"bring-back-{machine_id}"
                    )
                ui.button(
                    tr(t("STOP")),
                    on_click=lambda: do(lambda w: store.stop_machine(w, machine_id), None, True),
                    color="red-9",
                ).props("size=lg").mark(f"stop-{machine_id}")

    def show_live_values(self) -> None:
        """Progress and temperatures, in place: they move too often to redraw the card for them."""
        if self.progress is not None:
            self.progress.set_value(self.machine.status.progress)
        if self.temperatures is not None:
            self.temperatures.set_text(temperature_words(self.machine, self.lang))
