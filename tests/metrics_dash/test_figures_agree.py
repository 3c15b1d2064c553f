"""Every figure the portal shows in two places is the same number in both (issue #13,
item 3): the project dashboard's tiles and the KPI page, the portfolio and the project
dashboard, and a sprint's progress on the board, the stand-up, the sprint page, the
dashboard's burndown, the portfolio and the daily report. Read from the demo organisation,
in both languages, as its users see it."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from kpis.models import KPI, Source
from metrics.models import ProjectSnapshot
from metrics.reports import report_content
from metrics.views_dashboard import TILE_KPIS
from portal.models import Project, User
from projects.models import SprintScopeChange, SprintState
from projects.selectors.board import sprint_burndown, sprint_progress

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--quiet-logins", stdout=StringIO())
        yield
        transaction.set_rollback(True)


def _page(user: str, url: str, language: str) -> str:
    client = Client()
    person = User.objects.get(username=user)
    person.language = language
    person.save(update_fields=["language"])
    client.force_login(person)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", fragment)).strip()


def _figures(html: str, attribute: str) -> dict[str, str]:
    """{code: shown value} of the elements carrying `attribute` and a `data-value` child."""
    found = {}
    for code, value in re.findall(
        rf'{attribute}="([\w-]+)"[^>]*>.*?data-value>(.*?)</div>', html, flags=re.S
    ):
        found.setdefault(code, _text(value))
    return found


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("key", ["MALL", "PAY"])
def test_dashboard_tiles_read_the_same_as_the_kpi_page(demo, key, language):
    dashboard = _page("chenzong", reverse("metrics:project_dashboard", args=[key]), language)
    kpi_page = _page("chenzong", reverse("metrics:kpis") + f"?project={key}", language)
    tiles = _figures(dashboard, "data-figure")
    kpis = _figures(kpi_page, "data-kpi")
    tracked = set(
        KPI.objects.filter(project__key=key, source=Source.COMPUTED).values_list("code", flat=True)
    )

    compared = 0
    for code in sorted(TILE_KPIS & tracked):
        # The cycle and lead tiles read "P50 / P85": each half is a KPI of its own.
        shown = tiles.get(code) or tiles["cycle_time_p50"]
        if code == "cycle_time_p85":
            shown = tiles["cycle_time_p50"].split(" / ")[1]
        elif code in ("cycle_time_p50", "lead_time_p50"):
            shown = tiles[code].split(" / ")[0]
        assert shown == kpis[code], (key, language, code)
        compared += 1
    assert compared == 6
    # On-time rate: one definition (work items and requirements) in both places.
    snapshot = ProjectSnapshot.objects.filter(project__key=key).latest("date")
    assert f"{snapshot.on_time_done}" in _text(
        re.search(r'data-figure="on_time_rate".*?</section>', dashboard, flags=re.S).group(0)
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_portfolio_reads_the_same_as_each_project(demo, language):
    portfolio = _page("chenzong", reverse("metrics:dashboard"), language)
    for key in ("MALL", "S11", "PAY"):
        row = re.search(rf'data-portfolio="{key}".*?</tr>', portfolio, flags=re.S).group(0)
        cells = {
            code: _text(value)
            for code, value in re.findall(r'data-figure="(\w+)">(.*?)</(?:td|span)>', row)
        }
        dashboard = _figures(
            _page("chenzong", reverse("metrics:project_dashboard", args=[key]), language),
            "data-figure",
        )
        assert cells["throughput"] == dashboard["throughput"], key
        assert cells["cycle_time_p85"] == dashboard["cycle_time_p50"].split(" / ")[1], key
        board = _page("chenzong", reverse("projects:board", args=[key]), language)
        progress = re.search(r'data-figure="sprint-progress"[^>]*>(.*?)</span>', board).group(1)
        assert cells["sprint_percent"] == progress.strip(), key


@pytest.mark.parametrize("key", ["MALL", "S11", "PAY"])
def test_sprint_progress_is_one_number_everywhere(demo, key):
    project = Project.objects.get(key=key)
    sprint = project.sprints.get(state=SprintState.ACTIVE)
    progress = sprint_progress(sprints=[sprint])[sprint.pk]
    burn = [d for d in sprint_burndown(sprint=sprint) if d.remaining is not None]
    standup = _page("wangfang", reverse("projects:standup", args=[key]), "zh-hans")
    sprint_page = _page(
        "wangfang", reverse("projects:sprint_detail", args=[key, sprint.pk]), "zh-hans"
    )
    report = report_content(project, project.today())

    assert progress.points_total > 0
    # The burndown's last day is today: what is left is what the board says is left.
    assert burn[-1].remaining == progress.points_remaining
    assert burn[-1].scope == progress.points_total
    assert f'data-kpi="done">{progress.points_done}<' in standup
    assert f'data-kpi="remaining">{progress.points_remaining}<' in standup
    assert f'data-figure="points-done">{progress.points_done}<' in sprint_page
    assert f'data-figure="points-total">{progress.points_total}<' in sprint_page
    assert (report["sprint"]["points_done"], report["sprint"]["points_total"]) == (
        progress.points_done,
        progress.points_total,
    )


@pytest.mark.parametrize("key", ["MALL", "S11", "PAY"])
def test_the_demo_sprint_burns_down_from_its_commitment(demo, key):
    """The ideal line starts where the team committed; what came later shows as added."""
    project = Project.objects.get(key=key)
    sprint = project.sprints.get(state=SprintState.ACTIVE)
    burn = [d for d in sprint_burndown(sprint=sprint) if d.remaining is not None]
    added = SprintScopeChange.objects.filter(sprint=sprint, after_start=True, change="added")

    assert burn[0].ideal == sprint.committed_points
    assert burn[0].remaining == sprint.committed_points  # nothing added on the first morning
    assert burn[0].added == 0
    assert added.exists()  # scope did grow half-way ...
    assert sum(d.added for d in burn) == sum(a.points for a in added)
    assert burn[-1].remaining < burn[-1].scope  # ... and the team has burnt some down
    assert burn[-1].done >= sprint.committed_points * 0.2
