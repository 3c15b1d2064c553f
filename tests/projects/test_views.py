"""The project pages and their htmx endpoints, as a signed-in person uses them.

Every URL in projects/urls.py is walked through the roles (owner, member, viewer,
outsider, anonymous, staff); then each page's behaviour: filters, field errors
that change nothing, the members panel over htmx, archiving, and a query count
that does not grow with the number of rows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.html import Element, parse_html
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from portal.activity import activity_record
from portal.models import Activity, Membership, Phase, PhaseChange, Project
from portal.permissions import can_edit
from portal.roles import Role
from projects.views import ACTIVITY_PAGE_SIZE, PROJECT_PAGE_SIZE
from tests.portal.factories import UserFactory
from tests.projects.factories import add_member, make_project

HTMX = {"HTTP_HX_REQUEST": "true"}


# ---------------------------------------------------------------- helpers


def _attrs(el: Element) -> dict[str, str | None]:
    return dict(el.attributes)


def find_all(html: str, tag: str | None = None, **attrs: str) -> list[Element]:
    """Elements of the page whose attributes match (`data_field="key"` → data-field)."""
    wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
    found: list[Element] = []

    def walk(node) -> None:
        if isinstance(node, str):
            return
        if (tag is None or node.name == tag) and all(
            _attrs(node).get(k) == v for k, v in wanted.items()
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


def field_errors(response, field: str) -> list[str]:
    """The error messages shown inside the `data-field="<field>"` block of the form."""
    blocks = find_all(response.content.decode(), "div", data_field=field)
    assert len(blocks) == 1, f"expected one data-field={field!r} block, found {len(blocks)}"
    return [text(li) for li in find_all(str(blocks[0]), "li")]


def fields_with_errors(response) -> set[str]:
    html = response.content.decode()
    return {
        _attrs(div)["data-field"]
        for div in find_all(html, "div")
        if "data-field" in _attrs(div) and "has-error" in (_attrs(div).get("class") or "")
    }


def project_keys_shown(response) -> list[str]:
    return [
        _attrs(tr)["data-project"]
        for tr in find_all(response.content.decode(), "tr")
        if "data-project" in _attrs(tr)
    ]


def members_shown(response) -> list[str]:
    return [
        _attrs(tr)["data-member"]
        for tr in find_all(response.content.decode(), "tr")
        if "data-member" in _attrs(tr)
    ]


def zh(message: str) -> str:
    """The message as a zh-Hans user reads it (the factories' users use zh-Hans)."""
    with translation.override("zh-hans"):
        return translation.gettext(message)


def assert_fragment(response) -> str:
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "<body" not in html
    return html


def settings_data(project: Project, **overrides) -> dict[str, str]:
    """What the settings form posts when nothing is touched."""
    data = {
        "key": project.key,
        "name": project.name,
        "description": project.description,
        "phase": project.phase,
        "health": project.health,
        "start_date": project.start_date.isoformat() if project.start_date else "",
        "target_date": project.target_date.isoformat() if project.target_date else "",
        "budget": str(project.budget) if project.budget is not None else "",
        "currency": project.currency,
        "timezone": project.timezone,
    }
    data.update(overrides)
    return data


def create_data(**overrides) -> dict[str, str]:
    data = {
        "key": "SHOP",
        "name": "小程序商城",
        "description": "WeChat mini-program storefront",
        "phase": "discovery",
        "health": "on_track",
        "start_date": "2026-03-01",
        "target_date": "2026-09-30",
        "budget": "1200000",
        "currency": "CNY",
        "timezone": "Asia/Shanghai",
    }
    data.update(overrides)
    return data


def client_for(client, user):
    if user is not None:
        client.force_login(user)
    return client


def membership_of(project: Project, user) -> Membership:
    return Membership.objects.get(project=project, user=user)


# ---------------------------------------------------------------- the auth matrix


@pytest.fixture
def world(project, owner, member, viewer, outsider, staff):
    """MALL with one of each role, plus `target`: a member the owner-only URLs act on."""
    target = add_member(project, UserFactory(username="target", display_name="韩梅梅"), Role.MEMBER)
    candidate = UserFactory(username="candidate", display_name="赵强")
    return {
        "project": project,
        "owner": owner,
        "member": member,
        "viewer": viewer,
        "outsider": outsider,
        "staff": staff,
        "anonymous": None,
        "target": membership_of(project, target),
        "candidate": candidate,
    }


def _request(name: str, method: str, world) -> tuple[str, dict[str, str]]:
    project = world["project"]
    key = project.key
    target = world["target"]
    urls = {
        "list": (reverse("projects:list"), {}),
        "create": (reverse("projects:create"), create_data()),
        "detail": (reverse("projects:detail", args=[key]), {}),
        "activity": (reverse("projects:activity", args=[key]) + "?page=1", {}),
        "settings": (
            reverse("projects:settings", args=[key]),
            settings_data(project, name="新名字"),
        ),
        "archive": (reverse("projects:archive", args=[key]), {"archived": "true"}),
        "member_add": (
            reverse("projects:member_add", args=[key]),
            {"user": "candidate", "role": Role.MEMBER},
        ),
        "member_role": (
            reverse("projects:member_role", args=[key, target.pk]),
            {"role": Role.VIEWER},
        ),
        "member_remove": (reverse("projects:member_remove", args=[key, target.pk]), {}),
    }
    return urls[name]


def _state(project: Project) -> tuple:
    """What a write would change: the project's fields and its memberships."""
    project.refresh_from_db()
    members = sorted(
        Membership.objects.filter(project=project).values_list("user__username", "role")
    )
    return (project.name, project.archived, Project.objects.count(), members)


READS = [("list", "get"), ("detail", "get"), ("activity", "get")]
CREATE = [("create", "get"), ("create", "post")]
OWNER_ONLY = [
    ("settings", "get"),
    ("settings", "post"),
    ("archive", "post"),
    ("member_add", "post"),
    ("member_role", "post"),
    ("member_remove", "post"),
]
PROJECT_URLS = [r for r in READS if r[0] != "list"] + OWNER_ONLY
ALL_URLS = READS + CREATE + OWNER_ONLY

# What a successful request answers: a page, or a redirect after a write.
SUCCESS = {
    ("list", "get"): 200,
    ("create", "get"): 200,
    ("create", "post"): 302,
    ("detail", "get"): 200,
    ("activity", "get"): 200,
    ("settings", "get"): 200,
    ("settings", "post"): 302,
    ("archive", "post"): 302,
    ("member_add", "post"): 302,
    ("member_role", "post"): 302,
    ("member_remove", "post"): 302,
}


@pytest.mark.parametrize(("name", "method"), ALL_URLS)
def test_anonymous_is_sent_to_login_and_nothing_changes(client, world, name, method):
    # Given someone who is not signed in
    url, data = _request(name, method, world)
    before = _state(world["project"])
    # When they open the URL (or post to it)
    response = client.get(url) if method == "get" else client.post(url, data)
    # Then they land on the login page, which brings them back afterwards
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={quote(url, safe='/')}"
    assert _state(world["project"]) == before


@pytest.mark.parametrize(("name", "method"), PROJECT_URLS)
def test_outsider_gets_404_for_every_project_url(client, world, name, method):
    # Given a signed-in user who is not a member of MALL
    client_for(client, world["outsider"])
    url, data = _request(name, method, world)
    before = _state(world["project"])
    # When they open any of MALL's URLs
    response = client.get(url) if method == "get" else client.post(url, data)
    # Then MALL does not exist for them, and nothing changed
    assert response.status_code == 404
    assert world["project"].name.encode() not in response.content
    assert _state(world["project"]) == before


def test_outsider_does_not_see_the_project_in_the_list(client, world):
    client_for(client, world["outsider"])
    response = client.get(reverse("projects:list"))
    assert response.status_code == 200
    assert project_keys_shown(response) == []


@pytest.mark.parametrize("role", ["member", "viewer"])
@pytest.mark.parametrize(("name", "method"), [*READS, ("create", "get")])
def test_member_and_viewer_can_read(client, world, role, name, method):
    # Given a member or a viewer of MALL
    client_for(client, world[role])
    url, _ = _request(name, method, world)
    # When they open a reading page
    response = client.get(url)
    # Then it shows
    assert response.status_code == 200
    if name in ("list", "detail"):
        assert world["project"].name in response.content.decode()


@pytest.mark.parametrize("role", ["member", "viewer"])
@pytest.mark.parametrize(("name", "method"), OWNER_ONLY)
def test_member_and_viewer_are_refused_owner_actions(client, world, role, name, method):
    # Given a member or a viewer of MALL
    client_for(client, world[role])
    url, data = _request(name, method, world)
    before = _state(world["project"])
    # When they try the project's settings or member management
    response = client.get(url) if method == "get" else client.post(url, data, **HTMX)
    # Then they are told it is not allowed, and nothing changed
    assert response.status_code == 403
    assert _state(world["project"]) == before


@pytest.mark.parametrize("role", ["owner", "staff"])
@pytest.mark.parametrize(("name", "method"), ALL_URLS)
def test_owner_and_staff_can_do_everything(client, world, role, name, method):
    # Given MALL's owner, or a site admin who is not a member
    client_for(client, world[role])
    url, data = _request(name, method, world)
    before = _state(world["project"])
    # When they use any project URL
    response = client.get(url) if method == "get" else client.post(url, data)
    # Then it works, and a write shows its effect
    assert response.status_code == SUCCESS[(name, method)]
    if method == "post":
        assert _state(world["project"]) != before


def _tabs(response) -> list[str]:
    html = response.content.decode()
    return [_attrs(a)["data-tab"] for a in find_all(html, "a") if "data-tab" in _attrs(a)]


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_member_and_viewer_do_not_see_the_settings_tab_or_manage_link(client, world, role):
    client_for(client, world[role])
    response = client.get(reverse("projects:detail", args=["MALL"]))
    tabs = _tabs(response)
    assert tabs[0] == "overview"
    assert "settings" not in tabs
    assert reverse("projects:settings", args=["MALL"]) not in response.content.decode()


@pytest.mark.parametrize("role", ["owner", "staff"])
def test_owner_and_staff_see_the_settings_tab_last(client, world, role):
    client_for(client, world[role])
    response = client.get(reverse("projects:detail", args=["MALL"]))
    tabs = _tabs(response)
    assert tabs[0] == "overview"
    assert tabs[-1] == "settings"


def test_staff_sees_every_project_in_the_list(client, world):
    make_project(key="OTHER", name="别人的项目")
    client_for(client, world["staff"])
    response = client.get(reverse("projects:list"))
    assert sorted(project_keys_shown(response)) == ["MALL", "OTHER"]


# ---------------------------------------------------------------- project list


@pytest.fixture
def portfolio(owner):
    """Four projects of the owner's in different states, and one they are not in."""
    mall = make_project(owner=owner, key="MALL", name="母婴电商 App 2.0", phase="development")
    s11 = make_project(
        owner=owner, key="S11", name="双11 大促", phase="testing", description="flash sale"
    )
    pay = make_project(owner=owner, key="PAY", name="跨境支付", phase="development")
    old = make_project(owner=owner, key="OLD", name="旧版小程序", phase="operating")
    from projects import services

    services.project_update(project=pay, actor=owner, health="at_risk")
    services.project_update(project=old, actor=owner, archived=True)
    make_project(key="SECRET", name="别人的秘密项目")
    return {"MALL": mall, "S11": s11, "PAY": pay, "OLD": old}


def test_list_shows_only_my_active_projects(client, owner, portfolio):
    client.force_login(owner)
    response = client.get(reverse("projects:list"))
    assert response.status_code == 200
    assert sorted(project_keys_shown(response)) == ["MALL", "PAY", "S11"]
    assert "别人的秘密项目" not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "双11"}, ["S11"]),
        ({"q": "pay"}, ["PAY"]),  # the key, case-insensitively
        ({"q": "flash"}, ["S11"]),  # the description
        ({"q": "秘密"}, []),  # someone else's project is never found
        ({"phase": "development"}, ["MALL", "PAY"]),
        ({"health": "at_risk"}, ["PAY"]),
        ({"archived": "only"}, ["OLD"]),
        ({"archived": "all"}, ["MALL", "OLD", "PAY", "S11"]),
        ({"phase": "development", "health": "on_track"}, ["MALL"]),
    ],
)
def test_list_filters(client, owner, portfolio, query, expected):
    # Given my four projects, when I filter the list
    client.force_login(owner)
    response = client.get(reverse("projects:list"), query)
    # Then only the matching ones are listed
    assert sorted(project_keys_shown(response)) == expected


