"""The consultant's records, part two: a company's or founder's consent to share its
information with other operators, the operators' acceptances of it, and the log of what was read
on its strength. The rules that make a consent take effect live in ``crm.consents``.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.subjects import (
    Company,
    ContactPerson,
    Founder,
    SharedQuerySet,
    SubjectScopedQuerySet,
    subject_constraint,
)
from crm.models.tenancy import Membership, Municipality, Operator


class ConsentQuerySet(SharedQuerySet, SubjectScopedQuerySet):
    def shared_with(self, operator_ids) -> Q:
        """As the other shared rows, and also the consents that name one of the operators
        (withdrawn ones too: they must know they may no longer share) and those recorded by
        the operators' own staff."""
        named = Consent.operators.through.objects.filter(
            consent=OuterRef("pk"), operator__in=operator_ids
        )
        recorded = Membership.objects.filter(
            user=OuterRef("recorded_by"), operator__in=operator_ids
        )
        return (
            super().shared_with(operator_ids)
            | Q(scope=Consent.Scope.ALL)
            | Exists(named)
            | Exists(recorded)
        )

    def live(self) -> "ConsentQuerySet":
        """Not withdrawn, not declined by the subject and not replaced by a correction."""
        return self.filter(
            withdrawn_on__isnull=True, declined_at__isnull=True, correction__isnull=True
        )

    def covering(self, operator_ids) -> "ConsentQuerySet":
        """Given to all operators or to one of ``operator_ids`` by name."""
        named = Consent.operators.through.objects.filter(
            consent=OuterRef("pk"), operator__in=operator_ids
        )
        return self.filter(Q(scope=Consent.Scope.ALL) | Exists(named))

    def in_force(self, holder=None) -> "ConsentQuerySet":
        """Live, and confirmed (recorded by an operator that had guided the subject, or
        confirmed by the subject through the e-mailed link) or accepted by the operator
        holding the records: ``holder`` (an ``OuterRef`` naming it, as seen from the consent
        rows) for an operator's own records, any operator that works with the subject for
        the subject's shared data (contact persons, a founder's details)."""
        accepted = ConsentAcceptance.objects.filter(consent=OuterRef("pk"))
        if holder is not None:
            accepted = accepted.filter(operator=OuterRef(holder))
        return self.live().filter(Q(confirmed_at__isnull=False) | Exists(accepted))


class Consent(models.Model):
    """A company's or founder's consent to share its information with other operators, kept
    as evidence: who gave it, how, to whom (the recording operator and its consultant) and
    when. A correction is a new consent that names the one it replaces, with the reason.
    The rules that make a consent take effect live in ``crm.consents``."""

    class Scope(models.TextChoices):
        ALL = "all", _("Alle operatører i erhvervsfremmesystemet")
        NAMED = "named", _("Navngivne operatører")

    class Method(models.TextChoices):
        FORM = "form", _("Underskrevet blanket (uploadet)")
        EMAIL = "email", _("Bekræftet pr. e-mail")
        MEETING = "meeting", _("Givet mundtligt på et møde")

    class Confirmation(models.TextChoices):
        GUIDED = "guided", _("Registreret af en operatør, der vejleder")
        SUBJECT = "subject", _("Bekræftet af virksomheden/iværksætteren via link")

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="consents"
    )
    founder = models.ForeignKey(
        Founder, on_delete=models.CASCADE, null=True, blank=True, related_name="consents"
    )
    given_on = models.DateField(_("givet den"))
    # A company's consent is given by a named contact person; a founder's by the founder.
    given_by = models.ForeignKey(
        ContactPerson,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents_given",
        verbose_name=_("givet af (kontaktperson)"),
    )
    method = models.CharField(_("givet som"), max_length=7, choices=Method.choices, blank=True)
    document = models.FileField(_("underskrevet blanket"), upload_to="samtykker/%Y/%m/", blank=True)
    scope = models.CharField(_("givet til"), max_length=5, choices=Scope.choices)
    operators = models.ManyToManyField(
        Operator, blank=True, related_name="consents", verbose_name=_("operatører")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The operator the consent was given to and that recorded it.
    operator = models.ForeignKey(
        Operator,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registreret af operatør"),
    )
    recorded_at = models.DateTimeField(_("registreret"), default=timezone.now)
    corrects = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="correction",
        verbose_name=_("retter samtykke"),
    )
    correction_reason = models.TextField(_("begrundelse for rettelsen"), blank=True)
    confirmed_at = models.DateTimeField(_("gældende fra"), null=True, blank=True)
    confirmation = models.CharField(
        _("gældende fordi"), max_length=7, choices=Confirmation.choices, blank=True
    )
    # The one-time link to the subject: a random nonce inside a signed token (the link holds
    # no personal data), cleared when used; ``link_sent_to`` is the address it went to.
    link_nonce = models.CharField(max_length=32, blank=True, editable=False)
    link_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    link_sent_to = models.EmailField(_("link sendt til"), blank=True, editable=False)
    declined_at = models.DateTimeField(_("afvist af den registrerede"), null=True, blank=True)
    withdrawn_on = models.DateField(_("tilbagekaldt den"), null=True, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-given_on"]
        verbose_name = _("samtykke")
        verbose_name_plural = _("samtykker")
        constraints = [subject_constraint("consent_one_subject")]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.given_on:%d.%m.%Y}"

    @property
    def municipality(self) -> Municipality:
        return (self.company or self.founder).municipality

    @property
    def subject(self):
        return self.company or self.founder

    class State(models.TextChoices):
        IN_FORCE = "in_force", _("Gælder")
        ACCEPTED = "accepted", _("Gælder kun for oplysninger hos de operatører, der har accepteret")
        AWAITING = "awaiting", _("Gælder ikke endnu: venter på bekræftelse eller accept")
        DECLINED = "declined", _("Afvist af den registrerede")
        CORRECTED = "corrected", _("Erstattet af en rettelse")
        WITHDRAWN = "withdrawn", _("Tilbagekaldt")

    @property
    def state(self) -> str:
        """Where the consent stands (a page or response reads it with ``correction`` selected
        and ``acceptances`` prefetched)."""
        if self.withdrawn_on:
            return self.State.WITHDRAWN
        if self.declined_at:
            return self.State.DECLINED
        if getattr(self, "correction", None) is not None:
            return self.State.CORRECTED
        if self.confirmed_at:
            return self.State.IN_FORCE
        return self.State.ACCEPTED if self.acceptances.all() else self.State.AWAITING

    @property
    def state_label(self) -> str:
        return self.State(self.state).label

    @property
    def link_open(self) -> bool:
        """A confirmation link went to the subject and may still be used."""
        return bool(self.link_nonce) and self.link_expires_at > timezone.now()


