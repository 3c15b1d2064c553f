"""Writes for projects, the board and sprints. Re-exported so callers use `services.x`."""

from .columns import (  # noqa: F401
    column_create,
    column_delete,
    column_update,
    columns_create_default,
    columns_reorder,
    lock_project,
)
from .project import (  # noqa: F401
    PROJECT_EDITABLE_FIELDS,
    member_add,
    member_change_role,
    member_remove,
    project_create,
    project_update,
)
from .sprint import (  # noqa: F401
    next_planned_sprint,
    retro_action_to_work_item,
    retro_item_add,
    sprint_close,
    sprint_create,
    sprint_start,
    sprint_update,
    standup_note_save,
)
from .work_items import (  # noqa: F401
    work_item_create,
    work_item_delete,
    work_item_move,
    work_item_update,
)