def test_list_filter_with_nothing_found_says_so(client, owner, portfolio):
    client.force_login(owner)
    response = client.get(reverse("projects:list"), {"q": "no-such-thing"})
    assert project_keys_shown(response) == []
    assert zh("No project matches these filters.") in response.content.decode()


def test_list_over_htmx_returns_only_the_results_fragment(client, owner, portfolio):
    # Given the list page, when the filter form asks over htmx
    client.force_login(owner)
    response = client.get(reverse("projects:list"), {"phase": "development"}, **HTMX)
    # Then only #project-results comes back, already filtered
    html = assert_fragment(response)
    root = parse_html(html)
    assert root.name == "div"
    assert _attrs(root)["id"] == "project-results"
    assert sorted(project_keys_shown(response)) == ["MALL", "PAY"]
    assert 'role="search"' not in html


def test_list_without_htmx_is_the_full_page(client, owner, portfolio):
    client.force_login(owner)
    response = client.get(reverse("projects:list"), {"phase": "development"})
    html = response.content.decode()
    assert "<html" in html
    assert 'id="project-results"' in html
    assert 'role="search"' in html


def test_list_is_paginated_and_the_pager_keeps_the_filters(client, owner):
    # Given more of my projects in development than fit on a page, and one in design
    for i in range(PROJECT_PAGE_SIZE + 3):
        make_project(owner=owner, key=f"D{i:03d}", phase="development")
    make_project(owner=owner, key="DESIGN", phase="design")
    client.force_login(owner)
    url = reverse("projects:list")
    # When I filter on development
    first = client.get(url, {"phase": "development"})
    # Then a full page shows, with a link to the next one that keeps the filter
    assert len(project_keys_shown(first)) == PROJECT_PAGE_SIZE
    links = [_attrs(a) for a in find_all(first.content.decode(), "a") if "hx-get" in _attrs(a)]
    assert [a["href"] for a in links] == ["?phase=development&page=2"]
    # and the next page, over htmx, holds the rest and nothing else
    second = client.get(url, {"phase": "development", "page": "2"}, **HTMX)
    assert_fragment(second)
    rest = project_keys_shown(second)
    assert len(rest) == 3
    assert "DESIGN" not in rest
    assert not set(rest) & set(project_keys_shown(first))


