"""Forms for the board, sprints and retrospectives."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from portal.forms_util import UserChoiceField, form_field
from portal.validators import validate_date_in_range

from .forms import DateInput
from .models import (
    ColumnCategory,
    Priority,
    RetroKind,
    Sprint,
    SprintState,
    WorkflowColumn,
    WorkItemType,
)


def member_users(project, *, writers_only: bool = True):
    qs = get_user_model().objects.filter(memberships__project=project)
    if writers_only:
        qs = qs.exclude(memberships__role="viewer")
    return qs.order_by("username").distinct()


class LabelsField(forms.CharField):
    """Comma-separated labels (中文逗号 too) ↔ a list."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value):
        value = super().to_python(value) or ""
        return [part.strip() for part in value.replace("，", ",").split(",") if part.strip()]


class WorkItemForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    type = forms.ChoiceField(label=_("type"), choices=WorkItemType.choices)
    assignee = UserChoiceField(label=_("assignee"), queryset=None, required=False)
    story_points = forms.IntegerField(
        label=_("story points"), min_value=0, max_value=100, required=False
    )
    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices)
    sprint: forms.ModelChoiceField[Sprint] = forms.ModelChoiceField(
        label=_("sprint"), queryset=None, required=False
    )
    labels = LabelsField(label=_("labels"), required=False, help_text=_("Separate with commas."))
    due_date = forms.DateField(
        label=_("due date"),
        required=False,
        widget=DateInput(),
        validators=[validate_date_in_range],
    )
    blocked = forms.BooleanField(label=_("blocked"), required=False)
    blocked_reason = forms.CharField(label=_("blocked reason"), required=False, max_length=300)
    description = forms.CharField(
        label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        assignee = form_field(self, "assignee", forms.ModelChoiceField)
        assignee.queryset = member_users(project)
        assignee.empty_label = _("Unassigned")
        sprint = form_field(self, "sprint", forms.ModelChoiceField)
        sprint.queryset = project.sprints.exclude(state=SprintState.CLOSED).order_by("start")
        sprint.empty_label = _("Backlog (no sprint)")

    def clean(self):
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        if data.get("blocked") and not (data.get("blocked_reason") or "").strip():
            self.add_error("blocked_reason", _("Say what blocks this item."))
        return data


class QuickAddForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    column = forms.ModelChoiceField(queryset=WorkflowColumn.objects.none(), required=False)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "column", forms.ModelChoiceField).queryset = project.columns.all()


class MoveForm(forms.Form):
    item = forms.IntegerField()
    column = forms.IntegerField()
    before = forms.IntegerField(required=False)
    after = forms.IntegerField(required=False)


class SprintForm(forms.ModelForm):
    class Meta:
        model = Sprint
        fields = ["name", "goal", "start", "end"]
        widgets = {
            "start": DateInput(),
            "end": DateInput(),
            "goal": forms.Textarea(attrs={"rows": 2}),
        }


class SprintCloseForm(forms.Form):
    carry_to = forms.ModelChoiceField(
        label=_("Unfinished items go to"), queryset=Sprint.objects.none(), required=False
    )

    def __init__(self, *args, sprint, **kwargs):
        super().__init__(*args, **kwargs)
        carry_to = form_field(self, "carry_to", forms.ModelChoiceField)
        carry_to.queryset = sprint.project.sprints.filter(state=SprintState.PLANNED).order_by(
            "start"
        )
        carry_to.empty_label = _("The backlog")


class ColumnForm(forms.ModelForm):
    class Meta:
        model = WorkflowColumn
        fields = ["name", "category", "wip_limit", "wip_enforced"]


class ColumnCategoryField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=ColumnCategory.choices, **kwargs)


class RetroItemForm(forms.Form):
    kind = forms.ChoiceField(choices=RetroKind.choices)
    text = forms.CharField(label=_("text"), max_length=500)
    owner = UserChoiceField(label=_("owner"), queryset=None, required=False)
    due_date = forms.DateField(
        label=_("due date"),
        required=False,
        widget=DateInput(),
        validators=[validate_date_in_range],
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "owner", forms.ModelChoiceField).queryset = member_users(project)


class StandupNoteForm(forms.Form):
    text = forms.CharField(
        label=_("Stand-up note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class SprintSettingsForm(forms.Form):
    sprint_min_weeks = forms.IntegerField(
        label=_("shortest sprint (weeks)"), min_value=1, max_value=8
    )
    sprint_max_weeks = forms.IntegerField(
        label=_("longest sprint (weeks)"), min_value=1, max_value=8
    )

    def clean(self):
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        if (data.get("sprint_min_weeks") or 0) > (data.get("sprint_max_weeks") or 99):
            self.add_error(
                "sprint_max_weeks", _("The longest sprint cannot be shorter than the shortest.")
            )
        return data
