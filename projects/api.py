"""REST endpoints for projects and their members (DESIGN §5)."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api.filters import PortalFilterSet
from portal.api.params import AtomicWritesMixin
from portal.api.permissions import owners_only, with_defaults
from portal.models import Project
from portal.roles import Role

from . import services
from .selectors.project import (
    project_details,
    project_members,
    projects_with_member_count,
)
from .serializers import (
    MembershipSerializer,
    ProjectDetailSerializer,
    ProjectSerializer,
)


class ProjectFilter(PortalFilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="name contains")

    class Meta:
        model = Project
        fields = ["phase", "health", "archived", "key", "currency"]


class ProjectViewSet(
    AtomicWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Projects the caller is a member of (staff: all). Owners edit; anyone signed in creates.

    Projects are archived (`archived: true`), never deleted, so nothing is lost.
    """

    filterset_class = ProjectFilter
    ordering_fields = ["name", "key", "created_at", "target_date"]
    permission_classes = with_defaults(owners_only(_("Only the project's owners can change it.")))

    def get_queryset(self):
        if self.action == "retrieve":
            return project_details(user=self.request.user)
        return projects_with_member_count(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ProjectDetailSerializer
        if self.action in ("members", "member_detail"):
            return MembershipSerializer
        return ProjectSerializer

    def get_object(self):
        project = super().get_object()
        if self.request.user.is_staff:
            project.my_role = Role.OWNER
        return project

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("archived", None)
        data["timezone_name"] = data.pop("timezone", "Asia/Shanghai")
        project = services.project_create(actor=self.request.user, **data)
        serializer.instance = self.get_queryset().get(pk=project.pk)

    def perform_update(self, serializer):
        project = serializer.instance
        changes = {k: v for k, v in serializer.validated_data.items() if k != "key"}
        services.project_update(project=project, actor=self.request.user, **changes)
        serializer.instance = self.get_queryset().get(pk=project.pk)

    @extend_schema(methods=["GET"], responses=MembershipSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=MembershipSerializer, responses={201: MembershipSerializer}
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="members",
        permission_classes=with_defaults(
            owners_only(_("Only the project's owners can add members."))
        ),
    )
    def members(self, request, pk=None):
        """GET the members; POST `{user, role}` to add one (owners only), `user` being the
        person's id or login (`user_id` and `username` are still accepted)."""
        project = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(project_members(project=project))
            return self.get_paginated_response(MembershipSerializer(page, many=True).data)
        serializer = MembershipSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.member_add(
            project=project,
            user=serializer.validated_data["user"],
            role=serializer.validated_data["role"],
            actor=request.user,
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=MembershipSerializer,
        responses=MembershipSerializer,
        parameters=[OpenApiParameter("user_id", int, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["get", "patch", "delete"],
        url_path=r"members/(?P<user_id>\d+)",
        url_name="member-detail",
        permission_classes=with_defaults(
            owners_only(_("Only the project's owners can change members."))
        ),
    )
    def member_detail(self, request, pk=None, user_id=None):
        """PATCH `{role}` to change a member's role, DELETE to remove them (owners only)."""
        project = self.get_object()
        membership = get_object_or_404(project_members(project=project), user_id=user_id)
        if request.method == "GET":
            return Response(MembershipSerializer(membership).data)
        if request.method == "DELETE":
            services.member_remove(membership=membership, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = MembershipSerializer(membership, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        membership = services.member_change_role(
            membership=membership,
            role=serializer.validated_data.get("role", membership.role),
            actor=request.user,
        )
        return Response(MembershipSerializer(membership).data)
