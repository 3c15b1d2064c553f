"""Activity rows read as sentences, whatever fields a service recorded."""

import pytest

from portal.activity import activity_record, change_lines, describe
from portal.models import Phase, Project


@pytest.mark.django_db
def test_a_recorded_key_named_like_a_reverse_relation_still_reads(owner, project):
    # Given a row whose "after" uses a key that is also a reverse relation of the model
    # (Project.memberships), as a service recording a count would
    row = activity_record(
        actor=owner,
        verb="project.updated",
        target=project,
        project=project,
        after={"memberships": 3},
    )
    # Then the feed can still render it (this crashed the home page once)
    assert "王芳" in describe(row)
    assert change_lines(row) == [("memberships", "—", "3")]


@pytest.mark.django_db
def test_choice_values_read_as_their_labels(owner, project):
    row = activity_record(
        actor=owner,
        verb="project.phase_changed",
        target=project,
        project=project,
        before={"phase": "design"},
        after={"phase": "gray_release"},
    )
    lines = change_lines(row)
    assert lines[0][0] == str(Project._meta.get_field("phase").verbose_name)
    assert lines[0][1:] == (str(Phase.DESIGN.label), str(Phase.GRAY_RELEASE.label))


@pytest.mark.django_db
def test_list_values_read_as_a_list(owner, project):
    # A service may record several values at once (the fields a channel edit touched)
    row = activity_record(
        actor=owner,
        verb="project.updated",
        target=project,
        project=project,
        after={"phase": ["design", "testing"]},
    )
    assert change_lines(row)[0][2] == f"{Phase.DESIGN.label}, {Phase.TESTING.label}"
    assert describe(row)
