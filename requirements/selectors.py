"""Read queries for the backlog. Constant query counts, whatever the number of requirements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When

from portal.models import Project
from portal.permissions import projects_visible_to
from projects.models import WorkItem

from . import scoring
from .models import (
    BacklogView,
    KanoResponse,
    MoSCoW,
    Requirement,
    RequirementComment,
    RequirementKPI,
    Status,
    WorkItemLink,
)

PRIORITY_ORDER = Case(
    When(priority="P0", then=Value(0)),
    When(priority="P1", then=Value(1)),
    When(priority="P2", then=Value(2)),
    When(priority="P3", then=Value(3)),
    default=Value(9),
    output_field=IntegerField(),
)

SORTS = {
    "rank": ("rank", "id"),
    "rice": (F("rice_score").desc(nulls_last=True), "rank", "id"),
    "wsjf": (F("wsjf_score").desc(nulls_last=True), "rank", "id"),
    "priority": ("priority_order", "rank", "id"),
    "created": ("-created_at", "-id"),
    "updated": ("-updated_at", "-id"),
    "key": ("number",),
}
MULTI_FIELDS = ("status", "moscow", "kano", "priority", "source_department")


def requirement_backlog(*, project: Project, filters: dict[str, Any] | None = None) -> QuerySet:
    """The project's requirements, filtered and sorted as the backlog page, its CSV export
    and the API show them. KPI links come prefetched (one more query per page)."""
    filters = filters or {}
    qs = with_kpi_links(Requirement.objects.filter(project=project).select_related("project"))
    qs = requirement_filter(qs, filters)
    sort = filters.get("sort") or "rank"
    if sort == "priority":
        qs = qs.annotate(priority_order=PRIORITY_ORDER)
    return qs.order_by(*SORTS.get(sort, SORTS["rank"]))


def with_kpi_links(qs: QuerySet[Requirement]) -> QuerySet[Requirement]:
    """`qs` with each requirement's KPI links (and their KPIs) prefetched: one more query
    for any number of requirements."""
    return qs.prefetch_related(
        Prefetch("kpi_links", queryset=RequirementKPI.objects.select_related("kpi"))
    )


def requirements_visible_to(*, user: Any) -> QuerySet[Requirement]:
    """The requirements of every project the user may see, with project and author
    joined."""
    return Requirement.objects.filter(
        project__in=projects_visible_to(user).values("pk")
    ).select_related("project", "created_by")


def requirement_visible_to(*, user: Any, pk: int) -> Requirement | None:
    """The requirement with this id if the user may see it, else None (one query)."""
    return requirements_visible_to(user=user).filter(pk=pk).first()


def requirement_with_kpi_links(*, pk: int) -> Requirement:
    """The requirement as stored now, with project, author and KPI links (with their
    KPIs): what the API answers after a write (2 queries). Raises DoesNotExist."""
    return with_kpi_links(Requirement.objects.select_related("project", "created_by")).get(pk=pk)


def requirements_in_api_order(qs: QuerySet[Requirement], *, ordering: str) -> QuerySet[Requirement]:
    """`qs` sorted as the API's `?ordering=` means where a plain field sort would not:
    `priority` puts P0 first (not alphabetical order), `-rice_score` and `-wsjf_score` put
    unscored requirements last. Any other ordering is left as it is."""
    field = ordering.lstrip("-")
    descending = ordering.startswith("-")
    if field == "priority":
        return qs.annotate(priority_order=PRIORITY_ORDER).order_by(
            "-priority_order" if descending else "priority_order", "rank", "id"
        )
    if field in ("rice_score", "wsjf_score") and descending:
        return qs.order_by(*SORTS["rice" if field == "rice_score" else "wsjf"])
    return qs


def requirement_filter(qs: QuerySet, filters: dict[str, Any]) -> QuerySet:
    """The backlog filters, shared by the page and the API."""
    for field in MULTI_FIELDS:
        value = filters.get(field)
        if value in (None, "", []):
            continue
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        # "" in a multi-select means "not set yet" (e.g. no Kano verdict).
        qs = qs.filter(**{f"{field}__in": values})
    if filters.get("phase") not in (None, ""):
        phase = filters["phase"]
        qs = qs.filter(phase__isnull=True) if phase == 0 else qs.filter(phase=phase)
    if filters.get("tag"):
        qs = qs.filter(tags_text__contains=f"|{filters['tag'].strip()}|")
    if filters.get("open"):
        qs = qs.exclude(status__in=[Status.DONE, Status.REJECTED])
    text = (filters.get("q") or "").strip()
    if text:
        condition = Q(title__icontains=text) | Q(description__icontains=text)
        condition |= Q(requester__icontains=text)
        key = text.upper().rsplit("-R", 1)
        if len(key) == 2 and key[1].isdigit():
            # "MALL-R3": that project's R3 (the key is unique across projects).
            condition |= Q(project__key=key[0], number=int(key[1]))
        elif text.upper().startswith("R") and text[1:].isdigit():
            condition |= Q(number=int(text[1:]))
        elif text.isdigit():
            condition |= Q(number=int(text))
        qs = qs.filter(condition)
    return qs


def kano_surveys(requirement_ids: Iterable[int]) -> dict[int, dict]:
    """`kano_survey` for each requirement that has answers (one query)."""
    pairs: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = KanoResponse.objects.filter(requirement_id__in=list(requirement_ids)).values_list(
        "requirement_id", "functional", "dysfunctional"
    )
    for requirement_id, functional, dysfunctional in rows:
        pairs[requirement_id].append((functional, dysfunctional))
    return {rid: scoring.kano_summary(answers) for rid, answers in pairs.items()}


def kano_survey(requirement: Requirement) -> dict:
    return kano_surveys([requirement.pk]).get(requirement.pk) or scoring.kano_summary([])


def kano_scatter(*, project: Project) -> list[dict[str, Any]]:
    """Better/Worse of every surveyed requirement of the project (two queries)."""
    summaries = kano_surveys(
        KanoResponse.objects.filter(requirement__project=project)
        .order_by()
        .values_list("requirement_id", flat=True)
        .distinct()
    )
    requirements = Requirement.objects.filter(pk__in=summaries).select_related("project")
    points = []
    for requirement in requirements.order_by("rank"):
        summary = summaries[requirement.pk]
        if summary["better"] is None:
            continue
        points.append(
            {
                "id": requirement.pk,
                "number": requirement.number,
                "key": requirement.key,
                "title": requirement.title,
                "better": summary["better"],
                "worse": summary["worse"],
                "category": summary["category"],
                "responses": summary["responses"],
            }
        )
    return points


def work_item_progress(requirement_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(done, total) work items per requirement (one query)."""
    rows = (
        WorkItemLink.objects.filter(requirement_id__in=list(requirement_ids))
        .values("requirement_id")
        .annotate(
            total=Count("work_item"),
            done=Count("work_item", filter=Q(work_item__done_at__isnull=False)),
        )
    )
    return {row["requirement_id"]: (row["done"], row["total"]) for row in rows}


