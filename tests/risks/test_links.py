"""Risks linked to the work they threaten: cards (work items) and backlog requirements.

The services (same project only, idempotent, one activity row per change), the API's
`work_items` / `requirements` id lists (ids of unseen projects read as "does not exist",
nothing changes on a bad id), the link form on the risk's page (keys such as MALL-42 or
MALL-R3, through the roles), the other side of the link on the requirement page and the
card panel, and query budgets that do not grow with the number of linked risks.
"""

from __future__ import annotations

import pytest
from django.test.html import Element, parse_html
from django.urls import reverse

from portal.activity import describe
from portal.errors import ApplicationError
from portal.models import Activity, Event
from projects.models import WorkItem
from requirements import services as requirement_services
from requirements.models import Requirement
from risks import services
from risks.models import Risk
from tests.conftest import api_as
from tests.portal.factories import UserFactory
from tests.projects.board_factories import make_item
from tests.projects.factories import add_member, make_project
from tests.requirements.factories import make_requirement, triaged
from tests.risks.factories import bulk_risks, make_risk

pytestmark = pytest.mark.django_db

LIST = "/api/v1/risks/"
LIST_BUDGET = 8  # DESIGN §7: an API list page
DETAIL_BUDGET = 6  # DESIGN §7: an object's detail
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


# ---------------------------------------------------------------- helpers


def detail(risk) -> str:
    return f"{LIST}{risk.pk}/"


def link_url(risk) -> str:
    return reverse("risks:link", args=[risk.project.key, risk.number])


def risk_page(risk) -> str:
    return reverse("risks:detail", args=[risk.project.key, risk.number])


def linked_keys(risk) -> set[str]:
    """What the risk is tied to, by key, read fresh from the database."""
    risk = Risk.objects.get(pk=risk.pk)
    items = {i.key for i in risk.work_items.select_related("project")}
    reqs = {r.key for r in risk.requirements.select_related("project")}
    return items | reqs


