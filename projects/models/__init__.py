from .board import (
    DEFAULT_COLUMNS,
    ColumnCategory,
    ColumnChange,
    Priority,
    WorkflowColumn,
    WorkItem,
    WorkItemType,
)
from .sprint import (
    RetroItem,
    RetroKind,
    Retrospective,
    Sprint,
    SprintScopeChange,
    SprintState,
    StandupNote,
)

__all__ = [
    "DEFAULT_COLUMNS",
    "ColumnCategory",
    "ColumnChange",
    "Priority",
    "RetroItem",
    "RetroKind",
    "Retrospective",
    "Sprint",
    "SprintScopeChange",
    "SprintState",
    "StandupNote",
    "WorkItem",
    "WorkItemType",
    "WorkflowColumn",
]
