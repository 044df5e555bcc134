"""The personalise step: typed controls from the template, a debounced 3-D preview, problems in words.

After each change (and a short pause) the design is rendered by OpenSCAD, checked, shown, sliced and priced, each
stage in the design-work queue (app/design_queue.py) with its progress shown. A newer change drops the older work,
queued or running; so does closing the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from nicegui import background_tasks, ui
from nicegui.events import ValueChangeEventArguments

from app.access import client_address
from app.design_queue import Client, DesignQueue, Ticket, TooManyRuns, WorkDropped
from app.designs.customizer import BoolParam, ChoiceParam, NumberParam, Parameter, TextParam
from app.designs.problems import DesignRejected, Problem, Severity
from app.designs.uploads import DRAWING_FORMATS
from app.i18n import Text, t
from app.pages.common import store_text
from app.pages.steps import back_button, show_problems
from app.pages.steps.floor import ShopFloor
from app.pages.steps.toolpaths import toolpaths_view
from app.pages.steps.visit import Screen, Visit
from app.pipeline import Design, Part, QuoteResult
from ui_components.keyboard import CLEAR, DELETE, Keyboard
from ui_components.part_viewer import PartViewer

log = logging.getLogger(__name__)
DEBOUNCE_S = 0.6
RETRY_S = 10.0  # after too many runs from one address: the price is tried again by itself, not on every keystroke
TOGGLE_MAX_OPTIONS = 4

SOMETHING_WENT_WRONG = Problem(
    "internal",
    Severity.ERROR,
    t("Something went wrong while preparing your design."),
    t("Please try again, or ask the staff for help."),
)


class Personalise:
    def __init__(
        self,
        screen: Screen,
        visit: Visit,
        floor: ShopFloor,
        on_back: Callable[[], None],
        on_price: Callable[[], None],
    ) -> None:
        """Personalise

        The template's controls (or the customer's own file), the part as it will be made, its problems in words,
        and "See the price" once it is priced (the quote is kept in `visit.result`).

        :param screen: the page the step is drawn on
        :param visit: the visit: its template and values, or its uploaded file; the result is written back
        :param floor: the machines the page offers (an uploaded file goes to one of the kind it needs)
        :param on_back: called when the customer goes back to the catalog
        :param on_price: called when the customer goes on to the price
        """
        self.screen = screen
        self.visit = visit
        self.floor = floor
        services = screen.services
        self.services = services
        self.pipeline = services.pipeline
        self.generation = 0
        self.working = False  # design work is under way: the customer waits for us, not the other way round
        self.design: Design | None = None
        self.scale = 1.0
        self._debounce: ui.timer | None = None
        assert services.design_queue is not None
        self.queue: DesignQueue = services.design_queue
        page = ui.context.client
        request = page.request
        peer = request.client.host if request is not None and request.client else ""
        address = client_address(peer, request.headers, services.settings.trusted_proxies) if request else peer
        # a paired kiosk's customer stands beside the machines: their design work goes ahead of remote pages'
        self.client = Client(page.id, address, at_machine=floor.device is not None)
        page.on_delete(lambda: self.queue.drop(self.client.page))  # a closed page's work is not done for nobody
        template = self.visit.template
        title = template.title_in(screen.lang) if template else screen.tr(t("Your own design"))
        ui.label(title).classes("text-4xl font-bold")
        compact = screen.compact  # a phone: controls above the preview instead of beside it
        self.view_width = 340 if compact else 820 if screen.wide else 560
        with ui.row().classes("w-full gap-8 grow " + ("flex-col" if compact else "no-wrap")):
            with ui.column().classes(("w-full" if compact else "w-1/2") + " gap-3"):
                if template is not None:
                    with ui.grid(columns=2).classes("w-full gap-x-6 gap-y-2"):
                        for parameter in template.parameters:
                            self.control(parameter, template.labels.get(parameter.name, {}))
                self.problems = ui.column().classes("gap-2")
            with ui.column().classes("grow gap-3 items-center"):
                self.preview = ui.column().classes("items-center")
                with ui.row().classes("items-center gap-3") as self.progress:
                    ui.spinner(size="40px")
                    self.progress_text = ui.label().classes("text-xl").props("data-testid=progress").mark("progress")
                self.progress.set_visibility(False)
        with ui.row().classes("gap-4 mt-auto"):
            back_button(screen.lang, on_back)
            self.next = ui.button(screen.tr(t("See the price")), on_click=on_price, icon="euro")
            self.next.props("size=xl").classes("min-h-[64px]")
        self.next.set_enabled(False)
        if self.visit.result is not None:
            self.show_result(self.visit.result)
        elif template is not None:
            ui.timer(0, self.prepare, once=True)
        elif self.visit.upload is not None:
            self.start_upload(*self.visit.upload)

    # --- controls ---------------------------------------------------------------------------------------

    def control(self, parameter: Parameter, labels: dict[str, str]) -> None:
        label = labels.get(self.screen.lang) or labels.get("en") or parameter.description or parameter.name
        value = self.visit.values.get(parameter.name, parameter.default)
        wide = isinstance(parameter, TextParam) or (isinstance(parameter, ChoiceParam) and len(parameter.options) > 2)
        with ui.column().classes("w-full gap-0" + (" col-span-2" if wide else "")) as box:
            ui.label(label).classes("text-lg leading-tight")
            if isinstance(parameter, TextParam):
                self.text_control(parameter, str(value), label)
            elif isinstance(parameter, NumberParam) and parameter.is_slider:
                ui.slider(
                    min=parameter.minimum or 0,
                    max=parameter.maximum or 0,
                    step=parameter.step or (1 if parameter.integer else 0.1),
                    value=value,
                    on_change=lambda e, p=parameter: self.changed(p.name, e.value),
                ).props("label-always snap thumb-size=48px track-size=8px").classes("w-full px-6 pt-10").props(
                    f"data-testid=param-{parameter.name}"
                ).mark(f"param-{parameter.name}")
            elif isinstance(parameter, NumberParam):
                ui.number(value=value, on_change=lambda e, p=parameter: self.changed(p.name, e.value)).classes("w-40")
            elif isinstance(parameter, ChoiceParam):
                options = {v: self.screen.tr(store_text(text)) for v, text in parameter.options}
                widget = ui.toggle if len(options) <= TOGGLE_MAX_OPTIONS else ui.select
                widget(options, value=value, on_change=lambda e, p=parameter: self.changed(p.name, e.value)).props(
                    f"size=lg no-caps data-testid=param-{parameter.name}"
                ).mark(f"param-{parameter.name}")
            elif isinstance(parameter, BoolParam):
                ui.switch(value=bool(value), on_change=lambda e, p=parameter: self.changed(p.name, e.value)).props(
                    f"size=xl data-testid=param-{parameter.name}"
                ).mark(f"param-{parameter.name}")
        for control in box.default_slot.children[1:]:  # each control is named by its label, for screen readers
            control.props["aria-label"] = label

    def text_control(self, parameter: TextParam, value: str, label: str) -> None:
        counter = ui.label().classes("order-last")

        def show(text: str) -> None:
            counter.set_text(self.screen.tr(t("{n} of {max} characters", n=len(text), max=parameter.max_length)))
            counter.classes(
                replace="text-base " + ("text-red-800" if len(text) > parameter.max_length else "text-gray-600")
            )

        def edited(event: ValueChangeEventArguments[str | None]) -> None:
            show(event.value or "")
            self.changed(parameter.name, event.value)

        field = ui.input(value=value, on_change=edited)
        field.props(f"outlined input-class=text-2xl data-testid=param-{parameter.name}").classes("w-full")
        field.props["aria-label"] = label  # the designer's words, as a value (never parsed as props)
        field.mark(f"param-{parameter.name}")
        if not self.screen.compact:  # the kiosk has no keyboard of its own; a phone brings its own
            field.props("readonly")
            field.on("click", lambda: self.open_keyboard(field, label))
        show(value)

    def open_keyboard(self, field: ui.input, label: str) -> None:
        tr = self.screen.tr
        with (
            ui.dialog().props("position=bottom full-width") as dialog,
            ui.card().classes("w-full items-center p-2 gap-2").mark("keyboard-dialog"),
        ):
            dialog.props["aria-label"] = label  # a dialog is named for screen readers: the field it types into
            # Done beside the typed text, not under the keys: the whole keyboard fits a 800 px tall screen
            with ui.row().classes("fk-keyboard w-full items-center no-wrap gap-4"):
                shown = (
                    ui.label(field.value or "")
                    .classes("grow text-4xl font-mono min-h-[48px] text-center")
                    .props("data-testid=typed")
                    .mark("typed")
                )
                ui.button(tr(t("Done")), on_click=dialog.close, icon="check").props("size=xl").classes("px-12").mark(
                    "keyboard-done"
                )

            def key(char: str) -> None:
                text = field.value or ""
                field.value = text[:-1] if char == DELETE else "" if char == CLEAR else text + char
                shown.set_text(field.value)
                keyboard.follow(field.value)
                self.screen.touch()

            keyboard = Keyboard(
                self.screen.lang, key, tr(t("Space")), tr(t("Delete")), tr(t("Clear all")), field.value or ""
            )
        dialog.open()

    def changed(self, name: str, value: Any) -> None:
        self.screen.touch()
        self.visit.values[name] = value
        self.visit.result = None
        self.generation += 1  # whatever is still being worked on is for older values now: drop it when it comes
        self.next.set_enabled(False)
        if self._debounce is not None:
            self._debounce.cancel()
        self._debounce = ui.timer(DEBOUNCE_S, self.prepare, once=True)

    # --- the pipeline, off the event loop --------------------------------------------------------------------

    def stage(self, text: Text | None) -> None:
        self.screen.touch()  # while we work and once we are done, the customer is not idle but waiting for us
        self.working = text is not None
        self.progress.set_visibility(text is not None)
        self.progress_text.set_text(self.screen.tr(text) if text else "")

    def begin(self, again: Callable[[], object]) -> Ticket | None:
        """A new run in the design-work queue (the page's older one is dropped); None when this address asked for
        too many in the last minute: the customer is told, and `again` is called a little later."""
        try:
            return self.queue.begin(self.client)
        except TooManyRuns as e:
            self.show_problems([Problem("design.busy", Severity.WARNING, e.message, t("Your changes are kept."))])
            if self._debounce is not None:
                self._debounce.cancel()
            self._debounce = ui.timer(RETRY_S, again, once=True)
            return None

    async def prepare(self) -> None:
        template, machine_id = self.visit.template, self.visit.machine_id
        assert template is not None
        self.generation += 1
        generation = self.generation
        values = dict(self.visit.values)
        ticket = self.begin(self.prepare)
        if ticket is None:
            return
        try:
            self.stage(t("Shaping your design…"))
            design = await ticket.run(self.pipeline.design_from_template, template.id, values, machine_id)
            if generation != self.generation:
                return
            await self._finish(ticket, design, machine_id, generation)
        except WorkDropped:
            return  # a newer change took over, or the page is gone: nobody waits for this result
        except DesignRejected as e:
            if generation == self.generation:
                self.show_problems(e.problems)
        except Exception:  # never a traceback on a page: the customer gets words and a way forward
            log.exception("preparing %s failed", template.id)
            if generation == self.generation:
                self.show_problems([SOMETHING_WENT_WRONG])
        finally:
            if generation == self.generation:
                self.stage(None)

    async def _finish(self, ticket: Ticket, design: Design, machine_id: str, generation: int) -> None:
        self.stage(t("Checking the part…"))
        part = await ticket.run(self.pipeline.part_for, design, machine_id, self.scale)
        if generation != self.generation:
            return
        self.show_part(part)
        self.show_problems(list(part.problems))
        if any(p.severity is Severity.ERROR for p in part.problems):
            return
        self.stage(t("Preparing the machine program…"))
        plan = await ticket.run(self.pipeline.plan_for, part, machine_id)
        result = await ticket.run(self.pipeline.quote, design, part, plan)
        if generation == self.generation:
            self.visit.result = result
            self.show_toolpaths(result)
            self.next.set_enabled(True)

    def start_upload(self, data: bytes, filename: str) -> None:
        async def upload() -> None:
            self.generation += 1
            generation = self.generation
            ticket = self.begin(lambda: self.start_upload(data, filename))
            if ticket is None:
                return
            try:
                self.stage(t("Reading your file…"))
                design = await ticket.run(self.pipeline.design_from_upload, data, filename)
                kinds = (
                    ("laser_engraver", "cnc_router") if design.geometry_format in DRAWING_FORMATS else ("fdm_printer",)
                )
                machine_id = self.floor.machine_for(kinds)
                if machine_id is None:
                    self.show_problems(
                        [
                            Problem(
                                "machine.none",
                                Severity.ERROR,
                                t("No machine for this kind of design is available right now."),
                                t("Please ask the staff."),
                            )
                        ]
                    )
                    return
                self.visit.machine_id, self.design = machine_id, design
                await self._finish(ticket, design, machine_id, generation)
            except WorkDropped:
                return
            except DesignRejected as e:
                self.show_problems(e.problems)
            except Exception:
                log.exception("preparing an upload failed")
                self.show_problems([SOMETHING_WENT_WRONG])
            finally:
                if generation == self.generation:
                    self.stage(None)

        background_tasks.create(upload(), name="kiosk-upload")

    async def rescale(self, scale: float) -> None:
        if self.design is None:
            return
        self.screen.touch()
        self.scale = scale
        self.generation += 1
        generation = self.generation
        ticket = self.begin(lambda: self.rescale(scale))
        if ticket is None:
            return
        try:
            await self._finish(ticket, self.design, self.visit.machine_id, generation)
        except WorkDropped:
            return
        except DesignRejected as e:
            self.show_problems(e.problems)
        finally:
            if generation == self.generation:
                self.stage(None)

    # --- showing -------------------------------------------------------------------------------------------

    def show_result(self, result: QuoteResult) -> None:
        self.show_part(result.part)
        self.show_toolpaths(result)
        self.show_problems(list(result.part.problems))
        self.next.set_enabled(True)

    def show_toolpaths(self, result: QuoteResult) -> None:
        """For the engraver and the router: where the tool goes, drawn on the sheet (engraving dark, the cut red)."""
        if result.part.drawing is None or result.plan.program_path is None:
            return
        with self.preview:
            toolpaths_view(result, self.services, self.view_width, 360)

    def show_part(self, part: Part) -> None:
        self.preview.clear()
        with self.preview:
            if part.preview_path is not None:
                machine = self.services.machines[part.machine_id]
                colour = machine.materials.get(self.services.pipeline.loaded_material(machine.id))
                hex_colour = colour.colour_hex if colour and colour.colour_hex else "#f28c28"
                PartViewer(
                    f"/media/previews/{part.preview_path.stem}.glb", part.size, hex_colour, width=self.view_width
                )
            x, y, z = part.size
            size = f"{x:.0f} × {y:.0f} × {z:.0f} mm" if z else f"{x:.0f} × {y:.0f} mm"
            ui.label(size).classes("text-xl text-gray-700").props("data-testid=part-size").mark("part-size")

    def show_problems(self, problems: list[Problem]) -> None:
        self.problems.clear()
        with self.problems:
            show_problems(problems, self.screen.lang)
            for problem in problems:
                if problem.suggested_scale:
                    scale = problem.suggested_scale
                    ui.button(
                        self.screen.tr(t("Use it at {percent} % size", percent=f"{scale * 100:g}")),
                        on_click=lambda s=scale: self.rescale(s),
                    ).props("size=lg")
