"""The choose step: the catalog's templates by machine kind, the card for bringing one's own file, and every
machine's state in words, kept current."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from nicegui import ui

from app.designs.catalog import Template
from app.i18n import t
from app.pages.common import KIND_WORDS, MACHINE_WORDS, store_text
from app.pages.steps.floor import ShopFloor
from app.pages.steps.visit import Screen
from machine_adapters.base import MachineState


def _attribute(text: str) -> str:
    """Text for a props attribute value: Quasar props are split on spaces and quotes, so quotes go."""
    return text.replace('"', "'")


class Catalog:
    def __init__(
        self,
        screen: Screen,
        templates: Sequence[Template],
        card: Callable[[Template], object],
        on_own_file: Callable[[], None],
        beside_heading: Callable[[], None] | None = None,
    ) -> None:
        """Choose

        The templates grouped by the kind of machine that makes them (in the order given), each drawn by `card`,
        then "My own file", then the store's machines in words.

        :param screen: the page the step is drawn on
        :param templates: the templates to show, in the order to show them
        :param card: draws one template's card (`TemplateCard` by default, a page may draw its own)
        :param on_own_file: called when the customer chooses to bring their own file
        :param beside_heading: draws more controls on the heading's line (the filter by designer)
        """
        tr = screen.tr
        with ui.row().classes("w-full items-center justify-between gap-4"):  # the kiosk's screen never scrolls
            ui.label(tr(t("What would you like to make?"))).classes("text-4xl font-bold").props(
                "role=heading aria-level=1"
            )
            if beside_heading is not None:
                beside_heading()
        by_kind: dict[str, list[Template]] = {}
        for template in templates:
            by_kind.setdefault(template.machine_kinds[0], []).append(template)
        compact = screen.compact  # a phone stacks the kinds and wraps the cards: nothing wider than its screen
        with ui.row().classes("w-full gap-8 " + ("flex-col" if compact else "no-wrap")):
            for kind, group in by_kind.items():
                with ui.column().classes("gap-3" + (" w-full" if compact else "")):
                    ui.label(tr(KIND_WORDS.get(kind, t("Machine")))).classes("text-2xl text-gray-700")
                    with ui.row().classes("gap-4"):
                        for template in group:
                            card(template)
            with ui.column().classes("gap-3"):
                ui.label(tr(t("Your own design"))).classes("text-2xl text-gray-700")
                own = ui.card().classes(screen.card_size + " p-4 items-center justify-center cursor-pointer")
                with own.props("data-testid=own-file").mark("own-file").on("click", on_own_file):
                    ui.icon("upload_file", size="64px")
                    ui.label(tr(t("My own file"))).classes("text-2xl font-bold text-center")
                    ui.label(tr(t("From your phone or a USB stick"))).classes("text-lg text-center")
        MachineStrip(screen)


class TemplateCard:
    def __init__(
        self, screen: Screen, floor: ShopFloor, template: Template, on_choose: Callable[[Template], None]
    ) -> None:
        """A template's card

        Its picture, title and designer, and whether (and when) its machine can take the job, kept current: a card
        says so before the first tap. A tap on a card whose machine can take the job chooses it.

        :param screen: the page the card is drawn on
        :param floor: the machines the page offers
        :param template: the template shown
        :param on_choose: called with the template when the card is tapped
        """
        self.screen, self.floor = screen, floor
        services = screen.services
        tr = screen.tr
        _, can_take = floor.availability(floor.machine_for(template.machine_kinds))
        card = ui.card().classes(screen.card_size + " p-0 gap-0" + (" cursor-pointer" if can_take else " opacity-60"))
        card.props(f"data-testid=template-{template.id}").mark(f"template-{template.id}")
        title = template.title_in(screen.lang)
        self.card = card
        with card:
            picture = services.pictures.url_for_template(template.id) if services.pictures else None
            if picture:
                ui.image(picture).classes("w-full h-32 2xl:h-56").props(f'fit=contain alt="{_attribute(title)}"')
            else:
                ui.icon("view_in_ar", size="96px").classes("w-full h-32 2xl:h-56 text-gray-500 text-center pt-4")
            # the card's text: title, designer, availability; a page may add its own lines here (`self.text`)
            with ui.column().classes("px-4 py-2 gap-1 grow w-full") as self.text:
                ui.label(title).classes("text-xl font-bold leading-tight")
                credit = t("by {name}, {city}", name=template.designer.name, city=template.designer.city)
                ui.label(tr(credit)).classes("text-base italic")
                # kept current: a card says before the first tap whether (and when) its machine can take the job
                state = ui.label().classes("text-base font-bold mt-auto").mark(f"availability-{template.id}")
                state.props(f"data-testid=availability-{template.id}")
                # any machine of the kinds changing state may change the answer (a printer coming online)
                kinds = template.machine_kinds
                lights = [light for m, light in floor.fleet.lights.items() if services.machines[m].kind.value in kinds]
                state.set_text(self._availability_text(kinds, state))
                for light in lights:
                    state.bind_text_from(light, "state", partial(self._availability_on_change, kinds, state))
        card.on("click", lambda: on_choose(template))

    def _availability_text(self, kinds: tuple[str, ...], label: ui.label) -> str:
        words, can_take = self.floor.availability(self.floor.machine_for(kinds))
        label.classes(replace="text-base font-bold mt-auto " + ("text-green-900" if can_take else "text-red-900"))
        return self.screen.tr(words)

    def _availability_on_change(self, kinds: tuple[str, ...], label: ui.label, _state: str) -> str:
        return self._availability_text(kinds, label)


class MachineStrip:
    def __init__(self, screen: Screen) -> None:
        """Every machine of the store with its state in words, kept current.

        :param screen: the page the strip is drawn on
        """
        self.screen = screen
        services = screen.services
        fleet = services.fleet
        assert fleet is not None
        with ui.row().classes("gap-8 mt-auto text-xl text-gray-700"):
            for profile in services.machines.values():
                light = fleet.lights.get(profile.id)
                label = ui.label().mark(f"machine-{profile.id}")
                if light is None:
                    label.set_text(
                        f"{screen.tr(store_text(profile.name))}: {screen.tr(MACHINE_WORDS[MachineState.OFFLINE])}"
                    )
                else:
                    label.bind_text_from(light, "state", partial(self.machine_words, profile.id, profile.name))

    def machine_words(self, machine_id: str, name: str, state: str) -> str:
        name = self.screen.tr(store_text(name))
        if self.screen.jobs.machine_settings.get(machine_id).maintenance:
            return f"{name}: {self.screen.tr(t('In maintenance'))}"
        return f"{name}: {self.screen.tr(MACHINE_WORDS[MachineState(state)])}"
