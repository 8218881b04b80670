"""Retention of personal data (``crm.retention``): the rules an administrator sets, the log of
the nightly anonymisation runs, and the requests for erasure a manager records."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models.subjects import ContactPerson, Founder
from crm.models.tenancy import Municipality, ScopedQuerySet


class RetentionRule(models.Model):
    """How many years one kind of record keeps its personal data. One row per kind; a kind
    without a row keeps the default of ``crm.retention.DEFAULT_YEARS``."""

    class Kind(models.TextChoices):
        FOUNDER = "founder", _("Iværksætter, der ikke har startet virksomhed")
        FOUNDER_STARTED = "founder_started", _("Iværksætter, der har startet virksomhed")
        CONTACT_LEFT = "contact_left", _("Kontaktperson, der er fratrådt")
        CEASED_COMPANY = "ceased_company", _("Ophørt virksomhed: noter og kontaktpersoner")
        CONTRACT_AUDIT = "contract_audit", _("Kontrakt med honorarer eller budget")
        EVENT_PERSON = "event_person", _("Deltager i arrangement uden CVR/CPR")

    kind = models.CharField(_("type"), max_length=15, choices=Kind.choices, unique=True)
    years = models.PositiveSmallIntegerField(
        _("år"), validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    changed_at = models.DateTimeField(_("ændret"), auto_now=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("opbevaringsregel")
        verbose_name_plural = _("opbevaringsregler")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.years}"


class AnonymisationRun(models.Model):
    """One nightly run: how far it got (``phase`` and the last id done in it, so a run that
    stopped is resumed by the next) and how many records each phase anonymised."""

    started_at = models.DateTimeField(_("startet"), auto_now_add=True)
    finished_at = models.DateTimeField(_("færdig"), null=True, blank=True)
    phase = models.CharField(max_length=15, blank=True)
    after_id = models.BigIntegerField(default=0)
    counts = models.JSONField(_("antal"), default=dict)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("anonymiseringskørsel")
        verbose_name_plural = _("anonymiseringskørsler")

    def __str__(self) -> str:
        return f"{self.started_at:%d.%m.%Y %H:%M} {self.counts}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class ErasureRequestQuerySet(ScopedQuerySet):
    def waiting(self) -> "ErasureRequestQuerySet":
        return self.filter(done_at__isnull=True)


class ErasureRequest(models.Model):
    """A person asked to be erased (GDPR art. 17). Done at once, or, while a legal hold keeps
    the data (``crm.retention.holds_on``), by the first nightly run after the hold ends."""

    founder = models.ForeignKey(
        Founder,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="erasure_requests",
        verbose_name=_("iværksætter"),
    )
    contact = models.ForeignKey(
        ContactPerson,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="erasure_requests",
        verbose_name=_("kontaktperson"),
    )
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("begrundelse"))
    # The legal holds as the page showed them when the request was made (none: done at once).
    holds = models.TextField(_("tilbageholdt af"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("anmodet"), auto_now_add=True)
    done_at = models.DateTimeField(_("anonymiseret"), null=True, blank=True)

    objects = ErasureRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("anmodning om sletning")
        verbose_name_plural = _("anmodninger om sletning")
        constraints = [
            models.CheckConstraint(
                condition=Q(founder__isnull=False, contact__isnull=True)
                | Q(founder__isnull=True, contact__isnull=False),
                name="erasure_one_person",
            )
        ]
        indexes = [
            models.Index(
                fields=["municipality"], condition=Q(done_at__isnull=True), name="erasure_waiting"
            )
        ]

    def __str__(self) -> str:
        return f"{self.requested_at:%d.%m.%Y} {self.founder_id or self.contact_id}"

    @property
    def person(self):
        return self.founder or self.contact
