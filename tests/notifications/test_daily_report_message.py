"""The daily report as a DingTalk group reads it, in the channel's language: money with
its currency, percentages with %, whole counts, durations with their unit word."""

from __future__ import annotations

import pytest

from portal.notifications.services import deliveries_relay
from tests.metrics_dash.report_factories import report_with_every_unit

from .conftest import add_channel

pytestmark = pytest.mark.django_db

RAW = ["156166.0000", "62.5000", "12345.0000", "3.4500", "report.daily"]


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        (
            "zh-hans",
            {
                "GMV": ["¥156,166.00", "¥150,000.00"],
                "转化率": ["62.5%", "60%"],
                "订单数": ["12,345", "10,000"],
                "交付周期": ["3.5天", "3天"],
            },
        ),
        (
            "en",
            {
                "GMV": ["CN¥156,166.00", "CN¥150,000.00"],
                "转化率": ["62.5%", "60%"],
                "订单数": ["12,345", "10,000"],
                "交付周期": ["3.5 days", "3 days"],
            },
        ),
    ],
)
def test_the_dingtalk_message_formats_each_kpi(project, owner, dingtalk, language, shown):
    add_channel(
        actor=owner,
        kind="dingtalk",
        url=dingtalk.url,
        project=project,
        language=language,
        events=["report.daily"],
    )
    report_with_every_unit(project)

    assert deliveries_relay() == 1

    (message,) = dingtalk.shown.values()
    lines = message["text"].splitlines()
    for name, values in shown.items():
        (line,) = [line for line in lines if line.startswith(name)]
        for value in values:  # the day's value, then the target
            assert value in line, line
    for raw in RAW:
        assert raw not in message["text"] + message["title"]
