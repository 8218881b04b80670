from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """A message in a user's inbox, e-mailed once. ``key`` names the event it is about, so
    the same event never notifies the same person twice (retries, re-runs of scans)."""

    class Kind(models.TextChoices):
        REFERRAL_NEW = "referral_new", _("Ny henvisning")
        REFERRAL_ACCEPTED = "referral_accepted", _("Henvisning accepteret")
        REFERRAL_DECLINED = "referral_declined", _("Henvisning afvist")
        DEADLINE_SOON = "deadline_soon", _("Frist udløber i dag")
        DEADLINE_MISSED = "deadline_missed", _("Frist overskredet")
        ADVIS = "advis", _("Advis om kontakt")
        CONSENT_PENDING = "consent_pending", _("Samtykke venter på accept")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=100)
    title = models.CharField(_("emne"), max_length=200)
    body = models.TextField(_("tekst"), blank=True)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("besked")
        verbose_name_plural = _("beskeder")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once")
        ]
        indexes = [
            models.Index(
                fields=["recipient"], condition=models.Q(read_at__isnull=True), name="unread"
            ),
            # The messages about a record, found by their key when it is anonymised.
            models.Index(fields=["key"], name="notification_key"),
        ]

    def __str__(self) -> str:
        return self.title
