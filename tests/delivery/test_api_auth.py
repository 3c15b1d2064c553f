"""Who may call which release and freeze-window endpoint (DESIGN §8, issue #15 "Roles"):
owners manage releases and freeze windows, members run the rollout (advance, halt, push
metrics), viewers read, outsiders get 404 and never 403 so ids don't leak, anonymous
callers are refused, staff act as owners. A refused call writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from delivery import services
from delivery.models import FreezeWindow, Release, RolloutStage, StageGuard
from portal import clock
from portal.models import Activity, Event
from tests.conftest import api_as

pytestmark = pytest.mark.django_db

WHO = ["owner", "member", "viewer", "outsider", "anonymous", "staff"]


def user_for(request, who):
    return None if who == "anonymous" else request.getfixturevalue(who)


def written() -> dict[str, object]:
    return {
        "releases": list(
            Release.objects.order_by("pk").values_list(
                "pk", "name", "state", "checklist", "hotfix_approved_by", "risks_accepted_reason"
            )
        ),
        "stages": list(RolloutStage.objects.order_by("pk").values_list("pk", "percent", "state")),
        "guards": StageGuard.objects.count(),
        "windows": FreezeWindow.objects.count(),
        "activity": Activity.objects.count(),
        "events": Event.objects.count(),
    }


@pytest.fixture
def everyone(owner, member, viewer, outsider, staff):
    """Every role exists before a test takes its snapshot."""


@pytest.fixture
def release(project, owner, everyone):
    return services.release_create(
        project=project,
        actor=owner,
        version="2.3.0",
        hotfix=True,
        stages=[{"percent": 10, "observe_minutes": 0}, {"percent": 100, "observe_minutes": 0}],
    )


def in_gray(release, owner):
    services.stage_guard_add(
        stage=release.stages.first(), actor=owner, metric="error_rate", operator="lte", threshold=1
    )
    return services.release_advance(release=release, actor=owner)


def url(name, release, **kwargs):
    return reverse(f"api:release-{name}", kwargs={"pk": release.pk, **kwargs})


def expect(ok: int, *, allowed: tuple[str, ...]) -> dict[str, int]:
    """The status per caller when `allowed` may (the others who see it: 403)."""
    seen = {"owner": 403, "member": 403, "viewer": 403, "staff": 403}
    return {
        **seen,
        **dict.fromkeys(allowed, ok),
        "outsider": 404,
        "anonymous": 401,
    }


READERS = expect(200, allowed=("owner", "member", "viewer", "staff"))
OWNERS = ("owner", "staff")
MEMBERS = ("owner", "member", "staff")


# ---------------------------------------------------------------- reads


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", ["detail", "stages", "notes"])
def test_reads_by_role(request, release, who, name):
    response = api_as(user_for(request, who)).get(url(name, release))

    assert response.status_code == READERS[who]


@pytest.mark.parametrize("who", WHO)
def test_guards_of_a_stage_read_by_role(request, release, who):
    stage = release.stages.first()

    response = api_as(user_for(request, who)).get(url("guards", release, stage_id=stage.pk))

    assert response.status_code == READERS[who]


@pytest.mark.parametrize("who", WHO)
def test_list_by_role(request, project, release, who):
    response = api_as(user_for(request, who)).get(reverse("api:release-list"))

    assert response.status_code == (401 if who == "anonymous" else 200)
    if response.status_code == 200:
        expected = [] if who == "outsider" else ["2.3.0"]
        assert [r["version"] for r in response.json()["results"]] == expected


@pytest.mark.parametrize("who", WHO)
def test_list_of_a_project_by_role(request, project, release, who):
    response = api_as(user_for(request, who)).get(
        reverse("api:release-list"), {"project": project.pk}
    )

    assert response.status_code == READERS[who]


def test_outsider_cannot_tell_existing_releases_from_missing_ones(release, outsider):
    existing = api_as(outsider).post(url("advance", release), {}, format="json")
    missing = api_as(outsider).post(
        reverse("api:release-advance", args=[987654]), {}, format="json"
    )

    assert (existing.status_code, existing.json()) == (missing.status_code, missing.json())


# ---------------------------------------------------------------- writes

# name: (HTTP method, body, success status, who may, prepare the release)
WRITES = {
    "partial_update": ("patch", {"name": "会员日"}, 200, OWNERS, None),
    "destroy": ("delete", None, 204, OWNERS, None),
    "plan": ("post", {"stages": [{"percent": 50}, {"percent": 100}]}, 200, OWNERS, None),
    "scope": ("post", {"work_items": []}, 200, OWNERS, None),
    "checklist": ("post", {"check": "monitoring", "done": True}, 200, OWNERS, None),
    "accept-risks": ("post", {"reason": "已有降级开关，风险可控"}, 200, OWNERS, None),
    "approve-hotfix": ("post", {}, 200, OWNERS, None),
    "cancel": ("post", {}, 200, OWNERS, None),
    "rollback": ("post", {"reason": "支付失败率上升"}, 200, OWNERS, in_gray),
    "advance": ("post", {"step": "start:1"}, 200, MEMBERS, None),
    "halt": ("post", {"reason": "客诉激增"}, 200, MEMBERS, in_gray),
    "metrics": ("post", {"metric": "error_rate", "value": 0.2}, 200, MEMBERS, in_gray),
}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", list(WRITES))
def test_writes_by_role(request, release, owner, who, name):
    method, body, ok, allowed, prepare = WRITES[name]
    if prepare is not None:
        release = prepare(release, owner)
    before = written()
    target = url("detail" if name in ("partial_update", "destroy") else name, release)

    response = getattr(api_as(user_for(request, who)), method)(target, body, format="json")

    expected = expect(ok, allowed=allowed)[who]
    assert response.status_code == expected, response.content
    if expected != ok:
        assert written() == before


@pytest.mark.parametrize("who", WHO)
def test_guard_add_by_role(request, release, who):
    stage = release.stages.first()
    before = written()

    response = api_as(user_for(request, who)).post(
        url("guards", release, stage_id=stage.pk),
        {"metric": "error_rate", "operator": "lte", "threshold": "0.5"},
        format="json",
    )

    expected = expect(201, allowed=OWNERS)[who]
    assert response.status_code == expected
    if expected != 201:
        assert written() == before


@pytest.mark.parametrize("who", WHO)
def test_create_by_role(request, project, everyone, who):
    before = written()

    response = api_as(user_for(request, who)).post(
        reverse("api:release-list"), {"project": project.pk, "version": "3.0.0"}, format="json"
    )

    expected = expect(201, allowed=OWNERS)[who]
    assert response.status_code == expected
    if expected != 201:
        assert written() == before


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_a_refused_caller_gets_403_before_the_body_is_validated(request, release, who):
    response = api_as(user_for(request, who)).post(
        url("plan", release), {"stages": "nonsense"}, format="json"
    )

    assert response.status_code == 403


def test_token_auth_for_the_monitoring_system(release, owner, member):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    in_gray(release, owner)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=member).key}")

    response = client.post(
        url("metrics", release), {"metric": "error_rate", "value": 3}, format="json"
    )

    assert (response.status_code, response.json()["state"]) == (200, "halted")


# ---------------------------------------------------------------- freeze windows


def window_body(project=None) -> dict[str, object]:
    start = clock.now() + timedelta(days=10)
    return {
        "project": project.pk if project is not None else None,
        "name": "双11 大促封网",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=2)).isoformat(),
    }


@pytest.fixture
def windows(project, owner, staff, everyone):
    start = clock.now() + timedelta(days=10)
    own = services.freeze_window_create(
        actor=owner, project=project, name="618", starts_at=start, ends_at=start + timedelta(1)
    )
    site = services.freeze_window_create(
        actor=staff, name="双11", starts_at=start, ends_at=start + timedelta(2)
    )
    return own, site


def window_url(window):
    return reverse("api:freeze-window-detail", args=[window.pk])


@pytest.mark.parametrize("who", WHO)
def test_freeze_windows_read_by_role(request, windows, who):
    own, site = windows
    api = api_as(user_for(request, who))

    listed = api.get(reverse("api:freeze-window-list"))
    mine = api.get(window_url(own))
    sitewide = api.get(window_url(site))

    if who == "anonymous":
        assert (listed.status_code, mine.status_code, sitewide.status_code) == (401, 401, 401)
        return
    names = [w["name"] for w in listed.json()["results"]]
    assert names == (["双11"] if who == "outsider" else ["618", "双11"])
    assert mine.status_code == READERS[who]
    assert sitewide.status_code == 200


@pytest.mark.parametrize("who", WHO)
def test_project_freeze_window_create_by_role(request, project, everyone, who):
    before = written()

    response = api_as(user_for(request, who)).post(
        reverse("api:freeze-window-list"), window_body(project), format="json"
    )

    expected = expect(201, allowed=OWNERS)[who]
    assert response.status_code == expected, response.content
    if expected != 201:
        assert written() == before


@pytest.mark.parametrize("who", WHO)
def test_site_wide_freeze_window_create_by_role(request, project, everyone, who):
    before = written()

    response = api_as(user_for(request, who)).post(
        reverse("api:freeze-window-list"), window_body(), format="json"
    )

    expected = {"staff": 201, "anonymous": 401}.get(who, 403)
    assert response.status_code == expected, response.content
    if expected != 201:
        assert written() == before


@pytest.mark.parametrize("who", WHO)
def test_freeze_window_delete_by_role(request, windows, who):
    own, site = windows
    api = api_as(user_for(request, who))
    before = written()

    mine = api.delete(window_url(own))
    sitewide = api.delete(window_url(site))

    assert mine.status_code == expect(204, allowed=OWNERS)[who]
    assert sitewide.status_code == {"staff": 204, "anonymous": 401}.get(who, 403)
    if who not in OWNERS:
        assert written() == before


def test_a_member_is_refused_a_freeze_window_before_its_body_is_validated(project, member):
    response = api_as(member).post(
        reverse("api:freeze-window-list"), {"project": project.pk}, format="json"
    )

    assert response.status_code == 403
