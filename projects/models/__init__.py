from .board import (
    DEFAULT_COLUMNS,
    ColumnCategory,
    ColumnChange,
    Priority,
    WorkflowColumn,
    WorkItem,
    WorkItemType,
)
from .project import Health, Membership, Phase, PhaseChange, Project, project_key_validator
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
    "Health",
    "Membership",
    "Phase",
    "PhaseChange",
    "Priority",
    "Project",
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
    "project_key_validator",
]
