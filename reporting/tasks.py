from celery import shared_task

from reporting import access_requests, services
from reporting.models import Report


@shared_task(acks_late=True)
def render_report(report_id: int) -> int:
    """Render one stored report request (its id only: no personal data in arguments). A
    failure is stored on the report and logged by ``services.render``."""
    report = Report.objects.select_related("contract", "company", "created_by").get(pk=report_id)
    services.render(report)
    return report_id


@shared_task(acks_late=True)
def purge_logs() -> dict:
    """Nightly: the export log beyond its retention and the access requests' PDFs beyond
    theirs (``services.do_purge_export_log``, ``access_requests.do_purge_access_requests``)."""
    return {
        "exports": services.do_purge_export_log(),
        "access_requests": access_requests.do_purge_access_requests(),
    }
