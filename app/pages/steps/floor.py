"""The store's machines as the steps speak of them: which one a design goes to, whether it can take a job now,
and a material in the customer's words."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from app.i18n import Text, t
from app.kiosks import KioskDevice
from app.machine_settings import STAFF_READIES
from app.pages.common import store_text
from app.services import Services
from machine_adapters.base import NEEDS_STAFF_STATES, READY_STATES, Machine, MachineState


class ShopFloor:
    def __init__(self, services: Services, device: KioskDevice | None) -> None:
        """The machines a page offers

        :param services: the store's services (the fleet must be running)
        :param device: the kiosk the page is on, which offers only the machines beside it; None for a browser
            elsewhere, which is offered every machine
        """
        assert services.jobs is not None and services.fleet is not None, "the server runs the machines"
        self.services = services
        self.jobs = services.jobs
        self.fleet = services.fleet
        self.device = device

    def machine_for(self, kinds: tuple[str, ...]) -> str | None:
        """The machine a design of these kinds goes to: a ready one first, else any that is running."""
        settings = self.jobs.machine_settings
        candidates = [
            m
            for m in self.fleet.machines.values()
            if m.profile.kind.value in kinds
            and not settings.get(m.profile.id).maintenance
            and (self.device is None or m.profile.id in self.device.machines)  # a kiosk offers the machines beside it
        ]
        candidates.sort(key=lambda m: m.status.state not in READY_STATES)
        usable = [m for m in candidates if m.status.state not in (MachineState.OFFLINE, MachineState.CONNECTING)]
        return usable[0].profile.id if usable else None

    def availability(self, machine_id: str | None) -> tuple[Text, bool]:
        """What a customer may expect of this machine now, in words, and whether it can take a job at all (a
        machine waiting for staff, offline or in maintenance cannot: no time is promised for it)."""
        if machine_id is None or machine_id not in self.fleet.machines:
            return t("Not available right now"), False
        status = self.fleet.machines[machine_id].status
        setting = self.jobs.machine_settings.get(machine_id)
        if setting.maintenance:
            return t("In maintenance"), False
        if status.state in (MachineState.OFFLINE, MachineState.CONNECTING):
            return t("Not available right now"), False
        if status.needs_staff or status.state in NEEDS_STAFF_STATES:
            return t("Waiting for staff"), False
        if setting.needs_clearing and self.services.machines[machine_id].kind.value in STAFF_READIES:
            return t("Ready once the staff prepared it"), True
        if status.state in READY_STATES:
            return t("Ready now"), True
        free_at = self.jobs.machine_free_at(machine_id)
        if free_at is None:
            return t("Busy"), True
        zone = ZoneInfo(self.services.settings.store_timezone)
        return t("Free around {time}", time=free_at.astimezone(zone).strftime("%H:%M")), True

    def material_words(self, machine: Machine, material: str, lang: str) -> str:
        """The material as a customer says it: a sheet by its name ("Birch plywood 3 mm"), a filament by colour and
        kind ("orange PLA"), in the reader's language; never the machine file's key ("plywood_3mm")."""
        if machine.profile.kind.value != "fdm_printer":
            return self.sheet_name(material, lang)
        limits = machine.profile.materials.get(material)
        colour = store_text(limits.colour).render(lang) if limits and limits.colour else ""
        return f"{colour} {material}".strip()

    def sheet_name(self, material: str, lang: str) -> str:
        """A sheet material's name in the reader's language, from the engraver's or the router's table."""
        sheet = self.services.laser_materials.get(material) or self.services.cnc_materials.get(material)
        return (sheet.label.get(lang) or sheet.label.get("en", "")) if sheet else material
