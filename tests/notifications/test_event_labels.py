"""People read events by their name (指标变红 / KPI turned red), never by their code
(`kpi.red`): in the events a channel receives, the delivery log and its filter. The code
stays the value sent, stored and posted to webhooks."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from portal.notifications.models import Subscription

from .conftest import add_channel, occur

pytestmark = pytest.mark.django_db

CODES = ["kpi.red", "risk.escalated", "risk.occurred", "report.daily", "work_item.blocked"]


def visible(html: str) -> str:
    """The text a reader sees (tags and attribute values, such as option values, dropped)."""
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_settings_page_names_events_in_the_readers_language(client, project, owner, language):
    owner.language = language
    owner.save(update_fields=["language"])
    channel = add_channel(
        actor=owner, kind="webhook", url="http://127.0.0.1:9/hook", project=project
    )
    occur(project, 3)  # one risk.occurred delivery in the log
    client.force_login(owner)

    html = client.get(reverse("projects:notifications", args=["MALL"])).content.decode()
    page = visible(html)

    with translation.override(language):
        for label in ("KPI turned red", "Risk level rose", "Risk occurred"):
            assert gettext(label) in page
    for code in CODES:
        assert code not in page
    # The checkboxes and the filter still send the codes.
    assert re.search(rf'name="s{channel.pk}-events" value="kpi.red"', html)
    assert re.search(r'<option value="risk.escalated">', html)
    assert Subscription.objects.get(channel=channel).events == ["*"]


def test_the_subscription_shows_the_chinese_label_of_kpi_red(client, project, owner):
    channel = add_channel(
        actor=owner, kind="webhook", url="http://127.0.0.1:9/hook", project=project
    )
    client.force_login(owner)  # reads in Chinese

    html = client.get(reverse("projects:notifications", args=["MALL"])).content.decode()

    (label,) = re.findall(
        rf'<input type="checkbox" name="s{channel.pk}-events" value="kpi.red"[^>]*>\s*([^<]+)</label>',
        html,
    )
    with translation.override("zh-hans"):
        assert label.strip() == gettext("KPI turned red") == "指标变红"
