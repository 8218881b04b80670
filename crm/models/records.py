"""The consultant's records: companies, founders, guidance sessions, consent, networks,
development projects and growth programmes. Every row carries a municipality that scopes it;
every model's changes are kept by pghistory (database triggers, so bulk updates count too).
"""

import datetime
from functools import reduce
from operator import or_

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower, Replace
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.search import collect_words_trigger, rank_index
from crm.models.tenancy import IndustryCode, Membership, Municipality, Operator, ScopedQuerySet
from crm.scoping import remembered
from crm.validators import validate_cvr, validate_p_number

NEW_COMPANY_YEARS = 3  # "iværksætter efter start op til tre år" (seed 001 §5)


def folded(expression):
    """Lower case with æ/ø/å spelled ae/oe/aa: one rule for the stored search column and the
    query, so "Aarhus", "århus" and "ÅRHUS" meet, whatever the database's locale."""
    for letter, spelling in [
        ("Æ", "ae"),
        ("æ", "ae"),
        ("Ø", "oe"),
        ("ø", "oe"),
        ("Å", "aa"),
        ("å", "aa"),
    ]:
        expression = Replace(expression, models.Value(letter), models.Value(spelling))
    return Lower(expression)


class GrowthLevel(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class Theme(models.TextChoices):
    START_UP = "start_up", _("Opstart")
    FINANCING = "financing", _("Finansiering")
    GREEN = "green", _("Grøn omstilling og cirkulær økonomi")
    DIGITAL = "digital", _("Digitalisering og ny teknologi")
    EXPORT = "export", _("Eksport")
    WORKFORCE = "workforce", _("Kompetent arbejdskraft")
    DESIGN = "design", _("Design")
    MANAGEMENT = "management", _("Ledelse og organisation")
    OWNERSHIP = "ownership", _("Ejerskifte")
    OTHER = "other", _("Andet")


class Company(models.Model):
    class Segment(models.TextChoices):
        OPERATIONS = "operations", _("Driftssegment")
        GROWTH = "growth", _("Vækstsegment")

    class Status(models.TextChoices):
        """As the company register says (crm.register)."""

        ACTIVE = "active", _("Aktiv")
        CEASED = "ceased", _("Ophørt")
        BANKRUPT = "bankrupt", _("Konkurs")

    cvr = models.CharField(
        _("CVR-nummer"),
        max_length=8,
        unique=True,
        validators=[validate_cvr],
        error_messages={"unique": _("En virksomhed med dette CVR-nummer er allerede registreret.")},
    )
    p_number = models.CharField(
        _("P-nummer"),
        max_length=10,
        blank=True,
        db_index=True,
        validators=[validate_p_number],
        help_text=_("Produktionsenhedens nummer, 10 cifre."),
    )
    name = models.CharField(_("navn"), max_length=200)
    search_name = models.GeneratedField(
        expression=folded(F("name")),
        output_field=models.CharField(max_length=400),
        db_persist=True,
    )
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postcode = models.CharField(_("postnummer"), max_length=4, blank=True)
    city = models.CharField(_("by"), max_length=100, blank=True)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="companies",
        verbose_name=_("kommune"),
    )
    industry_code = models.ForeignKey(
        IndustryCode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("branchekode"),
    )
    employees = models.PositiveIntegerField(_("antal ansatte"), null=True, blank=True)
    employees_known_on = models.DateField(_("ansatte opgjort pr."), null=True, blank=True)
    started_on = models.DateField(_("startdato"), null=True, blank=True)
    segment = models.CharField(_("segment"), max_length=10, choices=Segment.choices, blank=True)
    growth_potential = models.CharField(
        _("vækstpotentiale"), max_length=1, choices=GrowthLevel.choices, blank=True
    )
    growth_potential_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    growth_potential_set_at = models.DateTimeField(null=True, blank=True)
    rural = models.BooleanField(_("landdistrikt"), default=False)
    # From the company register (crm.register); the nightly refresh keeps them current.
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    company_form = models.CharField(_("virksomhedsform"), max_length=100, blank=True)
    employees_band = models.CharField(_("ansatte (interval)"), max_length=12, blank=True)
    industry_code_db07 = models.CharField(_("branchekode (DB07)"), max_length=6, blank=True)
    advertising_protected = models.BooleanField(_("reklamebeskyttet"), default=False)
    register_source = models.CharField(_("kilde i CVR-registret"), max_length=8, blank=True)
    register_checked_at = models.DateTimeField(_("sidst opdateret fra CVR"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Its people's data removed (notes, free text, contact persons: crm.retention).
    anonymised_at = models.DateTimeField(_("personoplysninger fjernet"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("virksomhed")
        verbose_name_plural = _("virksomheder")
        indexes = [
            # The municipality first (btree_gin): a search in a few municipalities reads only
            # their matches, not every match in the country (bench/: a hub's "kro", 27 -> 19 ms).
            GinIndex(
                F("municipality"),
                OpClass(F("search_name"), name="gin_trgm_ops"),
                name="company_name_trgm",
            ),
            rank_index("company_name_rank"),
            models.Index(fields=["municipality", "name"]),
            # The list's order (crm.pagination): a hub's page reads ~5 rows per row shown.
            models.Index(fields=["name", "id"], name="company_name_id"),
        ]
        triggers = [collect_words_trigger()]
        constraints = [
            # Two companies once took the same P-number by hand; a P-number is one company's.
            models.UniqueConstraint(
                fields=["p_number"],
                condition=~Q(p_number=""),
                name="company_p_number_unique",
                violation_error_message=_("P-nummeret tilhører allerede en anden virksomhed."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (CVR {self.cvr})"

    @property
    def has_ceased(self) -> bool:
        return self.status != self.Status.ACTIVE

    @property
    def is_new(self) -> bool:
        """Stage: new up to three years after the start date, then established."""
        if self.started_on is None:
            return False
        today = timezone.localdate()
        try:
            limit = self.started_on.replace(year=self.started_on.year + NEW_COMPANY_YEARS)
        except ValueError:  # 29 February
            limit = self.started_on + datetime.timedelta(days=365 * NEW_COMPANY_YEARS + 1)
        return today < limit

    @property
    def is_micro(self) -> bool:
        return self.employees is not None and 1 <= self.employees <= 10


def operator_ids_of(user) -> list[int]:
    """The active operators the user works for, as constants (one query per request)."""
    if not user.is_authenticated:
        return []
    return remembered(
        ("operators", user.pk),
        lambda: sorted(Operator.objects.of(user).order_by().values_list("pk", flat=True)),
    )


def works_with(operator_ids, subject_field: str, *, own: bool = False) -> Q:
    """One of ``operator_ids`` works with the row's subject: it logged guidance of it, or it
    is a local business service of the subject's municipality (the first contact of every
    company and founder there, that keeps their registration: seed 001 §5). ``own``: the rows
    are the companies or founders themselves, not rows logged on them."""
    subject = OuterRef("pk" if own else subject_field)
    logged = GuidanceSession.objects.filter(**{subject_field: subject}, operator__in=operator_ids)
    local = Municipality.objects.filter(
        operators__in=operator_ids, operators__kind=Operator.Kind.LOCAL
    ).values("pk")
    municipality = "municipality__in" if own else f"{subject_field}__municipality__in"
    return Exists(logged) | Q(**{municipality: local})


class SharedQuerySet(ScopedQuerySet):
    """What is logged on a company or founder beyond its registry facts (contact persons,
    development projects, growth programmes, consents): in the user's municipalities, seen by
    the operators that work with the subject, and by other operators only with the subject's
    consent in force (seed 002), as sessions are (``SessionQuerySet``). Pages, API and
    exports all read these rows through ``visible_to``. ``holder_field`` names the operator
    whose work a row is (its acceptance of a consent opens that operator's rows only)."""

    subject_fields = ("company", "founder")
    holder_field = None

    def visible_to(self, user, perm: str = "view_records") -> "SharedQuerySet":
        return super().visible_to(user, perm).filter(self.shared_with(operator_ids_of(user)))

    def shared_with(self, operator_ids) -> Q:
        holder = OuterRef(self.holder_field) if self.holder_field else None
        return reduce(
            or_,
            (
                Q(**{f"{field}__isnull": False})
                & (
                    works_with(operator_ids, field)
                    | active_consent_for(operator_ids, field, holder=holder)
                )
                for field in self.subject_fields
            ),
        )


class ContactPerson(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("navn"), max_length=200)
    role = models.CharField(_("rolle"), max_length=100, blank=True)
    education = models.CharField(_("uddannelse"), max_length=200, blank=True)
    phone = models.CharField(_("telefon"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # The operators' own user survey (contracts.surveys) writes only to those who said yes.
    survey_consent = models.BooleanField(
        _("må kontaktes med spørgeskema om vejledningen"), default=False
    )
    left_on = models.DateField(
        _("fratrådt den"),
        null=True,
        blank=True,
        help_text=_("Personoplysningerne anonymiseres en periode efter fratrædelsen."),
    )
    anonymised_at = models.DateTimeField(_("anonymiseret"), null=True, blank=True)

    class ContactQuerySet(SharedQuerySet):
        municipality_field = "company__municipality"
        subject_fields = ("company",)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("kontaktperson")
        verbose_name_plural = _("kontaktpersoner")

    def __str__(self) -> str:
        return self.name


class Founder(models.Model):
    """A founder before start (iværksætter før start), found by CPR number."""

    class Sex(models.TextChoices):
        FEMALE = "F", _("Kvinde")
        MALE = "M", _("Mand")

    cpr_encrypted = models.BinaryField(editable=False)
    cpr_hash = models.CharField(max_length=64, unique=True, editable=False)
    birth_date = models.DateField(_("fødselsdato"), editable=False)
    sex = models.CharField(_("køn"), max_length=1, choices=Sex.choices, editable=False)
    name = models.CharField(_("navn"), max_length=200)
    search_name = models.GeneratedField(
        expression=folded(F("name")),
        output_field=models.CharField(max_length=400),
        db_persist=True,
    )
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postcode = models.CharField(_("postnummer"), max_length=4, blank=True)
    city = models.CharField(_("by"), max_length=100, blank=True)
    phone = models.CharField(_("telefon"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    survey_consent = models.BooleanField(
        _("må kontaktes med spørgeskema om vejledningen"), default=False
    )
    education = models.CharField(_("uddannelse"), max_length=200, blank=True)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="founders",
        verbose_name=_("kommune"),
    )
    company = models.ForeignKey(
        Company,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="founders",
        verbose_name=_("startet virksomhed"),
    )
    company_started_on = models.DateField(_("virksomhed startet"), null=True, blank=True)
    # Seed 004's "utlandsfödda", as the founder gives it (None: not given); sex and age follow
    # from the CPR number. Purpose-bound: shown to staff, to viewers as counts only.
    born_abroad = models.BooleanField(_("født i udlandet"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Name, CPR number, contact details and notes removed (crm.retention); the rest stays.
    anonymised_at = models.DateTimeField(_("anonymiseret"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("iværksætter")
        verbose_name_plural = _("iværksættere")
        indexes = [
            GinIndex(OpClass(F("search_name"), name="gin_trgm_ops"), name="founder_name_trgm"),
            rank_index("founder_name_rank"),
            models.Index(fields=["name", "id"], name="founder_name_id"),  # the list's order
        ]
        triggers = [collect_words_trigger()]

    def __str__(self) -> str:
        return f"{self.name} ({self.masked_cpr})"

    @property
    def masked_cpr(self) -> str:
        from crm.cpr import mask

        # An anonymised founder keeps its birth year only (crm.retention): nothing to show.
        return "–" if self.anonymised_at else mask(self.birth_date)


class CprReveal(models.Model):
    """Who saw a full CPR number, when, and whose."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    founder = models.ForeignKey(Founder, on_delete=models.CASCADE, related_name="reveals")
    revealed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-revealed_at"]
        # The access log's period filter and its nightly purge (crm.audit).
        indexes = [models.Index(fields=["revealed_at"], name="cpr_reveal_at")]

    def __str__(self) -> str:
        return f"{self.user} {self.founder_id} {self.revealed_at:%d.%m.%Y %H:%M}"


def subject_constraint(name: str) -> models.CheckConstraint:
    """Exactly one of company and founder."""
    return models.CheckConstraint(
        condition=Q(company__isnull=False, founder__isnull=True)
        | Q(company__isnull=True, founder__isnull=False),
        name=name,
    )


class SubjectScopedQuerySet(ScopedQuerySet):
    """For rows that belong to a company or a founder and take their municipality."""

    def visible_to(self, user, perm: str = "view_records") -> "SubjectScopedQuerySet":
        allowed = Municipality.objects.ids_for(user, perm)
        return self.filter(
            Q(company__municipality__in=allowed) | Q(founder__municipality__in=allowed)
        )


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
