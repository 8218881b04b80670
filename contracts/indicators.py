"""The indicator catalogue: one tested, published definition per indicator, the same for
everybody.

An indicator takes a period, the municipalities of a contract, the operators whose work the
goal measures (``Goal.measured_operators``: the contract's parties, or one kind among them) and
the goal's parameters. Records of any other operator never count. It returns the value per
municipality and in total with one grouped query (conditional aggregation): a total of
distinct counts is not the sum of the municipalities' counts.

Every indicator carries its published definition (``Definition``: what counts, what does
not, the unit, the numerator and denominator) and its parameters' labels (``PARAMETERS``), so
the definitions page and the goal form never show a code.
"""

import datetime
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, Lower
from django.utils.translation import gettext_lazy as _

from contracts.models import Evaluation
from crm.models import Company, Event, EventParticipant, Founder, GuidanceSession, Network, Theme
from crm.models.records import DevelopmentProject, GrowthLevel, ProgrammeEnrolment
from crm.subjects import SUBJECTS, rural_target_group, subject_filter
from referrals.models import Referral
from referrals.queries import REFERRAL_TARGET_LABELS, REFERRAL_TARGETS

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


# --- Guidance ------------------------------------------------------------------------------


def sessions_in(
    period: Period,
    municipality_ids,
    operator_ids,
    *,
    tier=None,
    themes=None,
    segment=None,
    subject=None,
    channel=None,
    kind=None,
) -> QuerySet:
    """The measured operators' sessions in the period and municipalities, filtered by the
    goal's parameters."""
    rows = GuidanceSession.objects.filter(
        date__range=(period.start, period.end),
        municipality__in=municipality_ids,
        operator__in=operator_ids,
    )
    filters = {
        "tier": tier,
        "themes__overlap": themes,
        "company__segment": segment,
        "channel": channel,
        "kind": kind,
    }
    rows = rows.filter(**{key: value for key, value in filters.items() if value is not None})
    return rows.filter(subject_filter(subject, "date"))


def guided_in(period: Period, municipality_ids, operator_ids, **params) -> QuerySet:
    """The one definition of "guided" (vejledt) for every indicator that says so: a full
    guidance session, never a brief contact. Seed 002, Mål 1 counts "de vejledte
    virksomheder" against those that "modtog vejledning" the year before, and seed 001 §7
    counts "vejledte virksomheder/iværksættere": guidance, not a phone call that only
    registered a contact. Brief contacts count where a contract says contact ("kontakt til
    4.000 mikrovirksomheder": ``companies_contacted``) or counts sessions of any kind.
    A "guided" indicator takes no ``kind`` parameter."""
    return sessions_in(
        period, municipality_ids, operator_ids, kind=GuidanceSession.Kind.FULL, **params
    )


GUIDED = _("Kun vejledninger tæller, ikke korte kontakter.")


@indicator(
    "companies_guided",
    label=_("Vejledte virksomheder"),
    unit=_("virksomheder"),
    counts=_(
        "Forskellige virksomheder (CVR), som de målte operatører har givet mindst én "
        "vejledning i perioden; en virksomhed tæller én gang, i den kommune vejledningen er "
        "registreret i."
    ),
    excludes=GUIDED,
)
def companies_guided(
    period, municipality_ids, operator_ids, *, tier=None, themes=None, segment=None, channel=None
) -> Result:
    """Seed 002, Mål 2 (spread): companies guided per municipality."""
    rows = guided_in(
        period,
        municipality_ids,
        operator_ids,
        tier=tier,
        themes=themes,
        segment=segment,
        channel=channel,
    )
    return grouped(rows, "municipality", municipality_ids, counted(Count("company", distinct=True)))


@indicator(
    "subjects_guided",
    label=_("Vejledte iværksættere eller virksomheder"),
    unit=_("iværksættere/virksomheder"),
    counts=_(
        "Forskellige iværksættere (CPR) og virksomheder (CVR), som de målte operatører har "
        "givet mindst én vejledning i perioden. Iværksættere er iværksættere før start og "
        "virksomheder til og med tre år efter startdatoen på vejledningens dato; "
        "virksomheder er de ældre og dem uden startdato."
    ),
    excludes=GUIDED,
)
def subjects_guided(
    period,
    municipality_ids,
    operator_ids,
    *,
    subject=None,
    tier=None,
    themes=None,
    segment=None,
    channel=None,
) -> Result:
    """Seed 001 §1 (aktivitetsdel): "Vejledte iværksættere (før start – indtil tre år) i lokal
    erhvervsservice: 200", "Vejledte virksomheder i lokal erhvervsservice: 200"."""
    rows = guided_in(
        period,
        municipality_ids,
        operator_ids,
        subject=subject,
        tier=tier,
        themes=themes,
        segment=segment,
        channel=channel,
    )
    return grouped(rows, "municipality", municipality_ids, subjects_counted())


