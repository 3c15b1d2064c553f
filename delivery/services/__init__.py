"""Writes for releases, their rollout and freeze windows (one transaction per use case)."""

from .freeze import (
    freeze_starting_announce,
    freeze_window_create,
    freeze_window_delete,
    release_hotfix_approve,
)
from .releases import (
    clean_plan,
    release_accept_risks,
    release_cancel,
    release_check,
    release_create,
    release_delete,
    release_plan_set,
    release_scope_set,
    release_update,
    work_item_release_set,
)
from .rollout import (
    guards_check,
    next_step,
    release_advance,
    release_halt,
    release_rollback,
    stage_guard_add,
    stage_metric_record,
)

__all__ = [
    "clean_plan",
    "freeze_starting_announce",
    "freeze_window_create",
    "freeze_window_delete",
    "guards_check",
    "next_step",
    "release_accept_risks",
    "release_advance",
    "release_cancel",
    "release_check",
    "release_create",
    "release_delete",
    "release_halt",
    "release_hotfix_approve",
    "release_plan_set",
    "release_rollback",
    "release_scope_set",
    "release_update",
    "stage_guard_add",
    "stage_metric_record",
    "work_item_release_set",
]
