"""A page that takes one customer through the steps: the frame (header, then the step shown), the visit, going from
step to step, and the steps every such page shares (choose, own file, personalise, price).

The kiosk (`/`) and remote orders (`/order`) each make one and hand it what they do differently: their header, the
way on from the price, and the steps after it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from nicegui import ui
from nicegui.events import GenericEventArguments

from app.backing import support
from app.designs.catalog import Template
from app.handoff import Handoffs
from app.kiosks import KioskDevice
from app.pages.common import show_language, touch_page
from app.pages.steps import Step
from app.pages.steps.catalog import Catalog, TemplateCard
from app.pages.steps.designers import DesignerFilter, TipLine, ordered_templates, rating_line
from app.pages.steps.floor import ShopFloor
from app.pages.steps.own_file import OwnFile
from app.pages.steps.personalise import Personalise
from app.pages.steps.price import Price, PriceActions, PriceLine
from app.pages.steps.visit import Screen, Visit
from app.services import Services

# every tap anywhere counts as activity, at most once every two seconds
ACTIVITY_JS = """
<script>
  let fabkioskLastTouch = 0;
  document.addEventListener('pointerdown', () => {
    const now = Date.now();
    if (now - fabkioskLastTouch > 2000) { fabkioskLastTouch = now; emitEvent('kiosk_touch', window.innerWidth); }
  }, {passive: true});
