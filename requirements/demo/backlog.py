"""Writing the demo backlogs through the services, moved back in time."""

from __future__ import annotations

import random
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from kpis.models import KPI
from portal import clock
from portal.models import Project, User
from portal.roles import Role
from projects import services as project_services
from projects.models import ColumnCategory, Sprint, SprintState, WorkItem

from .. import services
from ..models import Requirement, Status
from .specs import ANSWERS, BACKLOGS, INTERVIEWEES, PATHS, REQUESTERS, STATUS_ORDER, Spec


@dataclass(frozen=True)
class Deferred:
    """A requirement planned into today's sprint after it started (promoted once the board
    demo has started the sprint)."""

    requirement_id: int
    spec: Spec
    when: datetime


def seed_requirements(
    users: dict[str, User], projects: dict[str, Project], deferred: list[Deferred] | None = None
) -> int:
    """Write the demo backlogs of the projects that have none yet; returns how many
    requirements were created. Needs the board demo (sprints) and, for target KPIs, the
    metrics demo; a KPI that does not exist is simply not linked. Stories that join today's
    sprint after its start are appended to `deferred`, for `promote_deferred`."""
    created = 0
    for key, specs in BACKLOGS.items():
        project = projects.get(key)
        if project is None or Requirement.objects.filter(project=project).exists():
            continue
        backlog = _Backlog(project, users, random.Random(f"requirements-{key}"))
        created += backlog.seed(specs)
        if deferred is not None:
            deferred.extend(backlog.deferred)
    return created


def promote_deferred(users: dict[str, User], deferred: list[Deferred]) -> int:
    """Promote the requirements that came in after today's sprint started into it (scope
    added after the start, as the burndown shows), and start on the first story."""
    for entry in deferred:
        requirement = Requirement.objects.select_related("project").get(pk=entry.requirement_id)
        backlog = _Backlog(requirement.project, users, random.Random(f"late-{requirement.pk}"))
        sprint = backlog.sprints["active"]
        if sprint is None or sprint.state != SprintState.ACTIVE:
            continue
        floor = datetime.combine(sprint.start, time(14, 30), tzinfo=backlog.tz)
        when = min(max(entry.when, floor), backlog.limit)
        items = backlog._promote(requirement, entry.spec, sprint, when)
        if items and entry.spec.status == Status.IN_PROGRESS:
            backlog._pick_up(items[0], min(when + timedelta(hours=2), backlog.limit))
    return len(deferred)


