"""The Kano survey: answers recorded and withdrawn."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from portal import clock
from portal.activity import activity_record
from portal.errors import ApplicationError

from ..models import (
    Answer,
    KanoResponse,
    Requirement,
)

# ---------------------------------------------------------------- Kano survey


def _check_answer(value: str, field: str) -> None:
    if value not in Answer.values:
        raise ApplicationError(
            _("Answer with one of: like, expect, neutral, tolerate, dislike."), field=field
        )


@transaction.atomic
def kano_response_record(
    *,
    requirement: Requirement,
    actor: Any,
    functional: str,
    dysfunctional: str,
    respondent_name: str = "",
) -> KanoResponse:
    """The actor's own answer (answering again replaces it), or, with `respondent_name`,
    an answer the actor collected from someone outside the portal."""
    _check_answer(functional, "functional")
    _check_answer(dysfunctional, "dysfunctional")
    respondent_name = (respondent_name or "").strip()
    if len(respondent_name) > 80:
        raise ApplicationError(_("At most 80 characters."), field="respondent_name")
    now = clock.now()
    if respondent_name:
        response = KanoResponse.objects.create(
            requirement=requirement,
            respondent=None,
            respondent_name=respondent_name,
            functional=functional,
            dysfunctional=dysfunctional,
            recorded_by=actor,
            created_at=now,
        )
    else:
        response, _created = KanoResponse.objects.update_or_create(
            requirement=requirement,
            respondent=actor,
            defaults={
                "functional": functional,
                "dysfunctional": dysfunctional,
                "recorded_by": actor,
                "created_at": now,
            },
        )
    activity_record(
        actor=actor,
        verb="requirement.surveyed",
        target=requirement,
        project=requirement.project,
        after={"kano_class": response.kano_class},
        label=str(requirement),
    )
    return response


@transaction.atomic
def kano_response_delete(*, response: KanoResponse, actor: Any) -> None:
    requirement = response.requirement
    activity_record(
        actor=actor,
        verb="requirement.survey_answer_removed",
        target=requirement,
        project=requirement.project,
        before={"respondent": response.who, "kano_class": response.kano_class},
        label=str(requirement),
    )
    response.delete()
