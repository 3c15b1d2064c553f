"""The release pages (issue #15) as people use them: every URL of delivery/urls.py through
the roles, planning a release and running its gray rollout through the forms, what a
card shows about its release, query counts that do not grow with a release's size, and
the page in both languages."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.html import Element, parse_html
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from delivery import services
from delivery.models import (
    Release,
    ReleaseState,
    RolloutStage,
    StageGuard,
)
from portal import clock
from portal.models import Activity, Event
from requirements.services.collaboration import work_item_link
from risks import services as risk_services
from tests.metrics.factories import KPIFactory
from tests.projects.board_factories import bulk_items, make_item
from tests.projects.factories import make_project
from tests.requirements.factories import make_requirement
from tests.risks.factories import make_risk

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
START = datetime(2026, 10, 20, 2, 0, tzinfo=clock.now().tzinfo)
ALL_CHECKS = ("rollback_plan", "circuit_breaker", "monitoring", "load_test", "migration_reversible")


# ---------------------------------------------------------------- helpers


def find_all(html: str, tag: str | None = None, **attrs: str | None) -> list[Element]:
    """Elements whose attributes match (`data_stage="1"` → data-stage="1"; None: present)."""
    wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
    found: list[Element] = []

    def walk(node) -> None:
        if isinstance(node, str):
            return
        node_attrs = dict(node.attributes)
        if (tag is None or node.name == tag) and all(
            k in node_attrs and (v is None or node_attrs[k] == v) for k, v in wanted.items()
        ):
            found.append(node)
        for child in node.children:
            walk(child)

    walk(parse_html(html))
    return found


def one(html: str, tag: str | None = None, **attrs: str | None) -> Element:
    (element,) = find_all(html, tag, **attrs)
    return element


def attr(element: Element, name: str) -> str | None:
    return dict(element.attributes).get(name)


def has(element: Element, name: str) -> bool:
    """Whether the element carries attribute `name` (boolean ones such as `open` too)."""
    return name in dict(element.attributes)


def text(node) -> str:
    if isinstance(node, str):
        return node
    return " ".join(t for t in (text(c) for c in node.children) if t).strip()


def page(response) -> str:
    return response.content.decode()


def field_errors(html: str, field: str) -> list[str]:
    """The errors shown under the form field `field` (includes/field.html)."""
    return [
        text(li)
        for block in find_all(html, "div", data_field=field)
        for ul in find_all(str(block), "ul", **{"class": "errorlist"})
        for li in find_all(str(ul), "li")
    ]


def zh(message: str, **values) -> str:
    """A message as the (zh-hans) page shows it."""
    with translation.override("zh-hans"):
        translated = gettext(message)
    return translated % values if values else translated


def url(name: str, *args) -> str:
    return reverse(f"releases:{name}", args=["MALL", *args])


def stages_of(release: Release) -> list[tuple[int, int, str]]:
    return list(
        RolloutStage.objects.filter(release_id=release.pk)
        .order_by("position")
        .values_list("percent", "observe_minutes", "state")
    )


def stage_rows(html: str) -> list[tuple[str, str]]:
    """(position, state) of the rollout table's stages as the page shows them."""
    return [
        (attr(tr, "data-stage"), attr(tr, "data-stage-state"))
        for tr in find_all(html, "tr", data_stage=None)
    ]


def advance_step(html: str) -> str | None:
    """The step the page's advance form posts (None: no such form)."""
    steps = [
        attr(field, "value")
        for form in find_all(html, "form", action=url("advance", "2.3.0"))
        for field in find_all(str(form), "input", name="step")
    ]
    assert len(steps) <= 1
    return steps[0] if steps else None


def release_state(html: str) -> str | None:
    return attr(one(html, "span", data_release_state=None), "data-release-state")


def scope_keys(html: str) -> list[str]:
    return [attr(tr, "data-scope") for tr in find_all(html, "tr", data_scope=None)]


def written() -> dict[str, object]:
    """Everything a release page can write, to compare before and after a refusal."""
    return {
        "releases": list(
            Release.objects.order_by("pk").values_list(
                "pk",
                "version",
                "name",
                "target_date",
                "state",
                "critical_paths",
                "checklist",
                "hotfix",
                "hotfix_approved_by",
                "risks_accepted_reason",
                "stop_reason",
            )
        ),
        "stages": list(
            RolloutStage.objects.order_by("pk").values_list(
                "pk", "release_id", "position", "percent", "observe_minutes", "state"
            )
        ),
        "guards": list(StageGuard.objects.order_by("pk").values_list("pk", "stage_id")),
        "work_items": sorted(
            Release.work_items.through.objects.values_list("release_id", "workitem_id")
        ),
        "requirements": sorted(
            Release.requirements.through.objects.values_list("release_id", "requirement_id")
        ),
        "activity": Activity.objects.count(),
        "events": Event.objects.count(),
    }


def two_stage_release(project, actor, version: str = "2.3.0", **kwargs) -> Release:
    """A release going 10 % → 100 % with nothing to observe between stages."""
    return services.release_create(
        project=project,
        actor=actor,
        version=version,
        stages=[{"percent": 10, "observe_minutes": 0}, {"percent": 100, "observe_minutes": 0}],
        **kwargs,
    )


def in_gray(release: Release, actor) -> Release:
    return services.release_advance(release=release, actor=actor)


def plan_post(rows: list[tuple[int | str, int | str, bool]], initial: int = 0) -> dict:
    """The plan formset as the page posts it: (percent, observe minutes, remove) per row."""
    data = {
        "plan-TOTAL_FORMS": str(len(rows)),
        "plan-INITIAL_FORMS": str(initial),
        "plan-MIN_NUM_FORMS": "1",
        "plan-MAX_NUM_FORMS": "10",
    }
    for n, (percent, minutes, remove) in enumerate(rows):
        data[f"plan-{n}-percent"] = str(percent)
        data[f"plan-{n}-observe_minutes"] = str(minutes)
        if remove:
            data[f"plan-{n}-DELETE"] = "on"
    return data


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def everyone(owner, member, viewer, outsider, staff):
    """Every role exists before a test takes its snapshot."""


@pytest.fixture
def card(project, owner):
    """MALL-1, on the board."""
    return make_item(project, owner, "支付重构")


@pytest.fixture
def release(project, owner, everyone, card):
    """MALL 2.3.0 (a hotfix, 10 % → 100 %, nothing to observe) shipping MALL-1."""
    release = two_stage_release(project, owner, hotfix=True)
    services.release_scope_set(release=release, actor=owner, work_items=[card])
    return release


# ---------------------------------------------------------------- the authorisation matrix

OWNERS = ("owner", "staff")
MEMBERS = ("owner", "member", "staff")
READERS = ("owner", "member", "viewer", "staff")
ROLES = ["owner", "member", "viewer", "outsider", "anonymous", "staff"]


def _guard_data(release: Release) -> dict:
    stage = release.stages.order_by("position").first()
    return {"stage": str(stage.pk), "metric": "error_rate", "operator": "lte", "threshold": "0.5"}


def _to_gray(release: Release, owner) -> Release:
    return in_gray(release, owner)


