"""The deadline scan through a real Celery worker process on Redis."""

import time

import pytest

from crm.models import Notification
from referrals.models import Referral
from referrals.tasks import scan_referral_deadlines

pytestmark = pytest.mark.django_db(transaction=True)


def test_deadline_scan_runs_in_a_real_worker_and_twice_changes_nothing(
    world, referral, real_worker, tmp_path
):
    Referral.objects.filter(pk=referral.pk).update(due_on=referral.due_on.replace(year=2020))

    first = scan_referral_deadlines.apply_async(queue=real_worker.queue).get(timeout=60)
    second = scan_referral_deadlines.apply_async(queue=real_worker.queue).get(timeout=60)

    assert (first, second) == (1, 0)
    notice = Notification.objects.get(kind="deadline_missed")
    assert notice.recipient == world.triage
    # The worker e-mailed it (after commit, through the e-mail task on the same queue).
    for _ in range(60):  # the e-mail task runs after the scan commits
        if Notification.objects.get(pk=notice.pk).emailed_at:
            break
        time.sleep(0.5)
    assert Notification.objects.get(pk=notice.pk).emailed_at is not None
    sent = "".join(path.read_text() for path in tmp_path.iterdir())
    assert f"/henvisninger/{referral.pk}/" in sent and world.triage.email in sent
