"""Planning a release: create and change it, what it ships, its stage plan, go/no-go."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from portal import clock
from portal.activity import activity_record
from portal.errors import ApplicationError
from portal.models import Project

from ..models import (
    DEFAULT_OBSERVE_MINUTES,
    DEFAULT_PLAN,
    FINAL_STATES,
    MAX_OBSERVE_MINUTES,
    MAX_STAGES,
    Check,
    CriticalPath,
    Release,
    ReleaseState,
    RolloutStage,
    StageState,
)

# Words the release pages' addresses use (/releases/new/, /releases/freeze/…).
RESERVED_VERSIONS = {"new", "freeze", "items", "backlog"}


def lock_release(release: Release | int) -> Release:
    """The release row, locked: every change to a release and its stages takes it first, so
    two people acting at once queue and the second sees what the first did."""
    pk = release.pk if isinstance(release, Release) else release
    return Release.objects.select_for_update().select_related("project").get(pk=pk)


def clean_critical_paths(paths: Iterable[str] | None) -> list[str]:
    chosen = list(dict.fromkeys(paths or []))
    unknown = [p for p in chosen if p not in CriticalPath.values]
    if unknown:
        raise ApplicationError(
            _("Unknown critical path: %(paths)s.") % {"paths": ", ".join(map(str, unknown))},
            field="critical_paths",
        )
    return [p for p in CriticalPath.values if p in chosen]


def clean_plan(plan: Iterable[Any]) -> list[tuple[int, int]]:
    """(percent, observe minutes) per stage: 1–100 %, each more than the one before, the
    last at 100 %. Items are dicts ({percent, observe_minutes}) or bare percentages."""
    stages: list[tuple[int, int]] = []
    for entry in plan:
        raw = entry if isinstance(entry, dict) else {"percent": entry}
        try:
            percent = int(raw.get("percent"))  # type: ignore[arg-type]  # None: TypeError
            minutes = int(raw.get("observe_minutes", DEFAULT_OBSERVE_MINUTES))
        except (TypeError, ValueError):
            raise ApplicationError(
                _("Each stage needs a whole percentage."), field="stages"
            ) from None
        if not 1 <= percent <= 100:
            raise ApplicationError(_("A stage's traffic is 1–100 %."), field="stages")
        if not 0 <= minutes <= MAX_OBSERVE_MINUTES:
            raise ApplicationError(
                _("Observe a stage for 0 to %(max)s minutes (a week).")
                % {"max": MAX_OBSERVE_MINUTES},
                field="stages",
            )
        if stages and percent <= stages[-1][0]:
            raise ApplicationError(
                _("Each stage must reach more traffic than the one before."), field="stages"
            )
        stages.append((percent, minutes))
    if not stages:
        raise ApplicationError(_("A rollout needs at least one stage."), field="stages")
    if len(stages) > MAX_STAGES:
        raise ApplicationError(_("At most %(max)s stages.") % {"max": MAX_STAGES}, field="stages")
    if stages[-1][0] != 100:
        raise ApplicationError(_("The last stage must reach 100 %."), field="stages")
    return stages


@transaction.atomic
def release_create(
    *,
    project: Project,
    actor: Any,
    version: str,
    name: str = "",
    description: str = "",
    target_date: date | None = None,
    critical_paths: Iterable[str] | None = None,
    hotfix: bool = False,
    stages: Iterable[Any] | None = None,
) -> Release:
    """A planned release with its rollout plan (default 1 → 5 → 20 → 50 → 100 %)."""
    plan = clean_plan(stages if stages is not None else DEFAULT_PLAN)
    release = Release(
        project=project,
        version=(version or "").strip(),
        name=(name or "").strip(),
        description=description or "",
        target_date=target_date,
        critical_paths=clean_critical_paths(critical_paths),
        hotfix=bool(hotfix),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    release.full_clean(exclude=["project", "created_by"], validate_constraints=False)
    if release.version.lower() in RESERVED_VERSIONS:
        raise ApplicationError(
            _("“%(version)s” names a page of the releases; choose another version.")
            % {"version": release.version},
            field="version",
        )
    if Release.objects.filter(project=project, version=release.version).exists():
        raise ApplicationError(
            _("This project already has a release %(version)s.") % {"version": release.version},
            field="version",
        )
    try:
        with transaction.atomic():
            release.save()
    except IntegrityError:
        raise ApplicationError(
            _("This project already has a release %(version)s.") % {"version": release.version},
            field="version",
        ) from None
    _write_plan(release, plan)
    activity_record(
        actor=actor,
        verb="release.created",
        target=release,
        project=project,
        after={"version": release.version, "stages": [p for p, _m in plan]},
    )
    return release


def _write_plan(release: Release, plan: list[tuple[int, int]]) -> None:
    RolloutStage.objects.filter(release=release).delete()
    RolloutStage.objects.bulk_create(
        RolloutStage(release=release, position=n, percent=percent, observe_minutes=minutes)
        for n, (percent, minutes) in enumerate(plan, start=1)
    )


@transaction.atomic
def release_plan_set(*, release: Release, actor: Any, stages: Iterable[Any]) -> Release:
    """Replace the stage plan; only before the first stage starts."""
    release = lock_release(release)
    plan = clean_plan(stages)
    if release.stages.exclude(state=StageState.PENDING).exists() or release.is_final:
        raise ApplicationError(
            _("The rollout has started: its plan can no longer change."), field="stages"
        )
    before = list(release.stages.values_list("percent", flat=True))
    _write_plan(release, plan)
    activity_record(
        actor=actor,
        verb="release.plan_changed",
        target=release,
        project=release.project,
        before={"stages": before},
        after={"stages": [p for p, _m in plan]},
    )
    return release


@transaction.atomic
def release_scope_set(
    *,
    release: Release,
    actor: Any,
    work_items: Iterable[Any] | None = None,
    requirements: Iterable[Any] | None = None,
) -> Release:
    """What the release ships: work items and requirements of its own project."""
    release = lock_release(release)
    if release.is_final:
        raise ApplicationError(_("This release is closed: what it shipped stays."))
    for field, targets in (("work_items", work_items), ("requirements", requirements)):
        if targets is None:
            continue
        targets = list(targets)
        if any(t.project_id != release.project_id for t in targets):
            raise ApplicationError(
                _("Only work of this release's project can ship in it."), field=field
            )
        getattr(release, field).set(targets)
    activity_record(
        actor=actor,
        verb="release.scope_changed",
        target=release,
        project=release.project,
        after={
            "work_items": release.work_items.count(),
            "requirements": release.requirements.count(),
        },
    )
    return release


@transaction.atomic
def work_item_release_set(*, item: Any, release: Release | None, actor: Any) -> None:
    """Ship a work item in `release` (an open release of its project), taking it out of
    any other open release; None takes it out of every open one. Released, rolled-back and
    cancelled releases keep what they shipped."""
    if release is not None:
        release = lock_release(release)
        if release.project_id != item.project_id:
            raise ApplicationError(
                _("Only work of this release's project can ship in it."), field="release"
            )
        if release.is_final:
            raise ApplicationError(_("Choose one of the project's open releases."), field="release")
    others = (
        Release.objects.filter(work_items=item)
        .exclude(state__in=FINAL_STATES)
        .select_for_update()
        .select_related("project")
    )
    if release is not None:
        others = others.exclude(pk=release.pk)
    for other in others:
        other.work_items.remove(item)
        activity_record(
            actor=actor,
            verb="release.scope_changed",
            target=other,
            project=other.project,
            before={"work_item": item.key},
        )
    if release is not None and not release.work_items.filter(pk=item.pk).exists():
        release.work_items.add(item)
        activity_record(
            actor=actor,
            verb="release.scope_changed",
            target=release,
            project=release.project,
            after={"work_item": item.key},
        )


@transaction.atomic
def release_check(*, release: Release, actor: Any, check: str, done: bool) -> Release:
    """Tick or untick one go/no-go item; who and when is kept."""
    if check not in Check.values:
        raise ApplicationError(_("Unknown checklist item."), field="check")
    release = lock_release(release)
    if release.is_final:
        raise ApplicationError(_("This release is closed: its checklist stays as it was."))
    checklist = dict(release.checklist or {})
    if done:
        checklist[check] = {"by": getattr(actor, "pk", None), "at": clock.now().isoformat()}
    else:
        checklist.pop(check, None)
    release.checklist = checklist
    release.save(update_fields=["checklist", "updated_at"])
    activity_record(
        actor=actor,
        verb="release.checked",
        target=release,
        project=release.project,
        after={check: bool(done)},
    )
    return release


@transaction.atomic
def release_accept_risks(*, release: Release, actor: Any, reason: str) -> Release:
    """Go on despite open high or critical risks, for a recorded reason."""
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ApplicationError(
            _("Say why the open risks are acceptable (at least 10 characters)."), field="reason"
        )
    release = lock_release(release)
    release.risks_accepted_reason = reason[:500]
    release.risks_accepted_by = actor if getattr(actor, "pk", None) else None
    release.risks_accepted_at = clock.now()
    release.save(
        update_fields=[
            "risks_accepted_reason",
            "risks_accepted_by",
            "risks_accepted_at",
            "updated_at",
        ]
    )
    activity_record(
        actor=actor,
        verb="release.risks_accepted",
        target=release,
        project=release.project,
        after={"reason": release.risks_accepted_reason},
    )
    return release


@transaction.atomic
def release_cancel(*, release: Release, actor: Any) -> Release:
    release = lock_release(release)
    if release.state not in (ReleaseState.PLANNED, ReleaseState.IN_PROGRESS):
        raise ApplicationError(_("Only a release that has not gone out can be cancelled."))
    before = release.state
    release.state = ReleaseState.CANCELLED
    release.save(update_fields=["state", "updated_at"])
    activity_record(
        actor=actor,
        verb="release.cancelled",
        target=release,
        project=release.project,
        before={"state": before},
        after={"state": release.state},
    )
    return release


# The planning fields a release's owners may change; its version stays what it was made.
PLANNING_FIELDS = ("name", "description", "target_date", "critical_paths", "hotfix")


@transaction.atomic
def release_update(*, release: Release, actor: Any, **changes: Any) -> Release:
    """Change planning fields (name, description, target date, critical paths, hotfix).
    A closed release stays as it was. Marking or unmarking a hotfix drops its approval:
    an approval is for the release as it was shown to the approver."""
    unknown = set(changes) - set(PLANNING_FIELDS)
    if unknown:
        raise ApplicationError(
            _("These fields cannot change: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    release = lock_release(release)
    if release.is_final:
        raise ApplicationError(_("This release is closed: it stays as it was."))
    before = {f: getattr(release, f) for f in changes}
    if "name" in changes:
        release.name = (changes["name"] or "").strip()
    if "description" in changes:
        release.description = changes["description"] or ""
    if "target_date" in changes:
        release.target_date = changes["target_date"]
    if "critical_paths" in changes:
        release.critical_paths = clean_critical_paths(changes["critical_paths"])
    if "hotfix" in changes and bool(changes["hotfix"]) != release.hotfix:
        release.hotfix = bool(changes["hotfix"])
        release.hotfix_approved_by = None
    release.full_clean(exclude=["project", "created_by"], validate_constraints=False)
    release.save()
    after = {f: getattr(release, f) for f in changes}
    changed = {f for f in changes if before[f] != after[f]}
    if changed:
        activity_record(
            actor=actor,
            verb="release.updated",
            target=release,
            project=release.project,
            before={f: before[f] for f in sorted(changed)},
            after={f: after[f] for f in sorted(changed)},
        )
    return release


@transaction.atomic
def release_delete(*, release: Release, actor: Any) -> None:
    """Delete a release that never started; one that did keeps its history (cancel it)."""
    release = lock_release(release)
    if release.state != ReleaseState.PLANNED:
        raise ApplicationError(
            _("Only a planned release can be deleted; cancel or roll it back instead.")
        )
    activity_record(
        actor=actor,
        verb="release.deleted",
        target=release,
        project=release.project,
        before={"version": release.version},
    )
    release.delete()