# name, method, args after the key ("v": the version, "n": MALL-1's number), data (or a
# function of the release), who may, the status they get, prepare the release.
MATRIX = [
    ("list", "get", (), None, READERS, 200, None),
    ("detail", "get", ("v",), None, READERS, 200, None),
    ("notes", "get", ("v",), None, READERS, 200, None),
    ("item_release", "get", ("n",), None, READERS, 200, None),
    ("create", "get", (), None, OWNERS, 200, None),
    ("edit", "get", ("v",), None, OWNERS, 200, None),
    (
        "create",
        "post",
        (),
        {"version": "3.0.0", "plan": "1, 100", "observe_minutes": "30"},
        OWNERS,
        302,
        None,
    ),
    ("edit", "post", ("v",), {"name": "会员日", "hotfix": "on"}, OWNERS, 302, None),
    ("delete", "post", ("v",), {}, OWNERS, 302, None),
    ("advance", "post", ("v",), {"step": "start:1"}, MEMBERS, 302, None),
    ("halt", "post", ("v",), {"halt-reason": "客诉激增"}, MEMBERS, 302, _to_gray),
    ("rollback", "post", ("v",), {"rollback-reason": "支付失败率上升"}, OWNERS, 302, _to_gray),
    ("plan", "post", ("v",), plan_post([(50, 0, False), (100, 0, False)]), OWNERS, 302, None),
    ("guard", "post", ("v",), _guard_data, OWNERS, 302, None),
    ("check", "post", ("v",), {"check": "monitoring", "done": "on"}, OWNERS, 302, None),
    (
        "accept_risks",
        "post",
        ("v",),
        {"accept-reason": "已有降级开关，风险可控"},
        OWNERS,
        302,
        None,
    ),
    ("hotfix", "post", ("v",), {}, OWNERS, 302, None),
    ("cancel", "post", ("v",), {}, OWNERS, 302, None),
    ("scope", "post", ("v",), {"remove": "MALL-1"}, OWNERS, 302, None),
    ("item_release", "post", ("n",), {"release": ""}, OWNERS, 200, None),
]


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "args", "data", "allowed", "ok", "prepare"),
    MATRIX,
    ids=[f"{m[0]}-{m[1]}" for m in MATRIX],
)
def test_every_url_by_role(
    request, client, release, card, owner, who, name, method, args, data, allowed, ok, prepare
):
    if prepare is not None:
        release = prepare(release, owner)
    if callable(data):
        data = data(release)
    target = url(name, *[{"v": release.version, "n": card.number}[a] for a in args])
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    before = written()

    response = getattr(client, method)(target, data or {})

    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login"))
    elif who == "outsider":
        assert response.status_code == 404
    elif who in allowed:
        assert response.status_code == ok, response.content[:2000]
    else:
        assert response.status_code == 403
    if method == "post":
        if who in allowed:
            assert written() != before  # the action did something
        else:
            assert written() == before  # a refused action changes nothing
    elif who in allowed and name in ("list", "detail"):
        assert "2.3.0" in page(response)


def test_post_only_urls_refuse_get(client, release, owner):
    client.force_login(owner)

    for name in (
        "delete",
        "advance",
        "halt",
        "rollback",
        "plan",
        "guard",
        "check",
        "accept_risks",
        "hotfix",
        "cancel",
        "scope",
    ):
        assert client.get(url(name, "2.3.0")).status_code == 405, name
    assert Release.objects.filter(version="2.3.0").exists()


def test_an_unknown_release_is_404_for_its_projects_people(client, release, owner, member):
    client.force_login(member)

    assert client.get(url("detail", "9.9.9")).status_code == 404
    assert client.post(url("advance", "9.9.9"), {"step": "start:1"}).status_code == 404
    client.force_login(owner)
    assert client.post(url("delete", "9.9.9")).status_code == 404


def test_a_viewer_and_a_member_see_no_owner_controls(client, release, owner, member, viewer):
    client.force_login(viewer)
    html = page(client.get(url("detail", "2.3.0")))
    assert advance_step(html) is None
    assert url("edit", "2.3.0") not in html
    assert url("check", "2.3.0") not in html
    assert find_all(html, "form", id="scope-form") == []

    client.force_login(member)
    html = page(client.get(url("detail", "2.3.0")))
    assert advance_step(html) == "start:1"  # members run the rollout
    assert url("edit", "2.3.0") not in html
    assert url("delete", "2.3.0") not in html
    assert find_all(html, "form", id="plan-form") == []

    client.force_login(owner)
    html = page(client.get(url("detail", "2.3.0")))
    assert url("edit", "2.3.0") in html
    assert find_all(html, "button", data_delete_release=None)
    assert find_all(html, "form", id="plan-form")


# ---------------------------------------------------------------- planning a release


def create_data(**overrides) -> dict[str, str]:
    return {
        "version": "2.3.0",
        "name": "会员日",
        "target_date": "",
        "description": "",
        "plan": "1 → 5 → 20 → 50 → 100",
        "observe_minutes": "30",
        **overrides,
    }


def test_the_new_release_form_proposes_the_default_plan(client, project, owner):
    client.force_login(owner)

    html = page(client.get(url("create")))

    assert attr(one(html, "input", name="plan"), "value") == "1 → 5 → 20 → 50 → 100"
    assert attr(one(html, "input", name="observe_minutes"), "value") == "30"


def test_owner_plans_a_release_with_the_default_plan(client, project, owner):
    client.force_login(owner)

    response = client.post(url("create"), create_data())

    assert response.status_code == 302
    assert response["Location"] == url("detail", "2.3.0")
    release = Release.objects.get(project=project, version="2.3.0")
    assert (release.name, release.state, release.created_by) == ("会员日", "planned", owner)
    assert stages_of(release) == [(p, 30, "pending") for p in (1, 5, 20, 50, 100)]
    html = page(client.get(response["Location"]))
    assert release_state(html) == "planned"
    assert stage_rows(html) == [(str(n), "pending") for n in range(1, 6)]
    assert advance_step(html) == "start:1"
    assert [attr(li, "data-history") for li in find_all(html, "li", data_history=None)] == [
        "release.created"
    ]


def test_a_custom_plan_with_its_observe_minutes(client, project, owner):
    client.force_login(owner)

    response = client.post(
        url("create"),
        create_data(
            version="3.1.0-rc.1",
            plan="10, 100",
            observe_minutes="0",
            target_date="2026-11-11",
            critical_paths=["inventory", "checkout_payment"],
        ),
    )

    assert response.status_code == 302
    release = Release.objects.get(version="3.1.0-rc.1")
    assert stages_of(release) == [(10, 0, "pending"), (100, 0, "pending")]
    assert release.critical_paths == ["checkout_payment", "inventory"]
    html = page(client.get(response["Location"]))
    assert [attr(s, "data-critical-path") for s in find_all(html, data_critical_path=None)] == [
        "checkout_payment",
        "inventory",
    ]
    assert find_all(html, data_gate="no-go")  # a critical path: the checklist is a gate


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("version", {"version": "2.3.0"}),  # already exists
        ("version", {"version": "2.3 beta"}),
        ("version", {"version": "版本1"}),
        ("version", {"version": "new"}),
        ("version", {"version": "Items"}),
        ("plan", {"plan": "1, 50, 20, 100"}),
        ("plan", {"plan": "1, 5, 50"}),
        ("plan", {"plan": "0, 100"}),
        ("plan", {"plan": "50, 101"}),
        ("plan", {"plan": ", ".join(str(p) for p in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100))}),
        ("plan", {"plan": "a lot"}),
        ("observe_minutes", {"observe_minutes": str(7 * 24 * 60 + 1)}),
        ("observe_minutes", {"observe_minutes": "-1"}),
        ("target_date", {"target_date": "1999-12-31"}),
        ("target_date", {"target_date": "2101-01-01"}),
    ],
)
def test_bad_release_input_is_a_field_error_and_creates_nothing(
    client, project, owner, field, overrides
):
    two_stage_release(project, owner, "2.3.0")
    client.force_login(owner)
    before = written()

    response = client.post(url("create"), create_data(**overrides))

    assert response.status_code == 400
    assert field_errors(page(response), field), page(response)
    assert written() == before


