"""Who may call which requirements endpoint (DESIGN §5, §7): members write, viewers read
(and answer the Kano survey for themselves), owners delete, outsiders get 404 and never
403 so ids don't leak, anonymous callers are refused. A refused call writes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal.models import Activity, Event
from projects.services import project_update
from requirements import services
from requirements.models import KanoResponse, Requirement, RequirementComment, RequirementKPI
from tests.conftest import api_as
from tests.portal.factories import UserFactory
from tests.projects.factories import add_member, make_project
from tests.requirements.factories import make_requirement

pytestmark = pytest.mark.django_db


def list_url() -> str:
    return reverse("api:requirement-list")


def detail_url(requirement) -> str:
    return reverse("api:requirement-detail", args=[requirement.pk])


def kano_url(requirement) -> str:
    return reverse("api:requirement-kano-responses", args=[requirement.pk])


def comments_url(requirement) -> str:
    return reverse("api:requirement-comments", args=[requirement.pk])


def reorder_url() -> str:
    return reverse("api:requirement-reorder")


def bulk_url() -> str:
    return reverse("api:requirement-bulk")


def user_for(request, who):
    return None if who == "anonymous" else request.getfixturevalue(who)


def written() -> dict[str, object]:
    return {
        "requirements": list(
            Requirement.objects.order_by("pk").values_list(
                "pk", "project_id", "title", "status", "moscow", "priority", "rank"
            )
        ),
        "kpi_links": RequirementKPI.objects.count(),
        "answers": list(
            KanoResponse.objects.order_by("pk").values_list(
                "respondent_id", "respondent_name", "functional", "dysfunctional"
            )
        ),
        "comments": RequirementComment.objects.count(),
        "activity": Activity.objects.count(),
        "events": Event.objects.count(),
    }


@pytest.fixture
def everyone(owner, member, viewer, outsider, staff):
    """Every role exists before a test takes its snapshot."""


@pytest.fixture
def requirement(project, everyone):
    """MALL-R1, new, with one comment and one survey answer by the owner."""
    requirement = make_requirement(project, title="商品详情页支持短视频")
    services.requirement_comment_add(
        requirement=requirement, actor=project.owner, body="先做安卓端"
    )
    services.kano_response_record(
        requirement=requirement,
        actor=project.owner,
        functional="like",
        dysfunctional="dislike",
    )
    return requirement


@pytest.fixture
def second(project, requirement):
    """MALL-R2, below MALL-R1."""
    return make_requirement(project, title="购物车凑单推荐")


READ = {"owner": 200, "member": 200, "viewer": 200, "outsider": 404, "anonymous": 401}
WRITE = {"owner": 200, "member": 200, "viewer": 403, "outsider": 404, "anonymous": 401}
CREATE = {"owner": 201, "member": 201, "viewer": 403, "outsider": 404, "anonymous": 401}


# ---------------------------------------------------------------- list and retrieve


@pytest.mark.parametrize(("who", "status"), READ.items())
def test_list_of_a_project_by_role(request, project, requirement, who, status):
    response = api_as(user_for(request, who)).get(list_url(), {"project": project.pk})

    assert response.status_code == status
    if status == 200:
        assert [r["key"] for r in response.json()["results"]] == ["MALL-R1"]


@pytest.mark.parametrize(("who", "count"), [("member", 1), ("viewer", 1), ("outsider", 0)])
def test_list_without_project_shows_only_the_callers_projects(
    request, project, requirement, owner, who, count
):
    other = make_project(owner=owner, key="PAY")
    make_requirement(other, title="支付路由")

    response = api_as(user_for(request, who)).get(list_url())

    assert response.status_code == 200
    assert response.json()["count"] == count


def test_staff_see_every_project(project, requirement, owner, staff):
    make_requirement(make_project(owner=owner, key="PAY"), title="支付路由")

    response = api_as(staff).get(list_url())

    assert sorted(r["key"] for r in response.json()["results"]) == ["MALL-R1", "PAY-R1"]


@pytest.mark.parametrize(("who", "status"), READ.items())
def test_retrieve_by_role(request, requirement, who, status):
    response = api_as(user_for(request, who)).get(detail_url(requirement))

    assert response.status_code == status
    if status == 200:
        assert response.json()["key"] == "MALL-R1"


def test_outsider_cannot_tell_existing_requirements_from_missing_ones(requirement, outsider):
    existing = api_as(outsider).get(detail_url(requirement))
    missing = api_as(outsider).get(reverse("api:requirement-detail", args=[987654]))

    assert (existing.status_code, existing.json()) == (missing.status_code, missing.json())


# ---------------------------------------------------------------- create, update, delete


@pytest.mark.parametrize(("who", "status"), CREATE.items())
def test_create_by_role(request, project, everyone, who, status):
    before = written()

    response = api_as(user_for(request, who)).post(
        list_url(), {"project": project.pk, "title": "会员积分抵现"}, format="json"
    )

    assert response.status_code == status
    if status == 201:
        assert response.json()["key"] == "MALL-R1"
        assert Requirement.objects.filter(project=project).count() == 1
    else:
        assert written() == before


@pytest.mark.parametrize(("who", "status"), CREATE.items())
def test_create_is_authorised_before_the_input_is_validated(
    request, project, everyone, who, status
):
    """A viewer or an outsider never learns which fields were wrong."""
    response = api_as(user_for(request, who)).post(
        list_url(), {"project": project.pk, "title": "", "moscow": "maybe"}, format="json"
    )

    assert response.status_code == (400 if status == 201 else status)


def test_outsider_cannot_tell_existing_project_ids_from_missing_ones_on_create(project, outsider):
    existing = api_as(outsider).post(
        list_url(), {"project": project.pk, "title": "x"}, format="json"
    )
    missing = api_as(outsider).post(
        list_url(), {"project": project.pk + 1000, "title": "x"}, format="json"
    )

    assert not Requirement.objects.exists()
    assert (existing.status_code, existing.json()) == (missing.status_code, missing.json())
    assert existing.status_code == 404


@pytest.mark.parametrize(("who", "status"), WRITE.items())
def test_patch_by_role(request, requirement, who, status):
    before = written()

    response = api_as(user_for(request, who)).patch(
        detail_url(requirement), {"title": "商品详情页短视频"}, format="json"
    )

    assert response.status_code == status
    title = Requirement.objects.get(pk=requirement.pk).title
    if status == 200:
        assert title == "商品详情页短视频"
    else:
        assert title == "商品详情页支持短视频"
        assert written() == before


@pytest.mark.parametrize(("who", "status"), WRITE.items())
def test_put_by_role(request, project, requirement, who, status):
    before = written()

    response = api_as(user_for(request, who)).put(
        detail_url(requirement),
        {"project": project.pk, "title": "商品详情页短视频", "moscow": "should"},
        format="json",
    )

    assert response.status_code == status
    if status != 200:
        assert written() == before


@pytest.mark.parametrize(("who", "status"), WRITE.items())
def test_patch_is_authorised_before_the_input_is_validated(request, requirement, who, status):
    response = api_as(user_for(request, who)).patch(
        detail_url(requirement), {"moscow": "maybe"}, format="json"
    )

    assert response.status_code == (400 if status == 200 else status)


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 204), ("member", 403), ("viewer", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_delete_by_role(request, requirement, who, status):
    before = written()

    response = api_as(user_for(request, who)).delete(detail_url(requirement))

    assert response.status_code == status
    assert Requirement.objects.filter(pk=requirement.pk).exists() == (status != 204)
    if status != 204:
        assert written() == before


def test_staff_change_and_delete_any_requirement(requirement, staff):
    client = api_as(staff)

    assert client.patch(detail_url(requirement), {"priority": "P2"}).status_code == 200
    assert client.delete(detail_url(requirement)).status_code == 204


def test_patch_project_does_not_reveal_which_project_ids_exist(requirement, member):
    hidden = make_project(owner=UserFactory(username="cfo"), key="FIN", name="财务系统")

    existing = api_as(member).patch(detail_url(requirement), {"project": hidden.pk}, format="json")
    missing = api_as(member).patch(
        detail_url(requirement), {"project": hidden.pk + 1000}, format="json"
    )

    assert Requirement.objects.get(pk=requirement.pk).project_id == requirement.project_id
    # The same answer for both, apart from the id echoed back.
    assert existing.status_code == missing.status_code == 400
    assert existing.json()["project"][0].replace(str(hidden.pk), "ID") == missing.json()["project"][
        0
    ].replace(str(hidden.pk + 1000), "ID")


# ---------------------------------------------------------------- Kano survey


@pytest.mark.parametrize(("who", "status"), READ.items())
def test_kano_responses_get_by_role(request, requirement, who, status):
    response = api_as(user_for(request, who)).get(kano_url(requirement))

    assert response.status_code == status
    if status == 200:
        assert response.json()["count"] == 1
        assert response.json()["kano_survey"]["category"] == "performance"


@pytest.mark.parametrize(
    ("who", "status"),
    # Stakeholders (viewers) answer the survey for themselves: a documented product rule
    [("owner", 201), ("member", 201), ("viewer", 201), ("outsider", 404), ("anonymous", 401)],
)
def test_kano_own_answer_by_role(request, requirement, who, status):
    user = user_for(request, who)
    before = written()

    response = api_as(user).post(
        kano_url(requirement), {"functional": "expect", "dysfunctional": "dislike"}, format="json"
    )

    assert response.status_code == status
    if status == 201:
        mine = KanoResponse.objects.get(requirement=requirement, respondent=user)
        assert (mine.functional, mine.dysfunctional) == ("expect", "dislike")
    else:
        assert written() == before


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 201), ("member", 201), ("viewer", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_kano_answer_for_someone_else_by_role(request, requirement, who, status):
    before = written()

    response = api_as(user_for(request, who)).post(
        kano_url(requirement),
        {"functional": "like", "dysfunctional": "neutral", "respondent_name": "用户访谈-赵女士"},
        format="json",
    )

    assert response.status_code == status
    recorded = KanoResponse.objects.filter(respondent_name="用户访谈-赵女士").count()
    assert recorded == (1 if status == 201 else 0)
    if status != 201:
        assert written() == before


# ---------------------------------------------------------------- comments


@pytest.mark.parametrize(("who", "status"), READ.items())
def test_comments_get_by_role(request, requirement, who, status):
    response = api_as(user_for(request, who)).get(comments_url(requirement))

    assert response.status_code == status
    if status == 200:
        assert [c["body"] for c in response.json()["results"]] == ["先做安卓端"]


@pytest.mark.parametrize(("who", "status"), CREATE.items())
def test_comments_post_by_role(request, requirement, who, status):
    before = written()

    response = api_as(user_for(request, who)).post(
        comments_url(requirement), {"body": "iOS 也要"}, format="json"
    )

    assert response.status_code == status
    assert RequirementComment.objects.filter(requirement=requirement).count() == (
        2 if status == 201 else 1
    )
    if status != 201:
        assert written() == before


# ---------------------------------------------------------------- reorder and bulk


def ranks() -> list[tuple[int, int]]:
    return list(Requirement.objects.order_by("pk").values_list("pk", "rank"))


@pytest.mark.parametrize(("who", "status"), WRITE.items())
def test_reorder_ids_by_role(request, project, requirement, second, who, status):
    before = written()

    response = api_as(user_for(request, who)).post(
        reorder_url(), {"project": project.pk, "ids": [second.pk, requirement.pk]}, format="json"
    )

    assert response.status_code == status
    first = Requirement.objects.order_by("rank", "id").first()
    assert first.pk == (second.pk if status == 200 else requirement.pk)
    if status != 200:
        assert written() == before


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("member", 200), ("viewer", 403), ("anonymous", 401)],
)
def test_move_one_by_role(request, requirement, second, who, status):
    before = ranks()

    response = api_as(user_for(request, who)).post(
        reorder_url(), {"requirement": second.pk}, format="json"
    )

    assert response.status_code == status
    assert (ranks() != before) == (status == 200)


def test_outsider_moving_a_requirement_learns_nothing_and_moves_nothing(
    requirement, second, outsider
):
    before = written()

    existing = api_as(outsider).post(reorder_url(), {"requirement": second.pk}, format="json")
    missing = api_as(outsider).post(reorder_url(), {"requirement": 987654}, format="json")

    # A requirement outside the caller's projects looks exactly like one that does not exist
    assert existing.status_code in (400, 404)
    assert (existing.status_code, existing.json()) == (missing.status_code, missing.json())
    assert written() == before


@pytest.mark.parametrize(("who", "status"), WRITE.items())
def test_bulk_by_role(request, project, requirement, second, who, status):
    before = written()

    response = api_as(user_for(request, who)).post(
        bulk_url(),
        {
            "project": project.pk,
            "ids": [requirement.pk, second.pk],
            "changes": {"moscow": "should"},
        },
        format="json",
    )

    assert response.status_code == status
    moscows = set(Requirement.objects.values_list("moscow", flat=True))
    assert moscows == ({"should"} if status == 200 else {""})
    if status != 200:
        assert written() == before


# ---------------------------------------------------------------- archived projects


@pytest.fixture
def archived(project, requirement, second, owner):
    project_update(project=project, actor=owner, archived=True)
    project.refresh_from_db()
    return project


def test_an_archived_project_is_read_only_even_for_members(archived, requirement, second, member):
    client = api_as(member)
    before = written()

    writes = [
        client.post(list_url(), {"project": archived.pk, "title": "新需求"}, format="json"),
        client.patch(detail_url(requirement), {"title": "改名"}, format="json"),
        client.post(comments_url(requirement), {"body": "还做吗"}, format="json"),
        client.post(
            kano_url(requirement), {"functional": "like", "dysfunctional": "like"}, format="json"
        ),
        client.post(
            reorder_url(),
            {"project": archived.pk, "ids": [second.pk, requirement.pk]},
            format="json",
        ),
        client.post(reorder_url(), {"requirement": second.pk}, format="json"),
        client.post(
            bulk_url(),
            {"project": archived.pk, "ids": [requirement.pk], "changes": {"moscow": "wont"}},
            format="json",
        ),
    ]

    assert [r.status_code for r in writes] == [403] * len(writes)
    assert written() == before
    assert client.get(list_url(), {"project": archived.pk}).status_code == 200
    assert client.get(detail_url(requirement)).status_code == 200
    assert client.get(kano_url(requirement)).status_code == 200


# ---------------------------------------------------------------- anonymous and tokens


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "list"),
        ("post", "list"),
        ("get", "detail"),
        ("patch", "detail"),
        ("put", "detail"),
        ("delete", "detail"),
        ("get", "kano"),
        ("post", "kano"),
        ("get", "comments"),
        ("post", "comments"),
        ("post", "reorder"),
        ("post", "bulk"),
    ],
)
def test_anonymous_is_refused_everywhere(requirement, method, url):
    urls = {
        "list": list_url(),
        "detail": detail_url(requirement),
        "kano": kano_url(requirement),
        "comments": comments_url(requirement),
        "reorder": reorder_url(),
        "bulk": bulk_url(),
    }
    before = written()

    response = getattr(APIClient(), method)(urls[url], {}, format="json")

    assert response.status_code == 401
    assert response.has_header("WWW-Authenticate")
    assert written() == before


def test_token_auth(project, requirement, member):
    token = Token.objects.create(user=member)
    client = APIClient()

    assert client.get(list_url(), HTTP_AUTHORIZATION="Token nope").status_code == 401
    response = client.get(list_url(), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert [r["key"] for r in response.json()["results"]] == ["MALL-R1"]
    created = client.post(
        list_url(),
        {"project": project.pk, "title": "接口创建"},
        format="json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert created.status_code == 201
    assert created.json()["created_by"]["username"] == "member"


def test_member_of_another_project_is_an_outsider_here(project, requirement, owner):
    other = make_project(owner=owner, key="PAY")
    pay_dev = add_member(other, UserFactory(username="pay_dev"))
    client = api_as(pay_dev)

    assert client.get(detail_url(requirement)).status_code == 404
    assert client.get(list_url(), {"project": project.pk}).status_code == 404
    assert client.get(kano_url(requirement)).status_code == 404
    assert (
        client.post(
            bulk_url(),
            {"project": project.pk, "ids": [requirement.pk], "changes": {"moscow": "must"}},
            format="json",
        ).status_code
        == 404
    )