@indicator(
    "companies_contacted",
    label=_("Virksomheder i kontakt"),
    unit=_("virksomheder"),
    counts=_(
        "Forskellige virksomheder (CVR) med mindst én registreret kontakt (vejledning eller "
        "kort kontakt) fra de målte operatører i perioden. Mikrovirksomheder har 1-10 "
        "ansatte; landdistrikter er virksomhedens egen markering (landdistrikt eller by op "
        "til 3.000 indbyggere), og i en yderkommune hører alle virksomheder til målgruppen."
    ),
    excludes=_("Virksomheder uden kendt antal ansatte tæller ikke som mikrovirksomheder."),
)
def companies_contacted(
    period, municipality_ids, operator_ids, *, micro=False, rural=False, tier=None, themes=None
) -> Result:
    """Seed 000: "Kontakt med 4.000 mindre virksomheder i landdistrikterne" - "alle
    mikrovirksomheder beliggende i landdistrikterne eller i byer med op til 3.000
    indbyggere"."""
    rows = sessions_in(period, municipality_ids, operator_ids, tier=tier, themes=themes)
    rows = rows.filter(company__isnull=False)
    if micro:  # 1-10 employees
        rows = rows.filter(company__employees__range=(1, 10))
    if rural:  # in a yderkommune every company is in the target group (seed 000)
        rows = rows.filter(rural_target_group())
    return grouped(rows, "municipality", municipality_ids, counted(Count("company", distinct=True)))


@indicator(
    "founders_guided",
    label=_("Vejledte iværksættere før start"),
    unit=_("iværksættere"),
    counts=_(
        "Forskellige iværksættere registreret med CPR, som de målte operatører har givet "
        "mindst én vejledning i perioden."
    ),
    excludes=GUIDED,
)
def founders_guided(
    period, municipality_ids, operator_ids, *, tier=None, themes=None, channel=None
) -> Result:
    """Founders before start guided (``guided_in``)."""
    rows = guided_in(
        period, municipality_ids, operator_ids, tier=tier, themes=themes, channel=channel
    ).filter(founder__isnull=False)
    return grouped(rows, "municipality", municipality_ids, counted(Count("founder", distinct=True)))


@indicator(
    "sessions",
    label=_("Vejledninger"),
    unit=_("vejledninger"),
    counts=_("Registrerede vejledninger (sessioner) af de målte operatører i perioden."),
    excludes=_("Med art = vejledning tæller korte kontakter ikke."),
)
def sessions(
    period,
    municipality_ids,
    operator_ids,
    *,
    kind=None,
    tier=None,
    themes=None,
    subject=None,
    channel=None,
) -> Result:
    """Seed 000: "Gennemførelse af 1.000 vejledningsbesøg" (kind=full)."""
    rows = sessions_in(
        period,
        municipality_ids,
        operator_ids,
        kind=kind,
        tier=tier,
        themes=themes,
        subject=subject,
        channel=channel,
    )
    return grouped(rows, "municipality", municipality_ids, counted(Count("pk")))


HOURS = F("hours_before") + F("hours_during") + F("hours_after")


@indicator(
    "hours",
    label=_("Timer brugt på vejledning"),
    unit=_("timer"),
    counts=_(
        "Timer før, under og efter hver registrering (2 + 4 + 2 for en vejledning) af de "
        "målte operatører i perioden, korte kontakter med."
    ),
)
def hours(period, municipality_ids, operator_ids, *, kind=None, tier=None) -> Result:
    """Seed 000: "1.000 virksomheder á 8 timer" (2 + 4 + 2 per guidance)."""
    rows = sessions_in(period, municipality_ids, operator_ids, kind=kind, tier=tier)
    return grouped(rows, "municipality", municipality_ids, counted(Sum(HOURS)))


class priced:  # noqa: N801
    """Hours as DKK at ``rate``: value = hours x rate, numerator = the hours."""

    def __init__(self, rate):
        self.rate = None if rate is None else Decimal(rate)
        self.aggregates = {"n": Sum(HOURS)}

    def __call__(self, row) -> Measure:
        spent = Decimal(row["n"] or 0)
        return Measure(None if self.rate is None else spent * self.rate, spent)


@indicator(
    "hours_cost",
    label=_("Vejledningstimer i kroner"),
    unit=_("kr."),
    counts=_("Timerne af indikatoren 'timer' gange kontraktens timepris."),
    excludes=_("Uden timepris på kontrakten er der ingen værdi."),
    numerator=_("timer"),
)
def hours_cost(
    period, municipality_ids, operator_ids, *, hourly_rate=None, kind=None, tier=None
) -> Result:
    """Seed 000: "Vejledningsindsats 1000 virksomheder á 8 timer x 500"."""
    rows = sessions_in(period, municipality_ids, operator_ids, kind=kind, tier=tier)
    return grouped(rows, "municipality", municipality_ids, priced(hourly_rate))


