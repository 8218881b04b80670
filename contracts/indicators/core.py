"""The catalogue's building blocks: ``Measure``, ``Result``, ``Period``, the goal
parameters (``PARAMETERS``), the catalogue itself (``CATALOGUE``, ``indicator``,
``compute``) and what every indicator counts with (``grouped``, ``counted``, ``summed``,
``shared``, ``share_of_answers``, ``subject_key``, the seed 004 groups)."""

import datetime
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, CharField, Count, F, Func, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _

from contracts.models import Evaluation
from crm.models import (
    Company,
    DevelopmentProject,
    Event,
    EventParticipant,
    Founder,
    GuidanceSession,
    Theme,
)
from crm.models.subjects import GrowthLevel
from crm.subjects import SUBJECTS
from referrals.queries import REFERRAL_TARGET_LABELS

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Measure:
    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None

    @classmethod
    def count(cls, n) -> "Measure":
        return cls(Decimal(n or 0))

    @classmethod
    def share(cls, numerator, denominator) -> "Measure":
        numerator, denominator = Decimal(numerator or 0), Decimal(denominator or 0)
        value = (
            (numerator * HUNDRED / denominator).quantize(Decimal("0.1")) if denominator else None
        )
        return cls(value, numerator, denominator)


@dataclass(frozen=True)
class Result:
    per_municipality: dict[int, Measure]
    total: Measure


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date


# --- Parameters: what a goal may set, with the labels the form and the definitions show ---


@dataclass(frozen=True)
class Parameter:
    label: str
    kind: str  # "choice", "choices" (several), "bool", "int"
    choices: tuple = ()

    def describe(self, value) -> str:
        """The value as words (``True`` -> "ja", a code -> its label)."""
        labels = dict(self.choices)
        if self.kind == "bool":
            return str(_("ja") if value else _("nej"))
        if isinstance(value, list | tuple):
            return ", ".join(str(labels.get(v, v)) for v in value)
        return str(labels.get(value, value))


PARAMETERS: dict[str, Parameter] = {
    "tier": Parameter(_("Vejledningsniveau"), "choice", tuple(GuidanceSession.Tier.choices)),
    "themes": Parameter(_("Temaer (mindst ét af)"), "choices", tuple(Theme.choices)),
    "segment": Parameter(_("Segment"), "choice", tuple(Company.Segment.choices)),
    "channel": Parameter(_("Kanal"), "choice", tuple(GuidanceSession.Channel.choices)),
    "kind": Parameter(_("Art af registrering"), "choice", tuple(GuidanceSession.Kind.choices)),
    "subject": Parameter(_("Hvem"), "choice", SUBJECTS),
    "micro": Parameter(_("Kun mikrovirksomheder (1-10 ansatte)"), "bool"),
    "rural": Parameter(
        _("Kun virksomheder i landdistrikter (virksomhedens markering, eller i en yderkommune)"),
        "bool",
    ),
    "group": Parameter(
        _("Gruppe"), "choice", (("women", _("kvinder")), ("young", _("unge (18-30 år)")))
    ),
    "target": Parameter(_("Henvist til"), "choice", REFERRAL_TARGET_LABELS),
    "after_screening": Parameter(_("Kun efter Væksthjulet-screening"), "bool"),
    "funding": Parameter(
        _("Finansiering søgt"), "choice", tuple(DevelopmentProject.Funding.choices)
    ),
    "application_help": Parameter(_("Kun med hjælp til plan og ansøgning"), "bool"),
    "distinct_companies": Parameter(_("Tæl virksomheder (ikke projekter)"), "bool"),
    "min_members": Parameter(_("Mindst så mange medlemsvirksomheder"), "int"),
    "growth_level": Parameter(_("Vækstniveau"), "choice", tuple(GrowthLevel.choices)),
    "answers": Parameter(
        _("Svar der tæller"),
        "choices",
        (("very", _("Meget tilfreds")), ("satisfied", _("Tilfreds"))),
    ),
    # Which survey answers a goal counts: the national evaluation's, the operators' own
    # survey's (contracts.surveys), or (none chosen) both.
    "sources": Parameter(_("Svarkilder der tæller"), "choices", tuple(Evaluation.Origin.choices)),
    "growth_ambitions": Parameter(
        _("Kun iværksættere og virksomheder med vækstambitioner"), "bool"
    ),
    "participant": Parameter(_("Deltagere"), "choice", tuple(EventParticipant.Kind.choices)),
    "event_kind": Parameter(_("Type arrangement"), "choice", tuple(Event.Kind.choices)),
    "breakdown": Parameter(
        _("Heraf"),
        "choice",
        (
            ("women", _("kvinder")),
            ("young", _("unge (18-30 år)")),
            ("foreign_born", _("født i udlandet")),
        ),
    ),
}


