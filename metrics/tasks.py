from celery import shared_task

from . import reports, snapshots


@shared_task(name="metrics.tasks.snapshots_compute_task", acks_late=True)
def snapshots_compute_task(day: str | None = None) -> int:
    """Hourly: refresh today's snapshot of every project (idempotent upsert); the last run
    of a local day leaves that day's final numbers."""
    from datetime import date

    return snapshots.snapshots_compute(day=date.fromisoformat(day) if day else None)


@shared_task(name="metrics.tasks.daily_reports_task", acks_late=True)
def daily_reports_task() -> int:
    """Every 15 minutes: projects whose local report time has passed get yesterday's
    report, once (a unique row per project and day guards against a second send)."""
    return reports.daily_reports_generate()


@shared_task(name="metrics.tasks.key_results_check_task", acks_late=True)
def key_results_check_task() -> int:
    from . import services

    return services.key_results_flag_off_track()
