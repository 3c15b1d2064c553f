import itertools

from portal.roles import Role
from projects import services
from tests.portal.factories import UserFactory

_keys = itertools.count(100)


def make_project(*, owner=None, key=None, name=None, **kwargs):
    """A project created through the real service (owner membership, phase row, activity)."""
    owner = owner or UserFactory()
    key = key or f"P{next(_keys)}"
    return services.project_create(actor=owner, key=key, name=name or f"项目 {key}", **kwargs)


def add_member(project, user=None, role=Role.MEMBER):
    user = user or UserFactory()
    services.member_add(project=project, user=user, role=role, actor=project.owner)
    return user