class ConsentAcceptance(models.Model):
    """An operator holding records of the subject accepts a consent that an operator which
    had not guided the subject recorded: from then on it opens the accepting operator's
    records (and the subject's shared data) to the operators the consent names."""

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="acceptances")
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="+")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["accepted_at"]
        verbose_name = _("accept af samtykke")
        verbose_name_plural = _("accepter af samtykker")
        constraints = [
            models.UniqueConstraint(fields=["consent", "operator"], name="consent_accepted_once")
        ]

    def __str__(self) -> str:
        return f"{self.operator} {self.accepted_at:%d.%m.%Y}"


class ConsentAccess(models.Model):
    """A read of another operator's records (or of a subject's shared data) on the strength
    of a consent: who read, which records, which consent. One row per consent, holder and
    kind of record per request; the holder's managers read them (``crm.queries``)."""

    class Record(models.TextChoices):
        SESSION = "session", _("vejledninger")
        CONTACT = "contact", _("kontaktpersoner")
        PROJECT = "project", _("udviklingsprojekter")
        PROGRAMME = "programme", _("vækstforløb")
        FOUNDER = "founder", _("iværksætterens oplysninger")
        EVENT = "event", _("deltagelse i arrangementer")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("læser")
    )
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="accesses")
    # The operator whose records were read; none for the subject's shared data.
    holder = models.ForeignKey(Operator, on_delete=models.PROTECT, null=True, related_name="+")
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, null=True, related_name="+")
    founder = models.ForeignKey(Founder, on_delete=models.CASCADE, null=True, related_name="+")
    record = models.CharField(_("oplysninger"), max_length=9, choices=Record.choices)
    record_ids = ArrayField(models.BigIntegerField())
    source = models.CharField(_("hvor"), max_length=200)
    at = models.DateTimeField(_("tidspunkt"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("læsning på grundlag af samtykke")
        verbose_name_plural = _("læsninger på grundlag af samtykke")
        indexes = [
            models.Index(fields=["municipality", "-at"], name="consent_access_recent"),
            models.Index(fields=["at"], name="consent_access_at"),  # the nightly purge
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.record} {self.at:%d.%m.%Y %H:%M}"


def active_consent_for(operator_ids, subject_field: str, *, own: bool = False, holder=None):
    """A consent in force of the row's subject that covers one of ``operator_ids``
    (``own``: the rows are the subjects themselves; ``holder``: an expression naming the
    operator whose record the row is, see ``ConsentQuerySet.in_force``)."""
    consents = (
        Consent.objects.filter(**{subject_field: OuterRef("pk" if own else subject_field)})
        .covering(operator_ids)
        .in_force(holder)
    )
    return Exists(consents)
