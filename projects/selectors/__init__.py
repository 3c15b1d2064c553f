"""Read queries for projects, the board and sprints (re-exported)."""

from .project import (  # noqa: F401
    member_count,
    project_activity,
    project_list,
    project_members,
    project_phase_changes,
)
