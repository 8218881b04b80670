from celery import shared_task

from crm import consents, notifications


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
