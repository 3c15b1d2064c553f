"""Factories for KPIs, their values, objectives and key results.

KPIs, objectives and key results are created through the real services (validation and
the activity row), as a person defining them would. A KPI belongs to the company unless it
is given a project; a company KPI or objective is defined by a staff user unless `actor`
is given, a project's by the project's owner.
"""

from __future__ import annotations

from decimal import Decimal

import factory

from kpis.models import KPI, KPIDataPoint
from metrics import services
from metrics.models import KeyResult, Objective
from portal import clock
from tests.portal.factories import UserFactory


def _current_quarter() -> str:
    today = clock.now().date()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def _definer():
    """The actor: the project's owner, or a staff user for a company-wide record."""
    return factory.Maybe(
        "project",
        yes_declaration=factory.LazyAttribute(lambda o: o.project.owner),
        no_declaration=factory.SubFactory(UserFactory, is_staff=True),
    )


class KPIFactory(factory.django.DjangoModelFactory):
    """A KPI defined by `kpi_create`: a percentage unless told; money is in CNY unless a
    currency is given. Its name is its code unless given."""

    class Meta:
        model = KPI

    project = None
    actor = _definer()
    code = factory.Sequence(lambda n: f"kpi_{n + 1}")
    name = factory.LazyAttribute(lambda k: k.code)
    unit = "percent"
    currency = factory.LazyAttribute(lambda k: "CNY" if k.unit == "money" else "")

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.kpi_create(**kwargs)


class KPIDataPointFactory(factory.django.DjangoModelFactory):
    """A stored value of a KPI, as the nightly computation or an import leaves it (no
    activity row, no `kpi.red` event): push through `kpi_points_upsert` when the test is
    about a person entering values."""

    class Meta:
        model = KPIDataPoint

    kpi = factory.SubFactory(KPIFactory)
    date = factory.LazyFunction(lambda: clock.now().date())
    value = Decimal(0)


class ObjectiveFactory(factory.django.DjangoModelFactory):
    """An objective set by `objective_create` for the current quarter unless told; it is
    the project's if given a project (the company's otherwise) and owned by its actor."""

    class Meta:
        model = Objective

    project = None
    actor = _definer()
    title = factory.Sequence(lambda n: f"目标 {n + 1}")
    period = factory.LazyFunction(_current_quarter)

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.objective_create(**kwargs)


class KeyResultFactory(factory.django.DjangoModelFactory):
    """A key result added by `key_result_create`, by the objective's owner unless `actor` is
    given: from 0 to 100 unless told (its current value starts at its start)."""

    class Meta:
        model = KeyResult

    objective = factory.SubFactory(ObjectiveFactory)
    actor = factory.LazyAttribute(lambda kr: kr.objective.owner)
    title = factory.Sequence(lambda n: f"KR {n + 1}")
    start = Decimal(0)
    target = Decimal(100)

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.key_result_create(**kwargs)
