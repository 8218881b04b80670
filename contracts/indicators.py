"""The indicator catalogue: one tested definition per indicator, the same for everybody.

Each indicator takes a period, the municipalities of a contract and its parameters, and
returns the value per municipality and in total with one grouped query (conditional
aggregation) plus one total query: a total of distinct counts is not the sum of the
municipalities' counts.
"""

import datetime
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, Func, IntegerField, Q, QuerySet, Sum, Value

from crm.models import Founder, GuidanceSession, Network, Operator
from crm.models.records import DevelopmentProject, ProgrammeEnrolment
from referrals.models import Adviser, Referral

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


CATALOGUE: dict[str, Callable] = {}


def indicator(name: str):
    def register(function):
        CATALOGUE[name] = function
        return function

    return register


def compute(
    name: str, period: Period, municipality_ids: list[int], params: dict, *, hourly_rate=None
) -> Result:
    """The indicator ``name`` with the goal's ``params``; an indicator that prices hours
    (it takes ``hourly_rate``) gets the contract's rate unless the goal names its own."""
    function = CATALOGUE[name]
    if "hourly_rate" in inspect.signature(function).parameters:
        params = {"hourly_rate": hourly_rate, **params}
    return function(period, municipality_ids, **params)


def grouped(rows: QuerySet, field: str, municipality_ids, to_measure) -> Result:
    """The aggregates per municipality and in total in one scan: Django's grouped query with
    its GROUP BY turned into ``GROUPING SETS ((field), ())``; the total is the row whose
    municipality is NULL (a municipality never is). Two queries (grouped, then aggregate)
    cost twice the scan: 2.0x a hand-written pass at national volume, one 0.95x (bench/)."""
    queryset = rows.values(field).annotate(**to_measure.aggregates).order_by()
    empty = {name: 0 for name in to_measure.aggregates}
    try:
        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:  # e.g. no municipalities: nothing to count
        return Result({}, to_measure(empty))
    head, _, columns = sql.rpartition(" GROUP BY ")
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


# --- Guidance ------------------------------------------------------------------------------


def sessions_in(
    period: Period,
    municipality_ids,
    *,
    tier=None,
    operator_kinds=None,
    themes=None,
    segment=None,
    subject=None,
    channel=None,
    kind=None,
) -> QuerySet:
    """Sessions in the period and municipalities, filtered by the goal's parameters."""
    rows = GuidanceSession.objects.filter(
        date__range=(period.start, period.end), municipality__in=municipality_ids
    )
    filters = {
        "tier": tier,
        "operator__kind__in": operator_kinds,
        "themes__overlap": themes,
        "company__segment": segment,
        "channel": channel,
        "kind": kind,
        "company__isnull": {"company": False, "founder": True}.get(subject),
    }
    return rows.filter(**{key: value for key, value in filters.items() if value is not None})


def guided_in(period: Period, municipality_ids, **params) -> QuerySet:
    """The one definition of "guided" (vejledt) for every indicator that says so: a full
    guidance session, never a brief contact. Seed 002, Mål 1 counts "de vejledte
    virksomheder" against those that "modtog vejledning" the year before, and seed 001 §7
    counts "vejledte virksomheder/iværksættere": guidance, not a phone call that only
    registered a contact. Brief contacts count where a contract says contact ("kontakt til
    4.000 mikrovirksomheder": ``companies_contacted``) or counts sessions of any kind.
    A "guided" indicator takes no ``kind`` parameter (refused as unknown)."""
    return sessions_in(period, municipality_ids, kind=GuidanceSession.Kind.FULL, **params)


@indicator("companies_guided")
def companies_guided(period, municipality_ids, **params) -> Result:
    """Distinct companies guided (``guided_in``) in the period.
    Seed 001 §7: "200 vejledte virksomheder i lokal erhvervsservice"."""
    rows = guided_in(period, municipality_ids, **params)
    return grouped(rows, "municipality", municipality_ids, counted(Count("company", distinct=True)))


@indicator("companies_contacted")
def companies_contacted(period, municipality_ids, **params) -> Result:
    """Distinct companies contacted, brief contacts included.
    Seed 000: "kontakt til 4.000 mikrovirksomheder"."""
    micro = params.pop("micro", False)
    rows = sessions_in(period, municipality_ids, **params)
    if micro:  # 1-10 employees
        rows = rows.filter(company__employees__range=(1, 10))
    return grouped(rows, "municipality", municipality_ids, counted(Count("company", distinct=True)))


