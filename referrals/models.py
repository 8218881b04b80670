"""Referrals of a company or founder to an operator (a hub, a focused service) or to an
external adviser, with their state, deadline and uptake."""

from typing import NamedTuple

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Company, Founder, Municipality, Operator, ScopedQuerySet, Theme
from crm.models.subjects import subject_constraint


class Adviser(models.Model):
    """The shared register of external problem solvers: receivers of referrals, not users."""

    class Kind(models.TextChoices):
        PRIVATE = "private", _("Privat rådgiver")
        KNOWLEDGE = "knowledge", _("Videninstitution")
        COMPANY = "company", _("Anden virksomhed")
        CLUSTER = "cluster", _("Klynge")
        DESIGN = "design", _("Designøkosystemet")
        FUNDING = "funding", _("Finansiering (fx LAG)")

    name = models.CharField(_("navn"), max_length=200, unique=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    contact = models.CharField(_("kontaktperson"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telefon"), max_length=30, blank=True)
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ekstern rådgiver")
        verbose_name_plural = _("eksterne rådgivere")

    def __str__(self) -> str:
        return self.name


class ReferralQuerySet(ScopedQuerySet):
    def visible_to(self, user, perm: str = "view_records") -> "ReferralQuerySet":
        """Referrals in the user's municipalities that the user's operator sent or received."""
        from crm.services import operators_of

        operators = operators_of(user).values("pk") if user.is_authenticated else []
        return (
            super()
            .visible_to(user, perm)
            .filter(Q(sender_operator__in=operators) | Q(target_operator__in=operators))
        )


class Referral(models.Model):
    class State(models.TextChoices):
        SENT = "sent", _("Sendt")
        ACCEPTED = "accepted", _("Accepteret")
        CONTACTED = "contacted", _("Kontaktet")
        COMPLETED = "completed", _("Afsluttet")
        DECLINED = "declined", _("Afvist")
        WITHDRAWN = "withdrawn", _("Trukket tilbage")

    class Uptake(models.TextChoices):
        USED = "used", _("Har brugt rådgivningen")
        EXPECTS = "expects", _("Forventer at bruge den inden for seks måneder")
        NOT_USED = "not_used", _("Har ikke brugt den")
        UNKNOWN = "unknown", _("Ved ikke")

    class UptakeSource(models.TextChoices):
        CONSULTANT = "consultant", _("Registreret af konsulent")
        EVALUATION = "evaluation", _("Brugerevalueringen")

    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("virksomhed"),
    )
    founder = models.ForeignKey(
        Founder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("iværksætter"),
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="referrals"
    )
    sender_operator = models.ForeignKey(
        Operator,
        on_delete=models.PROTECT,
        related_name="referrals_sent",
        verbose_name=_("afsender"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_sent"
    )
    target_operator = models.ForeignKey(
        Operator,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_received",
        verbose_name=_("henvist til operatør"),
    )
    target_adviser = models.ForeignKey(
        Adviser,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("henvist til ekstern rådgiver"),
    )
    reason = models.TextField(_("begrundelse"))
    themes = ArrayField(
        models.CharField(max_length=12, choices=Theme.choices),
        default=list,
        blank=True,
        verbose_name=_("temaer"),
    )
    after_screening = models.BooleanField(_("efter Væksthjulet-screening"), default=False)
    state = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.SENT)
    sent_at = models.DateTimeField(_("sendt"))
    due_on = models.DateField(_("frist"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_assigned",
        verbose_name=_("ansvarlig"),
    )
    contacted_at = models.DateTimeField(_("kontaktet"), null=True, blank=True)
    decline_reason = models.TextField(_("begrundelse for afvisning"), blank=True)
    uptake = models.CharField(
        _("brug af rådgivningen"), max_length=8, choices=Uptake.choices, blank=True
    )
    uptake_source = models.CharField(max_length=10, choices=UptakeSource.choices, blank=True)
    uptake_recorded_at = models.DateTimeField(null=True, blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("henvisning")
        verbose_name_plural = _("henvisninger")
        constraints = [
            subject_constraint("referral_one_subject"),
            models.CheckConstraint(
                condition=Q(target_operator__isnull=False, target_adviser__isnull=True)
                | Q(target_operator__isnull=True, target_adviser__isnull=False),
                name="referral_one_target",
            ),
        ]
        indexes = [
            models.Index(fields=["target_operator", "state", "due_on"]),
            models.Index(fields=["sender_operator", "-sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.target}"

    @property
    def subject(self):
        return self.company or self.founder

    @property
    def target(self):
        return self.target_operator or self.target_adviser

    @property
    def changes(self) -> tuple["Change", ...]:
        """The changes of state this referral's kind of receiver allows (the state table)."""
        return TO_OPERATOR if self.target_operator_id else TO_ADVISER

    def changes_now(self, parties) -> list["Change"]:
        """The changes ``parties`` may make from the current state: the buttons a page shows."""
        return [c for c in self.changes if self.state in c.sources and c.party in parties]

    def change_to(self, to_state: str) -> "Change | None":
        """The change that leads from the current state to ``to_state``, if any."""
        return next(
            (c for c in self.changes if c.target == to_state and self.state in c.sources), None
        )

    @property
    def is_finished(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def deadline_status(self) -> str:
        """'overdue' or 'today' while the deadline clock runs, else ''."""
        if self.due_on is None or self.state not in OPEN_STATES:
            return ""
        today = timezone.localdate()
        if self.due_on < today:
            return "overdue"
        return "today" if self.due_on == today else ""

    @property
    def kept_deadline(self) -> bool | None:
        """Contacted by the end of the due day (None while open or without a deadline)."""
        if self.due_on is None or self.contacted_at is None:
            return None
        return timezone.localdate(self.contacted_at) <= self.due_on


class Change(NamedTuple):
    """One change of a referral's state: its action (the name in the page's and the API's
    URL), the states it leaves, the state it reaches, the party that makes it and the button
    that offers it (``short``: in the triage queue; ``asks_reason``: a form with a reason)."""

    action: str
    sources: tuple[str, ...]
    target: str
    party: str  # "target": the receiver's triage staff; "worker": they or the assignee
    label: str
    short: str = ""
    style: str = ""
    asks_reason: bool = False

    @property
    def url_name(self) -> str:
        return f"referral-{self.action}"


State = Referral.State
# The state machine, one table per kind of receiver. Everything else is derived from it: who
# may make a change (referrals.permissions), the open states, the buttons on the pages.
TO_OPERATOR = (
    Change(
        "accept",
        (State.SENT,),
        State.ACCEPTED,
        "target",
        _("Acceptér og tag den selv"),
        _("Acceptér"),
    ),
    Change(
        "contacted",
        (State.SENT, State.ACCEPTED),
        State.CONTACTED,
        "worker",
        _("Markér som kontaktet"),
        _("Kontaktet"),
    ),
    Change("complete", (State.CONTACTED,), State.COMPLETED, "worker", _("Afslut")),
    Change(
        "decline",
        (State.SENT, State.ACCEPTED),
        State.DECLINED,
        "target",
        _("Afvis"),
        _("Afvis…"),
        style="secondary",
        asks_reason=True,
    ),
    Change(
        "withdraw",
        (State.SENT, State.ACCEPTED),
        State.WITHDRAWN,
        "sender",
        _("Træk henvisningen tilbage"),
        style="link",
    ),
)
# A referral to an external adviser has no receiving user: the sender follows it up.
TO_ADVISER = (
    Change(
        "contacted",
        (State.SENT,),
        State.CONTACTED,
        "sender",
        _("Rådgiveren har kontaktet virksomheden"),
    ),
    Change(
        "complete",
        (State.SENT, State.CONTACTED),
        State.COMPLETED,
        "sender",
        _("Afslut"),
        style="secondary",
    ),
    Change(
        "withdraw",
        (State.SENT,),
        State.WITHDRAWN,
        "sender",
        _("Træk henvisningen tilbage"),
        style="link",
    ),
)
CHANGES = (*TO_OPERATOR, *TO_ADVISER)
CHANGE_ACTIONS = tuple(dict.fromkeys(c.action for c in CHANGES))
# Open: the deadline clock runs (the triage queue, reminders, "overdue") until the receiver
# has contacted the company.
OPEN_STATES = next(c.sources for c in TO_OPERATOR if c.target == State.CONTACTED)
# Final: no change leads on (nor can the referral be assigned any more).
FINAL_STATES = tuple(s for s in State.values if not any(s in c.sources for c in CHANGES))


class ReferralEvent(models.Model):
    """Every change of a referral's state: who, when, from what to what, and why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="state_changes")
    from_state = models.CharField(max_length=10, choices=Referral.State.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=Referral.State.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    model_name="ReferralHistory",
)(Referral)
pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())(Adviser)
