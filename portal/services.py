"""Writes for the portal core: the user's own preferences."""

from typing import Any

from django.db import transaction

from .activity import changed_fields
from .models import User

PROFILE_FIELDS = {"display_name", "email", "language", "timezone", "department"}


@transaction.atomic
def user_update_profile(*, user: User, **changes: Any) -> User:
    """A user changes their own preferences. Not project activity, so no feed row."""
    changes = {k: v for k, v in changes.items() if k in PROFILE_FIELDS}
    _, after = changed_fields(user, changes)
    if after:
        user.full_clean(exclude=["password", "username"])
        user.save(update_fields=list(after))
    return user