def age_at_session():
    return Func(
        Value("year"),
        Func(F("date"), F("founder__birth_date"), function="age"),
        function="date_part",
        output_field=IntegerField(),
    )


@indicator(
    "founders_share",
    label=_("Andel kvinder eller unge blandt vejledte iværksættere"),
    unit="%",
    counts=_(
        "Vejledte iværksættere (CPR), der er kvinder, eller 18-30 år ved en vejledning i "
        "perioden, af alle vejledte iværksættere."
    ),
    excludes=GUIDED,
    numerator=_("iværksættere i gruppen"),
    denominator=_("vejledte iværksættere"),
    is_share=True,
)
def founders_share(period, municipality_ids, operator_ids, *, group: str, tier=None) -> Result:
    """Seed 004: "varav kvinnor / unga (18-30 år)"."""
    rows = guided_in(period, municipality_ids, operator_ids, tier=tier)
    rows = rows.filter(founder__isnull=False).annotate(age=age_at_session())
    condition = (
        Q(founder__sex=Founder.Sex.FEMALE) if group == "women" else Q(age__gte=18, age__lte=30)
    )
    return grouped(
        rows,
        "municipality",
        municipality_ids,
        shared(Count("founder", distinct=True, filter=condition), Count("founder", distinct=True)),
    )


@indicator(
    "founders_started_company",
    label=_("Iværksættere der har startet virksomhed"),
    unit=_("personer"),
    counts=_(
        "Iværksættere, som de målte operatører har vejledt, og som startede en virksomhed i "
        "perioden."
    ),
)
def founders_started_company(period, municipality_ids, operator_ids) -> Result:
    """Seed 004: "personer som startat företag"."""
    guided = GuidanceSession.objects.filter(founder=OuterRef("pk"), operator__in=operator_ids)
    rows = Founder.objects.filter(
        company_started_on__range=(period.start, period.end), municipality__in=municipality_ids
    ).filter(Exists(guided))
    return grouped(rows, "municipality", municipality_ids, counted(Count("pk")))


@indicator(
    "new_companies_share",
    label=_("Andel nye vejledte virksomheder"),
    unit="%",
    counts=_(
        "Af de virksomheder, de målte operatører har vejledt i perioden: dem, som de samme "
        "operatører ikke vejledte i de 12 måneder før periodens start."
    ),
    excludes=GUIDED
    + " "
    + _("Vejledning fra andre operatører året før gør ikke en virksomhed 'gammel'."),
    numerator=_("nye vejledte virksomheder"),
    denominator=_("vejledte virksomheder"),
    is_share=True,
)
def new_companies_share(
    period, municipality_ids, operator_ids, *, tier=None, segment=None
) -> Result:
    """Seed 002, Mål 1: "Mindst 50 pct. af de vejledte virksomheder skal være nye i forhold til
    de virksomheder, der modtog vejledning fra erhvervshuset året før"."""
    rows = guided_in(period, municipality_ids, operator_ids, tier=tier, segment=segment)
    year_before = (
        period.start - datetime.timedelta(days=365),
        period.start - datetime.timedelta(days=1),
    )
    earlier = GuidanceSession.objects.filter(
        company=OuterRef("company"),
        date__range=year_before,
        operator__in=operator_ids,
        kind=GuidanceSession.Kind.FULL,  # guided the year before, as ``guided_in``
    )
    rows = rows.filter(company__isnull=False).annotate(old=Exists(earlier))
    return grouped(
        rows,
        "municipality",
        municipality_ids,
        shared(
            Count("company", distinct=True, filter=Q(old=False)),
            Count("company", distinct=True),
        ),
    )


@indicator(
    "rural_share",
    label=_("Andel vejledte virksomheder i landdistriktskommuner"),
    unit="%",
    counts=_(
        "Vejledte virksomheder i kommuner klassificeret som landdistriktskommuner (bilag 1 i "
        "rammeaftalen) af alle vejledte virksomheder."
    ),
    excludes=GUIDED,
    numerator=_("vejledte virksomheder i landdistriktskommuner"),
    denominator=_("vejledte virksomheder"),
    is_share=True,
)
def rural_share(period, municipality_ids, operator_ids, *, tier=None) -> Result:
    """Seed 002, Mål 8d: "lige adgang til vejledning for virksomheder i land og by"."""
    rows = guided_in(period, municipality_ids, operator_ids, tier=tier)
    return grouped(
        rows.filter(company__isnull=False),
        "municipality",
        municipality_ids,
        shared(
            Count("company", distinct=True, filter=Q(municipality__rural_urban="rural")),
            Count("company", distinct=True),
        ),
    )


