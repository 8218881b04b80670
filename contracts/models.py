"""Contracts as data: parties, municipalities, period, goals with indicators and targets,
milestones, survey answers (evaluations), attainment snapshots, honoraria and budgets."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import Company, Founder, GuidanceSession, Municipality, Operator, Theme
from referrals.models import Referral


class ContractQuerySet(models.QuerySet):
    def visible_to(self, user, perm: str = "view_municipality_data") -> "ContractQuerySet":
        """Contracts covering at least one municipality where the user holds ``perm``."""
        allowed = Municipality.objects.ids_for(user, perm)
        return self.filter(municipalities__in=allowed).distinct()


class Contract(models.Model):
    class Kind(models.TextChoices):
        PROGRAMME = "programme", _("Programkontrakt")
        COOPERATION = "cooperation", _("Samarbejdsaftale")
        PERFORMANCE = "performance", _("Resultatkontrakt")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Kladde")
        ACTIVE = "active", _("Aktiv")
        CLOSED = "closed", _("Afsluttet")

    kind = models.CharField(_("type"), max_length=11, choices=Kind.choices)
    title = models.CharField(_("titel"), max_length=300)
    parties = models.ManyToManyField(Operator, related_name="contracts", verbose_name=_("parter"))
    oversight = models.ForeignKey(
        Operator,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tilsyn/ordregiver"),
    )
    municipalities = models.ManyToManyField(
        Municipality, related_name="contracts", verbose_name=_("kommuner")
    )
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("slut"))
    status = models.CharField(
        _("status"), max_length=6, choices=Status.choices, default=Status.DRAFT
    )
    document = models.FileField(_("underskrevet kontrakt"), upload_to="contracts/", blank=True)
    budget = models.DecimalField(
        _("budget (kr.)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    hourly_rate = models.DecimalField(
        _("timepris (kr.)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    source = models.CharField(_("kilde"), max_length=200, blank=True)
    # The shape of the half-year follow-up: the activity table of a cooperation agreement
    # (seed 001 §3), or an EU programme's indicators with their breakdowns (women, young,
    # foreign-born) and its participant list (seed 004).
    report_shape = models.CharField(
        _("halvårsrapportens form"),
        max_length=8,
        choices=[("activity", _("Aktivitetstabel")), ("eu", _("EU-program med 'heraf'"))],
        default="activity",
    )

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "title"]
        verbose_name = _("kontrakt")
        verbose_name_plural = _("kontrakter")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="contract_period"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def counts_demo_answers(self) -> bool:
        """Survey answers made up by the demo are among those this contract's goals read."""
        return Evaluation.objects.filter(
            is_demo=True,
            municipality__in=self.municipalities.all(),
            operator__in=self.parties.all(),
        ).exists()


MEASURED_CHOICES = [
    ("", _("Alle kontraktens parter")),
    (Operator.Kind.LOCAL, _("Kontraktens lokale erhvervsservice")),
    (Operator.Kind.HUB, _("Kontraktens erhvervshus")),
    (Operator.Kind.FOCUSED, _("Kontraktens fokuserede erhvervsservice")),
    (Operator.Kind.PROGRAMME, _("Kontraktens programoperatør")),
]