</script>
"""


class StepsPage:
    def __init__(
        self,
        services: Services,
        handoffs: Handoffs,
        lang: str,
        base_url: str,
        device: KioskDevice | None = None,
        *,
        compact: bool = False,
    ) -> None:
        """The steps on one page

        Nothing is drawn until `show`.

        :param services: the store's services (the fleet must be running)
        :param handoffs: the inboxes for files sent from a phone, and the short codes for jobs
        :param lang: the reader's language
        :param base_url: the address the page was opened at (used when the store has no public address)
        :param device: the kiosk this screen is; None for a browser elsewhere (it orders, never starts)
        :param compact: laid out for a phone (scrolls) instead of the kiosk's landscape screen (never scrolls)
        """
        self.services = services
        self.settings = services.settings
        self.handoffs = handoffs
        self.base_url = base_url
        self.device = device
        self.screen = Screen(services, lang, self.touch, compact)
        self.floor = ShopFloor(services, device)
        self.visit = Visit()
        self.last_touch = time.monotonic()
        self.after_touch: Callable[[], None] = lambda: None  # the kiosk closes its "are you still there?" here
        self.personalising: Personalise | None = None  # the personalise step, while it is shown
        # more lines under the price, drawn in order; first the tip for the design's designer
        self.price_lines: list[PriceLine] = [TipLine(self.screen, lambda: self.visit)]
        self.designer = ""  # the catalog shows only this designer's designs; "" for everyone's
        self._loved: dict[str, support.Loved] = {}  # the ratings on the cards, read once per drawing of the catalog
        self._pending_upload: tuple[bytes, str] | None = None  # a file a phone sent, for this page to take
        self._inbox: str | None = None
        self._steps: dict[Step, Callable[[], None]] = {}
        self._price_actions: PriceActions | None = None

    def show(
        self,
        header: Callable[[], None],
        steps: Mapping[Step, Callable[[], None]],
        price_actions: PriceActions,
        every_second: Callable[[], None] = lambda: None,
    ) -> None:
        """Draw the page: `header` above the visit's step, redrawn with it.

        :param header: draws the page's header
        :param steps: draws the page's own steps (those after the price); the shared ones may be replaced too
        :param price_actions: draws the way on (and back) under the price
        :param every_second: called every second while the page is open (after a file sent from a phone is taken)
        """
        self._steps = {
            Step.CATALOG: self.catalog,
            Step.UPLOAD: self.own_file,
            Step.PERSONALISE: self.personalise,
            Step.PRICE: self.price,
            **steps,
        }
        self._price_actions = price_actions
        self._every_second = every_second
        touch_page(self.screen.lang)
        ui.add_body_html(ACTIVITY_JS)
        ui.on("kiosk_touch", self._touched)
        ui.query(".nicegui-content").classes("p-0")
        compact = self.screen.compact
        self.header = ui.refreshable(header)
        self.body = ui.refreshable(self._body)
        with ui.column().classes("w-full gap-0 " + ("min-h-screen" if compact else "h-screen no-wrap overflow-hidden")):
            self.header()
            with ui.column().classes("w-full grow gap-4 " + ("p-3" if compact else "p-6 overflow-hidden")):
                self.body()
        ui.timer(1.0, self._tick)

    @property
    def lang(self) -> str:
        return self.screen.lang

    def _touched(self, event: GenericEventArguments) -> None:
        if isinstance(event.args, int | float):  # the screen's width comes with each tap: the first one sets it
            self.screen.screen_width = int(event.args)
        self.touch()

    def touch(self) -> None:
        self.last_touch = time.monotonic()
        self.after_touch()

    def go(self, step: Step) -> None:
        self.touch()
        self.visit.step = step
        self.header.refresh()
        self.body.refresh()

    def switch_language(self, lang: str) -> None:
        self.screen.lang = lang
        show_language(lang)
        self.go(self.visit.step)

    def public_base(self) -> str:
        return self.settings.public_url or self.base_url

    def start_over(self) -> None:
        """A new visit at the start; the inbox for a file is closed."""
        self._close_inbox()
        self._pending_upload = None
        self.visit = Visit()
        self.designer = ""  # the next customer sees every designer's designs
        self.go(Step.CATALOG)

    def _body(self) -> None:
        self._steps[self.visit.step]()

    def _tick(self) -> None:
        pending = self._pending_upload
        if pending is not None and self.visit.step is Step.UPLOAD:
            self._pending_upload = None
            self._start_upload(*pending)
            return
        self._every_second()

    # --- choose -------------------------------------------------------------------------------------------

    def templates(self) -> Sequence[Template]:
        """The templates the catalog shows, in order: the city's designers first, the most loved first."""
        return ordered_templates(self.screen, self.designer)

    def template_card(self, template: Template) -> None:
        card = TemplateCard(self.screen, self.floor, template, self.choose)
        with card.text:
            rating_line(self.screen, template, self._loved)

    def catalog(self) -> None:
        with self.services.sessions() as session:
            self._loved = support.loved(session)
        Catalog(
            self.screen,
            self.templates(),
            self.template_card,
            lambda: self.go(Step.UPLOAD),
            self.designer_filter,
        )

    def designer_filter(self) -> None:
        DesignerFilter(self.screen, self.designer, self.filter_designer)

    def filter_designer(self, designer: str) -> None:
        self.designer = designer
        self.go(Step.CATALOG)

    def choose(self, template: Template) -> None:
        machine_id = self.floor.machine_for(template.machine_kinds)  # asked again: machines come and go
        words, can_take = self.floor.availability(machine_id)
        if machine_id is None or not can_take:
            ui.notify(self.screen.tr(words), type="warning", position="center")
            return
        self.visit = Visit(template=template, machine_id=machine_id)
        self.visit.values = {p.name: p.default for p in template.parameters}
        self.go(Step.PERSONALISE)

    # --- my own file -----------------------------------------------------------------------------------------

    def own_file(self) -> None:
        if self._inbox is None or not self.handoffs.inbox_open(self._inbox):
            self._inbox = self.handoffs.open_inbox(self._received)
        OwnFile(self.screen, self._inbox, self.public_base(), lambda: self.go(Step.CATALOG))

    def _close_inbox(self) -> None:
        if self._inbox is not None:
            self.handoffs.close_inbox(self._inbox)
            self._inbox = None

    def _received(self, data: bytes, filename: str) -> None:
        # called from the phone's page: hand over to this page's own timer, which runs in its own page context
        self._pending_upload = (data, filename)

    def _start_upload(self, data: bytes, filename: str) -> None:
        self._close_inbox()
        self.visit = Visit(upload=(data, filename))
        self.go(Step.PERSONALISE)

    # --- personalise, price ------------------------------------------------------------------------------

    def personalise(self) -> None:
        self.personalising = Personalise(
            self.screen, self.visit, self.floor, lambda: self.go(Step.CATALOG), lambda: self.go(Step.PRICE)
        )

    def price(self) -> None:
        result = self.visit.result
        assert result is not None and self._price_actions is not None
        Price(self.screen, result, self.floor, self._price_actions, self.price_lines)
