from django.conf import settings
from django.db import models


class IdempotentRequest(models.Model):
    """A write the API carried out under an ``Idempotency-Key`` (crm.idempotency): the phone's
    outbox sends each entry with a key of its own, and a second sending of it (the answer was
    lost on the way back) gets this stored answer instead of a second record. Only successful
    answers are kept: a refused entry may be sent again once it is put right. Purged after
    ``IDEMPOTENCY_KEY_DAYS`` by the nightly log purge (crm.tasks.purge_access_logs)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotent_requests"
    )
    key = models.CharField(max_length=100)
    method = models.CharField(max_length=7)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and body
    status = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_user_key")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
