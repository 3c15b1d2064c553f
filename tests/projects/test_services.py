"""Project services: the rules that hold whichever door (page, API, task) a change comes in by."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from portal.activity import describe
from portal.errors import ApplicationError
from portal.models import Activity, Membership, Project
from portal.roles import Role
from projects import services
from tests.portal.factories import UserFactory
from tests.projects.factories import add_member, make_project


@pytest.mark.django_db
def test_update_without_change_writes_no_activity(owner, project):
    before = Activity.objects.count()
    services.project_update(project=project, actor=owner, name=project.name)
    assert Activity.objects.count() == before


@pytest.mark.django_db
def test_update_records_before_and_after_in_people_words(owner, project):
    owner.language = "en"
    services.project_update(project=project, actor=owner, phase="gray_release")
    row = Activity.objects.filter(project=project).first()
    assert row.verb == "project.phase_changed"
    from django.utils import translation

    with translation.override("en"):
        assert describe(row) == "王芳 moved MALL · 母婴电商 App 2.0 from Discovery to Gray release"


@pytest.mark.django_db
def test_update_rejects_unknown_fields(owner, project):
    with pytest.raises(ApplicationError):
        services.project_update(project=project, actor=owner, key="NEW")
    project.refresh_from_db()
    assert project.key == "MALL"


@pytest.mark.django_db
def test_create_validates_before_writing(owner):
    with pytest.raises(ValidationError) as exc:
        services.project_create(actor=owner, key="OK", name="x", timezone_name="Nowhere/City")
    assert "timezone" in exc.value.message_dict
    assert Project.objects.count() == 0
    assert Activity.objects.count() == 0


@pytest.mark.django_db
def test_member_remove_keeps_history(owner, project, member):
    membership = Membership.objects.get(project=project, user=member)
    services.member_remove(membership=membership, actor=owner)
    assert not Membership.objects.filter(project=project, user=member).exists()
    row = Activity.objects.filter(project=project, verb="member.removed").get()
    assert row.before == {"user": "李雷", "role": "member"}


@pytest.mark.django_db
def test_second_owner_can_step_down(owner, project):
    second = add_member(project, role=Role.OWNER)
    services.member_change_role(
        membership=Membership.objects.get(project=project, user=owner), role="member", actor=second
    )
    assert Membership.objects.get(project=project, user=owner).role == "member"


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner():
    """Two browsers, two transactions: without locking both demotions pass and nobody owns it."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers anyway")
    first = UserFactory(username="first")
    second = UserFactory(username="second")
    project = make_project(owner=first, key="RACE")
    add_member(project, second, Role.OWNER)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def demote(target, actor):
        try:
            barrier.wait(timeout=5)
            membership = Membership.objects.get(project=project, user=target)
            services.member_change_role(membership=membership, role="member", actor=actor)
        except ApplicationError as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=demote, args=(first, second)),
        threading.Thread(target=demote, args=(second, first)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert Membership.objects.filter(project=project, role=Role.OWNER).count() == 1
    assert len(errors) == 1


@pytest.mark.django_db(transaction=True)
def test_same_key_created_twice_at_once_gives_one_project_and_a_field_error():
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (PostgreSQL)")
    users = [UserFactory(username=f"racer{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def create(user):
        try:
            barrier.wait(timeout=5)
            outcomes.append(services.project_create(actor=user, key="SAME", name="同名"))
        except (ApplicationError, ValidationError) as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert Project.objects.filter(key="SAME").count() == 1
    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert len(failures) == 1
    failure = failures[0]
    field = (
        failure.field if isinstance(failure, ApplicationError) else next(iter(failure.message_dict))
    )
    assert field == "key"
    # The loser left nothing behind: one owner membership, one creation row.
    assert Membership.objects.count() == 1
    assert Activity.objects.filter(verb="project.created").count() == 1
