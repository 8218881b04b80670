"""Events and group activities (courses, workshops, network meetings, information meetings) and
their participants: companies (CVR), founders (CPR) or persons with neither (seed 004: "möten
med personer med idéer", start-up courses; issue 16).

An event's facts (title, date, place, themes) are scoped by its municipality, as a network is.
Who took part is another matter: the participants are seen by the operators that run the event
(its organiser and partners) and, for a company or founder, by other operators only with its
consent in force, as guidance sessions are (``SessionQuerySet``); a person without CVR or CPR
has no consent to give and is seen by the organisers only.
"""

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.consents import active_consent_for
from crm.models.subjects import Company, Founder, Theme, operator_ids_of
from crm.models.tenancy import Municipality, Operator, ScopedQuerySet


class Event(models.Model):
    class Kind(models.TextChoices):
        COURSE = "course", _("Kursus")
        WORKSHOP = "workshop", _("Workshop")
        NETWORK = "network", _("Netværksmøde")
        INFORMATION = "information", _("Informationsmøde")

    title = models.CharField(_("titel"), max_length=200)
    kind = models.CharField(_("type"), max_length=11, choices=Kind.choices)
    date = models.DateField(_("dato"))
    place = models.CharField(_("sted"), max_length=200)
    # The municipality it is held in: it scopes the event and its participants, and the
    # indicators count it there.
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="events", verbose_name=_("kommune")
    )
    # The operator that runs it and holds its participant list (a consent's acceptance opens
    # that operator's records); partners run it with it and count it as their work too.
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="events", verbose_name=_("arrangør")
    )
    partners = models.ManyToManyField(
        Operator, blank=True, related_name="partner_events", verbose_name=_("medarrangører")
    )
    themes = ArrayField(
        models.CharField(max_length=12, choices=Theme.choices),
        verbose_name=_("temaer"),
        default=list,
        blank=True,
    )
    hours = models.DecimalField(
        _("varighed (timer)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    description = models.TextField(_("beskrivelse"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("arrangement")
        verbose_name_plural = _("arrangementer")
        indexes = [
            models.Index(fields=["date", "id"], name="event_date_id"),  # the list's order
            models.Index(fields=["municipality", "-date"], name="event_municipality_date"),
            models.Index(fields=["operator", "date"], name="event_operator_date"),  # indicators
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.date:%d.%m.%Y})"


class ParticipantQuerySet(ScopedQuerySet):
    municipality_field = "event__municipality"

    def visible_to(self, user, perm: str = "view_records") -> "ParticipantQuerySet":
        """Participants of events in the user's municipalities that one of the user's
        operators runs (organiser or partner), and companies and founders whose consent in
        force shares the organiser's records with the user's operator (as sessions)."""
        operator_ids = operator_ids_of(user)
        return super().visible_to(user, perm).filter(self.shared_with(operator_ids))

    def shared_with(self, operator_ids) -> Q:
        partner = Event.partners.through.objects.filter(
            event=OuterRef("event"), operator__in=operator_ids
        )
        holder = OuterRef("event__operator")
        return (
            Q(event__operator__in=operator_ids)
            | Exists(partner)
            | Q(company__isnull=False) & active_consent_for(operator_ids, "company", holder=holder)
            | Q(founder__isnull=False) & active_consent_for(operator_ids, "founder", holder=holder)
        )


class EventParticipant(models.Model):
    """One registration for an event: a company (CVR), a founder (CPR) or a person with
    neither (name, e-mail, municipality). Registered before, marked present or absent after.
    A person who later becomes a founder or a company record is linked to it (``crm.events``)
    and the typed name and e-mail are cleared: the record holds them from then on.

    Seed 004's breakdowns (women, young 18-30, foreign-born): for a founder they follow from
    the CPR number (sex, birth date) and ``Founder.born_abroad``; for a person they are the
    optional, purpose-bound columns below, given by the person for the programme's reporting
    only, shown to the roles that register participants and to viewers as counts only
    (``reporting.programme``)."""

    class AgeBand(models.TextChoices):
        UNDER_18 = "under_18", _("Under 18 år")
        YOUNG = "18_30", _("18-30 år")
        MIDDLE = "31_64", _("31-64 år")
        SENIOR = "65_plus", _("65 år eller derover")

    class Kind(models.TextChoices):
        COMPANY = "company", _("Virksomhed (CVR)")
        FOUNDER = "founder", _("Iværksætter (CPR)")
        PERSON = "person", _("Person uden CVR/CPR")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants")
    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="event_participations",
        verbose_name=_("virksomhed"),
    )
    founder = models.ForeignKey(
        Founder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="event_participations",
        verbose_name=_("iværksætter"),
    )
    # A person with neither CVR nor CPR.
    name = models.CharField(_("navn"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # The company's or founder's municipality when registered, or the one a person gives.
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("kommune")
    )
    attended = models.BooleanField(_("mødt"), null=True, blank=True)  # None: not marked yet
    # Seed 004's breakdowns for a person without CPR, as the person gives them (blank or None:
    # not given). A founder's follow from its record; a company's are not asked.
    sex = models.CharField(
        _("køn"), max_length=1, choices=Founder.Sex.choices, blank=True, default=""
    )
    age_band = models.CharField(
        _("aldersgruppe"), max_length=8, choices=AgeBand.choices, blank=True, default=""
    )
    born_abroad = models.BooleanField(_("født i udlandet"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(_("tilmeldt"), default=timezone.now)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["registered_at", "pk"]
        verbose_name = _("deltager")
        verbose_name_plural = _("deltagere")
        # No unique (event, company): merging two duplicates that both took part moves both
        # rows to the survivor (crm.merging). The service refuses a second registration; the
        # indicators count distinct participants.
        constraints = [
            models.CheckConstraint(
                condition=~Q(company__isnull=False, founder__isnull=False),
                name="participant_not_both",
            ),
            models.CheckConstraint(
                condition=Q(company__isnull=False) | Q(founder__isnull=False) | ~Q(name=""),
                name="participant_named",
            ),
        ]

    def __str__(self) -> str:
        return self.subject.name if self.subject else self.name

    @property
    def subject(self):
        return self.company or self.founder

    @property
    def kind(self) -> str:
        if self.company_id:
            return self.Kind.COMPANY
        return self.Kind.FOUNDER if self.founder_id else self.Kind.PERSON

    def get_kind_display(self) -> str:
        return self.Kind(self.kind).label

    @property
    def holder_id(self) -> int:
        """The operator whose records the participation is (``crm.consents.READ_KINDS``)."""
        return self.event.operator_id


for model in (Event, EventParticipant):
    pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())(
        model
    )


# Partners added and removed, as the other link tables (crm.models.guidance.LINK_MODELS).
class EventPartner(Event.partners.through):
    class Meta:
        proxy = True
        verbose_name = _("medarrangør af arrangement")


pghistory.track(pghistory.InsertEvent("add"), pghistory.DeleteEvent("remove"), obj_field=None)(
    EventPartner
)
