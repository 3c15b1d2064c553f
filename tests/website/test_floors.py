"""The apps stand on floors (issue #14): each may depend only on the floors below it.

Python imports are checked by import-linter (`lint-imports` in `make test`, contract in
pyproject.toml). These tests hold the references import-linter cannot see to the same
floors: model relations by string ("portal.Project"), `apps.get_model(...)` lookups and
what migration files name. None points upward; the migrations written before the floors
that do are listed by name, and a new one fails.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.db.migrations.loader import MigrationLoader

# Lowest first. `website` is the site's composition (root URLs, home, seed_demo).
FLOORS = ["portal", "kpis", "projects", "requirements", "risks", "delivery", "metrics", "website"]
ROOT = Path(__file__).resolve().parents[2]

# Every model relation and `apps.get_model` lookup points down or across its own app
# (issue #14 moved the project to portal, the KPIs to kpis, and the requirement a work item
# delivers to requirements, which owns the link). What an app above adds to a work item
# comes through projects.extensions.
KNOWN_UPWARD_RELATIONS: set[str] = set()
KNOWN_UPWARD_LOOKUPS: set[str] = set()
# Migrations written before the floors that name an app above their own. History stays as
# it ran (a squash would drop them); no new migration may add to it: the move of Project
# down to portal declares its order with `run_before` in the upper apps' migrations.
KNOWN_UPWARD_MIGRATIONS = {
    "portal.0002_initial -> projects",
    "portal.0003_event -> projects",
    "portal.0004_channel_delivery_subscription -> projects",
    "projects.0005_workitem_requirement -> requirements",
    "requirements.0001_initial -> metrics",
}


def _floor(label: str) -> int:
    return FLOORS.index(label)


def test_model_relations_point_only_down_or_across_the_same_app():
    upward = set()
    for model in apps.get_models():
        source = model._meta.app_label
        if source not in FLOORS:
            continue
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete) or field.related_model is None:
                continue
            target = field.related_model._meta.app_label
            if target in FLOORS and _floor(target) > _floor(source):
                upward.add(
                    f"{source}.{model.__name__}.{field.name} -> "
                    f"{target}.{field.related_model.__name__}"
                )
    assert upward == KNOWN_UPWARD_RELATIONS


def test_no_model_is_looked_up_by_name_from_a_floor_below_it():
    lookup = re.compile(r"""apps\.get_model\(\s*["'](\w+)["']""")
    upward = set()
    for app in FLOORS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for target in lookup.findall(path.read_text(encoding="utf-8")):
                if target in FLOORS and _floor(target) > _floor(app):
                    upward.add(f"{path.relative_to(ROOT)} -> {target}")
    assert upward == KNOWN_UPWARD_LOOKUPS


def test_migrations_name_only_floors_below():
    """What a migration file names (`dependencies`, `run_before`), like its imports, may
    only be its own floor or one below."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    upward = set()
    for (app, name), migration in loader.disk_migrations.items():
        if app not in FLOORS:
            continue
        for other_app, _other in [*migration.dependencies, *migration.run_before]:
            if other_app in FLOORS and _floor(other_app) > _floor(app):
                upward.add(f"{app}.{name} -> {other_app}")
    assert upward == KNOWN_UPWARD_MIGRATIONS


def test_no_code_module_grows_past_500_lines():
    """A module past ~500 lines becomes a package (CONVENTIONS, "Layout")."""
    long = {
        str(path.relative_to(ROOT)): count
        for app in FLOORS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        and (count := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert long == {}


# Reads belong in selectors (issue #14): no view or API module builds a queryset of its
# own. A module that must (none today) is listed here with its count of ORM calls; the
# figures may only go down, and a view that gains a query fails here.
ORM_CALLS_IN_VIEWS: dict[str, int] = {}
ORM_CALL = re.compile(
    r"\.objects\.|\.(?:filter|exclude|annotate|aggregate|values_list|select_related"
    r"|prefetch_related|order_by)\("
)


def test_views_gain_no_queries_of_their_own():
    modules = [
        path
        for app in FLOORS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        and (path.name.startswith(("views", "api")) or path.name in ("home.py", "urls.py"))
    ]
    found = {
        str(path.relative_to(ROOT)): count
        for path in modules
        if (count := len(ORM_CALL.findall(path.read_text(encoding="utf-8"))))
    }
    assert found == ORM_CALLS_IN_VIEWS
