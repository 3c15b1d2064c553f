"""The project rules (portal/permissions.py): who may see, change and administer a project."""

import pytest

from portal.permissions import can_admin, can_edit, can_view
from projects import services


@pytest.mark.django_db
def test_roles_and_archiving(owner, project, member, viewer, outsider):
    assert (can_view(viewer, project), can_edit(viewer, project)) == (True, False)
    assert (can_edit(member, project), can_admin(member, project)) == (True, False)
    assert can_admin(owner, project)
    assert not can_view(outsider, project)
    services.project_update(project=project, actor=owner, archived=True)
    project.refresh_from_db()
    # Archived work is read-only for everyone, but the owner can still restore it.
    assert not can_edit(member, project)
    assert not can_edit(owner, project)
    assert can_admin(owner, project)
