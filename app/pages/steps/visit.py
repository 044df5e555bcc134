"""What the steps share: the customer's visit (what they chose so far) and the screen it is shown on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.designs.catalog import Template
from app.i18n import Text
from app.jobs import JobService
from app.pages.steps import Step
from app.pipeline import QuoteResult
from app.services import Services

WIDE_SCREEN_PX = 1600  # from here on the kiosk's screen is a wide one (1920 x 1080)


@dataclass
class Visit:
    """One customer's visit: what they chose so far. Wiped when they leave or the kiosk sits idle."""

    step: Step = Step.CATALOG
    template: Template | None = None
    values: dict[str, Any] = field(default_factory=dict)
    machine_id: str = ""
    result: QuoteResult | None = None
    job_id: str | None = None
    token: str | None = None
    code: str | None = None
    upload: tuple[bytes, str] | None = None  # the customer's file and its name, until it is checked
    tip: Decimal = Decimal("0")  # added to the price, all of it for the design's designer


@dataclass
class Screen:
    """The page the steps are drawn on: the store's services, the reader's language and how the page is laid out.

    `touch` is called at every tap a step handles itself (the kiosk's idle timer counts it as activity).
    """

    services: Services
    lang: str
    touch: Callable[[], None]
    compact: bool = False  # a phone: scrolls, stacks what a kiosk's landscape screen shows side by side
    screen_width: int = 1280  # the browser's width, learnt at the first tap

    def tr(self, text: Text) -> str:
        return text.render(self.lang)

    @property
    def jobs(self) -> JobService:
        assert self.services.jobs is not None, "the server runs the machines"
        return self.services.jobs

    @property
    def wide(self) -> bool:
        """A 1920 px kiosk screen: previews are drawn larger there, so the layout uses the screen."""
        return self.screen_width >= WIDE_SCREEN_PX

    @property
    def card_size(self) -> str:
        """A catalog card's size: two abreast on a phone, larger on a 1920 px screen than on a 1280 px one."""
        return "w-[160px] h-72" if self.compact else "w-52 h-72 2xl:w-72 2xl:h-[26rem]"