def test_list_ignores_an_unknown_filter_value(client, owner, portfolio):
    # A hand-edited URL must not break the page: the filters are dropped
    client.force_login(owner)
    response = client.get(reverse("projects:list"), {"phase": "nonsense"})
    assert response.status_code == 200
    assert sorted(project_keys_shown(response)) == ["MALL", "PAY", "S11"]


# ---------------------------------------------------------------- create


def test_create_makes_the_creator_owner_and_opens_the_project(client, owner):
    # Given a signed-in user on the "New project" page
    client.force_login(owner)
    assert client.get(reverse("projects:create")).status_code == 200
    # When they submit a valid project with a lower-case key
    response = client.post(reverse("projects:create"), create_data(key="shop"))
    # Then the project exists under the upper-cased key, they own it, and they see it
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:detail", args=["SHOP"])
    project = Project.objects.get(key="SHOP")
    assert project.owner == owner
    assert project.budget == Decimal("1200000")
    assert project.start_date == date(2026, 3, 1)
    assert membership_of(project, owner).role == Role.OWNER
    assert list(PhaseChange.objects.filter(project=project).values_list("to_phase", flat=True)) == [
        "discovery"
    ]
    page = client.get(response["Location"])
    assert "小程序商城" in page.content.decode()
    assert zh("Project %(key)s created.") % {"key": "SHOP"} in page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"key": "MALL"}, "key"),  # taken
        ({"key": "mall"}, "key"),  # taken, whatever the case
        ({"key": "1SHOP"}, "key"),  # must start with a letter
        ({"key": "SH-OP"}, "key"),
        ({"key": "S"}, "key"),  # too short
        ({"key": ""}, "key"),
        ({"name": ""}, "name"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"currency": "ZZZ"}, "currency"),
        ({"start_date": "2026-09-30", "target_date": "2026-03-01"}, "target_date"),
        ({"budget": "-1"}, "budget"),
        ({"budget": "lots"}, "budget"),
        ({"phase": "someday"}, "phase"),
    ],
)
def test_create_with_bad_input_shows_the_error_on_its_field_and_writes_nothing(
    client, project, owner, overrides, field
):
    # Given MALL already exists
    client.force_login(owner)
    counts = (Project.objects.count(), Membership.objects.count(), Activity.objects.count())
    # When a project is submitted with one bad field
    response = client.post(reverse("projects:create"), create_data(**overrides))
    # Then the form comes back with the error beside that field only
    assert response.status_code == 200
    assert field_errors(response, field), f"no error shown on {field}"
    assert fields_with_errors(response) == {field}
    # And nothing was written
    assert (Project.objects.count(), Membership.objects.count(), Activity.objects.count()) == counts


