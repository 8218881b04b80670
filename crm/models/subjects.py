"""The consultant's records, part one: the subjects of the work, companies (with their
contact persons) and founders before start (with who saw their CPR numbers), and what the other
records build on (growth levels, themes, ``SharedQuerySet``, ``subject_constraint``). Consent is
in ``crm.models.consents``; guidance sessions, networks, development projects and growth
programmes, and the change history of all the records, in ``crm.models.guidance``. Every row
carries a municipality that scopes it; every model's changes are kept by pghistory (database
triggers, so bulk updates count too).
"""

import datetime
from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower, Replace
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.search import collect_words_trigger, rank_index
from crm.models.tenancy import IndustryCode, Municipality, Operator, ScopedQuerySet
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
    from crm.models.guidance import GuidanceSession  # it imports this module

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
        from crm.models.consents import active_consent_for  # it imports this module

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
