"""Notifications: an inbox row per recipient and event, then one e-mail, sent after commit
by a Celery task. The (recipient, key) constraint makes every event notify a person once."""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from crm.models import Notification


@dataclass
class Message:
    kind: str
    key: str
    title: str
    body: str = ""
    url: str = ""


def do_notify(recipients, message: Message) -> list[int]:
    """Put ``message`` in the inbox of each recipient who does not have it yet and e-mail
    those after commit. Returns the ids of the notifications created by this call."""
    users = {user.pk: user for user in recipients}
    already = set(
        Notification.objects.filter(key=message.key, recipient__in=list(users)).values_list(
            "recipient_id", flat=True
        )
    )
    new = [pk for pk in users if pk not in already]
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=users[pk],
                kind=message.kind,
                key=message.key,
                title=message.title,
                body=message.body,
                url=message.url,
            )
            for pk in new
        ],
        ignore_conflicts=True,  # a concurrent call created it first: the constraint wins
    )
    ids = list(
        Notification.objects.filter(key=message.key, recipient__in=new).values_list("pk", flat=True)
    )
    if ids:
        from crm.tasks import send_notification_emails

        transaction.on_commit(lambda: send_notification_emails.delay(ids))
    return ids


def send_emails(ids: list[int]) -> int:
    """E-mail each notification not yet e-mailed; a notification is claimed under a row lock
    and marked in the same transaction, so a retried task never sends it twice."""
    sent = 0
    for pk in ids:
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(skip_locked=True)
                .select_related("recipient")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if notification is None or not notification.recipient.email:
                continue
            link = f"\n\n{settings.SITE_URL}{notification.url}" if notification.url else ""
            send_mail(
                notification.title, notification.body + link, None, [notification.recipient.email]
            )
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
            sent += 1
    return sent


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def do_mark_read(user, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