def with_work_item_requirement(items: QuerySet[WorkItem]) -> QuerySet[WorkItem]:
    """Work items with the requirement each delivers: `requirement_id`, `requirement_number`
    and `requirement_title` (None without one), by one join. The board's selectors apply
    it (registered in RequirementsConfig.ready as a projects.extensions entry)."""
    return items.annotate(
        requirement_id=F("requirement_link__requirement_id"),
        requirement_number=F("requirement_link__requirement__number"),
        requirement_title=F("requirement_link__requirement__title"),
    )


def moscow_by_phase(*, project: Project) -> list[dict[str, Any]]:
    """Per release phase: count and estimated effort per MoSCoW bucket, the Must share of
    the effort and whether it passes the 60 % guidance. Open and done requirements count;
    rejected ones do not (one query)."""
    rows = (
        Requirement.objects.filter(project=project)
        .exclude(status=Status.REJECTED)
        .values("phase", "moscow")
        .annotate(n=Count("id"), effort=Sum("effort"))
    )
    phases: dict[int | None, dict[str, Any]] = {}
    for row in rows:
        phase = phases.setdefault(
            row["phase"],
            {
                "phase": row["phase"],
                "counts": dict.fromkeys([*MoSCoW.values, ""], 0),
                "effort": {m: Decimal(0) for m in [*MoSCoW.values, ""]},
            },
        )
        phase["counts"][row["moscow"]] += row["n"]
        phase["effort"][row["moscow"]] += row["effort"] or Decimal(0)
    result = []
    for key in sorted(phases, key=lambda p: (p is None, p or 0)):
        phase = phases[key]
        share = scoring.must_share({k: v for k, v in phase["effort"].items() if k})
        phase["must_share"] = share
        # Compared unrounded: 60.04 % is over the guidance even if it shows as 60 %.
        phase["over_limit"] = share is not None and share > scoring.MUST_SHARE_LIMIT
        phase["total"] = sum(phase["counts"].values())
        result.append(phase)
    return result


def moscow_counts(qs: QuerySet) -> dict[str, int]:
    """Requirements per MoSCoW bucket in a (filtered) backlog; "" = not triaged yet."""
    counts = dict.fromkeys([*MoSCoW.values, ""], 0)
    for row in qs.order_by().values("moscow").annotate(n=Count("id")):
        counts[row["moscow"]] = row["n"]
    return counts


def triage_queue(*, project: Project) -> QuerySet:
    """Untriaged requirements, oldest first."""
    return (
        Requirement.objects.filter(project=project, status=Status.NEW)
        .select_related("project", "created_by")
        .order_by("created_at", "id")
    )


def triage_anchor(*, project: Project, number: int) -> tuple[datetime, int] | None:
    """(created_at, id) of the project's requirement with this number, or None: where a
    skip through the triage queue resumes (one query)."""
    return (
        Requirement.objects.filter(project=project, number=number)
        .values_list("created_at", "id")
        .first()
    )


