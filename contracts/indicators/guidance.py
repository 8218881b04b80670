"""Guidance: the indicators of the guidance sessions, and the one definition of
"guided" (``guided_in``)."""

import datetime
from decimal import Decimal

from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Sum, Value
from django.utils.translation import gettext_lazy as _

from contracts.indicators.core import (
    Measure,
    Period,
    Result,
    counted,
    grouped,
    indicator,
    shared,
    subjects_counted,
)
from crm.models import Founder, GuidanceSession
from crm.subjects import rural_target_group, subject_filter

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
