"""The deadline scan through a real Celery worker process on Redis."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from crm.models import Notification
from referrals.models import Referral
from referrals.tasks import scan_referral_deadlines

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(celery_in_process, tmp_path):
    """A worker on a queue of its own, on the test database, mailing into ``tmp_path``."""
    assert settings.REDIS_URL, "the worker test needs REDIS_URL (make test sets it)"
    queue = f"test-{uuid.uuid4().hex}"
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or ''}:"
        f"{db['PORT'] or ''}/{db['NAME']}",
        CELERY_QUEUE=queue,
        EMAIL_URL=f"filemail:///{tmp_path}",  # django-environ drops one leading slash
    )
    if str(db["HOST"]).startswith("/"):  # a socket (the embedded PostgreSQL)
        env["DATABASE_URL"] = f"postgres://{db['USER']}@/{db['NAME']}?host={db['HOST']}"
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=Path(settings.BASE_DIR),
        env=env,
    )
    celery_in_process.conf.task_always_eager = False
    try:
        yield queue
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_deadline_scan_runs_in_a_real_worker_and_twice_changes_nothing(
    world, referral, worker, tmp_path
):
    Referral.objects.filter(pk=referral.pk).update(due_on=referral.due_on.replace(year=2020))

    first = scan_referral_deadlines.apply_async(queue=worker).get(timeout=60)
    second = scan_referral_deadlines.apply_async(queue=worker).get(timeout=60)

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
