"""Prices: material plus machine time plus a setup fee, rounded as the store configures, valid for a while."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from babel.numbers import format_currency

from app.config import Prices
from app.designs.problems import reject
from app.i18n import t

_ROUNDING = {"up": ROUND_CEILING, "nearest": ROUND_HALF_UP, "down": ROUND_FLOOR}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class QuoteInput:
    machine_kind: str
    material: str
    machine_seconds: int
    material_grams: float = 0.0  # printers
    sheet_cm2: float = 0.0  # engravers and routers


@dataclass(frozen=True)
class Quote:
    currency: str
    material_cost: Decimal
    machine_cost: Decimal
    setup_fee: Decimal
    total: Decimal
    created_at: datetime
    valid_until: datetime

    def is_valid(self, now: datetime) -> bool:
        return now <= self.valid_until


def quote_for(job: QuoteInput, prices: Prices, now: datetime) -> Quote:
    """The price of one job; refuses a material or machine kind the store has no price for."""
    if job.machine_kind == "fdm_printer":
        per_gram = prices.material_per_gram.get(job.material)
        if per_gram is None:
            raise _no_price(job.material)
        material_cost = per_gram * Decimal(str(job.material_grams))
    else:
        per_cm2 = prices.sheet_per_cm2.get(job.material)
        if per_cm2 is None:
            raise _no_price(job.material)
        material_cost = per_cm2 * Decimal(str(job.sheet_cm2))
    rate = prices.machine_per_hour.get(job.machine_kind)
    if rate is None:
        raise _no_price(job.machine_kind)
    machine_cost = rate * Decimal(job.machine_seconds) / Decimal(3600)
    exact = material_cost + machine_cost + prices.setup_fee
    steps = (exact / prices.round_to).quantize(Decimal(1), rounding=_ROUNDING[prices.rounding])
    total = max(steps * prices.round_to, prices.round_to).quantize(CENT)
    return Quote(
        currency=prices.currency,
        material_cost=material_cost.quantize(CENT, rounding=ROUND_HALF_UP),
        machine_cost=machine_cost.quantize(CENT, rounding=ROUND_HALF_UP),
        setup_fee=prices.setup_fee.quantize(CENT),
        total=total,
        created_at=now,
        valid_until=now + timedelta(minutes=prices.validity_minutes),
    )


def _no_price(what: str) -> Exception:
    return reject(
        "quote.no_price",
        t("The store has no price for {what} yet.", what=what),
        t("Ask the staff, or choose another material."),
    )


def format_money(amount: Decimal, currency: str, lang: str) -> str:
    locale = {"de": "de_DE", "en": "en_GB"}.get(lang, "en_GB")
    return str(format_currency(amount, currency, locale=locale))
