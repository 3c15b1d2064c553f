"""The home page: part of the site's composition, so it may read every app."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.shortcuts import render

from projects.selectors import activity_for_user, project_list


@login_required
def home(request: HttpRequest):
    projects = list(project_list(user=request.user))
    activity = list(activity_for_user(user=request.user)[:15])
    return render(
        request,
        "portal/home.html",
        {"projects": projects, "activity": activity},
    )
