"""An import plan written: the rows created through the services, in file order."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.errors import ApplicationError
from portal.models import Project

from .. import services
from ..models import Requirement
from .plan import ImportPlan

# ---------------------------------------------------------------- import: the writes


@transaction.atomic
def import_backlog(
    *, project: Project, actor: Any, plan: ImportPlan, valid_only: bool = False
) -> list[Requirement]:
    """Create the plan's requirements at the bottom of the backlog, in file order, with
    their KPI links: all of them or none. With rows in error, nothing is imported unless
    `valid_only`, which imports the good rows and skips the others."""
    if plan.project_id != project.pk:
        raise ValueError("the plan was checked against another project")
    if plan.errors and not valid_only:
        raise ApplicationError(
            ngettext(
                "%(count)s row has errors. Nothing was imported.",
                "%(count)s rows have errors. Nothing was imported.",
                plan.invalid_count,
            )
            % {"count": plan.invalid_count}
        )
    rows = plan.valid_rows
    if not rows:
        raise ApplicationError(_("No row can be imported."))
    created = []
    for row in rows:
        try:
            created.append(
                services.requirement_create(
                    project=project,
                    actor=actor,
                    title=row.title,
                    kpi_links=row.kpi_links,
                    **row.fields,
                )
            )
        except ApplicationError as exc:
            # Checked a moment ago, so something changed since (a KPI deleted, the
            # project archived): the whole import rolls back and says where it stopped.
            raise ApplicationError(
                _("Row %(row)s: %(message)s. Nothing was imported.")
                % {"row": row.row, "message": exc.message.rstrip(".。")}
            ) from exc
        except ValidationError as exc:
            raise ApplicationError(
                _("Row %(row)s: %(message)s. Nothing was imported.")
                % {"row": row.row, "message": "; ".join(exc.messages).rstrip(".。")}
            ) from exc
    return created