# --- The catalogue ------------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    """An indicator's published definition (the definitions page, the annual report's
    appendix): what counts, what does not, its unit and, for a share, what is divided by
    what."""

    name: str
    function: Callable
    label: str
    unit: str
    counts: str
    excludes: str = ""
    numerator: str = ""
    denominator: str = ""
    is_share: bool = False
    parameters: tuple[str, ...] = field(default=())


CATALOGUE: dict[str, Definition] = {}
EXCLUDED_ALWAYS = _(
    "Registreringer fra operatører, som målet ikke måler (andre erhvervshuse, andre lokale "
    "erhvervsservices, operatører der ikke er part), og registreringer uden for perioden og "
    "kontraktens kommuner tæller aldrig."
)


def indicator(name: str, **texts):
    """Register ``function`` as indicator ``name`` with its definition; its keyword-only
    parameters are the goal parameters it takes."""

    def register(function):
        signature = inspect.signature(function)
        names = tuple(n for n, p in signature.parameters.items() if p.kind == p.KEYWORD_ONLY)
        unknown = set(names) - set(PARAMETERS) - {"hourly_rate"}
        assert not unknown, f"{name}: parameters without a label: {unknown}"
        CATALOGUE[name] = Definition(
            name, function, parameters=tuple(n for n in names if n != "hourly_rate"), **texts
        )
        return function

    return register


def compute(
    name: str, period: Period, municipality_ids, operator_ids, params: dict, *, hourly_rate=None
) -> Result:
    """The indicator ``name`` over the records of ``operator_ids`` with the goal's
    ``params``; an indicator that prices hours (it takes ``hourly_rate``) gets the
    contract's rate unless the goal names its own."""
    function = CATALOGUE[name].function
    if "hourly_rate" in inspect.signature(function).parameters:
        params = {"hourly_rate": hourly_rate, **params}
    return function(period, list(municipality_ids), list(operator_ids), **params)


def grouped(rows: QuerySet, field: str, municipality_ids, to_measure) -> Result:
    """The aggregates per municipality and in total in one scan: Django's grouped query with
    its GROUP BY turned into ``GROUPING SETS ((field), ())``; the total is the row whose
    municipality is NULL (a municipality never is). Two queries (grouped, then aggregate)
    cost twice the scan: 2.0x a hand-written pass at national volume, one 0.95x (bench/)."""
    queryset = rows.values(field).annotate(**to_measure.aggregates).order_by()
    empty = {name: 0 for name in to_measure.aggregates}
    try:
        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:  # e.g. no municipalities or no operators: nothing to count
        return Result({mid: to_measure(empty) for mid in municipality_ids}, to_measure(empty))
    head, _sep, columns = sql.rpartition(" GROUP BY ")
    with connection.cursor() as cursor:
        cursor.execute(f"{head} GROUP BY GROUPING SETS (({columns}), ())", params)
        names = [column.name for column in cursor.description]
        found = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    return Result(
        {mid: to_measure(found.get(mid, empty)) for mid in municipality_ids},
        to_measure(found.get(None, empty)),
    )