@indicator("founders_guided")
def founders_guided(period, municipality_ids, **params) -> Result:
    """Distinct founders before start guided (``guided_in``). Seed 001 §7: "200 vejledte
    iværksættere"."""
    rows = guided_in(period, municipality_ids, **params).filter(founder__isnull=False)
    return grouped(rows, "municipality", municipality_ids, counted(Count("founder", distinct=True)))


@indicator("sessions")
def sessions(period, municipality_ids, **params) -> Result:
    """Guidance sessions. Seed 000: "1.000 vejledningsbesøg" (kind=full)."""
    rows = sessions_in(period, municipality_ids, **params)
    return grouped(rows, "municipality", municipality_ids, counted(Count("pk")))


HOURS = F("hours_before") + F("hours_during") + F("hours_after")


@indicator("hours")
def hours(period, municipality_ids, **params) -> Result:
    """Hours spent on sessions, before + during + after (brief contacts included: their time
    is spent too). Seed 000: "1.000 virksomheder x 8 timer" (2 + 4 + 2 per guidance)."""
    rows = sessions_in(period, municipality_ids, **params)
    return grouped(rows, "municipality", municipality_ids, counted(Sum(HOURS)))


class priced:  # noqa: N801
    """Hours as DKK at ``rate``: value = hours x rate, numerator = the hours."""

    def __init__(self, rate):
        self.rate = None if rate is None else Decimal(rate)
        self.aggregates = {"n": Sum(HOURS)}

    def __call__(self, row) -> Measure:
        spent = Decimal(row["n"] or 0)
        return Measure(None if self.rate is None else spent * self.rate, spent)


@indicator("hours_cost")
def hours_cost(period, municipality_ids, *, hourly_rate=None, **params) -> Result:
    """The hours of ``hours`` priced at the contract's hourly rate (DKK). Seed 000:
    "vejledning 1.000 virksomheder x 8 timer x 500 kr.". No rate on the contract: no value."""
    rows = sessions_in(period, municipality_ids, **params)
    return grouped(rows, "municipality", municipality_ids, priced(hourly_rate))


def age_at_session():
    return Func(
        Value("year"),
        Func(F("date"), F("founder__birth_date"), function="age"),
        function="date_part",
        output_field=IntegerField(),
    )


@indicator("founders_share")
def founders_share(period, municipality_ids, *, group: str, **params) -> Result:
    """Share of guided founders who are women (group=women) or 18-30 years old at a session
    in the period (group=young), of the founders guided (``guided_in``). Seed 004: "varav
    kvinnor / unga (18-30 år)"."""
    rows = guided_in(period, municipality_ids, **params).filter(founder__isnull=False)
    rows = rows.annotate(age=age_at_session())
    condition = (
        Q(founder__sex=Founder.Sex.FEMALE) if group == "women" else Q(age__gte=18, age__lte=30)
    )
    return grouped(
        rows,
        "municipality",
        municipality_ids,
        shared(Count("founder", distinct=True, filter=condition), Count("founder", distinct=True)),
    )


@indicator("founders_started_company")
def founders_started_company(period, municipality_ids) -> Result:
    """Founders who started a company in the period. Seed 004: "personer som startat"."""
    rows = Founder.objects.filter(
        company_started_on__range=(period.start, period.end), municipality__in=municipality_ids
    )
    return grouped(rows, "municipality", municipality_ids, counted(Count("pk")))


@indicator("new_companies_share")
def new_companies_share(period, municipality_ids, *, operator_kinds=None, **params) -> Result:
    """Share of the companies guided (``guided_in``) in the period that the same kind of
    operator did not guide in the 12 months before it. Seed 002, Mål 1: "Mindst 50 pct. af
    de vejledte virksomheder skal være nye i forhold til de virksomheder, der modtog
    vejledning fra erhvervshuset året før"."""
    operator_kinds = operator_kinds or [Operator.Kind.HUB]
    rows = guided_in(period, municipality_ids, operator_kinds=operator_kinds, **params)
    year_before = (
        period.start - datetime.timedelta(days=365),
        period.start - datetime.timedelta(days=1),
    )
    earlier = (
        GuidanceSession.objects.filter(
            date__range=year_before,
            operator__kind__in=operator_kinds,
            kind=GuidanceSession.Kind.FULL,  # guided the year before, as ``guided_in``
        )
        .exclude(company__isnull=True)
        .values("company")
    )
    return grouped(
        rows.filter(company__isnull=False),
        "municipality",
        municipality_ids,
        shared(
            Count("company", distinct=True, filter=~Q(company__in=earlier)),
            Count("company", distinct=True),
        ),
    )


