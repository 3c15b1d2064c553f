from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A member's role in one project. Order matters: later roles include earlier rights."""

    VIEWER = "viewer", _("Viewer")
    MEMBER = "member", _("Member")
    OWNER = "owner", _("Owner")


ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.OWNER: 2}


def role_at_least(role: str | None, minimum: str) -> bool:
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(minimum)]
