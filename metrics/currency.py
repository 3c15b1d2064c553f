"""Reporting-currency conversion with dated rates (one query loads them all)."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date
from decimal import Decimal

from .models import ExchangeRate

BASE = "CNY"


class Rates:
    def __init__(self) -> None:
        self._table: dict[str, tuple[list[date], list[Decimal]]] = {}
        rows = ExchangeRate.objects.order_by("currency", "date").values_list(
            "currency", "date", "cny_per_unit"
        )
        for currency, day, rate in rows:
            days, rates = self._table.setdefault(currency, ([], []))
            days.append(day)
            rates.append(rate)

    def cny_per_unit(self, currency: str, on: date) -> Decimal | None:
        if currency == BASE:
            return Decimal(1)
        days, rates = self._table.get(currency, ([], []))
        index = bisect_right(days, on) - 1
        return rates[index] if index >= 0 else None

    def convert(self, amount: Decimal | None, source: str, target: str, on: date) -> Decimal | None:
        """`amount` in `source` expressed in `target` at `on`; None when a rate is missing."""
        if amount is None:
            return None
        if source == target:
            return Decimal(amount)
        from_rate, to_rate = self.cny_per_unit(source, on), self.cny_per_unit(target, on)
        if from_rate is None or to_rate is None:
            return None
        return (Decimal(amount) * from_rate / to_rate).quantize(Decimal("0.01"))

    def currencies(self) -> list[str]:
        return sorted({BASE, *self._table})


def to_reporting_currency(kpis: list, currency: str, on: date, rates: Rates | None = None) -> list:
    """Show money KPIs in `currency` (display only: the objects are not saved). A KPI with
    no rate for its currency keeps its own and says so."""
    rates = rates or Rates()
    for kpi in kpis:
        kpi.converted_from = None
        kpi.rate_missing = False
        if kpi.unit != "money" or not kpi.currency or kpi.currency == currency:
            continue
        value = rates.convert(
            getattr(kpi, "latest_value", None),
            kpi.currency,
            currency,
            getattr(kpi, "latest_date", None) or on,
        )
        target = rates.convert(kpi.target, kpi.currency, currency, on)
        if value is None and getattr(kpi, "latest_value", None) is not None:
            kpi.rate_missing = True
            continue
        kpi.converted_from = kpi.currency
        kpi.latest_value, kpi.target, kpi.currency = value, target, currency
        if getattr(kpi, "change", None) is not None:
            kpi.change = rates.convert(kpi.change, kpi.converted_from, currency, on)
    return kpis