class counted:  # noqa: N801 - used like a function
    def __init__(self, aggregate):
        self.aggregates = {"n": aggregate}

    def __call__(self, row) -> Measure:
        return Measure.count(row["n"])


class summed:  # noqa: N801
    """The sum of several counts (disjoint sets, e.g. founders and companies)."""

    def __init__(self, *aggregates):
        self.aggregates = {f"n{i}": aggregate for i, aggregate in enumerate(aggregates)}

    def __call__(self, row) -> Measure:
        return Measure.count(sum(row[name] or 0 for name in self.aggregates))


class shared:  # noqa: N801
    def __init__(self, numerator, denominator):
        self.aggregates = {"num": numerator, "den": denominator}

    def __call__(self, row) -> Measure:
        return Measure.share(row["num"], row["den"])


# "Ved ikke" is stored as "unknown" in every answer set (satisfaction, effect, uptake).
DONT_KNOW = "unknown"


def share_of_answers(rows: QuerySet, field: str, counted_answers, municipality_ids) -> Result:
    """The share of the answers to ``field`` that are one of ``counted_answers``. The one rule
    for every survey share: "don't know" and no answer are left out of the denominator, as
    the contracts say (seed 002, Mål 4: "Virksomheder, der ikke ved, om de har benyttet
    henvisningen, udgår af beregningen")."""
    rows = rows.exclude(**{f"{field}__in": ["", DONT_KNOW]})
    numerator = Count("pk", filter=Q(**{f"{field}__in": list(counted_answers)}))
    return grouped(rows, "municipality", municipality_ids, shared(numerator, Count("pk")))


def subject_key():
    """One key per person or company guided: a founder who started a company (``Founder.
    company``) and that company are one iværksætter (seed 001: "før start – indtil tre år"),
    so the founder's sessions count under the company's key."""
    company = Concat(Value("c"), Cast("company_id", CharField()))
    return Case(
        When(
            founder__company__isnull=False,
            then=Concat(Value("c"), Cast("founder__company_id", CharField())),
        ),
        When(founder__isnull=False, then=Concat(Value("f"), Cast("founder_id", CharField()))),
        default=company,
        output_field=CharField(),
    )


def subjects_counted():
    """Distinct founders and companies of rows already narrowed to a subject
    (``subject_filter``), a founder and the company it started counted once."""
    return counted(Count(subject_key(), distinct=True))


# --- Seed 004: the EU programme's breakdowns ------------------------------------------------
# The groups: here, as both the events' (event.py) and the breakdowns' indicators
# (breakdown.py) take them.


def age_on(day: str, birth_date: str):
    """Whole years from ``birth_date`` to ``day`` (both field paths)."""
    return Func(
        Value("year"),
        Func(F(day), F(birth_date), function="age"),
        function="date_part",
        output_field=IntegerField(),
    )


YOUNG = (18, 30)  # seed 004: "unga (18-30 år)"


def founder_in_group(breakdown: str, prefix: str = "founder__") -> Q:
    """A founder (at ``prefix``) in the group: sex from the CPR number, age (annotated
    ``age``) at the day counted, born abroad as the founder gave it."""
    return {
        "women": Q(**{f"{prefix}sex": Founder.Sex.FEMALE}),
        "young": Q(age__range=YOUNG),
        "foreign_born": Q(**{f"{prefix}born_abroad": True}),
    }[breakdown]


def participant_in_group(breakdown: str) -> Q:
    """An event participant in the group: a founder by its record, a person without CPR by
    what the person gave (``EventParticipant.sex``, ``age_band``, ``born_abroad``)."""
    person = Q(founder__isnull=True, company__isnull=True)
    given = {
        "women": Q(sex=Founder.Sex.FEMALE),
        "young": Q(age_band=EventParticipant.AgeBand.YOUNG),
        "foreign_born": Q(born_abroad=True),
    }[breakdown]
    return Q(founder__isnull=False) & founder_in_group(breakdown) | person & given