class _Backlog:
    def __init__(self, project: Project, users: dict[str, User], rng: random.Random):
        self.project = project
        self.users = users
        self.rng = rng
        self.owner = project.owner
        self.lang = "zh" if self.owner.language.startswith("zh") else "en"
        self.tz = zoneinfo.ZoneInfo(project.timezone)
        self.today = project.today()
        # Leave the last minutes free: nothing in the demo happens "in the future".
        self.limit = timezone.now() - timedelta(minutes=20)
        self.team = [
            m.user
            for m in project.memberships.select_related("user")
            .exclude(role=Role.VIEWER)
            .order_by("user__username")
        ]
        self.kpis = self._kpis()
        self.deferred: list[Deferred] = []
        sprints = project.sprints.order_by("start")
        # The sprint running today (the board demo starts it after the backlogs are written,
        # so the stories planned into it are part of its commitment) and the one after it.
        current = (
            sprints.filter(start__lte=self.today, end__gte=self.today)
            .exclude(state=SprintState.CLOSED)
            .first()
        )
        self.sprints = {
            "active": current,
            "next": sprints.filter(state=SprintState.PLANNED, start__gt=self.today).first(),
        }

    def _kpis(self) -> dict[str, object]:
        # A string reference, as the services use: the backlog does not import metrics.
        found: dict[str, object] = {}
        for kpi in KPI.objects.filter(Q(project=self.project) | Q(project__isnull=True)):
            # The project's own KPI wins over the company-wide one with the same code.
            if kpi.code not in found or kpi.project_id:
                found[kpi.code] = kpi
        return found

    def seed(self, specs: list[Spec]) -> int:
        made = [self._one(spec) for spec in specs]
        self._order(made)
        return len(made)

    # ------------------------------------------------------------ time

    def moment(self, days_ago: float) -> datetime:
        """A working-hours moment `days_ago` days back (a larger number is earlier, to the hour)."""
        whole = int(days_ago)
        hour = 18 - int((days_ago - whole) * 9)
        day = self.today - timedelta(days=whole)
        when = datetime.combine(day, time(hour, self.rng.randint(0, 59)), tzinfo=self.tz)
        return min(when, self.limit)

    def run(self, when: datetime, fn, **kwargs):
        with clock.frozen_at(when):
            return fn(**kwargs)

    # ------------------------------------------------------------ one requirement

    def _one(self, spec: Spec) -> Requirement:
        owner = self.owner
        user = self.users.get
        cursor = _Cursor(self, spec.ago)
        fields = {
            "description": spec.desc,
            "source_department": spec.dept,
            "requester": spec.requester or REQUESTERS[self.lang].get(spec.dept, ""),
            "tags": spec.tags,
            "target_date": self.today + timedelta(days=spec.target)
            if spec.target is not None
            else None,
        }
        if spec.rice:
            reach, impact, confidence, effort = spec.rice.split()
            fields.update(
                reach=int(reach),
                impact=Decimal(impact),
                confidence=int(confidence),
                effort=Decimal(effort),
            )
        if spec.wsjf:
            fields.update(
                zip(
                    ("business_value", "time_criticality", "risk_reduction", "job_size"),
                    map(int, spec.wsjf.split()),
                    strict=True,
                )
            )
        requirement = self.run(
            cursor.now,
            services.requirement_create,
            project=self.project,
            actor=user(spec.by, owner),
            title=spec.title,
            **fields,
        )
        if not spec.triage:
            if spec.status == Status.REJECTED:
                self.run(
                    cursor.at(spec.ago - 1.3),
                    services.requirement_reject,
                    requirement=requirement,
                    actor=owner,
                    reason=spec.reason,
                )
            return requirement

        # Triage a day or so after it came in, then link the KPIs it should move.
        triage_ago = spec.ago - self.rng.uniform(0.2, min(3.0, spec.ago * 0.3))
        moscow, priority, kano, phase = spec.triage.split()
        self.run(
            cursor.at(triage_ago),
            services.requirement_triage,
            requirement=requirement,
            actor=owner,
            moscow=moscow,
            priority=priority,
            kano=kano,
            phase=None if phase == "-" else int(phase),
        )
        for code, change, note in spec.kpis:
            if code in self.kpis:
                self.run(
                    cursor.at(triage_ago - 0.05),
                    services.requirement_kpi_link,
                    requirement=requirement,
                    actor=owner,
                    kpi=self.kpis[code],
                    expected_change=change,
                    note=note,
                )
        # Survey and discussion in the days after triage; then the status moves on.
        if spec.survey:
            self._survey(requirement, spec.survey, triage_ago, cursor)
        for index, (username, body) in enumerate(spec.comments):
            self.run(
                cursor.at(triage_ago * (0.8 - 0.1 * index)),
                services.requirement_comment_add,
                requirement=requirement,
                actor=user(username, owner),
                body=body,
            )
        if spec.status == Status.REJECTED:
            self.run(
                cursor.at(triage_ago * 0.6),
                services.requirement_reject,
                requirement=requirement,
                actor=owner,
                reason=spec.reason,
            )
            return requirement
        sprint, floor = self._promotion_slot(spec)
        items = []
        path = PATHS[Status(spec.status)]
        last_ago = triage_ago * self.rng.uniform(0.15, 0.45)
        if spec.status == Status.DONE and spec.target is not None and spec.target < 0:
            # Mostly delivered by the target date, now and then a few days late (on-time rate).
            last_ago = min(-spec.target + self.rng.uniform(-3, 8), triage_ago * 0.5)
        # Stories for today's sprint are planned before it starts; a request that came in
        # after the start joins the running sprint later (`promote_deferred`), as scope
        # added after the start.
        early = (
            sprint is not None
            and sprint.state == SprintState.PLANNED
            and sprint.start <= self.today
        )
        starts = datetime.combine(sprint.start, time(10), tzinfo=self.tz) if early else None
        deferred = False
        for index, status in enumerate(path, start=1):
            when = cursor.at(triage_ago - (triage_ago - last_ago) * index / len(path))
            if status == Status.PLANNED and sprint is not None and (floor <= when or early):
                if early and when >= starts:
                    deferred = True
                    self.deferred.append(Deferred(requirement.pk, spec, when))
                    continue
                # Promoting the triaged requirement into the sprint is what plans it.
                items = self._promote(requirement, spec, sprint, when)
                continue
            # The PM plans; the developers move the work along.
            self.run(
                when,
                services.requirement_update,
                requirement=requirement,
                actor=owner if status == Status.PLANNED else user("lilei", owner),
                status=status,
            )
        if sprint is not None and not items and not deferred:
            # Stories for the next sprint, or new ones for work already under way.
            when = cursor.after(floor)
            if early and when >= starts:
                self.deferred.append(Deferred(requirement.pk, spec, when))
            else:
                items = self._promote(requirement, spec, sprint, when)
        if items and spec.status == Status.IN_PROGRESS and sprint.state == SprintState.ACTIVE:
            self._pick_up(items[0], cursor.after(cursor.now + timedelta(hours=2)))
        return requirement

    def _survey(self, requirement: Requirement, survey: str, triage_ago: float, cursor) -> None:
        """The team answers for themselves, then the PM records customer interviews."""
        classes = [part[0] for part in survey.split() for _ in range(int(part[1:]))]
        self.rng.shuffle(classes)
        interviewees = list(INTERVIEWEES[self.lang])
        self.rng.shuffle(interviewees)
        for index, letter in enumerate(classes):
            functional, dysfunctional = self.rng.choice(ANSWERS[letter])
            if index < len(self.team):
                respondent, name = self.team[index], ""
            else:
                respondent, name = self.owner, interviewees.pop()
            self.run(
                cursor.at(triage_ago * (0.95 - 0.03 * index)),
                services.kano_response_record,
                requirement=requirement,
                actor=respondent,
                functional=functional,
                dysfunctional=dysfunctional,
                respondent_name=name,
            )

    def _promotion_slot(self, spec: Spec) -> tuple[Sprint | None, datetime]:
        """The sprint a requirement's stories go to, and the earliest moment they can:
        the running sprint once it has started; the next one at yesterday's planning."""
        if not spec.promote:
            return None, self.limit
        sprint = self.sprints[spec.promote[0]]
        if sprint is None:
            return None, self.limit
        if sprint.state == SprintState.ACTIVE:
            floor = datetime.combine(sprint.start, time(14, 30), tzinfo=self.tz)
        elif sprint.start <= self.today:
            # Today's sprint, not started yet: planned at its planning meeting.
            floor = datetime.combine(sprint.start - timedelta(days=1), time(15, 30), tzinfo=self.tz)
        else:
            floor = self.moment(1)
        return sprint, min(floor, self.limit)

    def _promote(
        self, requirement: Requirement, spec: Spec, sprint: Sprint, when: datetime
    ) -> list[WorkItem]:
        _which, titles, points = spec.promote
        return self.run(
            when,
            services.requirement_promote,
            requirement=requirement,
            actor=self.owner,
            sprint=sprint,
            titles=list(titles),
            story_points=points,
        )

    def _pick_up(self, item: WorkItem, when: datetime) -> None:
        """A developer starts on the first story straight away."""
        doing = (
            self.project.columns.filter(category=ColumnCategory.IN_PROGRESS)
            .order_by("order")
            .first()
        )
        if doing is not None:
            self.run(
                when,
                project_services.work_item_move,
                item=item,
                column=doing,
                actor=self.users.get("lilei", self.owner),
            )

    # ------------------------------------------------------------ backlog order

    def _order(self, made: list[Requirement]) -> None:
        """The PM's order: work under way first, then by priority and WSJF; closed last."""
        fresh = {r.pk: r for r in Requirement.objects.filter(project=self.project)}
        ordered = sorted(
            (fresh[r.pk] for r in made),
            key=lambda r: (
                STATUS_ORDER.index(r.status),
                r.priority or "P9",
                -(r.wsjf_score or 0),
                r.number,
            ),
        )
        self.run(
            self.limit,
            services.requirements_reorder,
            project=self.project,
            actor=self.owner,
            ids=[r.pk for r in ordered],
        )


class _Cursor:
    """The moments of one requirement's history: never back in time, never in the future."""

    def __init__(self, backlog: _Backlog, ago: float):
        self.backlog = backlog
        self.now = backlog.moment(ago)

    def at(self, days_ago: float) -> datetime:
        return self.after(self.backlog.moment(max(days_ago, 0)))

    def after(self, moment: datetime) -> datetime:
        # Clamped steps still keep their order, a few minutes apart.
        self.now = min(max(moment, self.now + timedelta(minutes=7)), self.backlog.limit)
        return self.now