@indicator("rural_share")
def rural_share(period, municipality_ids, **params) -> Result:
    """Companies guided (``guided_in``) in rural municipalities as a share of all companies
    guided. Seed 002, Mål 8d: "lige adgang til vejledning for virksomheder i land og by"."""
    rows = guided_in(period, municipality_ids, **params).filter(company__isnull=False)
    return grouped(
        rows,
        "municipality",
        municipality_ids,
        shared(
            Count("company", distinct=True, filter=Q(municipality__rural_urban="rural")),
            Count("company", distinct=True),
        ),
    )


@indicator("municipalities_reached")
def municipalities_reached(period, municipality_ids, **params) -> Result:
    """Municipalities with at least one company guided (``guided_in``; seed 002, Mål 2:
    spread)."""
    rows = guided_in(period, municipality_ids, **params).filter(company__isnull=False)
    return grouped(
        rows, "municipality", municipality_ids, counted(Count("municipality", distinct=True))
    )


# --- Referrals -----------------------------------------------------------------------------

REFERRAL_TARGETS = {
    "hub": Q(target_operator__kind=Operator.Kind.HUB),
    "operator": Q(target_operator__isnull=False),
    "adviser": Q(target_adviser__isnull=False),
    "design": Q(target_adviser__kind=Adviser.Kind.DESIGN),
    "funding": Q(target_adviser__kind=Adviser.Kind.FUNDING),
}


def referrals_in(period, municipality_ids, *, target=None, after_screening=None) -> QuerySet:
    rows = Referral.objects.filter(
        sent_at__date__range=(period.start, period.end), municipality__in=municipality_ids
    ).exclude(state=Referral.State.WITHDRAWN)
    if target:
        rows = rows.filter(REFERRAL_TARGETS[target])
    if after_screening is not None:
        rows = rows.filter(after_screening=after_screening)
    return rows


@indicator("referrals")
def referrals(period, municipality_ids, **params) -> Result:
    """Referrals by target kind. Seed 000: "50 henvisninger til Væksthus Midtjylland";
    seed 002, Mål 8c: referrals to the design ecosystem."""
    rows = referrals_in(period, municipality_ids, **params)
    return grouped(rows, "municipality", municipality_ids, counted(Count("pk")))


@indicator("referrals_in_deadline_share")
def referrals_in_deadline_share(period, municipality_ids) -> Result:
    """Referrals to a hub contacted by the end of their deadline (two working days), as a
    share of those whose deadline has passed or that were contacted."""
    rows = referrals_in(period, municipality_ids, target="hub").filter(
        Q(contacted_at__isnull=False) | Q(due_on__lt=period.end)
    )
    return grouped(
        rows,
        "municipality",
        municipality_ids,
        shared(Count("pk", filter=Q(contacted_at__date__lte=F("due_on"))), Count("pk")),
    )


@indicator("uptake_share")
def uptake_share(period, municipality_ids) -> Result:
    """Seed 002, Mål 4: "Virksomhederne tælles med i andelen, hvis de har benyttet eller
    forventer at benytte henvisningen inden for et halvt år. Virksomheder, der ikke ved, om
    de har benyttet henvisningen, udgår af beregningen"."""
    rows = referrals_in(period, municipality_ids, target="adviser")
    used = [Referral.Uptake.USED, Referral.Uptake.EXPECTS]
    return share_of_answers(rows, "uptake", used, municipality_ids)


# --- Projects and networks -----------------------------------------------------------------