def test_create_target_before_start_says_why(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("projects:create"), create_data(start_date="2026-09-30", target_date="2026-03-01")
    )
    assert field_errors(response, "target_date") == [
        zh("The target date cannot be before the start date.")
    ]


def test_create_invalid_key_explains_the_format(client, owner):
    client.force_login(owner)
    response = client.post(reverse("projects:create"), create_data(key="1SHOP"))
    assert field_errors(response, "key") == [
        zh("Use 2–10 capital letters or digits, starting with a letter (e.g. MALL).")
    ]


def test_create_keeps_what_was_typed_after_an_error(client, owner):
    client.force_login(owner)
    response = client.post(reverse("projects:create"), create_data(currency="ZZZ"))
    html = response.content.decode()
    assert 'value="小程序商城"' in html
    assert 'value="SHOP"' in html


# ---------------------------------------------------------------- detail and activity


def test_detail_shows_members_phase_history_and_activity(client, project, owner, member, viewer):
    # Given MALL with three people, moved from discovery to design
    from projects import services

    services.project_update(project=project, actor=owner, phase="design")
    client.force_login(member)
    # When a member opens it
    response = client.get(reverse("projects:detail", args=["MALL"]))
    assert response.status_code == 200
    html = response.content.decode()
    with translation.override("zh-hans"):
        owner_role, member_role, viewer_role = (
            str(r.label) for r in (Role.OWNER, Role.MEMBER, Role.VIEWER)
        )
        discovery, design = str(Phase.DISCOVERY.label), str(Phase.DESIGN.label)
    # Then they see its people with their roles, owners first
    aside = find_all(html, "aside")[0]
    people = [text(li) for li in find_all(str(aside), "li")]
    assert len(people) == 3
    for line, (name, role) in zip(
        people, [("王芳", owner_role), ("李雷", member_role), ("陈总", viewer_role)], strict=True
    ):
        assert name in line
        assert line.endswith(role)
    # and the lifecycle: where it stands, where it has been, and who moved it
    timeline = find_all(html, "ol", **{"class": "timeline"})[0]
    assert [text(li) for li in timeline.children if _attrs(li).get("class") == "current"] == [
        design
    ]
    assert [text(li) for li in timeline.children if _attrs(li).get("class") == "done"] == [
        discovery
    ]
    lifecycle = next(sec for sec in find_all(html, "section") if find_all(str(sec), "ol"))
    history = [text(li) for li in find_all(str(lifecycle), "ul")[0].children]
    assert len(history) == 2  # newest first: the move, then the creation
    assert history[0].startswith(f"{discovery} → {design} · 王芳")
    assert history[1].startswith(f"{discovery} · 王芳")
    # and the activity feed, newest first
    verbs = [
        _attrs(li)["data-activity"] for li in find_all(html, "li") if "data-activity" in _attrs(li)
    ]
    assert verbs == ["project.phase_changed", "member.added", "member.added", "project.created"]
    assert not find_all(html, "li", id="activity-more")


