import logging
import os

from celery import Celery
from celery.signals import after_setup_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("knudepunkt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def log_task_mode() -> None:
    """Say at start-up whether tasks go to a worker or run in-process."""
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        logger.warning("REDIS_URL is not set: Celery tasks run in-process (no worker, no beat).")
    else:
        logger.info("Celery tasks go to the worker through %s", settings.CELERY_BROKER_URL)


@after_setup_logger.connect
def _on_worker_logging(**kwargs):
    log_task_mode()
