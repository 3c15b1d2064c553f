from celery import shared_task

from . import services
from .models import Release, ReleaseState


@shared_task(name="delivery.tasks.release_guards_check_task")
def release_guards_check_task() -> int:
    """Every minute: halt any rollout in gray whose KPI guard is breached (pushed metrics
    halt at once when they arrive). Returns how many releases it halted."""
    halted = 0
    for pk in Release.objects.filter(state=ReleaseState.GRAY).values_list("pk", flat=True):
        release = services.guards_check(release=pk)
        halted += release.state == ReleaseState.HALTED
    return halted


@shared_task(name="delivery.tasks.freeze_starting_task")
def freeze_starting_task() -> int:
    """Hourly: `freeze.starting` once for each freeze window that starts within a day."""
    return services.freeze_starting_announce()