def _many_activities(project, actor, n: int) -> None:
    for i in range(n):
        activity_record(
            actor=actor, verb="project.updated", target=project, project=project, label=f"row {i}"
        )


def test_detail_shows_a_page_of_activity_with_show_more(client, project, owner):
    # Given 25 activity rows beyond the "created" one
    _many_activities(project, owner, 25)
    client.force_login(owner)
    # When the owner opens the project
    html = client.get(reverse("projects:detail", args=["MALL"])).content.decode()
    # Then one page of rows shows, with a "Show more" button for page 2
    items = [li for li in find_all(html, "li") if "data-activity" in _attrs(li)]
    assert len(items) == ACTIVITY_PAGE_SIZE
    more = find_all(html, "li", id="activity-more")
    assert len(more) == 1
    button = find_all(str(more[0]), "button")[0]
    assert _attrs(button)["hx-get"] == reverse("projects:activity", args=["MALL"]) + "?page=2"


def test_show_more_returns_only_the_next_items(client, project, owner):
    # Given 26 rows in all (25 + "created"), 20 per page
    _many_activities(project, owner, 25)
    client.force_login(owner)
    # When "Show more" asks for page 2
    response = client.get(reverse("projects:activity", args=["MALL"]), {"page": 2}, **HTMX)
    # Then only the 6 oldest <li> items come back, without the page around them
    html = assert_fragment(response)
    items = [li for li in find_all(html, "li") if "data-activity" in _attrs(li)]
    assert len(items) == 26 - ACTIVITY_PAGE_SIZE
    assert _attrs(items[-1])["data-activity"] == "project.created"  # the oldest row
    assert not find_all(html, "li", id="activity-more")
    assert 'id="activity-feed"' not in html
    assert "<ul" not in html


def test_show_more_past_the_end_gives_the_last_page(client, project, owner):
    client.force_login(owner)
    response = client.get(reverse("projects:activity", args=["MALL"]), {"page": "99"})
    html = assert_fragment(response)
    assert [_attrs(li)["data-activity"] for li in find_all(html, "li")] == ["project.created"]


def test_detail_of_unknown_project_is_404(client, owner):
    client.force_login(owner)
    assert client.get(reverse("projects:detail", args=["NOPE"])).status_code == 404


# ---------------------------------------------------------------- settings


def test_owner_saves_name_and_phase(client, project, owner):
    # Given MALL in discovery
    client.force_login(owner)
    url = reverse("projects:settings", args=["MALL"])
    # When the owner renames it and moves it to design
    response = client.post(url, settings_data(project, name="母婴电商 App 3.0", phase="design"))
    # Then it is saved, they come back to the settings, and the history records it
    assert response.status_code == 302
    assert response["Location"] == url
    project.refresh_from_db()
    assert (project.name, project.phase) == ("母婴电商 App 3.0", "design")
    change = PhaseChange.objects.filter(project=project).latest("id")
    assert (change.from_phase, change.to_phase, change.changed_by) == ("discovery", "design", owner)
    activity = Activity.objects.filter(project=project).latest("id")
    assert activity.verb == "project.updated"
    assert activity.actor == owner
    assert activity.after == {"name": "母婴电商 App 3.0", "phase": "design"}
    page = client.get(url).content.decode()
    assert zh("Project settings saved.") in page
    assert 'value="母婴电商 App 3.0"' in page