def verbs(risk) -> list[str]:
    return list(
        Activity.objects.filter(target_type="risks.risk", target_id=str(risk.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


def written() -> dict[str, object]:
    """Everything a link change could touch."""
    return {
        "risks": list(Risk.objects.order_by("pk").values_list("pk", "title", "impact")),
        "item_links": sorted(Risk.work_items.through.objects.values_list("risk_id", "workitem_id")),
        "requirement_links": sorted(
            Risk.requirements.through.objects.values_list("risk_id", "requirement_id")
        ),
        "activity": Activity.objects.count(),
        "events": Event.objects.count(),
    }


def find_all(html: str, tag: str | None = None, **attrs: str | None) -> list[Element]:
    """Elements whose attributes match (`data_linked="MALL-1"`; None: has the attribute)."""
    wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
    found: list[Element] = []

    def walk(node) -> None:
        if isinstance(node, str):
            return
        node_attrs = dict(node.attributes)
        if (tag is None or node.name == tag) and all(
            (k in node_attrs) if v is None else node_attrs.get(k) == v for k, v in wanted.items()
        ):
            found.append(node)
        for child in node.children:
            walk(child)

    walk(parse_html(html))
    return found


def text(node) -> str:
    if isinstance(node, str):
        return node
    return " ".join(t for t in (text(c) for c in node.children) if t).strip()


def linked_on_page(html: str) -> list[str]:
    """The keys in the risk page's "Linked work" panel, top to bottom."""
    return [dict(li.attributes)["data-linked"] for li in find_all(html, "li", data_linked=None)]


def unlink_buttons(html: str) -> list[str]:
    return [dict(b.attributes)["value"] for b in find_all(html, "button", name="unlink")]


# ---------------------------------------------------------------- the cast


@pytest.fixture
def work(project, owner, member, viewer):
    """MALL with a risk, two cards and two requirements; SHOP is another project the
    member also works in (visible, but not the risk's); SECRET is one they cannot see."""
    risk = make_risk(project, title="支付网关超时", probability=4, impact=4)
    checkout = make_item(project, owner, "购物车结算", type="story")
    refund = make_item(project, owner, "退款回调", type="bug")
    coupons = triaged(project, title="优惠券叠加")
    live = make_requirement(project, title="直播带货")
    shop = make_project(owner=owner, key="SHOP", name="积分商城")
    add_member(shop, member)
    shop_item = make_item(shop, owner, "积分兑换")
    shop_req = make_requirement(shop, title="积分过期提醒")
    stranger = UserFactory(username="stranger")
    secret = make_project(owner=stranger, key="SECRET", name="保密项目")
    secret_item = make_item(secret, stranger, "保密卡片")
    secret_req = make_requirement(secret, title="保密需求")
    return {
        "risk": risk,
        "checkout": checkout,  # MALL-1
        "refund": refund,  # MALL-2
        "coupons": coupons,  # MALL-R1
        "live": live,  # MALL-R2
        "shop_item": shop_item,
        "shop_req": shop_req,
        "secret_item": secret_item,
        "secret_req": secret_req,
    }


# ---------------------------------------------------------------- services


def test_a_risk_links_to_a_card_and_a_requirement_of_its_project(work, member):
    risk = work["risk"]

    services.risk_link(risk=risk, actor=member, target=work["checkout"])
    services.risk_link(risk=risk, actor=member, target=work["coupons"])

    assert linked_keys(risk) == {"MALL-1", "MALL-R1"}
    # and each side sees the other
    assert list(work["checkout"].risks.all()) == [risk]
    assert list(work["coupons"].risks.all()) == [risk]
    assert list(work["refund"].risks.all()) == []
    rows = Activity.objects.filter(verb="risk.linked").order_by("id")
    assert [(r.actor, r.project, r.after) for r in rows] == [
        (member, risk.project, {"linked": "MALL-1"}),
        (member, risk.project, {"linked": "MALL-R1"}),
    ]
    assert "MALL-1" in describe(rows[0])
    assert "MALL-RISK-1" in describe(rows[0])


def test_linking_the_same_work_twice_changes_nothing(work, member):
    risk = work["risk"]
    services.risk_link(risk=risk, actor=member, target=work["checkout"])
    before = written()

    services.risk_link(risk=risk, actor=member, target=work["checkout"])

    assert written() == before
    assert verbs(risk) == ["risk.created", "risk.linked"]


@pytest.mark.parametrize("target", ["shop_item", "shop_req", "secret_item", "secret_req"])
def test_work_of_another_project_cannot_be_linked(work, member, target):
    before = written()

    with pytest.raises(ApplicationError) as caught:
        services.risk_link(risk=work["risk"], actor=member, target=work[target])

    assert caught.value.field == "target"
    assert work[target].key in caught.value.message
    assert written() == before


def test_only_cards_and_requirements_can_be_linked(work, project, member):
    other_risk = make_risk(project, title="物流接口变更")
    before = written()

    with pytest.raises(ApplicationError) as caught:
        services.risk_link(risk=work["risk"], actor=member, target=other_risk)

    assert caught.value.field == "target"
    assert written() == before


def test_unlinking_removes_only_that_link(work, member):
    risk = work["risk"]
    services.risk_link(risk=risk, actor=member, target=work["checkout"])
    services.risk_link(risk=risk, actor=member, target=work["coupons"])

    services.risk_unlink(risk=risk, actor=member, target=work["checkout"])

    assert linked_keys(risk) == {"MALL-R1"}
    row = Activity.objects.filter(verb="risk.unlinked").get()
    assert (row.actor, row.before) == (member, {"linked": "MALL-1"})
    assert "MALL-1" in describe(row)
    # the card itself is untouched
    assert WorkItem.objects.filter(pk=work["checkout"].pk).exists()


def test_unlinking_work_that_was_never_linked_changes_nothing(work, member):
    before = written()

    services.risk_unlink(risk=work["risk"], actor=member, target=work["refund"])

    assert written() == before


def test_unlinking_work_of_another_project_is_refused(work, member):
    before = written()

    with pytest.raises(ApplicationError) as caught:
        services.risk_unlink(risk=work["risk"], actor=member, target=work["shop_item"])

    assert caught.value.field == "target"
    assert written() == before


def test_setting_the_links_makes_them_exactly_these(work, member):
    risk = work["risk"]
    services.risk_link(risk=risk, actor=member, target=work["checkout"])
    services.risk_link(risk=risk, actor=member, target=work["coupons"])

    services.risk_links_set(
        risk=risk, actor=member, work_items=[work["refund"]], requirements=[work["live"]]
    )

    assert linked_keys(risk) == {"MALL-2", "MALL-R2"}
    rows = Activity.objects.filter(verb="risk.links_changed").order_by("id")
    assert [(r.before, r.after) for r in rows] == [
        ({"work_items": ["MALL-1"]}, {"work_items": ["MALL-2"]}),
        ({"requirements": ["MALL-R1"]}, {"requirements": ["MALL-R2"]}),
    ]
    assert all("MALL-RISK-1" in describe(r) for r in rows)


def test_setting_the_same_links_again_writes_nothing(work, member):
    risk = work["risk"]
    services.risk_links_set(
        risk=risk, actor=member, work_items=[work["checkout"], work["refund"]], requirements=[]
    )
    before = written()

    services.risk_links_set(
        risk=risk, actor=member, work_items=[work["refund"], work["checkout"]], requirements=[]
    )

    assert written() == before


def test_none_leaves_a_kind_of_link_alone_and_an_empty_list_clears_it(work, member):
    risk = work["risk"]
    services.risk_links_set(
        risk=risk, actor=member, work_items=[work["checkout"]], requirements=[work["coupons"]]
    )

    services.risk_links_set(risk=risk, actor=member, work_items=None, requirements=[])

    assert linked_keys(risk) == {"MALL-1"}


def test_one_foreign_target_among_good_ones_changes_nothing(work, member):
    risk = work["risk"]
    services.risk_link(risk=risk, actor=member, target=work["checkout"])
    before = written()

    with pytest.raises(ApplicationError) as caught:
        services.risk_links_set(
            risk=risk,
            actor=member,
            work_items=[work["refund"]],  # fine on its own …
            requirements=[work["coupons"], work["shop_req"]],  # … but SHOP-R1 is not MALL's
        )

    # the error names the list the caller sent
    assert caught.value.field == "requirements"
    assert "SHOP-R1" in caught.value.message
    assert written() == before
    assert linked_keys(risk) == {"MALL-1"}


def test_deleting_linked_work_drops_the_link_and_keeps_the_risk(work, owner, member):
    risk = work["risk"]
    services.risk_link(risk=risk, actor=member, target=work["coupons"])
    services.risk_link(risk=risk, actor=member, target=work["checkout"])

    requirement_services.requirement_delete(requirement=work["coupons"], actor=owner)

    assert Risk.objects.filter(pk=risk.pk).exists()
    assert linked_keys(risk) == {"MALL-1"}


def test_deleting_the_risk_keeps_the_linked_work(work, owner, member):
    risk = work["risk"]
    services.risk_link(risk=risk, actor=member, target=work["coupons"])
    services.risk_link(risk=risk, actor=member, target=work["checkout"])

    services.risk_delete(risk=risk, actor=owner)

    assert Requirement.objects.filter(pk=work["coupons"].pk).exists()
    assert WorkItem.objects.filter(pk=work["checkout"].pk).exists()
    assert not Risk.work_items.through.objects.exists()
    assert not Risk.requirements.through.objects.exists()


# ---------------------------------------------------------------- API


def new_risk_body(project, **overrides):
    return {
        "project": project.pk,
        "title": "大促库存超卖",
        "category": "technical",
        "probability": 4,
        "impact": 4,
        **overrides,
    }


def test_the_api_shows_each_risks_links_as_ids(work, member):
    risk = work["risk"]
    services.risk_links_set(
        risk=risk,
        actor=member,
        work_items=[work["checkout"], work["refund"]],
        requirements=[work["live"]],
    )
    unlinked = make_risk(risk.project, title="物流接口变更", probability=1, impact=1)

    body = api_as(member).get(detail(risk)).json()
    rows = {r["key"]: r for r in api_as(member).get(LIST).json()["results"]}

    assert sorted(body["work_items"]) == sorted([work["checkout"].pk, work["refund"].pk])
    assert body["requirements"] == [work["live"].pk]
    assert sorted(rows["MALL-RISK-1"]["work_items"]) == sorted(body["work_items"])
    assert rows[unlinked.key]["work_items"] == []
    assert rows[unlinked.key]["requirements"] == []


def test_creating_a_risk_with_links(work, project, member):
    response = api_as(member).post(
        LIST,
        new_risk_body(project, work_items=[work["checkout"].pk], requirements=[work["coupons"].pk]),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["work_items"] == [work["checkout"].pk]
    assert body["requirements"] == [work["coupons"].pk]
    risk = Risk.objects.get(pk=body["id"])
    assert linked_keys(risk) == {"MALL-1", "MALL-R1"}
    assert verbs(risk) == ["risk.created", "risk.links_changed", "risk.links_changed"]


def test_patch_replaces_the_links_it_names_and_leaves_the_others(work, member):
    risk = work["risk"]
    services.risk_links_set(
        risk=risk, actor=member, work_items=[work["checkout"]], requirements=[work["coupons"]]
    )

    response = api_as(member).patch(
        detail(risk), {"work_items": [work["refund"].pk]}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["work_items"] == [work["refund"].pk]
    assert response.json()["requirements"] == [work["coupons"].pk]
    assert linked_keys(risk) == {"MALL-2", "MALL-R1"}


def test_patch_without_links_keeps_them_and_an_empty_list_clears(work, member):
    risk = work["risk"]
    services.risk_links_set(
        risk=risk, actor=member, work_items=[work["checkout"]], requirements=[work["coupons"]]
    )

    renamed = api_as(member).patch(detail(risk), {"title": "支付网关超时（大促）"}, format="json")
    assert renamed.status_code == 200
    assert linked_keys(risk) == {"MALL-1", "MALL-R1"}

    cleared = api_as(member).patch(detail(risk), {"requirements": []}, format="json")
    assert cleared.status_code == 200
    assert cleared.json()["requirements"] == []
    assert linked_keys(risk) == {"MALL-1"}


@pytest.mark.parametrize(
    ("field", "target"),
    [("work_items", "secret_item"), ("requirements", "secret_req")],
)
def test_ids_of_projects_i_cannot_see_read_as_ids_that_do_not_exist(work, member, field, target):
    risk = work["risk"]
    secret_id = work[target].pk
    missing_id = 987654
    before = written()

    hidden = api_as(member).patch(
        detail(risk), {"title": "改名", field: [secret_id]}, format="json"
    )
    missing = api_as(member).patch(
        detail(risk), {"title": "改名", field: [missing_id]}, format="json"
    )

    assert hidden.status_code == missing.status_code == 400
    assert list(hidden.json()) == [field]
    # word for word the same answer as for an id that exists nowhere
    assert hidden.json()[field][0].replace(str(secret_id), "N") == missing.json()[field][0].replace(
        str(missing_id), "N"
    )
    assert written() == before


@pytest.mark.parametrize(
    ("field", "target"),
    [("work_items", "shop_item"), ("requirements", "shop_req")],
)
def test_ids_of_another_project_i_work_in_are_refused_and_change_nothing(
    work, project, member, field, target
):
    risk = work["risk"]
    services.risk_link(risk=risk, actor=member, target=work["checkout"])
    before = written()

    patched = api_as(member).patch(
        detail(risk), {"title": "改名", "impact": 5, field: [work[target].pk]}, format="json", **EN
    )
    created = api_as(member).post(
        LIST, new_risk_body(project, **{field: [work[target].pk]}), format="json", **EN
    )

    for response in (patched, created):
        assert response.status_code == 400
        messages = [m for msgs in response.json().values() for m in msgs]
        assert any("belongs to another project" in m and work[target].key in m for m in messages), (
            messages
        )
    # neither the rename, the new impact, the new risk nor any link was written
    assert written() == before
    assert Risk.objects.get(pk=risk.pk).title == "支付网关超时"


@pytest.mark.parametrize(
    ("field", "target"),
    [("work_items", "shop_item"), ("requirements", "shop_req")],
)
def test_the_error_for_another_projects_id_names_the_field_sent(work, member, field, target):
    response = api_as(member).patch(detail(work["risk"]), {field: [work[target].pk]}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_naming_a_linked_id_twice_changes_nothing(work, member):
    risk = work["risk"]
    services.risk_link(risk=risk, actor=member, target=work["checkout"])
    before = written()

    response = api_as(member).patch(
        detail(risk), {"work_items": [work["checkout"].pk, work["checkout"].pk]}, format="json"
    )

    assert response.status_code in (200, 400)
    assert linked_keys(risk) == {"MALL-1"}
    assert written() == before


def test_a_viewer_cannot_change_links_and_an_outsider_cannot_see_the_risk(work, viewer, outsider):
    risk = work["risk"]
    before = written()
    body = {"work_items": [work["checkout"].pk]}

    as_viewer = api_as(viewer).patch(detail(risk), body, format="json")
    as_outsider = api_as(outsider).patch(detail(risk), body, format="json")
    as_nobody = api_as(None).patch(detail(risk), body, format="json")

    assert as_viewer.status_code == 403
    assert as_outsider.status_code == 404
    assert as_nobody.status_code in (401, 403)
    assert written() == before
    # the viewer still reads them
    assert api_as(viewer).get(detail(risk)).json()["work_items"] == []


def link_everything(project, risks, items, requirements) -> None:
    """Tie every risk to every card and requirement (two bulk inserts)."""
    Risk.work_items.through.objects.bulk_create(
        Risk.work_items.through(risk_id=r.pk, workitem_id=i.pk) for r in risks for i in items
    )
    Risk.requirements.through.objects.bulk_create(
        Risk.requirements.through(risk_id=r.pk, requirement_id=q.pk)
        for r in risks
        for q in requirements
    )


@pytest.mark.parametrize("count", [5, 30])
def test_list_query_budget_with_linked_risks(
    project, owner, member, django_assert_max_num_queries, count
):
    items = [make_item(project, owner) for _ in range(3)]
    requirements = [make_requirement(project) for _ in range(2)]
    risks = bulk_risks(project, count, owners=[owner, member])
    link_everything(project, risks, items, requirements)

    with django_assert_max_num_queries(LIST_BUDGET):
        response = api_as(member).get(LIST, {"project": project.pk})

    body = response.json()
    assert body["count"] == count
    assert all(
        sorted(r["work_items"]) == sorted(i.pk for i in items)
        and sorted(r["requirements"]) == sorted(q.pk for q in requirements)
        for r in body["results"]
    )


def test_detail_query_budget_with_links(project, owner, member, django_assert_max_num_queries):
    items = [make_item(project, owner) for _ in range(4)]
    requirements = [make_requirement(project) for _ in range(3)]
    risks = bulk_risks(project, 10, owners=[owner, member])
    link_everything(project, risks, items, requirements)

    with django_assert_max_num_queries(DETAIL_BUDGET):
        response = api_as(member).get(detail(risks[4]))

    assert len(response.json()["work_items"]) == 4
    assert len(response.json()["requirements"]) == 3


# ---------------------------------------------------------------- the link form


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("MALL-2", "MALL-2"),
        ("2", "MALL-2"),
        ("  mall-2 ", "MALL-2"),
        ("MALL-R2", "MALL-R2"),
        ("R2", "MALL-R2"),
        ("mall-r2", "MALL-R2"),
    ],
)
def test_a_member_links_work_by_its_key(client, work, member, typed, key):
    risk = work["risk"]
    client.force_login(member)

    response = client.post(link_url(risk), {"target": typed})

    assert response.status_code == 302
    assert response["Location"] == risk_page(risk) + "#linked-work"
    assert linked_keys(risk) == {key}
    assert verbs(risk)[-1] == "risk.linked"


def test_the_risk_page_lists_linked_work_with_unlink_buttons(client, work, member):
    risk = work["risk"]
    services.risk_link(risk=risk, actor=member, target=work["refund"])
    services.risk_link(risk=risk, actor=member, target=work["checkout"])
    services.risk_link(risk=risk, actor=member, target=work["coupons"])
    client.force_login(member)

    html = client.get(risk_page(risk)).content.decode()

    assert linked_on_page(html) == ["MALL-1", "MALL-2", "MALL-R1"]
    (checkout,) = find_all(html, "li", data_linked="MALL-1")
    assert "购物车结算" in text(checkout)
    assert reverse("projects:item", args=["MALL", 1]) in str(checkout)
    (coupons,) = find_all(html, "li", data_linked="MALL-R1")
    assert "优惠券叠加" in text(coupons)
    assert reverse("requirements:detail", args=["MALL", 1]) in str(coupons)
    assert unlink_buttons(html) == ["MALL-1", "MALL-2", "MALL-R1"]
    assert find_all(html, "input", name="target")


def test_a_viewer_sees_the_linked_work_but_no_link_controls(client, work, member, viewer):
    risk = work["risk"]
    services.risk_link(risk=risk, actor=member, target=work["coupons"])
    client.force_login(viewer)

    html = client.get(risk_page(risk)).content.decode()

    assert linked_on_page(html) == ["MALL-R1"]
    assert unlink_buttons(html) == []
    assert find_all(html, "input", name="target") == []
    assert link_url(risk) not in html


def test_a_member_unlinks_from_the_risk_page(client, work, member):
    risk = work["risk"]
    services.risk_link(risk=risk, actor=member, target=work["checkout"])
    services.risk_link(risk=risk, actor=member, target=work["coupons"])
    client.force_login(member)

    response = client.post(link_url(risk), {"unlink": "MALL-R1"}, follow=True)

    assert response.status_code == 200
    assert linked_keys(risk) == {"MALL-1"}
    assert linked_on_page(response.content.decode()) == ["MALL-1"]
    assert verbs(risk)[-1] == "risk.unlinked"


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("target", "MALL-99"),  # no such card
        ("target", "MALL-R99"),  # no such requirement
        ("target", "SHOP-1"),  # a real card, of another project
        ("target", "MALL-RISK-1"),  # a risk is not work
        ("target", "结算"),
        ("target", ""),
        ("target", "MALL-99999999999999999999999"),  # past any integer column
        ("unlink", "MALL-R99"),
    ],
)
def test_an_unknown_key_answers_the_page_with_the_error_and_changes_nothing(
    client, work, member, field, typed
):
    risk = work["risk"]
    services.risk_link(risk=risk, actor=member, target=work["checkout"])
    member.language = "en"
    member.save(update_fields=["language"])
    client.force_login(member)
    before = written()

    response = client.post(link_url(risk), {field: typed})

    assert response.status_code == 400
    html = response.content.decode()
    (alert,) = find_all(html, "div", role="alert")
    assert "No work item or requirement" in text(alert)
    assert typed.strip() in text(alert)
    # the page is the risk's page, links as they were
    assert linked_on_page(html) == ["MALL-1"]
    assert written() == before


LINK_STATUS = {"owner": 302, "member": 302, "viewer": 403, "outsider": 404, "anonymous": "login"}


@pytest.mark.parametrize("who", list(LINK_STATUS))
@pytest.mark.parametrize("data", [{"target": "MALL-R1"}, {"unlink": "MALL-1"}])
def test_the_link_form_by_role(request, client, work, outsider, who, data):
    risk = work["risk"]
    services.risk_link(risk=risk, actor=risk.owner, target=work["checkout"])
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    before = written()

    response = client.post(link_url(risk), data)

    expected = LINK_STATUS[who]
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login"))
    else:
        assert response.status_code == expected
    if expected == 302:
        assert written() != before
    else:
        assert written() == before


def test_the_link_url_takes_only_post(client, work, member):
    client.force_login(member)

    assert client.get(link_url(work["risk"])).status_code == 405


def test_an_unknown_risk_is_404(client, work, member):
    client.force_login(member)

    response = client.post(reverse("risks:link", args=["MALL", 99]), {"target": "MALL-1"})

    assert response.status_code == 404


# ---------------------------------------------------------------- the other side


def test_the_requirement_page_lists_its_risks(client, work, project, member, viewer):
    services.risk_link(risk=work["risk"], actor=member, target=work["coupons"])
    minor = make_risk(project, title="文案审核延迟", probability=1, impact=2)
    services.risk_link(risk=minor, actor=member, target=work["coupons"])
    make_risk(project, title="与需求无关的风险", probability=5, impact=5)
    client.force_login(viewer)

    linked = client.get(reverse("requirements:detail", args=["MALL", 1])).content.decode()
    unlinked = client.get(reverse("requirements:detail", args=["MALL", 2])).content.decode()

    (panel,) = find_all(linked, "section", id="risks")
    rows = find_all(str(panel), "li", data_risk=None)
    # highest score first
    assert [dict(li.attributes)["data-risk"] for li in rows] == ["1", "2"]
    assert "MALL-RISK-1" in text(rows[0])
    assert "支付网关超时" in text(rows[0])
    assert "文案审核延迟" in text(rows[1])
    assert reverse("risks:detail", args=["MALL", 1]) in str(rows[0])
    assert "与需求无关的风险" not in str(panel)
    (empty_panel,) = find_all(unlinked, "section", id="risks")
    assert find_all(str(empty_panel), "li", data_risk=None) == []


def test_the_card_panel_shows_its_requirement_and_risks(client, work, project, owner, member):
    card = make_item(project, owner, "优惠券叠加：前端")
    requirement_services.work_item_link(requirement=work["coupons"], work_item=card)
    services.risk_link(risk=work["risk"], actor=member, target=card)
    client.force_login(member)
    page = reverse("projects:item", args=["MALL", card.number])

    full = client.get(page).content.decode()
    fragment = client.get(page, HTTP_HX_REQUEST="true").content.decode()
    bare = client.get(reverse("projects:item", args=["MALL", 1])).content.decode()

    for html in (full, fragment):
        (req,) = find_all(html, "dd", data_requirement=None)
        assert "MALL-R1" in text(req)
        assert "优惠券叠加" in text(req)
        assert reverse("requirements:detail", args=["MALL", 1]) in str(req)
        (risks,) = find_all(html, "dd", data_risks=None)
        assert text(risks) == "MALL-RISK-1"
        assert reverse("risks:detail", args=["MALL", 1]) in str(risks)
    assert "<html" not in fragment
    # a card with neither shows neither
    assert find_all(bare, "dd", data_requirement=None) == []
    assert find_all(bare, "dd", data_risks=None) == []