@indicator(
    "municipalities_reached",
    label=_("Kommuner med vejledte virksomheder"),
    unit=_("kommuner"),
    counts=_("Kommuner, hvor de målte operatører har vejledt mindst én virksomhed i perioden."),
    excludes=GUIDED,
)
def municipalities_reached(period, municipality_ids, operator_ids, *, tier=None) -> Result:
    """Seed 002, Mål 2: "geografisk spredning"."""
    rows = guided_in(period, municipality_ids, operator_ids, tier=tier)
    return grouped(
        rows.filter(company__isnull=False),
        "municipality",
        municipality_ids,
        counted(Count("municipality", distinct=True)),
    )


# --- Referrals -----------------------------------------------------------------------------


def referrals_in(
    period, municipality_ids, operator_ids, *, target=None, after_screening=None, subject=None
) -> QuerySet:
    """The measured operators' referrals sent in the period, withdrawn ones left out."""
    rows = Referral.objects.filter(
        sent_at__date__range=(period.start, period.end),
        municipality__in=municipality_ids,
        sender_operator__in=operator_ids,
    ).exclude(state=Referral.State.WITHDRAWN)
    if target:
        rows = rows.filter(REFERRAL_TARGETS[target])
    if after_screening is not None:
        rows = rows.filter(after_screening=after_screening)
    return rows.filter(subject_filter(subject, "sent_at__date"))


@indicator(
    "referrals",
    label=_("Henvisninger"),
    unit=_("henvisninger"),
    counts=_("Henvisninger sendt af de målte operatører i perioden, efter modtager."),
    excludes=_("Tilbagetrukne henvisninger tæller ikke."),
)
def referrals(
    period, municipality_ids, operator_ids, *, target=None, after_screening=None, subject=None
) -> Result:
    """Seed 000: "Henvisning af 50 vækstvirksomheder/-iværksættere til Væksthus Midtjylland",
    "200 kontakter mellem virksomheder og ekstern viden"; seed 002, Mål 8c: "antal
    henvisning til design økosystemet"."""
    rows = referrals_in(
        period,
        municipality_ids,
        operator_ids,
        target=target,
        after_screening=after_screening,
        subject=subject,
    )
    return grouped(rows, "municipality", municipality_ids, counted(Count("pk")))


@indicator(
    "referrals_in_deadline_share",
    label=_("Henvisninger kontaktet inden fristen"),
    unit="%",
    counts=_(
        "Henvisninger til de målte erhvervshuse, som de kontaktede senest på fristen (to "
        "arbejdsdage), af dem hvis frist er udløbet eller som er kontaktet."
    ),
    excludes=_("Tilbagetrukne henvisninger tæller ikke."),
    numerator=_("kontaktet inden fristen"),
    denominator=_("henvisninger med udløbet frist eller kontakt"),
    is_share=True,
)
def referrals_in_deadline_share(period, municipality_ids, operator_ids) -> Result:
    """Seed 001 §5: "Væksthus Midtjylland skal så vidt muligt tage kontakt til henviste
    iværksættere og virksomheder inden for to arbejdsdage". The measured operator is the
    receiving hub."""
    rows = (
        Referral.objects.filter(
            sent_at__date__range=(period.start, period.end),
            municipality__in=municipality_ids,
            target_operator__in=operator_ids,
        )
        .exclude(state=Referral.State.WITHDRAWN)
        .filter(Q(contacted_at__isnull=False) | Q(due_on__lt=period.end))
    )
    return grouped(
        rows,
        "municipality",
        municipality_ids,
        shared(Count("pk", filter=Q(contacted_at__date__lte=F("due_on"))), Count("pk")),
    )


@indicator(
    "uptake_share",
    label=_("Henviste virksomheder der har brugt rådgivningen"),
    unit="%",
    counts=_(
        "Af de virksomheder og iværksættere, de målte operatører har henvist til ekstern "
        "rådgivning i perioden, og som har svaret: dem, der har brugt rådgivningen eller "
        "forventer at bruge den inden for et halvt år. Hver virksomhed tæller én gang, med "
        "sit seneste svar."
    ),
    excludes=_("'Ved ikke' og ubesvarede udgår af beregningen."),
    numerator=_("har brugt eller forventer at bruge"),
    denominator=_("henviste virksomheder med svar"),
    is_share=True,
)
def uptake_share(period, municipality_ids, operator_ids, *, target="adviser") -> Result:
    """Seed 002, Mål 4: "mindst 45 pct. af de henviste virksomheder angiver, at de har benyttet
    den eksterne rådgivning ... Virksomhederne tælles med i andelen, hvis de har benyttet eller
    forventer at benytte henvisningen inden for et halvt år. Virksomheder, der ikke ved, om de
    har benyttet henvisningen, udgår af beregningen"."""
    rows = referrals_in(period, municipality_ids, operator_ids, target=target).exclude(uptake="")
    newer = rows.filter(
        Q(company__isnull=False, company=OuterRef("company"))
        | Q(founder__isnull=False, founder=OuterRef("founder")),
        Q(uptake_recorded_at__gt=OuterRef("uptake_recorded_at"))
        | Q(uptake_recorded_at=OuterRef("uptake_recorded_at"), pk__gt=OuterRef("pk")),
    )
    latest = rows.filter(~Exists(newer))  # then "Ved ikke" as the latest answer leaves it out
    used = [Referral.Uptake.USED, Referral.Uptake.EXPECTS]
    return share_of_answers(latest, "uptake", used, municipality_ids)