def test_settings_page_shows_the_saved_message_once(client, project, owner):
    # Regression: the members panel used to repeat the page's flash messages.
    client.force_login(owner)
    url = reverse("projects:settings", args=["MALL"])
    client.post(url, settings_data(project, name="新名字"))
    page = client.get(url).content.decode()
    assert page.count(zh("Project settings saved.")) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency": "ZZZ"}, "currency"),
        ({"timezone": "Nowhere/Land"}, "timezone"),
        ({"start_date": "2026-09-30", "target_date": "2026-03-01"}, "target_date"),
        ({"budget": "-100"}, "budget"),
        ({"name": ""}, "name"),
    ],
)
def test_settings_bad_input_shows_the_field_error_and_changes_nothing(
    client, project, owner, overrides, field
):
    # Given MALL, when the owner submits a rename together with one bad field
    client.force_login(owner)
    before = _state(project)
    activity_count = Activity.objects.count()
    response = client.post(
        reverse("projects:settings", args=["MALL"]),
        settings_data(project, **{"name": "改了名字", **overrides}),
    )
    # Then the error sits beside that field, and neither the rename nor anything else is saved
    assert response.status_code == 200
    assert field_errors(response, field)
    assert fields_with_errors(response) == {field}
    assert _state(project) == before
    assert Activity.objects.count() == activity_count
    # and the page header still shows the saved name, not the rejected one
    header = find_all(response.content.decode(), "h1")[0]
    assert "母婴电商 App 2.0" in text(header)


def test_settings_key_cannot_be_changed(client, project, owner):
    # Given the settings form, whose key field is disabled
    client.force_login(owner)
    url = reverse("projects:settings", args=["MALL"])
    key_input = find_all(client.get(url).content.decode(), "input", name="key")[0]
    assert "disabled" in _attrs(key_input)
    # When a crafted POST sends another key with a new name
    response = client.post(url, settings_data(project, key="HACK", name="新名字"))
    # Then the name is saved and the key is not
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.key, project.name) == ("MALL", "新名字")
    assert not Project.objects.filter(key="HACK").exists()


def test_settings_with_no_change_records_no_activity(client, project, owner):
    client.force_login(owner)
    count = Activity.objects.count()
    response = client.post(reverse("projects:settings", args=["MALL"]), settings_data(project))
    assert response.status_code == 302
    assert Activity.objects.count() == count


# ---------------------------------------------------------------- members over htmx


@pytest.fixture
def newcomer(db):
    return UserFactory(username="hanmeimei", display_name="韩梅梅", email="Mei.Han@example.com")


def _post_member_add(client, value: str, role: str = Role.MEMBER):
    return client.post(
        reverse("projects:member_add", args=["MALL"]), {"user": value, "role": role}, **HTMX
    )


@pytest.mark.parametrize("typed", ["hanmeimei", "  HanMeiMei ", "mei.han@example.com"])
def test_add_member_by_login_or_email(client, project, owner, newcomer, typed):
    # Given the owner on the settings page
    client.force_login(owner)
    # When they add someone by login name or e-mail (any case)
    response = _post_member_add(client, typed)
    # Then the members panel alone comes back, with the new member in it
    html = assert_fragment(response)
    assert html.lstrip().startswith('<section class="panel" id="members">')
    assert members_shown(response) == ["owner", "hanmeimei"]
    assert membership_of(project, newcomer).role == Role.MEMBER
    activity = Activity.objects.filter(project=project).latest("id")
    assert (activity.verb, activity.actor) == ("member.added", owner)


def test_add_member_as_viewer(client, project, owner, newcomer):
    client.force_login(owner)
    _post_member_add(client, "hanmeimei", Role.VIEWER)
    assert membership_of(project, newcomer).role == Role.VIEWER


def test_add_unknown_user_shows_the_error_in_the_fragment(client, project, owner):
    client.force_login(owner)
    count = Membership.objects.count()
    response = _post_member_add(client, "nobody@example.com")
    assert_fragment(response)
    assert field_errors(response, "user") == [zh("No active user with this login or e-mail.")]
    # what was typed stays in the box, so it can be corrected
    assert _attrs(find_all(response.content.decode(), "input", name="user")[0])["value"] == (
        "nobody@example.com"
    )
    assert Membership.objects.count() == count


def test_add_deactivated_user_is_refused(client, project, owner):
    UserFactory(username="gone", is_active=False)
    client.force_login(owner)
    response = _post_member_add(client, "gone")
    assert field_errors(response, "user")
    assert not Membership.objects.filter(user__username="gone").exists()


def test_add_existing_member_is_refused(client, project, owner, member):
    # Given 李雷 is already a member
    client.force_login(owner)
    count = Membership.objects.count()
    # When the owner adds him again, as a viewer
    response = _post_member_add(client, "member", Role.VIEWER)
    # Then the panel says he already is, and his role did not change
    assert_fragment(response)
    with translation.override("zh-hans"):
        expected = translation.gettext("%(user)s is already a member of this project.") % {
            "user": "李雷"
        }
    assert field_errors(response, "user") == [expected]
    assert Membership.objects.count() == count
    assert membership_of(project, member).role == Role.MEMBER


def test_add_member_with_unknown_role_is_refused(client, project, owner, newcomer):
    client.force_login(owner)
    response = _post_member_add(client, "hanmeimei", "admin")
    assert field_errors(response, "role")
    assert not Membership.objects.filter(user=newcomer).exists()


