"""Review dates a client can send to the risk register lie in the planning years
(2000–2100), in the API, the review form and the service (DESIGN §7)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from portal.models import Activity
from risks import services
from risks.models import Risk, RiskReview
from tests.risks.factories import make_risk

pytestmark = pytest.mark.django_db

RISKS = "/api/v1/risks/"


def api_as(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


def web_as(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize("day", ["2101-01-01", "9999-12-31"])
def test_a_risk_reviewed_next_in_a_far_year_is_a_date_error(project, member, day):
    response = api_as(member).post(
        RISKS,
        {
            "project": project.pk,
            "title": "支付通道故障",
            "category": "third_party",
            "probability": 3,
            "impact": 4,
            "next_review_date": day,
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["next_review_date"]
    assert not Risk.objects.exists()
    assert web_as(member).get(f"/projects/{project.key}/risks/").status_code == 200


@pytest.mark.parametrize("day", ["2101-01-01", "9999-12-31"])
def test_a_review_in_a_far_year_records_nothing(project, member, day):
    risk = make_risk(project, actor=member)
    activity = Activity.objects.count()

    response = api_as(member).post(
        f"{RISKS}{risk.pk}/reviews/", {"note": "复核", "next_review_date": day}, format="json"
    )
    page = web_as(member).post(
        f"/projects/{project.key}/risks/{risk.number}/review/",
        {"note": "复核", "next_review_date": day},
    )

    assert response.status_code == 400
    assert list(response.json()) == ["next_review_date"]
    assert page.status_code == 400
    assert "2000" in page.content.decode()
    assert not RiskReview.objects.exists()
    assert Activity.objects.count() == activity
    risk.refresh_from_db()
    assert risk.next_review_date is None


def test_the_review_service_refuses_a_far_year_too(project, member):
    risk = make_risk(project, actor=member)

    with pytest.raises(ValidationError) as error:
        services.risk_review(risk=risk, actor=member, next_review_date=date(9999, 12, 31))

    assert list(error.value.message_dict) == ["next_review_date"]
    assert not RiskReview.objects.exists()
