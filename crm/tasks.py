from celery import shared_task

from crm import notifications


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def send_notification_emails(self, ids: list[int]) -> int:
    """E-mail the given notifications (ids only: no personal data in task arguments)."""
    try:
        return notifications.send_emails(ids)
    except OSError as error:  # the mail server is away: try again later
        raise self.retry(exc=error) from error