def triage_next(*, project: Project, after: tuple[datetime, int] | None) -> Requirement | None:
    """The oldest untriaged requirement created after `after` (created_at, id), wrapping
    round to the oldest; None when nothing waits (one query, two when it wraps)."""
    queue = triage_queue(project=project)
    pending = queue
    if after:
        pending = queue.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], id__gt=after[1]))
    return pending.first() or queue.first()


def triage_upcoming(*, project: Project, current: Requirement, limit: int = 8) -> list[Requirement]:
    """The untriaged requirements after `current` in queue order, at most `limit` (one query)."""
    return list(triage_queue(project=project).exclude(pk=current.pk)[:limit])


def requirement_phases(*, project: Project) -> list[int]:
    """The release phases the project's requirements use, in order (one query)."""
    phases = (
        Requirement.objects.filter(project=project, phase__isnull=False)
        .order_by()  # the default ordering would put rank into the DISTINCT
        .values_list("phase", flat=True)
        .distinct()
    )
    # The query already leaves out null phases; the check narrows the type.
    return sorted(phase for phase in phases if phase is not None)


def untriaged_count(*, project: Project) -> int:
    return Requirement.objects.filter(project=project, status=Status.NEW).count()


def backlog_views_for(*, project: Project, user: Any) -> QuerySet:
    """The user's own saved views and those shared with the project."""
    return (
        BacklogView.objects.filter(project=project)
        .filter(Q(owner=user) | Q(shared=True))
        .select_related("owner")
    )


def untriaged_counts(*, project_ids: Iterable[int]) -> list[tuple[int, int]]:
    """(project id, number of new requirements) for these projects, most waiting first."""
    return [
        (row["project_id"], row["n"])
        for row in Requirement.objects.filter(project_id__in=list(project_ids), status=Status.NEW)
        .values("project_id")
        .annotate(n=Count("id"))
        .order_by("-n")
    ]


def project_requirements(*, project: Project) -> QuerySet[Requirement]:
    """The project's requirements with project and author joined: the queryset a view
    picks one requirement from by number (after authorising the project)."""
    return Requirement.objects.select_related("project", "created_by").filter(project=project)


def requirement_in_project(*, project: Project, pk: int) -> Requirement | None:
    """The project's requirement with this id (project joined), or None when it is not
    (or no longer) in the project (one query)."""
    return (
        Requirement.objects.filter(project=project).select_related("project").filter(pk=pk).first()
    )


def requirement_reloaded(*, requirement: Requirement) -> Requirement:
    """A fresh copy of `requirement` from the database, independent of the instance passed
    (a form bound to it cannot change the caller's copy before the service compares them)."""
    return Requirement.objects.get(pk=requirement.pk)


def requirement_kpi_links(*, requirement: Requirement) -> list[RequirementKPI]:
    """The requirement's target KPIs (links with their KPI), as the detail page lists them
    (one query)."""
    return list(requirement.kpi_links.select_related("kpi"))


def requirement_kpi_links_with_project(*, requirement: Requirement) -> QuerySet[RequirementKPI]:
    """The requirement's KPI links with the KPI and the requirement's project joined, as
    the unlink service needs them: the queryset a view picks one link from by id."""
    return RequirementKPI.objects.select_related("kpi", "requirement__project").filter(
        requirement=requirement
    )


def requirement_work_items(*, requirement: Requirement) -> list[WorkItem]:
    """The work items made from the requirement, with column, sprint and assignee, by
    number (one query)."""
    return list(
        requirement.work_items.select_related("column", "sprint", "assignee").order_by("number")
    )


def requirement_discussion(*, requirement: Requirement) -> QuerySet[RequirementComment]:
    """The requirement's comments with their author, oldest first (to be paginated)."""
    return requirement.comments.select_related("author")


def requirement_comments(*, requirement: Requirement) -> list[RequirementComment]:
    """The requirement's comments with their author, oldest first (one query)."""
    return list(requirement_discussion(requirement=requirement))


def requirement_risks(*, requirement: Requirement) -> list[Any]:
    """The risks linked to the requirement, highest score first (one query). Through the
    reverse relation: the risk register stands above the backlog and is not imported here."""
    return list(requirement.risks.order_by("-score", "number"))


def requirement_kano_responses(*, requirement: Requirement) -> QuerySet[KanoResponse]:
    """The requirement's Kano survey answers with respondent and recorder, oldest first
    (to be paginated)."""
    return requirement.kano_responses.select_related("respondent", "recorded_by")


def requirement_kano_answers(*, requirement: Requirement) -> list[KanoResponse]:
    """The requirement's Kano survey answers with respondent and recorder, oldest first
    (one query)."""
    return list(requirement_kano_responses(requirement=requirement))


def requirement_kano_answers_with_project(*, requirement: Requirement) -> QuerySet[KanoResponse]:
    """The requirement's Kano answers with the respondent and the requirement's project
    joined, as the delete service needs them: the queryset a view picks one answer from by id."""
    return KanoResponse.objects.select_related("respondent", "requirement__project").filter(
        requirement=requirement
    )
