"""What each event is called in the reader's language. The code (`kpi.red`) stays the
value stored and sent to webhooks; people read the label (指标变红 / KPI turned red).

Its own module, free of imports: forms, pages and the notification messages all need it,
and `portal.events` imports the notification services.
"""

from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "risk.created": _("Risk registered at high or critical"),
    "risk.escalated": _("Risk level rose"),
    "risk.review_overdue": _("Risk review overdue"),
    "risk.occurred": _("Risk occurred"),
    "sprint.started": _("Sprint started"),
    "sprint.closed": _("Sprint closed (with summary)"),
    "work_item.blocked": _("Work item blocked"),
    "requirement.p0": _("P0 requirement"),
    "kpi.red": _("KPI turned red"),
    "key_result.off_track": _("Key result off track"),
    "report.daily": _("Daily operations report"),
    "release.stage_started": _("Gray stage started"),
    "release.halted": _("Release halted (circuit breaker)"),
    "release.rolled_back": _("Release rolled back"),
    "release.released": _("Release fully released"),
    "freeze.starting": _("Freeze window starts tomorrow"),
    # Not a domain event: what a channel's "send test" button delivers.
    "test": _("Test message"),
}


def event_label(name: str) -> str:
    """The translated label, or the code itself for an event this version does not know."""
    label = EVENT_LABELS.get(name)
    return str(label) if label is not None else name
