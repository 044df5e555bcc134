"""The staff console's kiosks (`/staff/kiosks`): pair a kiosk by the code it shows, say which machines it stands
beside, see every paired kiosk, revoke one. Every button checks the session again (StaffConsole.who) and StoreOps
checks the role, as everywhere in the console."""

from __future__ import annotations

from nicegui import ui

from app.i18n import t
from app.kiosks import KioskError
from app.pages.staff import StaffConsole


class KioskList(StaffConsole):
    def kiosks_page(self) -> None:
        self.header()
        who = self.who()
        if who is None:
            return
        with ui.column().classes("w-full p-4 gap-4 max-w-3xl"):
            ui.label(self.tr(t("Pair a kiosk"))).classes("text-2xl font-bold")
            ui.label(
                self.tr(t("Open /kiosk/pair on the kiosk's screen; it shows a code. Stand at the kiosk and type it."))
            ).classes("text-gray-700")
            code = ui.input(self.tr(t("Pairing code"))).props("inputmode=numeric maxlength=7").mark("kiosk-code")
            name = ui.input(self.tr(t("Name of the kiosk"))).props("maxlength=80").mark("kiosk-name")
            ui.label(self.tr(t("Machines beside this kiosk"))).classes("font-bold")
            beside = {
                machine_id: ui.checkbox(machine.profile.name).mark(f"kiosk-machine-{machine_id}")
                for machine_id, machine in self.fleet.machines.items()
            }

            async def pair() -> None:
                machines = [machine_id for machine_id, box in beside.items() if box.value]
                try:
                    await self.do(lambda w: self.store.pair_kiosk(w, code.value or "", name.value or "", machines))
                except KioskError as e:
                    ui.notify(str(e), type="warning")
                    return
                code.value = name.value = ""
                self.kiosk_list.refresh()

            ui.button(self.tr(t("Pair")), on_click=pair, icon="link").mark("pair")
            ui.label(self.tr(t("Paired kiosks"))).classes("text-2xl font-bold")
            self.kiosk_list()

    @ui.refreshable_method
    def kiosk_list(self) -> None:
        who = self.who()
        if who is None:
            return
        devices = self.store.paired_kiosks(who)
        if not devices:
            ui.label(self.tr(t("No kiosk is paired."))).classes("text-gray-600")
        for device in devices:
            machines = ", ".join(
                self.fleet.machines[m].profile.name for m in sorted(device.machines) if m in self.fleet.machines
            )
            with ui.row().classes("items-center gap-4 border-b py-1").mark(f"kiosk-{device.id}"):
                ui.label(device.name).classes("font-bold w-48")
                ui.label(machines).classes("w-64")
                if device.revoked:
                    ui.label(self.tr(t("revoked"))).classes("text-red-800")
                else:
                    ui.button(
                        self.tr(t("Revoke")),
                        on_click=lambda d=device.id: self.revoke(d),
                        color="red",
                    ).props("outline").mark(f"revoke-{device.id}")

    async def revoke(self, kiosk_id: str) -> None:
        await self.do(lambda w: self.store.revoke_kiosk(w, kiosk_id), t("The kiosk can no longer start machines."))
        self.kiosk_list.refresh()
