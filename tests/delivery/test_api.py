"""Releases through the REST API (DESIGN §8) as the portal's clients use it: plan a
release, roll it out in gray stages, a pushed metric that breaks a guard halts it (the
circuit breaker), roll it back; release notes in both languages; bad input is a field
error that changes nothing; query counts that do not grow with the release. Freeze
windows: test_api_freeze.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from delivery import services
from delivery.models import FreezeWindow, Release, RolloutStage, StageGuard
from delivery.notes import release_notes
from delivery.selectors import release_notes_content
from portal import clock
from portal.models import Activity, Event
from projects.models import WorkItemType
from requirements.services import work_item_link
from tests.conftest import api_as
from tests.projects.board_factories import make_item
from tests.requirements.factories import make_requirement

pytestmark = pytest.mark.django_db


def url(name: str, release=None, stage_id=None) -> str:
    pk = getattr(release, "pk", release)
    if stage_id is not None:
        return reverse(f"api:release-{name}", kwargs={"pk": pk, "stage_id": stage_id})
    return reverse(f"api:release-{name}", args=[pk] if release is not None else [])


def snapshot() -> dict[str, object]:
    return {
        "releases": list(
            Release.objects.order_by("pk").values_list(
                "pk", "version", "name", "state", "critical_paths", "hotfix", "checklist"
            )
        ),
        "stages": list(
            RolloutStage.objects.order_by("pk").values_list("release_id", "percent", "state")
        ),
        "guards": StageGuard.objects.count(),
        "windows": FreezeWindow.objects.count(),
        "activity": Activity.objects.count(),
        "events": Event.objects.count(),
    }


@pytest.fixture
def release(project, owner):
    return services.release_create(project=project, actor=owner, version="2.3.0", name="会员日")


def test_create_plan_advance_breach_halt_and_rollback_through_http(project, owner, member):
    owner_api, member_api = api_as(owner), api_as(member)

    created = owner_api.post(
        url("list"),
        {
            "project": project.pk,
            "version": "3.0.0",
            "name": "双11 大促",
            "target_date": "2026-11-01",
            "plan": [{"percent": 10, "observe_minutes": 0}, {"percent": 100}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["state"], body["next_step"]) == ("planned", "start:1")
    assert [(s["percent"], s["observe_minutes"]) for s in body["stages"]] == [(10, 0), (100, 30)]
    assert body["go_no_go"] == {
        "enforced": False,
        "ready": True,
        "missing": [
            "rollback_plan",
            "circuit_breaker",
            "monitoring",
            "load_test",
            "migration_reversible",
        ],
        "blocking_risks": [],
        "risks_accepted": False,
    }
    first = body["stages"][0]["id"]

    guard = owner_api.post(
        url("guards", body["id"], stage_id=first),
        {"metric": "error_rate", "operator": "lte", "threshold": "0.5"},
        format="json",
    )
    assert guard.status_code == 201, guard.json()

    started = member_api.post(url("advance", body["id"]), {"step": "start:1"}, format="json")
    assert started.status_code == 200, started.json()
    assert started.json()["state"] == "gray"
    assert started.json()["stages"][0]["state"] == "running"
    assert started.json()["next_step"] == "pass:1"

    fine = member_api.post(
        url("metrics", body["id"]), {"metric": "error_rate", "value": 0.3}, format="json"
    )
    assert (fine.status_code, fine.json()["state"]) == (200, "gray")

    breached = member_api.post(
        url("metrics", body["id"]), {"metric": "error_rate", "value": 1.2}, format="json"
    )
    assert breached.status_code == 200
    halted = breached.json()
    assert halted["state"] == "halted"
    assert halted["stages"][0]["state"] == "halted"
    assert "error_rate" in halted["stop_reason"]
    assert Event.objects.filter(name="release.halted").count() == 1

    rolled = owner_api.post(
        url("rollback", body["id"]), {"reason": "支付成功率下降"}, format="json"
    )
    assert rolled.status_code == 200
    assert rolled.json()["state"] == "rolled_back"
    assert rolled.json()["stop_reason"] == "支付成功率下降"
    assert rolled.json()["stopped_by"]["username"] == "owner"
    assert rolled.json()["stopped_at"]
    assert rolled.json()["next_step"] is None
    assert Event.objects.filter(name="release.rolled_back").count() == 1


def test_a_full_rollout_releases_and_the_stages_show_who_and_when(release, owner, member):
    services.release_plan_set(
        release=release, actor=owner, stages=[{"percent": 50, "observe_minutes": 0}, 100]
    )
    api = api_as(member)
    start = datetime(2026, 10, 20, 10, 0, tzinfo=clock.now().tzinfo)
    for minutes, step in [(0, "start:1"), (1, "pass:1"), (2, "start:2"), (40, "pass:2")]:
        with clock.frozen_at(start + timedelta(minutes=minutes)):
            response = api.post(url("advance", release), {"step": step}, format="json")
        assert response.status_code == 200, (step, response.json())

    body = response.json()
    assert body["state"] == "released"
    assert body["released_at"].endswith("+08:00")
    assert [s["state"] for s in body["stages"]] == ["passed", "passed"]
    assert body["stages"][0]["started_by"] == member.pk
    stages = api.get(url("stages", release)).json()
    assert stages["count"] == 2
    assert [s["percent"] for s in stages["results"]] == [50, 100]


def test_a_stale_step_changes_nothing(release, member):
    api = api_as(member)
    assert api.post(url("advance", release), {}, format="json").status_code == 200
    before = snapshot()

    again = api.post(url("advance", release), {"step": "start:1"}, format="json")

    assert again.status_code == 400
    assert list(again.json()) == ["stage"]
    assert snapshot() == before


def test_halt_needs_a_reason_and_a_rollout_in_gray(release, member):
    api = api_as(member)
    assert api.post(url("halt", release), {"reason": "x"}, format="json").status_code == 400
    api.post(url("advance", release), {}, format="json")

    blank = api.post(url("halt", release), {"reason": ""}, format="json")
    assert (blank.status_code, list(blank.json())) == (400, ["reason"])

    halted = api.post(url("halt", release), {"reason": "客诉激增"}, format="json")
    assert halted.json()["state"] == "halted"
    assert halted.json()["stop_reason"] == "客诉激增"


def test_go_no_go_checklist_and_accepted_risks(release, project, owner):
    api = api_as(owner)
    api.patch(url("detail", release), {"critical_paths": ["checkout_payment"]}, format="json")

    refused = api.post(url("advance", release), {}, format="json")
    assert refused.status_code == 400
    for check in ["rollback_plan", "circuit_breaker", "monitoring", "load_test"]:
        api.post(url("checklist", release), {"check": check, "done": True}, format="json")
    ticked = api.post(
        url("checklist", release), {"check": "migration_reversible", "done": True}, format="json"
    )
    gate = ticked.json()["go_no_go"]
    assert (gate["enforced"], gate["ready"], gate["missing"]) == (True, True, [])

    accepted = api.post(
        url("accept-risks", release), {"reason": "已有降级开关，风险可控"}, format="json"
    )
    assert accepted.json()["go_no_go"]["risks_accepted"] is True
    assert accepted.json()["risks_accepted_reason"] == "已有降级开关，风险可控"
    assert api.post(url("advance", release), {}, format="json").json()["state"] == "gray"


def test_scope_sets_the_work_and_foreign_ids_are_field_errors(release, project, owner):
    from tests.projects.factories import make_project

    item = make_item(project, owner, "结算页改版")
    requirement = make_requirement(project, title="新人券")
    foreign = make_item(make_project(owner=owner, key="PAY"), owner, "支付路由")
    api = api_as(owner)

    scoped = api.post(
        url("scope", release),
        {"work_items": [item.pk], "requirements": [requirement.pk]},
        format="json",
    )
    assert scoped.status_code == 200
    assert (scoped.json()["work_items"], scoped.json()["requirements"]) == (
        [item.pk],
        [requirement.pk],
    )
    before = snapshot()
    refused = api.post(url("scope", release), {"work_items": [foreign.pk]}, format="json")
    assert (refused.status_code, list(refused.json())) == (400, ["work_items"])
    assert list(Release.objects.get().work_items.values_list("pk", flat=True)) == [item.pk]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": "2.3.0"}, "version"),
        ({"version": "bad version!"}, "version"),
        ({"version": "9.9.9", "critical_paths": ["nope"]}, "critical_paths"),
        ({"version": "9.9.9", "plan": [{"percent": 50}]}, "stages"),
        ({"version": "9.9.9", "plan": [{"percent": 0}, {"percent": 100}]}, "plan"),
        ({"version": "9.9.9", "target_date": "1999-01-01"}, "target_date"),
        ({"version": "9.9.9", "hotfix": "yes"}, "hotfix"),
        ({"version": 3}, "version"),
    ],
)
def test_bad_create_input_is_a_field_error_and_writes_nothing(release, project, owner, body, field):
    before = snapshot()

    response = api_as(owner).post(url("list"), {"project": project.pk, **body}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("detail", {"version": "2.4.0"}, "version"),
        ("detail", {"name": "x" * 121}, "name"),
        ("detail", {"critical_paths": ["nope"]}, "critical_paths"),
        ("plan", {"stages": [{"percent": 5}, {"percent": 1}, {"percent": 100}]}, "stages"),
        ("plan", {"stages": []}, "stages"),
        ("checklist", {"check": "nope", "done": True}, "check"),
        ("checklist", {"check": "monitoring", "done": "yes"}, "done"),
        ("accept-risks", {"reason": "short"}, "reason"),
        ("rollback", {"reason": "not out yet"}, "non_field_errors"),
        ("cancel", {}, None),
        ("approve-hotfix", {}, "non_field_errors"),
        ("metrics", {"metric": "Error Rate", "value": 1}, "metric"),
        ("metrics", {"metric": "error_rate", "value": "lots"}, "value"),
        ("metrics", {"metric": "error_rate", "value": 1}, "metric"),
        ("scope", {"work_items": [987654]}, "work_items"),
    ],
)
def test_bad_action_input_is_a_field_error_and_changes_nothing(release, owner, name, body, field):
    if name == "cancel":  # a cancelled release cannot be cancelled again
        services.release_cancel(release=release, actor=owner)
        field = "non_field_errors"
    before = snapshot()
    api = api_as(owner)
    target = url(name, release)

    response = (
        api.patch(target, body, format="json")
        if name == "detail"
        else api.post(target, body, format="json")
    )

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert snapshot() == before


def test_a_guard_on_a_missing_stage_or_a_foreign_kpi_is_refused(release, owner):
    from tests.metrics.factories import KPIFactory
    from tests.projects.factories import make_project

    foreign_kpi = KPIFactory(project=make_project(owner=owner, key="PAY"))
    stage = release.stages.first()
    api = api_as(owner)
    before = snapshot()

    missing = api.post(
        url("guards", release, stage_id=987654),
        {"metric": "error_rate", "operator": "lte", "threshold": "1"},
        format="json",
    )
    foreign = api.post(
        url("guards", release, stage_id=stage.pk),
        {"kpi": foreign_kpi.pk, "operator": "gte", "threshold": "95", "of_baseline": True},
        format="json",
    )
    neither = api.post(
        url("guards", release, stage_id=stage.pk),
        {"operator": "lte", "threshold": "1"},
        format="json",
    )

    assert missing.status_code == 404
    assert (foreign.status_code, list(foreign.json())) == (400, ["kpi"])
    assert (neither.status_code, list(neither.json())) == (400, ["kpi"])
    assert snapshot() == before


def test_planning_fields_change_and_the_version_stays(release, owner):
    response = api_as(owner).patch(
        url("detail", release),
        {"name": "会员日 2.0", "target_date": "2026-12-12", "hotfix": True, "version": "2.3.0"},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["target_date"]) == ("会员日 2.0", "2026-12-12")
    assert Activity.objects.filter(verb="release.updated").count() == 1
    assert api_as(owner).put(url("detail", release), {}, format="json").status_code == 405


def test_only_a_planned_release_can_be_deleted(release, project, owner, member):
    api = api_as(owner)
    api_as(member).post(url("advance", release), {}, format="json")
    before = snapshot()

    refused = api.delete(url("detail", release))
    assert refused.status_code == 400
    assert snapshot() == before

    planned = services.release_create(project=project, actor=owner, version="2.4.0")
    assert api.delete(url("detail", planned)).status_code == 204
    assert not Release.objects.filter(pk=planned.pk).exists()
    assert RolloutStage.objects.filter(release_id=planned.pk).count() == 0


def test_list_filters_by_state_and_project(release, project, owner):
    other = services.release_create(project=project, actor=owner, version="2.4.0")
    services.release_cancel(release=other, actor=owner)
    api = api_as(owner)

    cancelled = api.get(url("list"), {"project": project.pk, "state": "cancelled"}).json()
    assert [r["version"] for r in cancelled["results"]] == ["2.4.0"]
    assert cancelled["results"][0]["go_no_go"] is None
    assert api.get(url("list"), {"state": "nope"}).status_code == 400
    assert api.get(url("list"), {"project": "x"}).status_code == 400


# ---------------------------------------------------------------- release notes


@pytest.fixture
def shipped(release, project, owner):
    coupon = make_requirement(project, title="新人券 *首单*")
    story = make_item(project, owner, "领券弹窗")
    work_item_link(requirement=coupon, work_item=story)
    bug = make_item(project, owner, "修复购物车价格不刷新", type=WorkItemType.BUG)
    task = make_item(project, owner, "升级支付 SDK", type=WorkItemType.TASK)
    services.release_scope_set(
        release=release, actor=owner, work_items=[story, bug, task], requirements=[coupon]
    )
    return release


def test_release_notes_group_by_requirement_then_type_in_english(shipped):
    response = api_as(shipped.created_by).get(url("notes", shipped), {"language": "en"})

    assert response.status_code == 200
    body = response.json()
    assert body["language"] == "en"
    assert body["markdown"] == (
        "# Release 2.3.0: 会员日\n\n"
        "## Requirements\n\n"
        "- **MALL-R1** 新人券 \\*首单\\*\n"
        "  - MALL-1 领券弹窗\n\n"
        "## Fixes\n\n"
        "- MALL-2 修复购物车价格不刷新\n\n"
        "## Other changes\n\n"
        "- MALL-3 升级支付 SDK\n"
    )


def test_release_notes_in_chinese_by_default_and_on_request(shipped):
    api = api_as(shipped.created_by)

    default = api.get(url("notes", shipped)).json()
    asked = api.get(url("notes", shipped), {"language": "zh-hans"}).json()

    assert default == asked
    assert asked["language"] == "zh-hans"
    assert "## 需求" in asked["markdown"]
    requirements, items = release_notes_content(release=shipped)
    with translation.override("en"):
        expected = release_notes(
            release=shipped, requirements=requirements, work_items=items, language="zh-hans"
        )
    assert asked["markdown"] == expected  # the language asked for, whatever the request's


def test_release_notes_of_an_empty_release_and_a_bad_language(release, owner):
    api = api_as(owner)

    empty = api.get(url("notes", release), {"language": "en"}).json()["markdown"]
    bad = api.get(url("notes", release), {"language": "fr"})
    blank = api.get(url("notes", release), {"language": ""})

    assert "Nothing has been added to this release yet." in empty
    assert (bad.status_code, list(bad.json())) == (400, ["language"])
    assert (blank.status_code, list(blank.json())) == (400, ["language"])


# ---------------------------------------------------------------- query counts


def _big_release(project, owner, *, items: int):
    release = services.release_create(
        project=project,
        actor=owner,
        version=f"9.{items}.0",
        stages=[{"percent": p, "observe_minutes": 0} for p in (1, 2, 5, 10, 20, 50, 100)],
    )
    work = [make_item(project, owner, f"卡片 {n}") for n in range(items)]
    reqs = [make_requirement(project, title=f"需求 {n}") for n in range(items)]
    services.release_scope_set(release=release, actor=owner, work_items=work, requirements=reqs)
    for stage in release.stages.all():
        services.stage_guard_add(
            stage=stage, actor=owner, metric="error_rate", operator="lte", threshold="1"
        )
    return release


def test_list_and_detail_queries_do_not_grow_with_the_releases(
    project, owner, django_assert_max_num_queries
):
    small = _big_release(project, owner, items=1)
    api = api_as(owner)
    with django_assert_max_num_queries(12) as few:
        api.get(url("list"))
    with django_assert_max_num_queries(14) as one:
        api.get(url("detail", small))
    big = _big_release(project, owner, items=8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get(url("list")).json()["count"] == 2
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(api.get(url("detail", big)).json()["work_items"]) == 8
