from celery import shared_task

from . import services


@shared_task(name="risks.tasks.risk_reviews_flag_overdue_task")
def risk_reviews_flag_overdue_task() -> int:
    """Hourly, so each project's local midnight is caught soon after; emits at most once
    per risk per local day (dedupe key), however often it runs."""
    return services.risks_flag_overdue_reviews()
