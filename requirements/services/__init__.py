"""Writes to the requirement backlog. One transaction per use case; activity rows and the
`requirement.p0` event are written inside it.

Every change to a project's backlog order takes the project row lock first
(`common._lock`), so two PMs dragging at the same time are applied one after the other
and ranks never collide. The package re-exports every use case: callers keep writing
`services.requirement_create(...)`.
"""

from .collaboration import (
    backlog_view_delete,
    backlog_view_save,
    requirement_comment_add,
    requirement_promote,
    work_item_link,
)
from .common import (
    EDITABLE_FIELDS,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    QUICK_FIELDS,
    clean_tags,
)
from .kpi_links import (
    requirement_kpi_link,
    requirement_kpi_unlink,
    requirement_kpis_replace,
)
from .lifecycle import (
    requirement_create,
    requirement_delete,
    requirement_reject,
    requirement_triage,
    requirement_update,
    requirements_bulk_update,
)
from .order import (
    requirement_move,
    requirements_reorder,
)
from .survey import (
    kano_response_delete,
    kano_response_record,
)

__all__ = [
    "EDITABLE_FIELDS",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "QUICK_FIELDS",
    "backlog_view_delete",
    "backlog_view_save",
    "clean_tags",
    "kano_response_delete",
    "kano_response_record",
    "requirement_comment_add",
    "requirement_create",
    "requirement_delete",
    "requirement_kpi_link",
    "requirement_kpi_unlink",
    "requirement_kpis_replace",
    "requirement_move",
    "requirement_promote",
    "requirement_reject",
    "requirement_triage",
    "requirement_update",
    "requirements_bulk_update",
    "requirements_reorder",
    "work_item_link",
]
