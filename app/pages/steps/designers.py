"""The designers in the steps: the catalog in the store's order (designers of its city first, the most loved first)
with a filter by designer and each design's rating on its card; and the tip a customer may add under the price, all
of it for the design's designer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation

from nicegui import ui

from app.backing import support
from app.backing.showcase import by_designer, catalog_order, designers_in
from app.designs.catalog import Template
from app.i18n import Text, t
from app.pages.steps.visit import Screen, Visit
from app.pipeline import QuoteResult
from app.production.quotes import format_money

TIP_CHOICES = (Decimal("1"), Decimal("2"), Decimal("5"))


def ordered_templates(screen: Screen, designer: str) -> Sequence[Template]:
    """The catalog as the store shows it: its city's designers first, the most loved first; one designer's only
    when the customer filtered by them."""
    services = screen.services
    with services.sessions() as session:
        loved = support.loved(session)
    ordered = catalog_order(services.catalog.values(), services.settings.store.city, loved)
    return by_designer(ordered, designer)


class DesignerFilter:
    def __init__(self, screen: Screen, current: str, on_pick: Callable[[str], None]) -> None:
        """Designers

        "Most loved in <city> first", and a choice of one designer's designs (the city's designers listed first)
        or everyone's; small enough to sit on the catalog's heading line, so the kiosk's screen need not scroll.

        :param screen: the page the filter is drawn on
        :param current: the designer shown now ("" for everyone)
        :param on_pick: called with a designer's name, or "" for everyone
        """
        services = screen.services
        city = services.settings.store.city
        options = {"": screen.tr(t("All designers"))} | {n: n for n in designers_in(services.catalog.values(), city)}
        with ui.row().classes("items-center gap-3").props("data-testid=designer-filter").mark("designer-filter"):
            ui.label(screen.tr(t("Most loved in {city} first", city=city))).classes("text-base text-gray-700")
            ui.select(
                options,
                value=current if current in options else "",
                label=screen.tr(t("Designer")),
                on_change=lambda e: on_pick(str(e.value or "")),
            ).props("outlined data-testid=designer-choice").classes("w-56").mark("designer-choice")


def stars_text(rating: support.Loved) -> Text:
    """How customers rated a design, in words: "4.5 of 5 stars (2 ratings)"."""
    if rating.count == 1:
        return t("{stars} of 5 stars (1 rating)", stars=rating.stars)
    return t("{stars} of 5 stars ({count} ratings)", stars=rating.stars, count=rating.count)


def rating_line(screen: Screen, template: Template, loved: dict[str, support.Loved]) -> None:
    """A card's line for how customers rated the design (nothing before the first rating)."""
    rating = loved.get(template.id)
    if rating is not None:
        ui.label("★ " + screen.tr(stars_text(rating))).classes("text-base").props(
            f"data-testid=stars-{template.id}"
        ).mark(f"stars-{template.id}")


class TipLine:
    def __init__(self, screen: Screen, visit: Callable[[], Visit]) -> None:
        """A tip for the designer

        Drawn under the price of a design that has a designer: no tip, a few amounts, or another amount up to the
        store's limit; the price with the tip beside them. The visit keeps the choice; the job is made with it.

        :param screen: the page the line is drawn on
        :param visit: the page's visit now (a new visit starts with no tip)
        """
        self.screen = screen
        self.visit = visit

    def __call__(self, result: QuoteResult) -> None:
        template = result.design.template
        if template is None or not template.designer.id:
            return  # a customer's own file, or a template nobody published: nobody to tip
        screen = self.screen
        limit = screen.services.settings.designers.max_tip
        currency = result.quote.currency
        with ui.column().classes("items-start gap-2 text-lg").props("data-testid=tip").mark("tip"):
            ui.label(screen.tr(t("A tip for {name}? All of it goes to the designer.", name=template.designer.name)))
            with ui.row().classes("gap-2"):
                for amount in (Decimal("0"), *[a for a in TIP_CHOICES if a <= limit]):
                    words = screen.tr(t("No tip")) if not amount else format_money(amount, currency, screen.lang)
                    ui.button(words, on_click=lambda a=amount: self.choose(a, result)).props(
                        f"outline no-caps data-testid=tip-{amount}"
                    ).mark(f"tip-{amount}")
            self.other = (
                ui.number(screen.tr(t("Another amount")), min=0, max=float(limit), step=0.5, format="%.2f")
                .props("outlined")
                .classes("w-48")
                .props("data-testid=tip-amount")
                .mark("tip-amount")
            )
            self.other.on("change", lambda: self.choose_other(result))
            self.total = (
                ui.label().classes("text-xl font-bold").props("data-testid=price-with-tip").mark("price-with-tip")
            )
        self.show(result)

    def choose(self, amount: Decimal, result: QuoteResult) -> None:
        self.visit().tip = amount
        self.show(result)

    def choose_other(self, result: QuoteResult) -> None:
        try:
            amount = Decimal(str(self.other.value or 0)).quantize(Decimal("0.01"))
        except InvalidOperation:
            amount = Decimal("0")
        limit = self.screen.services.settings.designers.max_tip
        self.choose(min(max(amount, Decimal("0")), limit), result)  # the same bounds the job checks again

    def show(self, result: QuoteResult) -> None:
        tip = self.visit().tip
        quote = result.quote
        if tip:
            total = format_money(quote.total + tip, quote.currency, self.screen.lang)
            tipped = format_money(tip, quote.currency, self.screen.lang)
            self.total.set_text(self.screen.tr(t("With your tip of {tip}: {total}", tip=tipped, total=total)))
        else:
            self.total.set_text("")
