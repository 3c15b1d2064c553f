"""Translate projects and members to and from JSON. No rules here: services hold them."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from portal.api.fields import StrictCharField, StrictModelSerializer
from portal.api.serializers import UserBriefSerializer
from portal.models import Membership, PhaseChange, Project, project_key_validator
from portal.permissions import projects_visible_to
from portal.roles import Role
from portal.validators import MAX_BIGINT, validate_currency, validate_timezone

from .models import WorkflowColumn


class VisibleRelationsMixin:
    """Related ids outside the caller's projects read as "does not exist", never as
    "belongs elsewhere", so ids don't leak. `visible_relations` maps a field to the project
    lookup on its model ("" when the field is the project itself)."""

    visible_relations: dict[str, str] = {"project": ""}

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is None:
            return fields
        visible = projects_visible_to(request.user).values("pk")
        for name, lookup in self.visible_relations.items():
            if name not in fields:
                continue
            relation = getattr(fields[name], "child_relation", fields[name])
            relation.queryset = relation.queryset.filter(**{f"{lookup or 'pk'}__in": visible})
        return fields


class PhaseChangeSerializer(StrictModelSerializer):
    changed_by = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = PhaseChange
        fields = ["from_phase", "to_phase", "changed_by", "at", "note"]


class ProjectSerializer(StrictModelSerializer):
    owner = UserBriefSerializer(read_only=True)
    my_role = StrictCharField(read_only=True, allow_null=True)
    member_count = serializers.IntegerField(read_only=True)
    key = StrictCharField(max_length=10, validators=[project_key_validator])
    currency = StrictCharField(max_length=3, default="CNY", validators=[validate_currency])
    timezone = StrictCharField(
        max_length=64, default="Asia/Shanghai", validators=[validate_timezone]
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "key",
            "name",
            "description",
            "owner",
            "phase",
            "health",
            "start_date",
            "target_date",
            "budget",
            "currency",
            "timezone",
            "language",
            "archived",
            "my_role",
            "member_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "owner", "my_role", "member_count", "created_at", "updated_at"]

    def to_internal_value(self, data):
        if isinstance(data, dict) and isinstance(data.get("key"), str):
            data = {**data, "key": data["key"].strip().upper()}
        return super().to_internal_value(data)

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        target = attrs.get("target_date", getattr(self.instance, "target_date", None))
        if start and target and target < start:
            raise serializers.ValidationError(
                {"target_date": [_("The target date cannot be before the start date.")]}
            )
        if self.instance is not None and "key" in attrs and attrs["key"] != self.instance.key:
            raise serializers.ValidationError({"key": [_("The project key cannot be changed.")]})
        return attrs


class ColumnBriefSerializer(StrictModelSerializer):
    class Meta:
        model = WorkflowColumn
        fields = ["id", "name", "category", "wip_limit"]
        read_only_fields = fields


class ProjectDetailSerializer(ProjectSerializer):
    phase_history = PhaseChangeSerializer(source="phase_changes", many=True, read_only=True)
    columns = ColumnBriefSerializer(many=True, read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [
            *ProjectSerializer.Meta.fields,
            "sprint_min_weeks",
            "sprint_max_weeks",
            "columns",
            "phase_history",
        ]


class UserReferenceField(serializers.Field):
    """A person named by id (a JSON integer) or login (a string), shown as their brief.

    Logins may be all digits: a string is looked up as a login first, then as an id.
    """

    default_error_messages = {
        "does_not_exist": _("No active user with this id or login."),
        "incorrect_type": _("Give the user's id (a number) or login (text)."),
    }

    def to_internal_value(self, data):
        users = get_user_model().objects.filter(is_active=True)
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type")
        if isinstance(data, str):
            login = data.strip()
            if not login or len(login) > 150 or "\x00" in login:
                self.fail("does_not_exist")
            user = users.filter(username=login).first()
            if user is None and login.isascii() and login.isdigit():
                data = int(login)
            if user is not None:
                return user
        if isinstance(data, int):
            user = users.filter(pk=data).first() if 1 <= data <= MAX_BIGINT else None
            if user is not None:
                return user
        self.fail("does_not_exist")

    def to_representation(self, value):
        return UserBriefSerializer(value).data


class UserReferenceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = UserReferenceField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "response":
            # Always answered: documented as the read-only brief it was before (and required).
            brief = auto_schema.resolve_serializer(UserBriefSerializer, direction).ref
            return {"allOf": [brief], "readOnly": True}
        return {
            "oneOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_BIGINT},
                {"type": "string", "minLength": 1, "maxLength": 150, "pattern": "^[^\\u0000]*$"},
            ],
            "description": str(_("The user's id (integer) or login (string).")),
        }


class MembershipSerializer(StrictModelSerializer):
    """A person's role in a project. To add someone, give `user`: their id or login."""

    # `user` follows the model's field name (DESIGN §5); `user_id` and `username` are the
    # older spellings, still accepted.
    user = UserReferenceField(required=False)
    user_id = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        write_only=True,
        required=False,
    )
    username = StrictCharField(write_only=True, required=False)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)

    class Meta:
        model = Membership
        fields = ["id", "user", "user_id", "username", "role", "joined_at"]
        read_only_fields = ["id", "joined_at"]

    def validate(self, attrs):
        named = [attrs.pop("user", None), attrs.pop("user_id", None)]
        username = attrs.pop("username", None)
        if username:
            user = get_user_model().objects.filter(username=username, is_active=True).first()
            if user is None:
                raise serializers.ValidationError(
                    {"username": [_("No active user with this login.")]}
                )
            named.append(user)
        people = {user.pk: user for user in named if user is not None}
        if len(people) > 1:
            raise serializers.ValidationError(
                {"user": [_("user, user_id and username name different people: give one.")]}
            )
        user = next(iter(people.values()), None)
        if self.instance is None:
            if user is None:
                raise serializers.ValidationError(
                    {"user": [_("Give the user's id or login (user).")]}
                )
            attrs["user"] = user
        elif user is not None and user.pk != self.instance.user_id:
            raise serializers.ValidationError(
                {"user": [_("A membership keeps its person: add the other person instead.")]}
            )
        return attrs
