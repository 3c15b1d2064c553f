"""What each event says, in the channel's language: a title, Markdown and plain text."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from portal.event_labels import event_label
from portal.formatting import format_count, format_quantity


@dataclass(frozen=True)
class Message:
    title: str
    markdown: str
    text: str
    link: str | None = None


LEVELS = {
    "low": ("低", "Low"),
    "medium": ("中", "Medium"),
    "high": ("高", "High"),
    "critical": ("严重", "Critical"),
}


def _level(value: str | None) -> str:
    if not value:
        return "—"
    zh, en = LEVELS.get(value, (value, value))
    return zh if translation.get_language().startswith("zh") else en


def _level_status(status: str | None) -> str:
    return {"green": _("green"), "amber": _("amber"), "red": _("red")}.get(status or "", "—")


def _measured(value, kpi: dict) -> str:
    """A KPI value in the channel's language, read by the KPI's unit and currency."""
    if value in (None, "", "None"):
        return "—"
    return format_quantity(value, kpi.get("unit") or "", currency=kpi.get("currency"))


def _kpi_line(kpi: dict) -> str:
    values = {
        "name": kpi.get("name"),
        "value": _measured(kpi.get("value"), kpi),
        "status": _level_status(kpi.get("status")),
        "target": _measured(kpi.get("target"), kpi),
    }
    if kpi.get("target") in (None, ""):
        return _("%(name)s: %(value)s (%(status)s)") % values
    return _("%(name)s: %(value)s (%(status)s, target %(target)s)") % values


def _lines(event: str, p: dict) -> tuple[str, list[str]]:
    key = p.get("key") or ""
    title = p.get("title") or p.get("name") or ""
    if event == "risk.created":
        return _("New %(level)s risk %(key)s") % {"level": _level(p.get("level")), "key": key}, [
            title,
            _("Score %(score)s (probability %(p)s × impact %(i)s), owner %(owner)s")
            % {
                "score": p.get("score"),
                "p": p.get("probability"),
                "i": p.get("impact"),
                "owner": p.get("owner"),
            },
        ]
    if event == "risk.escalated":
        return _("Risk %(key)s escalated to %(level)s") % {
            "key": key,
            "level": _level(p.get("level")),
        }, [
            title,
            _("From %(before)s to %(after)s, score %(score)s")
            % {
                "before": _level(p.get("previous_level")),
                "after": _level(p.get("level")),
                "score": p.get("score"),
            },
        ]
    if event == "risk.review_overdue":
        return _("Risk review overdue: %(key)s") % {"key": key}, [
            title,
            _("Review was due %(date)s (%(days)s days ago), owner %(owner)s")
            % {
                "date": p.get("next_review_date"),
                "days": p.get("days_overdue"),
                "owner": p.get("owner"),
            },
        ]
    if event == "risk.occurred":
        return _("Risk occurred: %(key)s") % {"key": key}, [title, _("Run the contingency plan.")]
    if event == "sprint.started":
        return _("%(name)s started") % {"name": title}, [
            p.get("goal") or "",
            _("%(points)s points committed, ends %(end)s")
            % {"points": p.get("committed_points"), "end": p.get("end")},
        ]
    if event == "sprint.closed":
        return _("%(name)s closed") % {"name": title}, [
            _(
                "Completed %(done)s of %(committed)s committed points; %(added)s added after the start"
            )
            % {
                "done": p.get("completed_points"),
                "committed": p.get("committed_points"),
                "added": p.get("added_points"),
            },
            _("%(count)s unfinished items carried to %(target)s")
            % {
                "count": len(p.get("carried_items") or []),
                "target": p.get("carried_to") or _("the backlog"),
            },
        ]
    if event == "work_item.blocked":
        return _("%(key)s is blocked") % {"key": key}, [
            title,
            _("Reason: %(reason)s") % {"reason": p.get("reason")},
        ]
    if event == "report.daily":
        sprint = p.get("sprint") or {}
        lines = []
        if sprint:
            lines.append(
                _("%(sprint)s: %(done)s of %(total)s points done, %(days)s days left")
                % {
                    "sprint": sprint.get("name"),
                    "done": sprint.get("points_done"),
                    "total": sprint.get("points_total"),
                    "days": sprint.get("days_left"),
                }
            )
        for kpi in (p.get("kpis") or [])[:6]:
            lines.append(_kpi_line(kpi))
        lines.append(
            _("%(done)s items done, %(blocked)s blocked, %(risks)s risk events")
            % {
                "done": format_count(p.get("done_items") or 0),
                "blocked": format_count(p.get("blocked") or 0),
                "risks": format_count(len(p.get("risks") or [])),
            }
        )
        return _("Daily report %(date)s") % {"date": p.get("date")}, lines
    if event == "key_result.off_track":
        return _("Key result off track: %(title)s") % {"title": title}, [
            p.get("objective") or "",
            _("%(progress)s%% done, %(expected)s%% of the period gone")
            % {
                "progress": round(100 * (p.get("progress") or 0)),
                "expected": round(100 * (p.get("expected") or 0)),
            },
        ]
    if event == "kpi.red":
        return _("KPI %(name)s is red") % {"name": title}, [
            _("%(value)s on %(date)s, target %(target)s")
            % {
                "value": _measured(p.get("value"), p),
                "date": p.get("date"),
                "target": _measured(p.get("target"), p),
            }
        ]
    if event == "requirement.p0":
        return _("P0 requirement %(key)s") % {"key": key}, [
            title,
            _("MoSCoW %(moscow)s, status %(status)s, requested by %(requester)s")
            % {
                "moscow": p.get("moscow") or "—",
                "status": p.get("status") or "—",
                "requester": p.get("requester") or "—",
            },
        ]
    if event == "release.stage_started":
        return _("Release %(version)s: %(percent)s%% gray stage started") % {
            "version": p.get("version"),
            "percent": p.get("percent"),
        }, [
            title,
            _("Started by %(actor)s; observe for %(minutes)s minutes")
            % {"actor": p.get("actor") or "—", "minutes": p.get("observe_minutes")},
        ]
    if event == "release.halted":
        return _("Release %(version)s halted at %(percent)s%%") % {
            "version": p.get("version"),
            "percent": p.get("percent"),
        }, [title, _("Why: %(reason)s") % {"reason": p.get("reason") or "—"}]
    if event == "release.rolled_back":
        return _("Release %(version)s rolled back") % {"version": p.get("version")}, [
            title,
            _("By %(actor)s. Why: %(reason)s")
            % {"actor": p.get("actor") or "—", "reason": p.get("reason") or "—"},
        ]
    if event == "release.released":
        return _("Release %(version)s is out to everyone") % {"version": p.get("version")}, [title]
    if event == "freeze.starting":
        return _("Freeze window %(name)s starts tomorrow") % {"name": title}, [
            _("From %(start)s to %(end)s: no gray stage starts, except approved hotfixes.")
            % {"start": p.get("starts_at"), "end": p.get("ends_at")},
            p.get("reason") or "",
        ]
    if event == "test":
        return _("Test message from the engineering portal"), [
            _("If you can read this, the channel works.")
        ]
    # An event this version has no sentence for: its label, never its code, as the title.
    return event_label(event), [str(value) for value in p.values()][:5]


def render(event: str, payload: dict, *, language: str, project_name: str | None = None) -> Message:
    with translation.override(language):
        title, lines = _lines(event, payload)
        prefix = f"[{project_name}] " if project_name else ""
        body = [line for line in lines if line]
        link = payload.get("url")
        if link and not link.startswith("http"):
            link = settings.PORTAL_BASE_URL.rstrip("/") + link if settings.PORTAL_BASE_URL else None
        markdown = f"### {prefix}{title}\n\n" + "\n\n".join(body)
        if link:
            open_label = _("Open in the portal")
            markdown += f"\n\n[{open_label}]({link})"
        text = f"{prefix}{title}\n" + "\n".join(body)
        return Message(title=f"{prefix}{title}", markdown=markdown, text=text, link=link)


def render_digest(messages: list[Message], *, language: str) -> Message:
    with translation.override(language):
        title = _("%(count)s notifications") % {"count": len(messages)}
        items = "\n".join(
            f"- **{m.title}**: {m.text.splitlines()[1] if len(m.text.splitlines()) > 1 else ''}"
            for m in messages
        )
        text = title + "\n" + "\n".join(f"- {m.title}" for m in messages)
        return Message(title=title, markdown=f"### {title}\n\n{items}", text=text)