@indicator("projects")
def projects(
    period, municipality_ids, *, funding=None, application_help=None, distinct_companies=False
) -> Result:
    """Development projects identified in the period. Seed 000: "10 udviklingsprojekter
    identificeret pr. kommune"; with funding=lag, application_help=true and
    distinct_companies: "2 virksomheder pr. kommune hjulpet til at søge LAG-midler"."""
    rows = DevelopmentProject.objects.filter(
        identified_on__range=(period.start, period.end), municipality__in=municipality_ids
    )
    if funding:
        rows = rows.filter(funding=funding)
    if application_help is not None:
        rows = rows.filter(application_help=application_help)
    aggregate = Count("company", distinct=True) if distinct_companies else Count("pk")
    return grouped(rows, "municipality", municipality_ids, counted(aggregate))


@indicator("amounts_granted")
def amounts_granted(period, municipality_ids, *, funding=None, application_help=None) -> Result:
    """DKK granted to the development projects identified in the period (the sum of their
    granted amounts). Seed 000: applications for LAG and other funds, and what they got."""
    rows = DevelopmentProject.objects.filter(
        identified_on__range=(period.start, period.end),
        municipality__in=municipality_ids,
        amount_granted__isnull=False,
    )
    if funding:
        rows = rows.filter(funding=funding)
    if application_help is not None:
        rows = rows.filter(application_help=application_help)
    return grouped(rows, "municipality", municipality_ids, counted(Sum("amount_granted")))


@indicator("networks")
def networks(period, municipality_ids) -> Result:
    """Business networks started by the end of the period. Seed 000: "et erhvervsnetværk i
    hver kommune"."""
    rows = Network.objects.filter(started_on__lte=period.end, municipality__in=municipality_ids)
    return grouped(rows, "municipality", municipality_ids, counted(Count("pk")))


@indicator("enrolments")
def enrolments(period, municipality_ids, *, growth_level=None, subject=None) -> Result:
    """Growth programme enrolments started in the period. Seed 001 §7: "vækstforløb på
    A-, B- og C-niveau" for founders and companies."""
    rows = ProgrammeEnrolment.objects.filter(
        started_on__range=(period.start, period.end), municipality__in=municipality_ids
    )
    if growth_level:
        rows = rows.filter(growth_level=growth_level)
    if subject:
        rows = rows.filter(**{f"{subject}__isnull": False})
    return grouped(rows, "municipality", municipality_ids, counted(Count("pk")))


# --- User evaluation (brugerevaluering) ----------------------------------------------------


def evaluations_in(period, municipality_ids, *, segment=None, themes=None, operator_kinds=None):
    from contracts.models import Evaluation

    rows = Evaluation.objects.filter(
        answered_on__range=(period.start, period.end), municipality__in=municipality_ids
    )
    filters = {"segment": segment, "themes__overlap": themes, "operator__kind__in": operator_kinds}
    return rows.filter(**{key: value for key, value in filters.items() if value is not None})


@indicator("satisfaction_share")
def satisfaction_share(period, municipality_ids, *, answers=("very",), **params) -> Result:
    """Seed 002, Mål 3: "Mindst 80 pct. ... angiver ..., at de er 'Meget tilfredse' med
    erhvervshusmedarbejderens faglige kompetencer" (answers=very); seed 001 §7: ">80 %
    tilfredse eller meget tilfredse" (answers=very,satisfied). "Ved ikke" is left out of
    the denominator (``share_of_answers``)."""
    rows = evaluations_in(period, municipality_ids, **params)
    return share_of_answers(rows, "satisfaction", answers, municipality_ids)


@indicator("nps")
def nps(period, municipality_ids, **params) -> Result:
    """Seed 002, Mål 3: "Net Promotor Score (NPS) på mindst 70": % promoters (9-10) minus
    % detractors (0-6); numerator is promoters minus detractors."""
    rows = evaluations_in(period, municipality_ids, **params).filter(nps__isnull=False)
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


@indicator("effect_share")
def effect_share(period, municipality_ids, **params) -> Result:
    """Seed 002, Mål 5-7: "vurderer 70 pct. ... at vejledningen 'I høj grad' forventes at
    have en positiv effekt" - overall, or for themes=[green] / themes=[digital]. "Ved ikke"
    is left out of the denominator (``share_of_answers``)."""
    rows = evaluations_in(period, municipality_ids, **params)
    return share_of_answers(rows, "effect", ["high"], municipality_ids)
