from celery import shared_task

from reporting import services
from reporting.models import Report


@shared_task(acks_late=True)
def render_report(report_id: int) -> int:
    """Render one stored report request (its id only: no personal data in arguments)."""
    report = Report.objects.select_related("contract", "company").get(pk=report_id)
    try:
        services.render(report)
    except Exception:
        Report.objects.filter(pk=report_id).update(state=Report.State.FAILED)
        raise
    return report_id
