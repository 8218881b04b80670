from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, Goal
from crm.models import Company, ContactPerson, Founder


class Report(models.Model):
    """A PDF rendered in Celery, stored and listed with who asked for it and when."""

    class Kind(models.TextChoices):
        ANNUAL = "annual", _("Årsrapport")
        HALF_YEAR = "half_year", _("Halvårlig opfølgning")
        SETTLEMENT = "settlement", _("Honorarafregning")
        COMPANY = "company", _("Oversigt over en virksomhed")
        # Seed 001 §7: the guided companies' industry, revenue, export, employment, survival.
        PROFILE = "profile", _("Årlig profil af de vejledte virksomheder")
        # A person's access request (GDPR art. 15): everything the operator holds about them.
        FOUNDER = "founder", _("Indsigt for en iværksætter")
        CONTACT = "contact", _("Indsigt for en kontaktperson")

    class State(models.TextChoices):
        PENDING = "pending", _("Venter")
        DONE = "done", _("Klar")
        FAILED = "failed", _("Fejlet")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    founder = models.ForeignKey(
        Founder, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(
        ContactPerson, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=7, choices=State.choices, default=State.PENDING)
    file = models.FileField(upload_to="reports/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    # Why rendering failed and what to do, for the report page, in the requester's language;
    # never personal data (the cause goes to the log with the report's id).
    error = models.TextField(blank=True)
    # The requester's language: the PDF is rendered in it (Celery has no request).
    language = models.CharField(max_length=10, blank=True)
    # An annual report is a draft until a manager has written the goal comments and
    # published it; officials see published annual reports only.
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%d.%m.%Y}"

    @property
    def subject(self):
        """Whom a summary or an access request is about (none for a contract's report)."""
        return self.company or self.founder or self.contact

    @property
    def consent_source(self) -> str:
        """How the consent log names this report (``crm.consents.do_log_consent_reads``)."""
        return f"report:{self.pk}"

    @property
    def is_access_request(self) -> bool:
        return self.kind in (self.Kind.FOUNDER, self.Kind.CONTACT)

    @property
    def needs_publishing(self) -> bool:
        return self.kind == self.Kind.ANNUAL

    @property
    def is_draft(self) -> bool:
        return self.needs_publishing and self.published_at is None


class ReportComment(models.Model):
    """The manager's comment on one goal in one annual report, written before publishing."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("kommentar"))

    class Meta:
        ordering = ["report", "goal"]
        constraints = [
            models.UniqueConstraint(fields=["report", "goal"], name="report_comment_once")
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.goal}"


class ExportLog(models.Model):
    """Exports of person data are themselves logged (who, what, how many rows)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=50)
    rows = models.PositiveIntegerField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.rows}"
