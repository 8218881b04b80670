"""The consultant's records, part three: guidance sessions (seen by other operators with the
subject's consent only), networks, development projects and growth programme enrolments; and
the change history of every record of the three parts (``crm.models.subjects``,
``crm.models.consents`` and this module), kept by pghistory's database triggers once all the
models are defined.
"""

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import OuterRef, Q
from django.utils.translation import gettext_lazy as _

from crm.models.consents import Consent, active_consent_for
from crm.models.subjects import (
    Company,
    ContactPerson,
    Founder,
    GrowthLevel,
    SharedQuerySet,
    Theme,
    operator_ids_of,
    subject_constraint,
)
from crm.models.tenancy import Municipality, Operator, ScopedQuerySet


class SessionQuerySet(ScopedQuerySet):
    def visible_to(self, user, perm: str = "view_records") -> "SessionQuerySet":
        """Sessions in the user's municipalities that the user's operator logged, or whose
        subject's consent in force shares them with it (seed 002: sharing needs consent).

        With the municipality and operator ids as constants, PostgreSQL walks the list's
        order (``session_date_id``, or the municipality index for one municipality) and
        tests each session's consent by index (a few microseconds a row) until the page is
        full: 11 ms for a 19-municipality hub at national volume with 144k consents. Reading
        the consented sessions first (a set of ids) costs seconds there (``bench/``)."""
        operator_ids = operator_ids_of(user)
        return (
            super()
            .visible_to(user, perm)
            .filter(
                Q(operator__in=operator_ids)
                | Q(company__isnull=False)
                & active_consent_for(operator_ids, "company", holder=OuterRef("operator"))
                | Q(founder__isnull=False)
                & active_consent_for(operator_ids, "founder", holder=OuterRef("operator"))
            )
        )