def test_add_member_without_htmx_redirects_to_settings(client, project, owner, newcomer):
    client.force_login(owner)
    response = client.post(
        reverse("projects:member_add", args=["MALL"]), {"user": "hanmeimei", "role": "member"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:settings", args=["MALL"])
    assert Membership.objects.filter(user=newcomer).exists()


def test_add_member_error_without_htmx_is_the_full_page_with_400(client, project, owner):
    client.force_login(owner)
    response = client.post(
        reverse("projects:member_add", args=["MALL"]), {"user": "nobody", "role": "member"}
    )
    assert response.status_code == 400
    assert "<html" in response.content.decode()
    assert field_errors(response, "user")


def test_change_role(client, project, owner, member):
    # Given 李雷 is a member, when the owner makes him a viewer
    client.force_login(owner)
    membership = membership_of(project, member)
    response = client.post(
        reverse("projects:member_role", args=["MALL", membership.pk]), {"role": "viewer"}, **HTMX
    )
    # Then the panel comes back with his new role selected, and it is saved
    html = assert_fragment(response)
    row = find_all(html, "tr", data_member="member")[0]
    selected = [_attrs(o)["value"] for o in find_all(str(row), "option") if "selected" in _attrs(o)]
    assert selected == ["viewer"]
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER
    assert not can_edit(member, project)


def test_change_role_to_nonsense_is_refused(client, project, owner, member):
    client.force_login(owner)
    membership = membership_of(project, member)
    response = client.post(
        reverse("projects:member_role", args=["MALL", membership.pk]), {"role": "king"}, **HTMX
    )
    assert zh("Choose one of the roles.") in assert_fragment(response)
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_remove_member(client, project, owner, member):
    client.force_login(owner)
    membership = membership_of(project, member)
    response = client.post(reverse("projects:member_remove", args=["MALL", membership.pk]), **HTMX)
    assert_fragment(response)
    assert members_shown(response) == ["owner"]
    assert not Membership.objects.filter(pk=membership.pk).exists()
    # and MALL is gone for him
    client.force_login(member)
    assert client.get(reverse("projects:detail", args=["MALL"])).status_code == 404


def test_membership_of_another_project_is_404(client, project, owner):
    # Given the owner of MALL, and a membership in someone else's project
    other = make_project(key="OTHER")
    foreign = Membership.objects.get(project=other)
    client.force_login(owner)
    # When they post MALL's URL with that membership's id
    response = client.post(reverse("projects:member_remove", args=["MALL", foreign.pk]), **HTMX)
    # Then it does not exist here, and it is untouched
    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_last_owner_cannot_be_demoted(client, project, owner, member):
    # Given 王芳 is MALL's only owner
    client.force_login(owner)
    membership = membership_of(project, owner)
    # When she tries to make herself a member
    response = client.post(
        reverse("projects:member_role", args=["MALL", membership.pk]), {"role": "member"}, **HTMX
    )
    # Then the panel explains why not, and she is still owner
    html = assert_fragment(response)
    assert zh("A project needs at least one owner: make someone else owner first.") in html
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_last_owner_cannot_be_removed(client, project, owner, member):
    client.force_login(owner)
    membership = membership_of(project, owner)
    response = client.post(reverse("projects:member_remove", args=["MALL", membership.pk]), **HTMX)
    html = assert_fragment(response)
    assert zh("A project needs at least one owner: make someone else owner first.") in html
    assert members_shown(response) == ["owner", "member"]
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_owner_can_be_demoted_when_another_owner_exists(client, project, owner, member):
    client.force_login(owner)
    client.post(
        reverse("projects:member_role", args=["MALL", membership_of(project, member).pk]),
        {"role": "owner"},
        **HTMX,
    )
    mine = membership_of(project, owner)
    client.post(reverse("projects:member_role", args=["MALL", mine.pk]), {"role": "member"}, **HTMX)
    mine.refresh_from_db()
    assert mine.role == Role.MEMBER


def test_owner_removing_themself_is_sent_to_the_project_list(client, project, owner, member):
    # Given MALL has a second owner
    add_member(project, UserFactory(username="second"), Role.OWNER)
    client.force_login(owner)
    mine = membership_of(project, owner)
    # When the first owner removes herself
    response = client.post(reverse("projects:member_remove", args=["MALL", mine.pk]), **HTMX)
    # Then htmx is told to leave the settings page (no longer hers) for the project list
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("projects:list")
    assert not Membership.objects.filter(pk=mine.pk).exists()
    assert client.get(reverse("projects:detail", args=["MALL"])).status_code == 404


# ---------------------------------------------------------------- archive


def test_archive_hides_the_project_and_makes_it_read_only(client, project, owner, member):
    # Given MALL, active, with a member who can edit it
    assert can_edit(member, project)
    client.force_login(owner)
    # When the owner archives it
    response = client.post(reverse("projects:archive", args=["MALL"]), {"archived": "true"})
    # Then they are back on the settings, which offer to restore it
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:settings", args=["MALL"])
    page = client.get(response["Location"]).content.decode()
    assert zh("Restore project") in page
    assert zh("Project archived. It is read-only until restored.") in page
    # and it left the default list, but is found among the archived
    assert project_keys_shown(client.get(reverse("projects:list"))) == []
    assert project_keys_shown(client.get(reverse("projects:list"), {"archived": "only"})) == [
        "MALL"
    ]
    # and nobody can change its work any more
    project.refresh_from_db()
    assert project.archived
    assert not can_edit(member, project)
    assert not can_edit(owner, project)
    assert Activity.objects.filter(project=project).latest("id").verb == "project.archived"


def test_restore_from_archive(client, project, owner, member):
    client.force_login(owner)
    client.post(reverse("projects:archive", args=["MALL"]), {"archived": "true"})
    client.post(reverse("projects:archive", args=["MALL"]), {"archived": "false"})
    project.refresh_from_db()
    assert not project.archived
    assert can_edit(member, project)
    assert project_keys_shown(client.get(reverse("projects:list"))) == ["MALL"]


def test_archive_over_htmx_redirects_the_client(client, project, owner):
    client.force_login(owner)
    response = client.post(reverse("projects:archive", args=["MALL"]), {"archived": "true"}, **HTMX)
    assert response["HX-Redirect"] == reverse("projects:settings", args=["MALL"])


def test_archived_project_is_still_readable_by_members(client, project, owner, viewer):
    client.force_login(owner)
    client.post(reverse("projects:archive", args=["MALL"]), {"archived": "true"})
    client.force_login(viewer)
    response = client.get(reverse("projects:detail", args=["MALL"]))
    assert response.status_code == 200
    assert find_all(response.content.decode(), "span", **{"class": "badge"})


def test_archive_is_post_only(client, project, owner):
    client.force_login(owner)
    assert client.get(reverse("projects:archive", args=["MALL"])).status_code == 405
    project.refresh_from_db()
    assert not project.archived


# ---------------------------------------------------------------- query counts


def _build(owner, projects: int, members_per_project: int, prefix: str = "Q") -> None:
    """`projects` projects of the owner's (PREFIX000…), each with members and phase history."""
    from projects import services

    others = [UserFactory() for _ in range(members_per_project - 1)]
    for i in range(projects):
        p = make_project(
            owner=owner, key=f"{prefix}{i:03d}", budget=Decimal("1000"), currency="USD"
        )
        for j, user in enumerate(others):
            add_member(p, user, Role.VIEWER if j % 3 == 0 else Role.MEMBER)
        services.project_update(project=p, actor=owner, phase="design")
        services.project_update(project=p, actor=owner, phase="development")


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# Measured (SQLite and PostgreSQL alike): the list runs 4 queries (session, user,
# the paginator's count, the page of projects with owner, role and member count)
# and the detail 7 (session, user,
# project, phase history, members, activity count, activity page), at 5 projects
# x 3 members as at 40 x 8. The budgets are those measurements: a new query per
# row, or any new query, must be a decision, not an accident.
LIST_BUDGET = 4
DETAIL_BUDGET = 7


@pytest.mark.parametrize(("projects", "members"), [(5, 3), (40, 8)])
def test_project_list_query_budget(client, owner, django_assert_max_num_queries, projects, members):
    _build(owner, projects, members)
    client.force_login(owner)
    with django_assert_max_num_queries(LIST_BUDGET):
        response = client.get(reverse("projects:list"))
    assert len(project_keys_shown(response)) == projects


@pytest.mark.parametrize(("projects", "members"), [(5, 3), (40, 8)])
def test_project_detail_query_budget(
    client, owner, django_assert_max_num_queries, projects, members
):
    _build(owner, projects, members)
    client.force_login(owner)
    with django_assert_max_num_queries(DETAIL_BUDGET):
        response = client.get(reverse("projects:detail", args=["Q000"]))
    html = response.content.decode()
    assert len([li for li in find_all(html, "li") if "data-activity" in _attrs(li)]) == min(
        ACTIVITY_PAGE_SIZE, 1 + (members - 1) + 2
    )


def test_query_count_does_not_grow_with_rows(client, owner):
    # Given a PM with a small portfolio and one with a portfolio eight times bigger,
    # with more members per project and a longer history
    _build(owner, 5, 3, prefix="S")
    big_owner = UserFactory(username="bigowner")
    _build(big_owner, 40, 8, prefix="B")
    _many_activities(Project.objects.get(key="B000"), big_owner, 30)

    def measure(user, key: str) -> tuple[int, int]:
        client.force_login(user)
        return (
            _count(client, reverse("projects:list")),
            _count(client, reverse("projects:detail", args=[key])),
        )

    # When each opens their project list and one project
    small, big = measure(owner, "S000"), measure(big_owner, "B000")
    # Then both pages run exactly as many queries for the big portfolio as for the small
    assert small == big
    assert big[0] <= LIST_BUDGET
    assert big[1] <= DETAIL_BUDGET
