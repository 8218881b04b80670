import logging

from celery import shared_task

from crm import consents, notifications

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def send_notification_emails(self, ids: list[int]) -> int:
    """E-mail the given notifications (ids only: no personal data in task arguments)."""
    try:
        return notifications.send_emails(ids)
    except OSError as error:  # the mail server is away: try again later
        raise self.retry(exc=error) from error


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def send_consent_link(self, consent_id: int) -> bool:
    """E-mail the subject the link that confirms a consent (the id only: the token is made
    from the stored nonce, so it never passes through the broker)."""
    try:
        return consents.send_link(consent_id)
    except OSError as error:  # the mail server is away: try again later
        raise self.retry(exc=error) from error


@shared_task(acks_late=True)
def refresh_from_register(limit: int | None = None) -> dict:
    """Nightly: compare every company with the company register (resumes where the last run
    stopped; see crm.register_sync.do_refresh_from_register)."""
    from crm import register_sync

    return register_sync.do_refresh_from_register(limit=limit)


@shared_task(acks_late=True)
def refresh_company_from_register(company_id: int) -> list[str]:
    """One company, just registered from a lookup: its production units and the rest."""
    from crm import register_sync

    try:
        return register_sync.do_refresh_company(company_id)
    except register_sync.RegisterUnavailable:
        return []  # the nightly refresh will get it


@shared_task(acks_late=True)
def check_import(batch_id: int) -> int:
    """Check an uploaded import file (the batch id only: the rows hold CPR numbers)."""
    from crm import imports
    from crm.models import ImportBatch

    batch = ImportBatch.objects.get(pk=batch_id)
    try:
        imports.check_batch(batch)
    except Exception as error:  # the batch's page says it failed
        logger.exception("Import batch %s: the check failed", batch_id)
        imports.mark_failed(batch, error)
    return batch_id


@shared_task(acks_late=True)
def run_import(batch_id: int) -> int:
    """Write a checked and confirmed import batch, all rows or none."""
    from crm import imports
    from crm.models import ImportBatch

    batch = ImportBatch.objects.get(pk=batch_id)
    try:
        imports.run_batch(batch)
    except Exception as error:  # rolled back; the batch's page says it failed
        logger.exception("Import batch %s: the import failed", batch_id)
        imports.mark_failed(batch, error)
    return batch_id


@shared_task(acks_late=True)
def purge_access_logs() -> dict:
    """Nightly: delete what each access log holds beyond its retention (crm.audit), and the
    phone app's idempotency keys older than a week (crm.idempotency)."""
    from crm import audit, idempotency

    return audit.do_purge_access_logs() | {"idempotency_keys": idempotency.do_purge_keys()}


@shared_task(acks_late=True)
def run_retention() -> dict:
    """Nightly: anonymise what the retention rules say has expired (resumes a run that
    stopped; see crm.retention.do_run_retention). Returns the counts only."""
    from crm import retention

    return retention.do_run_retention().counts