class Goal(models.Model):
    class TargetKind(models.TextChoices):
        COUNT = "count", _("Antal")
        SHARE = "share", _("Andel (%)")
        NPS = "nps", _("NPS")

    class MilestoneStatus(models.TextChoices):
        OPEN = "open", _("Ikke vurderet")
        PROGRESS = "progress", _("I gang")
        MET = "met", _("Opfyldt")
        NOT_MET = "not_met", _("Ikke opfyldt")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="goals")
    number = models.CharField(_("nummer"), max_length=10)
    title = models.CharField(_("titel"), max_length=300)
    text = models.TextField(_("kontraktens tekst"), blank=True)
    # An indicator from contracts.indicators.CATALOGUE with its parameters; blank for a
    # milestone or an externally reported goal.
    indicator = models.CharField(_("indikator"), max_length=40, blank=True)
    params = models.JSONField(_("parametre"), default=dict, blank=True)
    target_kind = models.CharField(
        _("måltype"), max_length=5, choices=TargetKind.choices, default=TargetKind.COUNT
    )
    target = models.DecimalField(_("mål"), max_digits=12, decimal_places=2, null=True, blank=True)
    # More than the target ("Mere end 80%", seed 001 §7), not "at least" (the default).
    strict = models.BooleanField(_("mere end målet (ikke lig med)"), default=False)
    per_municipality = models.BooleanField(_("mål pr. kommune"), default=False)
    # "I alle kommuner", "2 pr. kommune": met only when every municipality meets its target;
    # without it a target per municipality is met on average ("gennemsnitligt 10 pr. kommune").
    every_municipality = models.BooleanField(_("skal nås i hver kommune"), default=False)
    # Whose work the goal measures: the contract's parties, or those of one kind among them
    # ("erhvervshuset", "de lokale erhvervsserviceoperatører"). Nobody else's records count.
    measures = models.CharField(
        _("måler arbejdet hos"), max_length=10, choices=MEASURED_CHOICES, blank=True
    )
    starts_on = models.DateField(_("egen periode fra"), null=True, blank=True)
    ends_on = models.DateField(_("egen periode til"), null=True, blank=True)
    comment = models.TextField(_("kommentar"), blank=True)
    # Milestones: judged by a person, with evidence.
    is_milestone = models.BooleanField(_("milepæl"), default=False)
    milestone_status = models.CharField(
        max_length=8, choices=MilestoneStatus.choices, default=MilestoneStatus.OPEN
    )
    evidence = models.TextField(_("dokumentation"), blank=True)
    evidence_file = models.FileField(upload_to="evidence/", blank=True)
    judged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    judged_at = models.DateTimeField(null=True, blank=True)
    # Goals measured outside the CRM (awareness, control-group growth): reported value.
    external_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    external_source = models.CharField(_("kilde til indberettet værdi"), max_length=300, blank=True)

    class Meta:
        ordering = ["contract", "pk"]
        verbose_name = _("mål")
        verbose_name_plural = _("mål")

    def __str__(self) -> str:
        return f"Mål {self.number} - {self.title}"

    @property
    def period(self) -> tuple:
        return (self.starts_on or self.contract.starts_on, self.ends_on or self.contract.ends_on)

    @property
    def is_computed(self) -> bool:
        return bool(self.indicator) and not self.is_milestone

    @property
    def is_external(self) -> bool:
        return not self.indicator and not self.is_milestone

    def measured_operators(self):
        """The operators whose records this goal counts: the contract's parties, narrowed to
        one kind when ``measures`` says so."""
        parties = self.contract.parties.all()  # prefetched by the attainment run
        return [party for party in parties if not self.measures or party.kind == self.measures]


