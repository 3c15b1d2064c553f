"""The home page points owners and members at the requirements waiting for triage."""

import pytest
from django.urls import reverse

from requirements import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(project, owner):
    for title in ("拼团", "直播带货", "优惠券叠加"):
        services.requirement_create(project=project, actor=owner, title=title)
    triaged = services.requirement_create(project=project, actor=owner, title="会员积分")
    services.requirement_triage(requirement=triaged, actor=owner, moscow="should", priority="P2")
    return project


def test_a_member_sees_how_many_requirements_wait_for_triage(client, waiting, member):
    client.force_login(member)

    page = client.get(reverse("website:home")).content.decode()

    link = reverse("requirements:triage", args=[waiting.key])
    assert f'href="{link}"' in page
    assert 'data-triage-project="MALL"' in page
    # Three new ones; the triaged one does not count.
    assert '<span class="badge badge-warn">3</span>' in page


def test_a_viewer_is_not_asked_to_triage(client, waiting, viewer):
    client.force_login(viewer)

    page = client.get(reverse("website:home")).content.decode()

    assert "data-to-triage" not in page


def test_nothing_to_triage_shows_no_panel(client, project, member):
    client.force_login(member)

    assert "data-to-triage" not in client.get(reverse("website:home")).content.decode()
