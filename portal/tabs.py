"""The tabs of a project page, as the apps register them (`portal.navigation`) and the
user's role shows them."""

from django.urls import reverse

from .navigation import project_tabs
from .permissions import role_for
from .roles import role_at_least


def tabs_for(project, active: str, user) -> list[dict]:
    role = role_for(user, project)
    return [
        {
            "key": tab.key,
            "label": tab.label,
            "url": reverse(tab.url_name, args=[project.key]),
            "active": tab.key == active,
        }
        for tab in project_tabs()
        if role_at_least(role, tab.min_role)
    ]