# --- Projects, networks, programmes -------------------------------------------------------


def projects_in(
    period, municipality_ids, operator_ids, *, funding=None, application_help=None
) -> QuerySet:
    """The measured operators' development projects identified in the period."""
    rows = DevelopmentProject.objects.filter(
        identified_on__range=(period.start, period.end),
        municipality__in=municipality_ids,
        operator__in=operator_ids,
    )
    if funding:
        rows = rows.filter(funding=funding)
    if application_help is not None:
        rows = rows.filter(application_help=application_help)
    return rows


def enrolments_in(period, municipality_ids, operator_ids) -> QuerySet:
    """The measured operators' growth programme enrolments started in the period."""
    return ProgrammeEnrolment.objects.filter(
        started_on__range=(period.start, period.end),
        municipality__in=municipality_ids,
        operator__in=operator_ids,
    )


@indicator(
    "projects",
    label=_("Udviklingsprojekter"),
    unit=_("projekter"),
    counts=_(
        "Udviklingsprojekter, som de målte operatører har identificeret i perioden; med "
        "'tæl virksomheder' forskellige virksomheder i stedet for projekter."
    ),
)
def projects(
    period,
    municipality_ids,
    operator_ids,
    *,
    funding=None,
    application_help=None,
    distinct_companies=False,
) -> Result:
    """Seed 000: "Det forventes, at der gennemsnitligt identificeres 10 udviklingsprojekter
    pr. kommune"; with funding=lag, application_help and distinct_companies: "Hjælpe 2
    virksomheder pr. kommune med at ansøge om udviklingsfinansiering fra LAG"."""
    rows = projects_in(
        period, municipality_ids, operator_ids, funding=funding, application_help=application_help
    )
    aggregate = Count("company", distinct=True) if distinct_companies else Count("pk")
    return grouped(rows, "municipality", municipality_ids, counted(aggregate))


@indicator(
    "amounts_granted",
    label=_("Bevilget til udviklingsprojekter"),
    unit=_("kr."),
    counts=_(
        "Summen af de bevilgede beløb til de udviklingsprojekter, de målte operatører har "
        "identificeret i perioden."
    ),
    excludes=_("Projekter uden bevilget beløb tæller ikke."),
)
def amounts_granted(
    period, municipality_ids, operator_ids, *, funding=None, application_help=None
) -> Result:
    """Seed 000: "26 udviklingsprojekter med en samlet offentlig medfinansiering på kr.
    13.000.000"."""
    rows = projects_in(
        period, municipality_ids, operator_ids, funding=funding, application_help=application_help
    ).filter(amount_granted__isnull=False)
    return grouped(rows, "municipality", municipality_ids, counted(Sum("amount_granted")))


NETWORK_SPANS = """
    WITH spans AS (
        SELECT id AS network_id, municipality_id FROM crm_network WHERE id = ANY(%(ids)s)
        UNION
        SELECT network_id, municipality_id FROM crm_network_municipalities
        WHERE network_id = ANY(%(ids)s)
    )
    SELECT municipality_id, COUNT(*) FROM spans
    WHERE municipality_id = ANY(%(municipalities)s) GROUP BY municipality_id
"""


