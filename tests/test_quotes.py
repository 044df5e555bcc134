"""Prices: material plus machine time plus setup, rounded the store's way, valid for the configured time."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.config import Prices
from app.designs.problems import DesignRejected
from app.production.quotes import QuoteInput, format_money, quote_for

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_price_is_material_plus_time_plus_setup_rounded_up() -> None:
    prices = Prices(setup_fee=Decimal("2.00"), round_to=Decimal("0.50"))
    quote = quote_for(QuoteInput("fdm_printer", "PLA", 3600, material_grams=10), prices, NOW)
    assert quote.material_cost == Decimal("0.60")  # 10 g × 0.06
    assert quote.machine_cost == Decimal("3.00")  # 1 h × 3.00
    assert quote.total == Decimal("6.00")  # 5.60 rounded up to 0.50
    assert quote.currency == "EUR"


@pytest.mark.parametrize(("mode", "total"), [("up", "6.00"), ("nearest", "5.50"), ("down", "5.50")])
def test_rounding_modes(mode: str, total: str) -> None:
    prices = Prices(round_to=Decimal("0.50"), rounding=mode)
    quote = quote_for(QuoteInput("fdm_printer", "PLA", 3600, material_grams=10), prices, NOW)
    assert quote.total == Decimal(total)


def test_quote_is_valid_for_the_configured_time() -> None:
    quote = quote_for(QuoteInput("fdm_printer", "PLA", 60, material_grams=1), Prices(validity_minutes=30), NOW)
    assert quote.is_valid(NOW + timedelta(minutes=30)) and not quote.is_valid(NOW + timedelta(minutes=31))


def test_engraver_prices_by_sheet_area() -> None:
    quote = quote_for(QuoteInput("laser_engraver", "plywood_3mm", 600, sheet_cm2=100), Prices(), NOW)
    assert quote.material_cost == Decimal("2.00") and quote.machine_cost == Decimal("5.00")


def test_material_without_price_is_explained() -> None:
    with pytest.raises(DesignRejected) as caught:
        quote_for(QuoteInput("fdm_printer", "ABS", 60, material_grams=1), Prices(), NOW)
    assert caught.value.problems[0].render("de") == (
        "Der Laden hat noch keinen Preis für ABS. Frag das Personal oder wähle ein anderes Material."
    )


def test_money_is_shown_the_readers_way() -> None:
    assert format_money(Decimal("12.5"), "EUR", "de") == "12,50\xa0€"
    assert format_money(Decimal("12.5"), "EUR", "en") == "€12.50"