class GuidanceSession(models.Model):
    class Tier(models.TextChoices):
        LOCAL = "local", _("Lokal")
        FOCUSED = "focused", _("Fokuseret")
        SPECIALISED = "specialised", _("Specialiseret")

    class Channel(models.TextChoices):
        OUTREACH = "outreach", _("Opsøgende")
        VISIT = "visit", _("Personligt besøg")
        PHONE = "phone", _("Telefon")
        EMAIL = "email", _("E-mail eller web")

    class Kind(models.TextChoices):
        BRIEF = "brief", _("Kort kontakt")
        FULL = "full", _("Vejledning")

    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("virksomhed"),
    )
    founder = models.ForeignKey(
        Founder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("iværksætter"),
    )
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("operatør")
    )
    consultants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="guidance_sessions",
        verbose_name=_("konsulenter"),
    )
    # The subject's municipality at the time of the session; it stays if the company moves.
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("kommune"),
    )
    date = models.DateField(_("dato"))
    tier = models.CharField(_("niveau"), max_length=11, choices=Tier.choices)
    channel = models.CharField(_("kanal"), max_length=8, choices=Channel.choices)
    kind = models.CharField(_("art"), max_length=5, choices=Kind.choices, default=Kind.FULL)
    themes = ArrayField(
        models.CharField(max_length=12, choices=Theme.choices),
        verbose_name=_("temaer"),
        default=list,
        blank=True,
    )
    hours_before = models.DecimalField(
        _("timer før"),
        max_digits=4,
        decimal_places=1,
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    hours_during = models.DecimalField(
        _("timer under"),
        max_digits=4,
        decimal_places=1,
        default=4,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    hours_after = models.DecimalField(
        _("timer efter"),
        max_digits=4,
        decimal_places=1,
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    content = models.TextField(_("hovedindhold"), blank=True)
    screening_done = models.BooleanField(_("Væksthjulet-screening"), default=False)
    screening_result = models.CharField(
        _("screeningsresultat (vækstpotentiale)"),
        max_length=1,
        choices=GrowthLevel.choices,
        blank=True,
    )
    follow_up_on = models.DateField(_("opfølgning"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("vejledning")
        verbose_name_plural = _("vejledninger")
        constraints = [subject_constraint("session_one_subject")]
        indexes = [
            models.Index(fields=["municipality", "-date"]),
            # The list's order (crm.pagination), walked backwards by the newest-first pages.
            models.Index(fields=["date", "id"], name="session_date_id"),
            models.Index(
                fields=["follow_up_on"],
                condition=Q(follow_up_on__isnull=False),
                name="session_follow_up",
            ),
            GinIndex(fields=["themes"], name="session_themes"),
            # The indicators read sessions by operator and period (contracts.indicators); with
            # these columns included, their scans are index-only (measured in bench/).
            models.Index(
                fields=["operator", "date"],
                include=["municipality", "company", "kind"],
                name="session_operator_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} {self.get_kind_display()}"

    @property
    def subject(self):
        return self.company or self.founder


def record_operator() -> models.ForeignKey:
    """The operator whose work a network, project or enrolment is: contract goals count their
    parties' records only."""
    return models.ForeignKey(
        Operator,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("operatør"),
    )


class Network(models.Model):
    class Kind(models.TextChoices):
        ERFA = "erfa", _("Erfagruppe")
        INDUSTRY = "industry", _("Branchenetværk")
        MENTOR = "mentor", _("Mentornetværk")
        OTHER = "other", _("Andet netværk")

    name = models.CharField(_("navn"), max_length=200)
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices)
    # The municipality that runs it (scopes it); it may span others too.
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="networks",
        verbose_name=_("kommune"),
    )
    municipalities = models.ManyToManyField(
        Municipality,
        related_name="spanned_networks",
        blank=True,
        verbose_name=_("dækker kommuner"),
    )
    members = models.ManyToManyField(
        Company, related_name="networks", blank=True, verbose_name=_("medlemmer")
    )
    started_on = models.DateField(_("startet"))
    operator = record_operator()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("netværk")
        verbose_name_plural = _("netværk")

    def __str__(self) -> str:
        return self.name


class DevelopmentProject(models.Model):
    class Funding(models.TextChoices):
        LAG = "lag", _("LAG-midler")
        RURAL = "rural", _("Landdistriktsprogrammet")
        OTHER = "other", _("Anden finansiering")

    class Status(models.TextChoices):
        IDENTIFIED = "identified", _("Identificeret")
        APPLIED = "applied", _("Ansøgt")
        GRANTED = "granted", _("Bevilget")
        REJECTED = "rejected", _("Afslået")
        COMPLETED = "completed", _("Gennemført")

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="projects", verbose_name=_("virksomhed")
    )
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("titel"), max_length=200)
    identified_on = models.DateField(_("identificeret"))
    funding = models.CharField(_("finansiering søgt"), max_length=5, choices=Funding.choices)
    application_help = models.BooleanField(_("hjælp til plan og ansøgning"), default=False)
    amount_applied = models.DecimalField(
        _("ansøgt beløb (kr.)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    amount_granted = models.DecimalField(
        _("bevilget beløb (kr.)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.IDENTIFIED
    )
    operator = record_operator()

    class ProjectQuerySet(SharedQuerySet):
        subject_fields = ("company",)
        holder_field = "operator"

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-identified_on"]
        verbose_name = _("udviklingsprojekt")
        verbose_name_plural = _("udviklingsprojekter")

    def __str__(self) -> str:
        return self.title


class ProgrammeEnrolment(models.Model):
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="programmes"
    )
    founder = models.ForeignKey(
        Founder, on_delete=models.PROTECT, null=True, blank=True, related_name="programmes"
    )
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    programme = models.CharField(_("vækstprogram"), max_length=200)
    growth_level = models.CharField(_("vækstniveau"), max_length=1, choices=GrowthLevel.choices)
    started_on = models.DateField(_("startet"))
    operator = record_operator()

    class EnrolmentQuerySet(SharedQuerySet):
        holder_field = "operator"

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on"]
        verbose_name = _("vækstforløb")
        verbose_name_plural = _("vækstforløb")
        constraints = [subject_constraint("programme_one_subject")]

    def __str__(self) -> str:
        return f"{self.programme} ({self.growth_level})"


# Change history of every record (who, when, what), kept by database triggers.
for model in (
    Company,
    ContactPerson,
    Founder,
    Consent,
    GuidanceSession,
    Network,
    DevelopmentProject,
    ProgrammeEnrolment,
):
    pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        exclude=["search_name"],
    )(model)


# Many-to-many changes too: a row added to or removed from a link table is an event ("add",
# "remove"), kept by a trigger on the table through a proxy model (django-pgtrigger's way for
# auto-created link tables), so ``.set()``, ``.add()`` and bulk changes all count.
class SessionConsultant(GuidanceSession.consultants.through):
    class Meta:
        proxy = True
        verbose_name = _("konsulent på vejledning")


class NetworkMember(Network.members.through):
    class Meta:
        proxy = True
        verbose_name = _("medlem af netværk")


class NetworkMunicipality(Network.municipalities.through):
    class Meta:
        proxy = True
        verbose_name = _("kommune, netværket dækker")


class ConsentOperator(Consent.operators.through):
    class Meta:
        proxy = True
        verbose_name = _("operatør, samtykket er givet til")


LINK_MODELS = (SessionConsultant, NetworkMember, NetworkMunicipality, ConsentOperator)
for model in LINK_MODELS:
    pghistory.track(pghistory.InsertEvent("add"), pghistory.DeleteEvent("remove"), obj_field=None)(
        model
    )