def test_a_plan_written_with_dashes_is_read_as_percentages(client, project, owner):
    client.force_login(owner)

    response = client.post(url("create"), create_data(plan="1-5-20-50-100"))

    # The form lets "-" through as a separator, so people write it; the stages are the same.
    assert response.status_code == 302, field_errors(page(response), "plan")
    assert [p for p, _m, _s in stages_of(Release.objects.get())] == [1, 5, 20, 50, 100]


def test_edit_changes_the_planning_fields_but_not_the_version(client, release, owner):
    client.force_login(owner)
    form = page(client.get(url("edit", "2.3.0")))
    assert find_all(form, "div", data_field="version") == []
    assert has(one(form, "input", name="hotfix"), "checked")

    response = client.post(
        url("edit", "2.3.0"),
        {
            "version": "9.9.9",
            "name": "双11 大促版",
            "target_date": "2026-11-01",
            "critical_paths": ["promotion"],
            "hotfix": "on",
            "description": "大促前最后一版",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url("detail", "2.3.0")
    release.refresh_from_db()
    assert (release.version, release.name, str(release.target_date)) == (
        "2.3.0",
        "双11 大促版",
        "2026-11-01",
    )
    assert release.critical_paths == ["promotion"]
    assert not Release.objects.filter(version="9.9.9").exists()
    html = page(client.get(response["Location"]))
    assert "双11 大促版" in text(one(html, "h2", id="release-title"))
    assert [attr(s, "data-critical-path") for s in find_all(html, data_critical_path=None)] == [
        "promotion"
    ]


def test_edit_refuses_a_target_date_out_of_range(client, release, owner):
    client.force_login(owner)
    before = written()

    response = client.post(url("edit", "2.3.0"), {"name": "x", "target_date": "1980-01-01"})

    assert response.status_code == 400
    assert field_errors(page(response), "target_date")
    assert written() == before


def test_a_version_with_build_metadata_gets_its_own_page(client, project, owner):
    client.force_login(owner)

    response = client.post(url("create"), create_data(version="2.3.0+build5"))

    assert response.status_code == 302
    assert response["Location"] == url("detail", "2.3.0+build5")
    html = page(client.get(response["Location"]))
    assert release_state(html) == "planned"
    assert "2.3.0+build5" in text(one(html, "h2", id="release-title"))
    notes = client.get(url("notes", "2.3.0+build5"), {"language": "en"})
    assert notes["Content-Disposition"] == 'attachment; filename="MALL-2.3.0+build5-en.md"'


def test_the_list_counts_its_tabs_and_flags_an_overdue_release(client, project, owner, viewer):
    late = two_stage_release(project, owner, "2.2.0")
    late.target_date = project.today() - timedelta(days=1)
    late.save(update_fields=["target_date"])
    two_stage_release(project, owner, "2.3.0", target_date=project.today() + timedelta(days=9))
    services.release_cancel(release=two_stage_release(project, owner, "2.1.0"), actor=owner)
    client.force_login(viewer)

    html = page(client.get(url("list")))

    assert [attr(tr, "data-release") for tr in find_all(html, "tr", data_release=None)] == [
        "2.2.0",
        "2.3.0",
    ]
    tabs = [text(a) for a in find_all(html, "a") if (attr(a, "href") or "").startswith("?show=")]
    assert [t.split()[-1] for t in tabs] == ["2", "1", "3"]
    overdue = {"class": "badge level-critical"}
    assert find_all(str(one(html, "tr", data_release="2.2.0")), "span", **overdue)
    assert not find_all(str(one(html, "tr", data_release="2.3.0")), "span", **overdue)
    assert find_all(html, "a", data_new_release=None) == []  # viewers plan nothing


def test_an_archived_projects_releases_stay_as_they_are(client, release, project, owner, member):
    project.archived = True
    project.save(update_fields=["archived"])
    before = written()
    client.force_login(owner)

    html = page(client.get(url("detail", "2.3.0")))
    refused = [
        client.get(url("create")).status_code,
        client.post(url("cancel", "2.3.0")).status_code,
        client.post(url("check", "2.3.0"), {"check": "monitoring", "done": "on"}).status_code,
    ]
    client.force_login(member)
    refused.append(client.post(url("advance", "2.3.0"), {"step": "start:1"}).status_code)

    assert release_state(html) == "planned"
    assert advance_step(html) is None
    assert url("edit", "2.3.0") not in html
    assert refused == [403, 403, 403, 403]
    assert written() == before


# ---------------------------------------------------------------- the rollout


def test_member_starts_and_passes_stages_with_the_step_shown(client, project, owner, member):
    services.release_create(project=project, actor=owner, version="2.3.0")  # 30 min each
    client.force_login(member)

    with clock.frozen_at(START):
        step = advance_step(page(client.get(url("detail", "2.3.0"))))
        response = client.post(url("advance", "2.3.0"), {"step": step})
        assert response.status_code == 302
        assert response["Location"] == url("detail", "2.3.0") + "#rollout"
        html = page(client.get(url("detail", "2.3.0")))
    assert step == "start:1"
    assert release_state(html) == "gray"
    assert stage_rows(html)[:2] == [("1", "running"), ("2", "pending")]
    assert find_all(html, data_observe_until=None)  # still being observed
    assert advance_step(html) == "pass:1"
    assert Event.objects.filter(name="release.stage_started").count() == 1

    # Too early: the observe time is shown as the reason and nothing moves.
    with clock.frozen_at(START + timedelta(minutes=10)):
        early = client.post(url("advance", "2.3.0"), {"step": "pass:1"})
    assert early.status_code == 400
    assert find_all(page(early), data_rollout_error=None)
    assert stage_rows(page(early))[0] == ("1", "running")

    with clock.frozen_at(START + timedelta(minutes=31)):
        passed = client.post(url("advance", "2.3.0"), {"step": "pass:1"})
        assert passed.status_code == 302
        html = page(client.get(url("detail", "2.3.0")))
    assert stage_rows(html)[:2] == [("1", "passed"), ("2", "pending")]
    assert advance_step(html) == "start:2"
    assert find_all(html, data_current_stage="2")


def test_passing_the_last_stage_releases(client, project, owner, member):
    release = two_stage_release(project, owner)
    client.force_login(member)

    for _ in range(4):
        step = advance_step(page(client.get(url("detail", "2.3.0"))))
        assert client.post(url("advance", "2.3.0"), {"step": step}).status_code == 302

    html = page(client.get(url("detail", "2.3.0")))
    assert release_state(html) == "released"
    assert stage_rows(html) == [("1", "passed"), ("2", "passed")]
    assert advance_step(html) is None
    release.refresh_from_db()
    assert release.released_at is not None
    assert Event.objects.filter(name="release.released").count() == 1


def test_a_stale_step_is_refused_with_the_reason_and_changes_nothing(
    client, project, owner, member
):
    release = two_stage_release(project, owner)
    client.force_login(member)
    seen = advance_step(page(client.get(url("detail", "2.3.0"))))
    in_gray(release, owner)  # someone else advanced meanwhile
    before = written()

    response = client.post(url("advance", "2.3.0"), {"step": seen})

    assert seen == "start:1"
    assert response.status_code == 400
    html = page(response)
    error = one(html, data_rollout_error=None)
    assert text(error) == zh(
        "Someone else has just moved this rollout on: look at where it stands now."
    )
    # The page shows where the rollout stands now, with the step that is now offered.
    assert advance_step(html) == "pass:1"
    assert written() == before


def test_member_halts_with_a_reason(client, release, owner, member):
    in_gray(release, owner)
    client.force_login(member)

    response = client.post(url("halt", "2.3.0"), {"halt-reason": "客诉激增，先停"})

    assert response.status_code == 302
    html = page(client.get(response["Location"]))
    assert release_state(html) == "halted"
    banner = text(one(html, data_stop_reason=None))
    assert "客诉激增，先停" in banner
    assert "李雷" in banner
    assert stage_rows(html)[0] == ("1", "halted")
    assert advance_step(html) == "start:1"  # it can be started again
    assert Event.objects.get(name="release.halted").payload["reason"] == "客诉激增，先停"


def test_halting_without_a_reason_is_a_field_error(client, release, owner, member):
    in_gray(release, owner)
    client.force_login(member)
    before = written()

    response = client.post(url("halt", "2.3.0"), {"halt-reason": "  "})

    assert response.status_code == 400
    html = page(response)
    box = one(html, "details", data_halt_box=None)
    assert has(box, "open")
    assert field_errors(str(box), "reason")
    assert written() == before


def test_owner_rolls_back_with_a_reason(client, release, owner):
    in_gray(release, owner)
    client.force_login(owner)

    response = client.post(url("rollback", "2.3.0"), {"rollback-reason": "支付失败率上升"})

    assert response.status_code == 302
    html = page(client.get(response["Location"]))
    assert release_state(html) == "rolled_back"
    banner = text(one(html, data_stop_reason=None))
    assert "支付失败率上升" in banner
    assert "王芳" in banner
    assert advance_step(html) is None
    assert Event.objects.get(name="release.rolled_back").payload["reason"] == "支付失败率上升"


def test_rollback_needs_a_reason_and_a_release_that_went_out(client, release, owner):
    client.force_login(owner)
    before = written()

    planned = client.post(url("rollback", "2.3.0"), {"rollback-reason": "不想发了"})

    assert planned.status_code == 400
    assert written() == before
    in_gray(release, owner)
    gray = written()

    empty = client.post(url("rollback", "2.3.0"), {"rollback-reason": ""})

    assert empty.status_code == 400
    assert field_errors(str(one(page(empty), "details", data_rollback_box=None)), "reason")
    assert written() == gray


def _guard_halts(release, owner) -> None:
    """The circuit breaker halts the rollout (a breached error-rate guard)."""
    services.stage_guard_add(
        stage=release.stages.get(position=1),
        actor=owner,
        metric="error_rate",
        operator="lte",
        threshold="0.5",
    )
    services.stage_metric_record(release=release, metric="error_rate", value="3")


def _rolled_back(release, owner) -> None:
    services.release_rollback(release=release, actor=owner, reason="另一位负责人已回滚")


def _released(release, owner) -> None:
    for _ in range(3):
        services.release_advance(release=release, actor=owner)


# action, what the person posts from the page they had open, what happened meanwhile,
# the refusal they must read.
STALE = [
    ("halt", {"halt-reason": "客诉激增"}, _guard_halts, "Only a rollout in gray can be halted."),
    (
        "rollback",
        {"rollback-reason": "支付失败率上升"},
        _rolled_back,
        "Only a release that has gone out can be rolled back.",
    ),
    ("scope", {"add": "MALL-1"}, _released, "This release is closed: what it shipped stays."),
]


@pytest.mark.parametrize(("name", "data", "meanwhile", "reason"), STALE, ids=[s[0] for s in STALE])
def test_a_refused_action_from_a_page_left_open_says_why(
    client, release, owner, name, data, meanwhile, reason
):
    in_gray(release, owner)
    client.force_login(owner)
    assert client.get(url("detail", "2.3.0")).status_code == 200
    meanwhile(release, owner)
    before = written()

    response = client.post(url(name, "2.3.0"), data)

    assert response.status_code == 400
    assert written() == before
    assert zh(reason) in page(response)


def test_a_critical_path_release_cannot_start_until_its_checklist_is_done(
    client, project, owner, member
):
    two_stage_release(project, owner, critical_paths=["checkout_payment"])
    client.force_login(member)
    html = page(client.get(url("detail", "2.3.0")))
    assert find_all(html, data_gate="no-go")
    before = written()

    refused = client.post(url("advance", "2.3.0"), {"step": advance_step(html)})

    assert refused.status_code == 400
    error = text(one(page(refused), data_rollout_error=None))
    assert zh("the go/no-go checklist is incomplete") in error
    assert written() == before

    client.force_login(owner)
    for check in ALL_CHECKS:
        assert client.post(url("check", "2.3.0"), {"check": check, "done": "on"}).status_code == 302
    client.force_login(member)
    html = page(client.get(url("detail", "2.3.0")))
    assert find_all(html, data_gate="go")
    assert client.post(url("advance", "2.3.0"), {"step": "start:1"}).status_code == 302
    assert Release.objects.get().state == ReleaseState.GRAY


def test_ticking_and_unticking_a_checklist_item(client, release, owner):
    client.force_login(owner)

    ticked = client.post(url("check", "2.3.0"), {"check": "monitoring", "done": "on"})

    assert ticked.status_code == 302
    assert ticked["Location"] == url("detail", "2.3.0") + "#go-no-go"
    html = page(client.get(url("detail", "2.3.0")))
    row = one(html, "li", data_check="monitoring")
    assert attr(row, "data-done") == "1"
    assert "王芳" in text(row)
    assert attr(one(html, "li", data_check="load_test"), "data-done") == "0"

    unticked = client.post(url("check", "2.3.0"), {"check": "monitoring"})

    assert unticked.status_code == 302
    html = page(client.get(url("detail", "2.3.0")))
    assert attr(one(html, "li", data_check="monitoring"), "data-done") == "0"
    release.refresh_from_db()
    assert release.checklist == {}


def test_an_unknown_checklist_item_is_refused(client, release, owner):
    client.force_login(owner)
    before = written()

    response = client.post(url("check", "2.3.0"), {"check": "coffee", "done": "on"})

    assert response.status_code == 400
    panel = one(page(response), "section", id="go-no-go")
    assert find_all(str(panel), "div", role="alert")
    assert written() == before


@pytest.fixture
def blocking_risk(project, owner, card, release):
    """A critical risk (4 × 5) linked to MALL-1, which 2.3.0 ships."""
    risk = make_risk(project, actor=owner, title="支付回调丢失", probability=4, impact=5)
    risk_services.risk_link(risk=risk, actor=owner, target=card)
    return risk


def test_accepting_the_open_risks_needs_a_real_reason(client, release, blocking_risk, owner):
    client.force_login(owner)
    html = page(client.get(url("detail", "2.3.0")))
    assert find_all(html, data_blocking_risks=None)
    before = written()

    short = client.post(url("accept_risks", "2.3.0"), {"accept-reason": "先上再说"})

    assert short.status_code == 400
    box = one(page(short), "details", data_accept_box=None)
    assert has(box, "open")
    assert field_errors(str(box), "reason") == [
        zh("Say why the open risks are acceptable (at least 10 characters).")
    ]
    assert written() == before

    reason = "回调有对账任务兜底，灰度 1% 可控"
    accepted = client.post(url("accept_risks", "2.3.0"), {"accept-reason": reason})

    assert accepted.status_code == 302
    html = page(client.get(url("detail", "2.3.0")))
    assert reason in text(one(html, "p", data_risks_accepted=None))
    assert "王芳" in text(one(html, "p", data_risks_accepted=None))


def test_a_critical_path_release_with_an_open_risk_starts_once_it_is_accepted(
    client, project, owner, member, card, everyone
):
    release = two_stage_release(project, owner, critical_paths=["inventory"])
    services.release_scope_set(release=release, actor=owner, work_items=[card])
    risk = make_risk(project, actor=owner, title="库存超卖", probability=5, impact=5)
    risk_services.risk_link(risk=risk, actor=owner, target=card)
    for check in ALL_CHECKS:
        services.release_check(release=release, actor=owner, check=check, done=True)
    client.force_login(member)

    refused = client.post(url("advance", "2.3.0"), {"step": "start:1"})

    assert refused.status_code == 400
    assert f"RISK-{risk.number}" in text(one(page(refused), data_rollout_error=None))
    client.force_login(owner)
    client.post(url("accept_risks", "2.3.0"), {"accept-reason": "已有降级开关，风险可控"})
    client.force_login(member)
    assert client.post(url("advance", "2.3.0"), {"step": "start:1"}).status_code == 302


# ---------------------------------------------------------------- the plan and guards


def test_owner_adds_and_removes_plan_rows(client, release, owner):
    client.force_login(owner)
    html = page(client.get(url("detail", "2.3.0")))
    assert len(find_all(html, "tr", data_plan_row=None)) == 2

    added = client.post(
        url("plan", "2.3.0"), plan_post([(10, 5, False), (50, 15, False), (100, 0, False)], 2)
    )

    assert added.status_code == 302
    assert added["Location"] == url("detail", "2.3.0") + "#rollout"
    assert stages_of(release) == [(10, 5, "pending"), (50, 15, "pending"), (100, 0, "pending")]
    html = page(client.get(url("detail", "2.3.0")))
    assert len(find_all(html, "tr", data_plan_row=None)) == 3
    assert stage_rows(html) == [("1", "pending"), ("2", "pending"), ("3", "pending")]

    removed = client.post(
        url("plan", "2.3.0"), plan_post([(10, 5, False), (50, 15, True), (100, 0, False)], 3)
    )

    assert removed.status_code == 302
    assert stages_of(release) == [(10, 5, "pending"), (100, 0, "pending")]


@pytest.mark.parametrize(
    ("rows", "where"),
    [
        ([(50, 0, False), (20, 0, False), (100, 0, False)], "non_form"),  # not climbing
        ([(10, 0, False), (50, 0, False)], "non_form"),  # not ending at 100
        ([(10, 0, True), (100, 0, True)], "non_form"),  # no stage left
        ([(p, 0, False) for p in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100)], "non_form"),
        ([(0, 0, False), (100, 0, False)], "row"),
        ([(10, 0, False), (101, 0, False)], "row"),
        ([(10, 7 * 24 * 60 + 1, False), (100, 0, False)], "row"),
    ],
)
def test_a_bad_plan_shows_its_errors_and_changes_nothing(client, release, owner, rows, where):
    client.force_login(owner)
    before = written()

    response = client.post(url("plan", "2.3.0"), plan_post(rows, 2))

    assert response.status_code == 400
    html = page(response)
    box = one(html, "details", data_plan_box=None)
    assert has(box, "open")
    if where == "non_form":
        assert text(one(str(box), data_plan_errors=None))
    else:
        assert find_all(str(box), "div", role="alert", **{"class": "errorlist"})
    assert written() == before


def test_the_plan_cannot_change_once_the_rollout_started(client, release, owner):
    in_gray(release, owner)
    client.force_login(owner)
    html = page(client.get(url("detail", "2.3.0")))
    assert find_all(html, "form", id="plan-form") == []
    before = written()

    response = client.post(url("plan", "2.3.0"), plan_post([(50, 0, False), (100, 0, False)], 2))

    assert response.status_code == 400
    assert zh("The rollout has started: its plan can no longer change.") in text(
        one(page(response), data_plan_errors=None)
    )
    assert written() == before


def test_a_metric_guard_appears_on_its_stage(client, release, owner):
    client.force_login(owner)
    first = release.stages.get(position=1)

    response = client.post(
        url("guard", "2.3.0"),
        {"stage": str(first.pk), "metric": "error_rate", "operator": "lte", "threshold": "0.5"},
    )

    assert response.status_code == 302
    guard = StageGuard.objects.get()
    assert (guard.stage_id, guard.metric, guard.operator) == (first.pk, "error_rate", "lte")
    html = page(client.get(url("detail", "2.3.0")))
    shown = one(html, "li", data_guard=str(guard.pk))
    assert "error_rate" in text(shown)
    assert "0.5" in text(shown)
    assert "0.5000" not in text(shown)
    assert attr(shown, "data-holds") == "unknown"


def test_a_kpi_guard_of_the_project_is_accepted(client, release, project, owner):
    conversion = KPIFactory(project=project, code="conversion_rate", name="下单转化率")
    client.force_login(owner)

    response = client.post(
        url("guard", "2.3.0"),
        {
            "stage": str(release.stages.get(position=1).pk),
            "kpi": str(conversion.pk),
            "operator": "gte",
            "threshold": "95",
            "of_baseline": "on",
        },
    )

    assert response.status_code == 302
    html = page(client.get(url("detail", "2.3.0")))
    guard = StageGuard.objects.get()
    assert "下单转化率" in text(one(html, "li", data_guard=str(guard.pk)))


@pytest.mark.parametrize(
    ("field", "guarding"),
    [
        ("kpi", {"kpi": "PAY"}),  # a KPI of another project
        ("kpi", {}),  # neither a KPI nor a metric
        ("kpi", {"kpi": "MALL", "metric": "error_rate"}),  # both
        ("metric", {"metric": "Error Rate"}),
        ("threshold", {"metric": "error_rate", "threshold": "1e20"}),
    ],
)
def test_a_bad_guard_is_a_field_error(client, release, project, owner, field, guarding):
    kpis = {
        "PAY": KPIFactory(project=make_project(owner=owner, key="PAY"), code="gmv"),
        "MALL": KPIFactory(project=project, code="conversion"),
    }
    if "kpi" in guarding:
        guarding = {**guarding, "kpi": str(kpis[guarding["kpi"]].pk)}
    data = {"stage": str(release.stages.get(position=1).pk), "operator": "lte", "threshold": "1"}
    client.force_login(owner)
    before = written()

    response = client.post(url("guard", "2.3.0"), {**data, **guarding})

    assert response.status_code == 400
    box = one(page(response), "details", data_guard_box=None)
    assert has(box, "open")
    assert field_errors(str(box), field)
    assert written() == before


# ---------------------------------------------------------------- what it ships


@pytest.fixture
def backlog(project, owner):
    """MALL-R1 (a requirement) and MALL-1…MALL-3 (work items)."""
    make_requirement(project, owner, title="会员积分抵扣")
    for title in ("积分接口", "积分页面", "积分对账"):
        make_item(project, owner, title)


def test_owner_adds_work_by_keys_and_takes_one_out(client, project, owner, everyone, backlog):
    two_stage_release(project, owner)
    client.force_login(owner)
    html = page(client.get(url("detail", "2.3.0")))
    suggested = [attr(o, "value") for o in find_all(html, "option") if attr(o, "value")]
    assert {"MALL-R1", "MALL-3"} <= set(suggested)

    added = client.post(url("scope", "2.3.0"), {"add": "MALL-R1 MALL-3"})

    assert added.status_code == 302
    assert added["Location"] == url("detail", "2.3.0") + "#scope"
    html = page(client.get(url("detail", "2.3.0")))
    assert scope_keys(html) == ["MALL-R1", "MALL-3"]
    assert "MALL-3" in one(html, "textarea", id="release-notes").children[0]

    removed = client.post(url("scope", "2.3.0"), {"remove": "MALL-3"})

    assert removed.status_code == 302
    assert scope_keys(page(client.get(url("detail", "2.3.0")))) == ["MALL-R1"]


def test_an_unknown_key_is_named_and_nothing_is_added(client, project, owner, everyone, backlog):
    two_stage_release(project, owner)
    client.force_login(owner)
    before = written()

    response = client.post(url("scope", "2.3.0"), {"add": "MALL-3, MALL-99 PAY-1"})

    assert response.status_code == 400
    (error,) = find_all(page(response), "div", id="scope-add-error")
    assert "MALL-99" in text(error)
    assert "PAY-1" in text(error)
    assert "MALL-3" not in text(error)
    # What the person typed stays in the field.
    assert attr(one(page(response), "input", id="scope-add"), "value") == "MALL-3, MALL-99 PAY-1"
    assert written() == before


def test_an_empty_add_is_a_field_error(client, release, owner):
    client.force_login(owner)
    before = written()

    response = client.post(url("scope", "2.3.0"), {"add": "  "})

    assert response.status_code == 400
    assert find_all(page(response), "div", id="scope-add-error")
    assert written() == before


# ---------------------------------------------------------------- delete, cancel, hotfix


def test_a_planned_release_is_deleted(client, release, owner):
    client.force_login(owner)

    response = client.post(url("delete", "2.3.0"))

    assert response.status_code == 302
    assert response["Location"] == url("list")
    assert not Release.objects.exists()
    assert not RolloutStage.objects.exists()
    html = page(client.get(url("list")))
    assert find_all(html, "tr", data_release="2.3.0") == []


def test_a_release_in_gray_is_not_deleted_and_says_why(client, release, owner):
    in_gray(release, owner)
    client.force_login(owner)
    before = written()

    response = client.post(url("delete", "2.3.0"))

    assert response.status_code == 302
    assert response["Location"] == url("detail", "2.3.0")
    assert written() == before
    html = page(client.get(response["Location"]))
    assert release_state(html) == "gray"
    errors = [text(li) for li in find_all(html, "li", **{"class": "error"})]
    assert errors == [zh("Only a planned release can be deleted; cancel or roll it back instead.")]


def test_owner_cancels_a_planned_release(client, release, owner):
    client.force_login(owner)

    response = client.post(url("cancel", "2.3.0"))

    assert response.status_code == 302
    html = page(client.get(url("detail", "2.3.0")))
    assert release_state(html) == "cancelled"
    assert advance_step(html) is None
    assert find_all(html, "button", data_cancel_release=None) == []
    closed = page(client.get(url("list") + "?show=closed"))
    assert attr(one(closed, "tr", data_release="2.3.0"), "data-state") == "cancelled"
    assert find_all(page(client.get(url("list"))), "tr", data_release="2.3.0") == []


def test_a_release_in_gray_cannot_be_cancelled(client, release, owner):
    in_gray(release, owner)
    client.force_login(owner)
    before = written()

    response = client.post(url("cancel", "2.3.0"))

    assert response.status_code == 400
    assert text(one(page(response), data_rollout_error=None)) == zh(
        "Only a release that has not gone out can be cancelled."
    )
    assert written() == before


def test_owner_approves_a_hotfix(client, release, owner):
    client.force_login(owner)
    html = page(client.get(url("detail", "2.3.0")))
    assert find_all(html, "button", data_approve_hotfix=None)

    response = client.post(url("hotfix", "2.3.0"))

    assert response.status_code == 302
    html = page(client.get(url("detail", "2.3.0")))
    assert "王芳" in text(one(html, "span", data_hotfix=None))
    assert find_all(html, "button", data_approve_hotfix=None) == []
    release.refresh_from_db()
    assert release.hotfix_approved_by == owner


def test_only_a_hotfix_can_be_approved(client, project, owner):
    two_stage_release(project, owner)
    client.force_login(owner)
    before = written()

    response = client.post(url("hotfix", "2.3.0"))

    assert response.status_code == 400
    assert find_all(page(response), data_rollout_error=None)
    assert written() == before


def test_in_a_freeze_only_an_approved_hotfix_starts(client, project, owner, member, release):
    services.freeze_window_create(
        actor=owner,
        name="双11 大促封网",
        starts_at=START - timedelta(days=1),
        ends_at=START + timedelta(days=3),
    )
    two_stage_release(project, owner, "2.4.0")
    client.force_login(member)

    with clock.frozen_at(START):
        html = page(client.get(url("detail", "2.4.0")))
        normal = client.post(url("advance", "2.4.0"), {"step": "start:1"})
        unapproved = client.post(url("advance", "2.3.0"), {"step": "start:1"})
        services.release_hotfix_approve(release=release, actor=owner)
        approved = client.post(url("advance", "2.3.0"), {"step": "start:1"})

    assert "双11 大促封网" in text(one(html, data_frozen=None))
    assert normal.status_code == 400
    assert "双11 大促封网" in text(one(page(normal), data_rollout_error=None))
    assert unapproved.status_code == 400
    assert approved.status_code == 302
    assert Release.objects.get(version="2.3.0").state == ReleaseState.GRAY
    assert Release.objects.get(version="2.4.0").state == ReleaseState.PLANNED


# ---------------------------------------------------------------- notes and a halted page


@pytest.mark.parametrize(
    ("language", "title"), [("en", "# Release 2.3.0"), ("zh-hans", None), ("", None)]
)
def test_the_notes_download_as_markdown(client, release, viewer, language, title):
    client.force_login(viewer)

    response = client.get(url("notes", "2.3.0"), {"language": language} if language else {})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    filename = f"MALL-2.3.0-{language or 'zh-hans'}.md"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    body = response.content.decode()
    expected = title or "# " + zh("Release %(version)s", version="2.3.0")
    assert body.splitlines()[0] == expected
    assert "MALL-1 支付重构" in body


def test_the_notes_in_another_language_are_404(client, release, viewer):
    client.force_login(viewer)

    assert client.get(url("notes", "2.3.0"), {"language": "fr"}).status_code == 404


def test_the_notes_list_each_requirement_with_the_work_that_delivers_it(
    client, project, owner, viewer, everyone
):
    release = two_stage_release(project, owner)
    requirement = make_requirement(project, owner, title="会员积分抵扣")
    cards = [make_item(project, owner, title) for title in ("积分接口", "积分页面", "积分对账")]
    for delivering in cards[:2]:
        work_item_link(requirement=requirement, work_item=delivering)
    services.release_scope_set(
        release=release, actor=owner, work_items=cards, requirements=[requirement]
    )
    client.force_login(viewer)

    body = client.get(url("notes", "2.3.0"), {"language": "en"}).content.decode()

    assert body == (
        "# Release 2.3.0\n\n"
        "## Requirements\n\n"
        "- **MALL-R1** 会员积分抵扣\n"
        "  - MALL-1 积分接口\n"
        "  - MALL-2 积分页面\n\n"
        "## Features\n\n"
        "- MALL-3 积分对账\n"
    )
    shown = page(client.get(url("detail", "2.3.0"), {"notes": "en"}))
    notes = one(shown, "textarea", id="release-notes").children[0]
    assert notes.split() == body.split()  # the page's textarea holds the same Markdown


def test_the_downloaded_notes_are_the_apis_notes(client, project, owner, viewer):
    release = two_stage_release(project, owner)
    cards = bulk_items(project, 12)  # every third one is done
    services.release_scope_set(release=release, actor=owner, work_items=cards)
    client.force_login(viewer)

    download = client.get(url("notes", "2.3.0"), {"language": "en"}).content.decode()
    api = client.get(
        reverse("api:release-notes", kwargs={"pk": release.pk}), {"language": "en"}
    ).json()["markdown"]

    assert download == api


def test_the_page_shows_why_a_guard_halted_the_rollout(client, release, owner, member):
    services.stage_guard_add(
        stage=release.stages.get(position=1),
        actor=owner,
        metric="error_rate",
        operator="lte",
        threshold="0.5",
    )
    in_gray(release, owner)
    services.stage_metric_record(release=release, metric="error_rate", value="1.2")
    client.force_login(member)

    html = page(client.get(url("detail", "2.3.0")))

    assert release_state(html) == "halted"
    banner = text(one(html, data_stop_reason=None))
    assert "error_rate" in banner
    assert "1.2" in banner
    assert "0.5" in banner
    reading = one(html, "li", data_guard=str(StageGuard.objects.get().pk))
    assert attr(reading, "data-holds") == "no"
    assert advance_step(html) == "start:1"
    listed = page(client.get(url("list")))
    assert attr(one(listed, "tr", data_release="2.3.0"), "data-state") == "halted"
    assert "error_rate" in listed


# ---------------------------------------------------------------- the card


@pytest.fixture
def two_open(release, project, owner):
    """2.3.0 (shipping MALL-1) and 2.4.0, both open."""
    return release, two_stage_release(project, owner, "2.4.0", name="会员日")


def card_badges(html: str) -> dict[str, str]:
    """Card key → the release version its badge shows."""
    return {
        attr(card, "data-key"): attr(badge, "data-card-release")
        for card in find_all(html, "article", data_key=None)
        for badge in find_all(str(card), data_card_release=None)
    }


def test_the_board_shows_a_cards_release(client, release, project, owner, viewer):
    make_item(project, owner, "不在版本里的卡片")
    client.force_login(viewer)

    html = page(client.get(reverse("projects:board", args=["MALL"])))

    assert card_badges(html) == {"MALL-1": "2.3.0"}


def test_the_card_panel_shows_the_release_section(client, two_open, owner, viewer):
    client.force_login(owner)

    html = page(client.get(reverse("projects:item", args=["MALL", 1]), **HTMX))

    section = one(html, "div", data_item_release=None)
    assert [attr(a, "data-release-link") for a in find_all(str(section), "a")] == ["2.3.0"]
    options = find_all(str(section), "option")
    assert [attr(o, "value") for o in options] == ["", "2.3.0", "2.4.0"]
    assert [attr(o, "value") for o in options if has(o, "selected")] == ["2.3.0"]

    client.force_login(viewer)
    html = page(client.get(reverse("projects:item", args=["MALL", 1]), **HTMX))
    section = one(html, "div", data_item_release=None)
    assert find_all(str(section), "a", data_release_link="2.3.0")
    assert find_all(str(section), "select") == []


def test_owner_moves_a_card_into_another_release(client, two_open, card, owner):
    old, new = two_open
    client.force_login(owner)

    response = client.post(url("item_release", 1), {"release": "2.4.0"}, **HTMX)

    assert response.status_code == 200
    trigger = json.loads(response["HX-Trigger"])
    assert trigger == {"card-changed": {"item": card.pk}}
    html = page(response)
    assert "<html" not in html
    assert [attr(a, "data-release-link") for a in find_all(html, "a")] == ["2.4.0"]
    assert list(new.work_items.all()) == [card]
    assert not old.work_items.exists()
    # The board redraws the card (board.js on card-changed): it shows its new release.
    redrawn = client.get(
        reverse("projects:item", args=["MALL", 1]), HTTP_HX_TARGET=f"item-{card.pk}", **HTMX
    )
    assert card_badges(page(redrawn)) == {"MALL-1": "2.4.0"}


def test_a_card_leaves_every_open_release_but_a_closed_one_keeps_it(
    client, two_open, card, project, owner
):
    old, _new = two_open
    shipped = two_stage_release(project, owner, "2.2.0")
    services.release_scope_set(release=shipped, actor=owner, work_items=[card])
    services.release_cancel(release=shipped, actor=owner)
    client.force_login(owner)

    response = client.post(url("item_release", 1), {"release": ""}, **HTMX)

    assert response.status_code == 200
    assert not old.work_items.exists()
    assert list(shipped.work_items.all()) == [card]
    assert [attr(a, "data-release-link") for a in find_all(page(response), "a")] == ["2.2.0"]


@pytest.mark.parametrize("version", ["9.9.9", "2.2.0"])
def test_a_card_cannot_go_into_an_unknown_or_closed_release(
    client, two_open, project, owner, version
):
    services.release_cancel(release=two_stage_release(project, owner, "2.2.0"), actor=owner)
    client.force_login(owner)
    before = written()

    response = client.post(url("item_release", 1), {"release": version}, **HTMX)

    assert response.status_code == 400
    assert "HX-Trigger" not in response
    errors = find_all(page(response), "div", role="alert")
    assert [text(e) for e in errors] == [zh("Choose one of the project's open releases.")]
    assert written() == before


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_only_owners_choose_a_cards_release(request, client, two_open, who):
    client.force_login(request.getfixturevalue(who))
    before = written()

    response = client.post(url("item_release", 1), {"release": "2.4.0"}, **HTMX)

    assert response.status_code == 403
    assert written() == before


# ---------------------------------------------------------------- query counts

DETAIL_BUDGET = 20  # measured 17: session, user, project, release, stages, guards, …
LIST_BUDGET = 10  # measured 8
BOARD_SLACK = 0


def _release_shipping(project, owner, version: str, items: int, requirements: int) -> Release:
    release = two_stage_release(project, owner, version)
    cards = bulk_items(project, items, assignees=[owner])
    reqs = [make_requirement(project, owner) for _ in range(requirements)]
    services.release_scope_set(release=release, actor=owner, work_items=cards, requirements=reqs)
    services.stage_guard_add(
        stage=release.stages.get(position=1),
        actor=owner,
        metric="error_rate",
        operator="lte",
        threshold="0.5",
    )
    for check in ALL_CHECKS[:2]:
        services.release_check(release=release, actor=owner, check=check, done=True)
    return release


def _queries(client, target: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(target)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(("items", "requirements"), [(5, 2), (60, 20)])
def test_the_release_page_costs_the_same_whatever_it_ships(
    client, project, owner, django_assert_max_num_queries, items, requirements
):
    _release_shipping(project, owner, "2.3.0", items, requirements)
    client.force_login(owner)
    client.get(url("detail", "2.3.0"))  # warm the session and caches

    with django_assert_max_num_queries(DETAIL_BUDGET):
        response = client.get(url("detail", "2.3.0"))

    assert len(scope_keys(page(response))) == items + requirements


def test_the_release_page_does_not_grow_with_what_it_ships(client, project, owner):
    small = _release_shipping(project, owner, "2.3.0", 5, 2)
    big = _release_shipping(project, owner, "2.4.0", 60, 20)
    client.force_login(owner)
    client.get(url("detail", small.version))

    assert _queries(client, url("detail", big.version)) == _queries(
        client, url("detail", small.version)
    )


def test_the_notes_download_does_not_grow_with_what_it_ships(client, project, owner):
    small = _release_shipping(project, owner, "2.3.0", 5, 2)
    big = _release_shipping(project, owner, "2.4.0", 60, 20)
    client.force_login(owner)
    client.get(url("notes", small.version))

    assert _queries(client, url("notes", big.version)) == _queries(
        client, url("notes", small.version)
    )


def test_the_release_page_does_not_grow_with_its_risks(client, release, project, owner, card):
    client.force_login(owner)

    def risks(n: int) -> None:
        for i in range(n):
            risk = make_risk(project, actor=owner, title=f"风险 {i}", probability=4, impact=5)
            risk_services.risk_link(risk=risk, actor=owner, target=card)

    risks(2)
    client.get(url("detail", "2.3.0"))
    few = _queries(client, url("detail", "2.3.0"))
    risks(10)
    many = _queries(client, url("detail", "2.3.0"))

    assert len(find_all(page(client.get(url("detail", "2.3.0"))), "li", data_risk=None)) == 12
    assert many == few


@pytest.mark.parametrize(("releases", "items"), [(3, 5), (20, 60)])
def test_the_release_list_costs_the_same_whatever_its_size(
    client, project, owner, django_assert_max_num_queries, releases, items
):
    for n in range(releases):
        release = _release_shipping(project, owner, f"2.{n}.0", items if n == 0 else 1, 1)
        if n % 3 == 1:
            in_gray(release, owner)
    done = Release.objects.get(version="2.0.0").work_items.filter(done_at__isnull=False).count()
    client.force_login(owner)
    client.get(url("list"))

    with django_assert_max_num_queries(LIST_BUDGET):
        response = client.get(url("list"))

    assert len(find_all(page(response), "tr", data_release=None)) == releases
    first = one(page(response), "tr", data_release="2.0.0")
    assert attr(one(str(first), data_progress=None), "data-progress") == f"{done}/{items}"


def test_the_release_list_does_not_grow_with_releases(client, project, owner):
    for n in range(3):
        _release_shipping(project, owner, f"2.{n}.0", 5, 1)
    client.force_login(owner)
    client.get(url("list"))
    few = _queries(client, url("list"))
    for n in range(3, 20):
        in_gray(_release_shipping(project, owner, f"2.{n}.0", 3, 1), owner)

    assert _queries(client, url("list") + "?show=open") == few


def test_the_board_costs_the_same_when_its_cards_are_in_releases(client, project, owner):
    cards = bulk_items(project, 30, assignees=[owner])
    client.force_login(owner)
    board = reverse("projects:board", args=["MALL"])
    client.get(board)
    plain = _queries(client, board)
    for n, chunk in enumerate((cards[:10], cards[10:20], cards[20:25])):
        release = two_stage_release(project, owner, f"3.{n}.0")
        services.release_scope_set(release=release, actor=owner, work_items=chunk)

    in_releases = _queries(client, board)

    assert in_releases <= plain + BOARD_SLACK
    assert len(card_badges(page(client.get(board)))) == 25


# ---------------------------------------------------------------- both languages


@pytest.mark.parametrize("how", ["cookie", "profile"])
def test_the_release_page_in_english(client, release, owner, how):
    in_gray(release, owner)
    if how == "cookie":
        owner.language = ""
        client.cookies["django_language"] = "en"
    else:
        owner.language = "en"
    owner.save(update_fields=["language"])
    client.force_login(owner)

    with translation.override("en"):
        html = page(client.get(url("detail", "2.3.0")))
        expected_state = str(ReleaseState.GRAY.label)

    assert attr(one(html, "html"), "lang") == "en"
    assert text(one(html, "span", data_release_state=None)) == expected_state == "In gray"
    assert text(one(html, "li", data_check="load_test")).startswith("☐ Load test")
    assert one(html, "textarea", id="release-notes").children[0].startswith("# Release 2.3.0")
    assert attr(one(html, "a", data_notes_download=None), "href").endswith("?language=en")


def test_the_release_page_in_chinese_by_default(client, release, owner):
    in_gray(release, owner)
    client.force_login(owner)

    html = page(client.get(url("detail", "2.3.0")))

    assert attr(one(html, "html"), "lang") == "zh-hans"
    assert text(one(html, "span", data_release_state=None)) == zh("In gray") == "灰度中"
    assert attr(one(html, "a", data_notes_download=None), "href").endswith("?language=zh-hans")
    # The notes can be read in English on the Chinese page.
    english = page(client.get(url("detail", "2.3.0"), {"notes": "en"}))
    assert one(english, "textarea", id="release-notes").children[0].startswith("# Release 2.3.0")


# ---------------------------------------------------------------- the backlog's bulk bar


def test_owners_add_the_backlogs_selection_to_a_release(client, project, owner, release):
    first, second = make_requirement(project), make_requirement(project)
    client.force_login(owner)

    # The bulk bar offers the project's open releases to its owners
    backlog = page(client.get(reverse("requirements:backlog", args=["MALL"])))
    choices = one(backlog, "span", data_bulk_release=None)
    assert "2.3.0" in text(choices)

    response = client.post(
        url("backlog_add"), {"release": "2.3.0", "ids": [first.pk, second.pk]}, **HTMX
    )

    assert response.status_code == 200
    assert attr(one(page(response), "span"), "data-bulk-result") == "ok"
    assert set(release.requirements.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert {first.key, second.key} <= set(scope_keys(page(client.get(url("detail", "2.3.0")))))


@pytest.mark.parametrize(
    "data",
    [
        {"release": "9.9.9"},  # no such release
        {"release": ""},  # none chosen
        {"release": "2.3.0", "ids": []},  # nothing selected
        {"release": "2.3.0", "ids": ["999999"]},  # not a requirement of this project
    ],
    ids=["unknown release", "no release", "no selection", "foreign id"],
)
def test_a_bad_backlog_addition_says_why_and_changes_nothing(client, project, owner, release, data):
    other = make_project(key="OTHR", owner=owner)
    foreign = make_requirement(other)
    mine = make_requirement(project)
    if data.get("ids") == ["999999"]:
        data = {**data, "ids": [mine.pk, foreign.pk]}
    else:
        data = {"ids": [mine.pk], **data}
    client.force_login(owner)
    before = written()

    response = client.post(url("backlog_add"), data, **HTMX)

    assert response.status_code == 400
    assert attr(one(page(response), "span"), "data-bulk-result") == "error"
    assert written() == before
    assert not release.requirements.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("outsider", 404), ("viewer", 403), ("member", 403), ("staff", 200)],
)
def test_only_owners_add_the_backlogs_selection(client, request, project, release, who, status):
    requirement = make_requirement(project)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    before = written()

    response = client.post(url("backlog_add"), {"release": "2.3.0", "ids": [requirement.pk]})

    assert response.status_code == status
    if status != 200:
        assert written() == before
    if who in ("viewer", "member"):
        # and their bulk bar does not offer it
        backlog = page(client.get(reverse("requirements:backlog", args=["MALL"])))
        assert not find_all(backlog, "span", data_bulk_release=None)