class GoalTarget(models.Model):
    """A goal's target for one municipality, where the contract sets it per municipality
    (seed 000: "pr. kommune"; seed 002, Mål 2: "fastsættes nærmere under de lokale mål")."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="local_targets")
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    target = models.DecimalField(_("mål"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["goal", "municipality__name"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "municipality"], name="goal_target_once")
        ]

    def __str__(self) -> str:
        return f"{self.goal} {self.municipality}: {self.target}"


class Evaluation(models.Model):
    """One answer to the national user evaluation (brugerevaluering) or to an operator's own
    survey (``contracts.surveys``): the same questions, counted by the same rules."""

    class Origin(models.TextChoices):
        NATIONAL = "national", _("Den nationale brugerevaluering")
        OWN = "own", _("Egen brugerundersøgelse")

    class Satisfaction(models.TextChoices):
        VERY = "very", _("Meget tilfreds")
        SATISFIED = "satisfied", _("Tilfreds")
        NEUTRAL = "neutral", _("Hverken/eller")
        DISSATISFIED = "dissatisfied", _("Utilfreds")
        VERY_DISSATISFIED = "very_dissatisfied", _("Meget utilfreds")
        UNKNOWN = "unknown", _("Ved ikke")

    class Effect(models.TextChoices):
        HIGH = "high", _("I høj grad")
        SOME = "some", _("I nogen grad")
        LOW = "low", _("I lav grad")
        NONE = "none", _("Slet ikke")
        UNKNOWN = "unknown", _("Ved ikke")

    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Found by the keyed CPR hash on import; the number itself is never stored here.
    founder = models.ForeignKey(
        Founder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        GuidanceSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("evalueret vejledning"),
    )
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    answered_on = models.DateField()
    segment = models.CharField(max_length=10, choices=Company.Segment.choices, blank=True)
    themes = ArrayField(
        models.CharField(max_length=12, choices=Theme.choices), default=list, blank=True
    )
    satisfaction = models.CharField(max_length=17, choices=Satisfaction.choices, blank=True)
    nps = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    effect = models.CharField(max_length=7, choices=Effect.choices, blank=True)
    # "Har du benyttet den eksterne rådgivning?": the referral uptake answers, one list.
    referral_used = models.CharField(
        _("brug af henvisning"), max_length=8, choices=Referral.Uptake.choices, blank=True
    )
    source = models.CharField(max_length=100, blank=True)
    # Defaults in the database too: the import and the benchmark insert with SQL of their own.
    origin = models.CharField(
        _("svarkilde"),
        max_length=8,
        choices=Origin.choices,
        default=Origin.NATIONAL,
        db_default=Origin.NATIONAL,
    )
    # The own survey's optional comment (free text: emptied when its subject is anonymised).
    comment = models.TextField(_("kommentar"), blank=True, default="", db_default="")
    # Made up by the demo: every page and PDF that counts it says so.
    is_demo = models.BooleanField(_("demo-svar"), default=False)

    class Meta:
        ordering = ["-answered_on"]
        indexes = [
            models.Index(fields=["municipality", "answered_on"]),
            # ``Contract.counts_demo_answers`` on every dashboard: without it, it reads every
            # answer of the contract's municipalities (73 ms at 200,000 answers; issue 12).
            models.Index(
                fields=["operator", "municipality"],
                condition=Q(is_demo=True),
                name="evaluation_demo",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operator} {self.answered_on}"


class AttainmentRun(models.Model):
    class State(models.TextChoices):
        RUNNING = "running", _("Beregner")
        DONE = "done", _("Færdig")
        FAILED = "failed", _("Fejlet")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="runs")
    as_of = models.DateField()
    state = models.CharField(max_length=7, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.contract} {self.as_of}"


class Snapshot(models.Model):
    """A goal's value as of a date, for one municipality or (municipality null) in total."""

    class Status(models.TextChoices):
        MET = "met", _("Opfyldt")
        ON_TRACK = "on_track", _("På vej")
        AT_RISK = "at_risk", _("I risiko")
        BEHIND = "behind", _("Bagud")
        NOT_MET = "not_met", _("Ikke opfyldt")
        TRACKED = "tracked", _("Følges (intet mål)")
        NO_DATA = "no_data", _("Ingen data")

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="snapshots")
    as_of = models.DateField()
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    numerator = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    denominator = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    target = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    attainment = models.DecimalField(max_digits=8, decimal_places=1, null=True)
    # A running goal's value expected at the period's end, from its snapshot history.
    forecast = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    status = models.CharField(max_length=8, choices=Status.choices)
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["goal", "as_of", "municipality"]
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "as_of", "municipality"], name="snapshot_once", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return f"{self.goal} {self.as_of}: {self.value}"


class PaymentRule(models.Model):
    """Honoraria (seed 001 §8): what the specialised service pays the local one."""

    class Kind(models.TextChoices):
        FOUNDER = "founder", _("Pr. registreret iværksætter")
        GROWTH_REFERRAL = "growth_referral", _("Pr. screening og henvisning med vækstpotentiale")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="payment_rules")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    # A flat amount per item, or (with an hourly rate here or on the contract, for the
    # growth referral) the actual hours times the rate, capped at this amount.
    amount = models.DecimalField(_("beløb (kr.)"), max_digits=10, decimal_places=2)
    hourly_rate = models.DecimalField(
        _("timepris (kr.)"), max_digits=8, decimal_places=2, null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "kind"], name="payment_rule_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount}"


class BudgetLine(models.Model):
    class Side(models.TextChoices):
        EXPENSE = "expense", _("Udgift")
        FINANCING = "financing", _("Finansiering")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="budget_lines")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    side = models.CharField(_("side"), max_length=9, choices=Side.choices, default=Side.EXPENSE)
    name = models.CharField(_("budgetlinje"), max_length=200)
    amount = models.DecimalField(_("beløb (kr.)"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["contract", "side", "municipality", "name"]

    def __str__(self) -> str:
        return self.name


class BudgetTransfer(models.Model):
    from_line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="+")
    to_line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.TextField(_("begrundelse"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.amount} {self.from_line} → {self.to_line}"


# The own user survey's models live in their package; imported here so Django registers them.
from contracts.surveys.models import SurveyInvitation, SurveySettings  # noqa: E402, F401