@indicator(
    "networks",
    label=_("Erhvervsnetværk oprettet"),
    unit=_("netværk"),
    counts=_(
        "Netværk, som de målte operatører har oprettet i perioden. Et netværk tæller i hver "
        "kommune, det dækker; totalen er summen over kommunerne (et tværkommunalt netværk "
        "tæller i hver af sine kommuner)."
    ),
    excludes=_(
        "Netværk oprettet før perioden, og med et mindste antal medlemmer: netværk med færre "
        "medlemsvirksomheder."
    ),
)
def networks(period, municipality_ids, operator_ids, *, min_members=None) -> Result:
    """Seed 000: "Oprettelse af virksomhedsnetværk i alle kommuner – gerne tværkommunale";
    seed 003: "virksomhedsnetværk af minimum 5 parter" (min_members=5)."""
    rows = Network.objects.filter(
        started_on__range=(period.start, period.end), operator__in=operator_ids
    )
    if min_members:
        rows = rows.annotate(size=Count("members")).filter(size__gte=min_members)
    ids = list(rows.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(NETWORK_SPANS, {"ids": ids, "municipalities": list(municipality_ids)})
        found = dict(cursor.fetchall())
    per_municipality = {mid: Measure.count(found.get(mid)) for mid in municipality_ids}
    return Result(per_municipality, Measure.count(sum(found.values())))


@indicator(
    "enrolments",
    label=_("Vækstforløb"),
    unit=_("forløb"),
    counts=_(
        "Vækstforløb (regionale programmer), som de målte operatører har sat i gang i "
        "perioden, efter vækstniveau og for iværksættere (før start og til og med tre år "
        "efter start) eller virksomheder."
    ),
)
def enrolments(
    period, municipality_ids, operator_ids, *, growth_level=None, subject=None
) -> Result:
    """Seed 001 §1: "Vækstforløb for iværksættere/virksomheder på A-, B- og C-niveau"."""
    rows = enrolments_in(period, municipality_ids, operator_ids)
    if growth_level:
        rows = rows.filter(growth_level=growth_level)
    rows = rows.filter(subject_filter(subject, "started_on"))
    return grouped(rows, "municipality", municipality_ids, counted(Count("pk")))


# --- Events and group activities ---------------------------------------------------------


def participants_in(
    period, municipality_ids, operator_ids, *, themes=None, event_kind=None
) -> QuerySet:
    """Participants marked present at events held in the period in the municipalities and run
    by one of the measured operators (the organiser or a partner)."""
    partner = Event.partners.through.objects.filter(
        event=OuterRef("event"), operator__in=operator_ids
    )
    rows = EventParticipant.objects.filter(
        attended=True,
        event__date__range=(period.start, period.end),
        event__municipality__in=municipality_ids,
    ).filter(Q(event__operator__in=operator_ids) | Exists(partner))
    filters = {"event__themes__overlap": themes, "event__kind": event_kind}
    return rows.filter(**{key: value for key, value in filters.items() if value is not None})


PARTICIPANT_KINDS = {
    EventParticipant.Kind.COMPANY: Q(company__isnull=False),
    EventParticipant.Kind.FOUNDER: Q(founder__isnull=False),
    EventParticipant.Kind.PERSON: Q(company__isnull=True, founder__isnull=True),
}


def participant_key():
    """One key per participant: a company by its CVR record, a founder by its CPR record (a
    founder who started a company as that company, as ``subject_key``), a person by the
    e-mail given, and a person without one by the registration itself."""
    return Case(
        When(company__isnull=False, then=Concat(Value("c"), Cast("company_id", CharField()))),
        When(
            founder__company__isnull=False,
            then=Concat(Value("c"), Cast("founder__company_id", CharField())),
        ),
        When(founder__isnull=False, then=Concat(Value("f"), Cast("founder_id", CharField()))),
        When(~Q(email=""), then=Concat(Value("e"), Lower("email"))),
        default=Concat(Value("p"), Cast("pk", CharField())),
        output_field=CharField(),
    )


@indicator(
    "event_participants",
    label=_("Deltagere i arrangementer"),
    unit=_("deltagere"),
    counts=_(
        "Forskellige deltagere, der er registreret som mødt til kurser, workshops, "
        "netværksmøder og informationsmøder, som de målte operatører har holdt (som arrangør "
        "eller medarrangør) i perioden, i den kommune arrangementet blev holdt i: "
        "virksomheder (CVR), iværksættere (CPR) og personer uden CVR/CPR. En deltager tæller "
        "én gang, uanset hvor mange arrangementer den har deltaget i; en person uden CVR/CPR "
        "genkendes på sin e-mailadresse."
    ),
    excludes=_(
        "Tilmeldte, der ikke er registreret som mødt. En person uden CVR/CPR og uden "
        "e-mailadresse tæller for hver tilmelding."
    )
    + " "
    + _(
        "Med 'heraf' tæller kun personer: en iværksætter efter sit CPR-nummer og sin egen "
        "oplysning om fødeland, en person uden CPR efter det, personen selv har oplyst; "
        "virksomheder og personer uden oplysningen tæller ikke med i 'heraf'."
    ),
)
def event_participants(
    period,
    municipality_ids,
    operator_ids,
    *,
    participant=None,
    themes=None,
    event_kind=None,
    breakdown=None,
) -> Result:
    """Seed 004: "Antal personer som fått nyföretagarrådgivning", "Antal möten med personer
    med idéer" (the courses and meetings of "Testa på att vara företagare", "Nyföretagararena")
    - participation in group activities, alongside guidance (issue 16)."""
    rows = participants_in(
        period, municipality_ids, operator_ids, themes=themes, event_kind=event_kind
    )
    if participant:
        rows = rows.filter(PARTICIPANT_KINDS[participant])
    if breakdown:
        rows = rows.annotate(age=age_on("event__date", "founder__birth_date"))
        rows = rows.filter(participant_in_group(breakdown))
    return grouped(
        rows,
        "event__municipality",
        municipality_ids,
        counted(Count(participant_key(), distinct=True)),
    )


# --- Seed 004: the EU programme's breakdowns ------------------------------------------------


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


BREAKDOWN = _(
    "Heraf kvinder, unge (18-30 år) eller født i udlandet: efter iværksætterens CPR-nummer "
    "(køn, alder på dagen) og iværksætterens egen oplysning om fødeland; uden oplysningen "
    "tæller personen ikke med i 'heraf'."
)


@indicator(
    "companies_supported",
    label=_("Virksomheder der får støtte"),
    unit=_("virksomheder"),
    counts=_(
        "Forskellige virksomheder (CVR), som de målte operatører har givet mindst én "
        "vejledning i perioden. Heraf kvinder, unge (18-30 år) eller født i udlandet: "
        "virksomheder med en tilknyttet iværksætter (som har startet virksomheden) i gruppen, "
        "alder på vejledningens dato."
    ),
    excludes=GUIDED
    + " "
    + _("Virksomheder uden tilknyttet iværksætter tæller ikke med i 'heraf'."),
)
def companies_supported(
    period, municipality_ids, operator_ids, *, breakdown=None, subject=None
) -> Result:
    """Seed 004: "Antal företag som får stöd: Mål 400 ... Varav antal kvinnor (mål) 150,
    varav antal unga (18-30 år), varav antal utlandsfödda" - counts, not only shares. A
    company is a woman's, young or foreign-born by the founder who started it
    (``Founder.company``). "Antal nya företag som får stöd: Mål 300" is subject=entrepreneur
    (companies up to three years after their start on the day of the guidance)."""
    rows = guided_in(period, municipality_ids, operator_ids, subject=subject)
    rows = rows.filter(company__isnull=False)
    if breakdown:
        rows = rows.annotate(age=age_on("date", "company__founders__birth_date"))
        rows = rows.filter(founder_in_group(breakdown, "company__founders__"))
    return grouped(rows, "municipality", municipality_ids, counted(Count("company", distinct=True)))


@indicator(
    "founders_supported",
    label=_("Personer med idéer, der har fået vejledning"),
    unit=_("personer"),
    counts=_(
        "Forskellige iværksættere (CPR), som de målte operatører har givet mindst én "
        "vejledning i perioden."
    ),
    excludes=GUIDED + " " + BREAKDOWN,
)
def founders_supported(period, municipality_ids, operator_ids, *, breakdown=None) -> Result:
    """Seed 004: "Antal möten med personer med idéer ... Andel av dem som är kvinnor 19
    stycken, unga 9, utlandsfödda 4" - the persons met, by group."""
    rows = guided_in(period, municipality_ids, operator_ids).filter(founder__isnull=False)
    if breakdown:
        rows = rows.annotate(age=age_on("date", "founder__birth_date"))
        rows = rows.filter(founder_in_group(breakdown))
    return grouped(rows, "municipality", municipality_ids, counted(Count("founder", distinct=True)))


@indicator(
    "persons_started_company",
    label=_("Personer der har startet virksomhed"),
    unit=_("personer"),
    counts=_(
        "Iværksættere (CPR), der startede en virksomhed i perioden (iværksætterens "
        "startdato), og som de målte operatører har vejledt eller haft til et arrangement "
        "(mødt) før eller på startdagen; i iværksætterens kommune."
    ),
    excludes=BREAKDOWN,
)
def persons_started_company(period, municipality_ids, operator_ids, *, breakdown=None) -> Result:
    """Seed 004: "Antal personer som har startat företag: Mål 300 ... kvinnor (mål 125),
    unga (18-30 år), utlandsfödda" - the founder's link to the company it started."""
    guided = GuidanceSession.objects.filter(
        founder=OuterRef("pk"),
        operator__in=operator_ids,
        kind=GuidanceSession.Kind.FULL,
        date__lte=OuterRef("company_started_on"),
    )
    partner = Event.partners.through.objects.filter(
        event=OuterRef("event"), operator__in=operator_ids
    )
    attended = EventParticipant.objects.filter(
        founder=OuterRef("pk"),
        attended=True,
        event__date__lte=OuterRef("company_started_on"),
    ).filter(Q(event__operator__in=operator_ids) | Exists(partner))
    rows = Founder.objects.filter(
        company_started_on__range=(period.start, period.end),
        municipality__in=municipality_ids,
    ).filter(Exists(guided) | Exists(attended))
    if breakdown:
        rows = rows.annotate(age=age_on("company_started_on", "birth_date"))
        rows = rows.filter(founder_in_group(breakdown, prefix=""))
    return grouped(rows, "municipality", municipality_ids, counted(Count("pk")))


# --- User evaluation (brugerevaluering) ----------------------------------------------------

SURVEY = _("Svar i brugerevalueringen om vejledning fra de målte operatører, besvaret i perioden.")
# "Med vækstambitioner" (seed 001 §7): a growth potential (A/B/C), or the growth segment of
# the company or of the answer itself.
GROWTH_AMBITION = (
    Q(company__growth_potential__gt="")
    | Q(company__segment=Company.Segment.GROWTH)
    | Q(segment=Company.Segment.GROWTH)
)


def evaluations_in(
    period,
    municipality_ids,
    operator_ids,
    *,
    segment=None,
    themes=None,
    growth_ambitions=False,
    sources=None,
):
    """Answers about the measured operators' guidance (``Evaluation.operator`` is the
    operator whose guidance was evaluated), from the ``sources`` (``Evaluation.Origin``;
    none given: every source)."""
    rows = Evaluation.objects.filter(
        answered_on__range=(period.start, period.end),
        municipality__in=municipality_ids,
        operator__in=operator_ids,
    )
    if sources:
        rows = rows.filter(origin__in=sources)
    filters = {"segment": segment, "themes__overlap": themes}
    rows = rows.filter(**{key: value for key, value in filters.items() if value is not None})
    if growth_ambitions:  # seed 001 §7: founders, new companies, and companies with ambitions
        rows = rows.filter(subject_filter("entrepreneur", "answered_on") | GROWTH_AMBITION)
    return rows


@indicator(
    "satisfaction_share",
    label=_("Andel tilfredse brugere"),
    unit="%",
    counts=SURVEY,
    excludes=_("'Ved ikke' og ubesvarede udgår af beregningen."),
    numerator=_("svar der tæller (fx 'Meget tilfreds')"),
    denominator=_("svar på spørgsmålet om tilfredshed"),
    is_share=True,
)
def satisfaction_share(
    period,
    municipality_ids,
    operator_ids,
    *,
    answers=("very",),
    segment=None,
    themes=None,
    growth_ambitions=False,
    sources=None,
) -> Result:
    """Seed 002, Mål 3: "Mindst 80 pct. ... angiver ..., at de er 'Meget tilfredse' med
    erhvervshusmedarbejderens faglige kompetencer" (answers=very); seed 001 §7: "Mere end 80%
    af vejledte iværksættere og eksisterende virksomheder med vækstambitioner skal være
    tilfredse eller meget tilfredse" (answers=very,satisfied, growth_ambitions)."""
    rows = evaluations_in(
        period,
        municipality_ids,
        operator_ids,
        segment=segment,
        themes=themes,
        growth_ambitions=growth_ambitions,
        sources=sources,
    )
    return share_of_answers(rows, "satisfaction", answers, municipality_ids)


@indicator(
    "nps",
    label=_("Net Promoter Score"),
    unit=_("NPS"),
    counts=SURVEY + " " + _("Andel anbefalere (9-10) minus andel kritikere (0-6) i procentpoint."),
    excludes=_("Svar uden score tæller ikke."),
    numerator=_("anbefalere minus kritikere"),
    denominator=_("svar med score"),
    is_share=True,
)
def nps(
    period, municipality_ids, operator_ids, *, segment=None, themes=None, sources=None
) -> Result:
    """Seed 002, Mål 3: "Net Promotor Score (NPS) på mindst 70"."""
    rows = evaluations_in(
        period, municipality_ids, operator_ids, segment=segment, themes=themes, sources=sources
    ).filter(nps__isnull=False)
    aggregates = {
        "promoters": Count("pk", filter=Q(nps__gte=9)),
        "detractors": Count("pk", filter=Q(nps__lte=6)),
        "answers": Count("pk"),
    }

    def to_measure(row) -> Measure:
        answers = Decimal(row["answers"] or 0)
        difference = Decimal((row["promoters"] or 0) - (row["detractors"] or 0))
        value = (difference * HUNDRED / answers).quantize(Decimal("0.1")) if answers else None
        return Measure(value, difference, answers)

    to_measure.aggregates = aggregates
    return grouped(rows, "municipality", municipality_ids, to_measure)


@indicator(
    "effect_share",
    label=_("Andel der forventer positiv effekt 'I høj grad'"),
    unit="%",
    counts=SURVEY
    + " "
    + _("Med temaer: kun svar fra virksomheder, der har angivet vejledning i temaet."),
    excludes=_("'Ved ikke' og ubesvarede udgår af beregningen."),
    numerator=_("svar 'I høj grad'"),
    denominator=_("svar på spørgsmålet om effekt"),
    is_share=True,
)
def effect_share(
    period, municipality_ids, operator_ids, *, themes=None, segment=None, sources=None
) -> Result:
    """Seed 002, Mål 5-7: "vurderer 70 pct. ... at vejledningen 'I høj grad' forventes at
    have en positiv effekt" - overall, or for themes=[green] / themes=[digital]."""
    rows = evaluations_in(
        period, municipality_ids, operator_ids, themes=themes, segment=segment, sources=sources
    )
    return share_of_answers(rows, "effect", ["high"], municipality_ids)


# The indicators of the companies' development over the years register themselves here.
from contracts import impact_indicators  # noqa: E402, F401
