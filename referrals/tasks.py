from celery import shared_task
from django.utils import timezone

from referrals import services


@shared_task(acks_late=True)
def scan_referral_deadlines() -> int:
    """Beat: notify about hub referrals due today and overdue (idempotent)."""
    return services.scan_deadlines(timezone.localdate())
