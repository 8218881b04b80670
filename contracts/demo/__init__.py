"""The three agreements of the source documents as demo contracts (seeds 000, 001, 002), and
the demo activity they are measured on (see "Demo activity" below).

Goals that the CRM cannot compute (awareness surveys, control-group growth, jobs) are
milestones or externally reported values with their source, and the page says so.
"""

import datetime
import random
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

import pghistory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from contracts.models import BudgetLine, Contract, Evaluation, Goal, PaymentRule
from crm.demo import (
    CLOSINGS,
    COMPANY_THEMES,
    CONTENT,
    HUB_CHANNELS,
    TRADES,
    ascii_slug,
    demo_cvrs,
    validated,
)
from crm.models import (
    Company,
    GuidanceSession,
    IndustryCode,
    Membership,
    Municipality,
    Operator,
)
from crm.services import do_add_membership, do_set_operator_municipalities

D = datetime.date
RURAL_PROGRAMME = [
    "Ringkøbing-Skjern",
    "Lemvig",
    "Struer",
    "Skive",
    "Norddjurs",
    "Samsø",
    "Holstebro",
    "Herning",
    "Ikast-Brande",
    "Viborg",
    "Randers",
    "Syddjurs",
    "Hedensted",
]


def operator(name: str, kind: str, municipalities) -> Operator:
    op, _ = Operator.objects.get_or_create(name=name, defaults={"kind": kind})
    do_set_operator_municipalities(op, municipalities)
    return op


def contract(title: str, goals: list[dict], **fields) -> Contract:
    parties = fields.pop("parties")
    municipalities = fields.pop("municipalities")
    obj, created = Contract.objects.get_or_create(title=title, defaults=fields)
    if created:
        obj.parties.set(parties)
        obj.municipalities.set(municipalities)
        Goal.objects.bulk_create(Goal(contract=obj, **goal) for goal in goals)
    return obj


def programme_2010(municipalities) -> Contract:
    region = operator("Region Midtjylland", Operator.Kind.PROGRAMME, municipalities)
    source = "Seed 000: programkontrakt, Region Midtjylland 2010-2012"
    goals = [
        {
            "number": "1",
            "title": "Kontakt til mikrovirksomheder i landdistrikterne",
            "indicator": "companies_contacted",
            "params": {"micro": True},
            "target": 4000,
        },
        {
            "number": "2",
            "title": "Vejledningsbesøg",
            "indicator": "sessions",
            "params": {"kind": "full"},
            "target": 1000,
        },
        {
            "number": "3",
            "title": "Kontakter til ekstern viden",
            "indicator": "referrals",
            "params": {"target": "adviser"},
            "target": 200,
        },
        {
            "number": "4",
            "title": "Henvisninger til Væksthus Midtjylland",
            "indicator": "referrals",
            "params": {"target": "hub"},
            "target": 50,
        },
        {
            "number": "5",
            "title": "Virksomheder hjulpet til at søge LAG-midler",
            "indicator": "projects",
            "target": 2,
            "per_municipality": True,
            "params": {"funding": "lag", "application_help": True, "distinct_companies": True},
        },
        {
            "number": "6",
            "title": "Et erhvervsnetværk i hver kommune",
            "indicator": "networks",
            "target": 1,
            "per_municipality": True,
        },
        {
            "number": "7",
            "title": "Nye kommunikationsinitiativer",
            "is_milestone": True,
            "text": "5 nye kommunikationsinitiativer (vurderes af projektlederen)",
        },
        {
            "number": "8",
            "title": "Udviklingsprojekter identificeret",
            "indicator": "projects",
            "target": 10,
            "per_municipality": True,
        },
    ]
    obj = contract(
        "Landdistriktsprogram Region Midtjylland 2010-2012",
        goals,
        kind=Contract.Kind.PROGRAMME,
        starts_on=D(2010, 4, 1),
        ends_on=D(2012, 3, 31),
        status=Contract.Status.CLOSED,
        budget=Decimal(7_000_000),
        hourly_rate=Decimal(500),
        source=source,
        parties=[region],
        municipalities=municipalities,
        oversight=region,
    )
    if not obj.budget_lines.exists():
        BudgetLine.objects.bulk_create(
            [
                BudgetLine(
                    contract=obj,
                    name="Vejledning (1.000 virksomheder x 8 t x 500 kr.)",
                    amount=4_000_000,
                ),
                BudgetLine(contract=obj, name="Netværk (13 x 30.000 kr.)", amount=390_000),
                BudgetLine(
                    contract=obj,
                    name="Udviklingsvejledning (13 x 10 x 8 t x 500 kr.)",
                    amount=520_000,
                ),
                BudgetLine(
                    contract=obj, name="Ansøgningsskrivning (13 x 2 x 15.000 kr.)", amount=390_000
                ),
            ]
        )
    return obj


def viborg_2014(viborg) -> Contract:
    kommune = operator("Viborg Kommune", Operator.Kind.OVERSIGHT, [viborg])
    local = Operator.objects.get(name="Viborgegnens Erhvervsråd")
    hub = Operator.objects.get(name="Erhvervshus Midtjylland")
    local_tier, special = {"tier": "local"}, {"tier": "specialised"}
    goals = [
        {
            "number": "1a",
            "title": "Vejledte iværksættere, lokal erhvervsservice",
            "indicator": "founders_guided",
            "params": local_tier,
            "target": 200,
        },
        {
            "number": "1b",
            "title": "Vejledte virksomheder, lokal erhvervsservice",
            "indicator": "companies_guided",
            "params": local_tier,
            "target": 200,
        },
        {
            "number": "2a",
            "title": "Vejledte iværksættere, specialiseret vejledning",
            "indicator": "founders_guided",
            "params": special,
            "target": 12,
        },
        {
            "number": "2b",
            "title": "Vejledte virksomheder, specialiseret vejledning",
            "indicator": "companies_guided",
            "params": special,
            "target": 12,
        },
    ]
    for level, founders, companies in [("A", 3, 5), ("B", 3, 5), ("C", 3, 5)]:
        goals += [
            {
                "number": f"3{level}i",
                "title": f"Iværksættere i vækstforløb, niveau {level}",
                "indicator": "enrolments",
                "target": founders,
                "params": {"growth_level": level, "subject": "founder"},
            },
            {
                "number": f"3{level}v",
                "title": f"Virksomheder i vækstforløb, niveau {level}",
                "indicator": "enrolments",
                "target": companies,
                "params": {"growth_level": level, "subject": "company"},
            },
        ]
    goals += [
        {
            "number": "4",
            "title": "Nye arbejdspladser",
            "target": 275,
            "external_source": "Indberettes fra virksomhedernes regnskaber (ikke i CRM'et)",
        },
        {
            "number": "5",
            "title": "Tilfredse eller meget tilfredse brugere",
            "indicator": "satisfaction_share",
            "target_kind": "share",
            "target": 80,
            "params": {"answers": ["very", "satisfied"]},
        },
    ]
    obj = contract(
        "Samarbejdsaftale om erhvervsservice, Viborg 2014",
        goals,
        kind=Contract.Kind.COOPERATION,
        starts_on=D(2014, 1, 1),
        ends_on=D(2014, 12, 31),
        status=Contract.Status.CLOSED,
        source="Seed 001: samarbejdsaftale Viborg Kommune, Viborgegnens "
        "Erhvervsråd og Væksthus Midtjylland 2014",
        parties=[local, hub],
        municipalities=[viborg],
        oversight=kommune,
    )
    for kind, amount in [(PaymentRule.Kind.FOUNDER, 500), (PaymentRule.Kind.GROWTH_REFERRAL, 2500)]:
        PaymentRule.objects.get_or_create(contract=obj, kind=kind, defaults={"amount": amount})
    return obj


def syddanmark_2022() -> Contract:
    hub = Operator.objects.get(name="Erhvervshus Sydjylland")
    municipalities = list(hub.municipalities.all())
    kkr = operator("KKR Syddanmark", Operator.Kind.OVERSIGHT, municipalities)
    hub_only = {"operator_kinds": ["hub"]}
    share = {"target_kind": "share"}
    goals = [
        {
            "number": "1",
            "title": "Nye vejledte virksomheder",
            "indicator": "new_companies_share",
            "params": hub_only,
            "target": 50,
            **share,
            "text": "Mindst 50 pct. af de vejledte virksomheder skal være nye i forhold til de "
            "virksomheder, der modtog vejledning fra erhvervshuset året før.",
        },
        {
            "number": "1b",
            "title": "Kendskabsgrad",
            "external_source": "Erhvervsstyrelsens kendskabsmåling (ikke i CRM'et); "
            "ikke målt i 2022",
        },
        {
            "number": "2",
            "title": "Bred geografisk spredning: kommuner nået",
            "indicator": "municipalities_reached",
            "params": hub_only,
            "target": 13,
        },
        {
            "number": "3a",
            "title": "Meget tilfredse, driftssegment",
            "indicator": "satisfaction_share",
            "params": {"segment": "operations"},
            "target": 80,
            **share,
        },
        {
            "number": "3b",
            "title": "Meget tilfredse, vækstsegment",
            "indicator": "satisfaction_share",
            "params": {"segment": "growth"},
            "target": 80,
            **share,
        },
        {
            "number": "3c",
            "title": "NPS, driftssegment",
            "indicator": "nps",
            "params": {"segment": "operations"},
            "target_kind": "nps",
            "target": 70,
        },
        {
            "number": "3d",
            "title": "NPS, vækstsegment",
            "indicator": "nps",
            "params": {"segment": "growth"},
            "target_kind": "nps",
            "target": 70,
        },
        {
            "number": "4",
            "title": "Henviste virksomheder der har brugt rådgivningen",
            "indicator": "uptake_share",
            "target": 45,
            **share,
        },
        {
            "number": "5",
            "title": "Positiv effekt: grøn omstilling og cirkulær økonomi",
            "indicator": "effect_share",
            "params": {"themes": ["green"]},
            "target": 70,
            **share,
        },
        {
            "number": "6a",
            "title": "Positiv effekt af vejledningen",
            "indicator": "effect_share",
            "target": 70,
            **share,
        },
        {
            "number": "6b",
            "title": "Mervækst i vækstsegmentet mod kontrolgruppe",
            "external_source": "Erhvervsstyrelsens effektmåling to år efter vejledningen",
        },
        {
            "number": "6c",
            "title": "Produktivitet i driftssegmentet mod kontrolgruppe",
            "external_source": "Erhvervsstyrelsens effektmåling (omsætning pr. årsværk)",
        },
        {
            "number": "7",
            "title": "Positiv effekt: digitalisering og nye teknologier",
            "indicator": "effect_share",
            "params": {"themes": ["digital"]},
            "target": 70,
            **share,
        },
        {
            "number": "8c",
            "title": "Henvisninger til designøkosystemet",
            "indicator": "referrals",
            "params": {"target": "design"},
        },
        {
            "number": "8d",
            "title": "Vejledte virksomheder i landdistriktskommuner",
            "indicator": "rural_share",
            "params": hub_only,
            **share,
            "comment": "Kommunernes land/by-opdeling (bilag 1 i rammeaftalen) sættes af en "
            "administrator.",
        },
        {
            "number": "9",
            "title": "Samarbejdsaftaler med alle nationale klynger",
            "is_milestone": True,
        },
    ]
    return contract(
        "Resultatkontrakt 2022, KKR Syddanmark og Erhvervshus Sydjylland",
        goals,
        kind=Contract.Kind.PERFORMANCE,
        starts_on=D(2022, 1, 1),
        ends_on=D(2022, 12, 31),
        status=Contract.Status.ACTIVE,
        source="Seed 002: resultatkontrakt 2022",
        parties=[hub],
        municipalities=municipalities,
        oversight=kkr,
    )


# --- Demo activity behind the contracts -------------------------------------------------------
#
# The KKR Syddanmark contract is measured on Erhvervshus Sydjylland's work: companies it guided in
# 2021 and 2022 (goal 1 compares the two years), their answers to the national user evaluation
# (goals 3, 5-7) and its referrals to external advisers with uptake answers (goals 4, 8c). The
# Midtjylland contracts get evaluation answers: Viborg 2014 (goal 5 of the cooperation
# agreement) and the year of the crm demo for the companies Erhvervshus Midtjylland guided.

SYD_HUB = "Erhvervshus Sydjylland"
# Per municipality: population (thousands) that weights its share, and its main town.
# fmt: off
SYD_TOWNS = {
    "Esbjerg": (116, "6700", "Esbjerg"), "Fanø": (3.5, "6720", "Fanø"),
    "Varde": (50, "6800", "Varde"), "Vejen": (43, "6600", "Vejen"),
    "Billund": (27, "7190", "Billund"), "Vejle": (120, "7100", "Vejle"),
    "Fredericia": (52, "7000", "Fredericia"), "Kolding": (95, "6000", "Kolding"),
    "Haderslev": (55, "6100", "Haderslev"), "Aabenraa": (58, "6200", "Aabenraa"),
    "Sønderborg": (73, "6400", "Sønderborg"), "Tønder": (36, "6270", "Tønder"),
    "Middelfart": (39, "5500", "Middelfart"),
}
# Demo only: the official rural/urban split (bilag 1 of the framework agreement) is not in the
# reference data, so goal 8d would have no value. The demo marks these five rural - an
# illustration, not the official classification - and only when no Sydjylland municipality has
# a class yet (an administrator's setting is never overwritten).
DEMO_RURAL = ["Tønder", "Fanø", "Billund", "Vejen", "Varde"]
SATISFACTION = ["very", "satisfied", "neutral", "dissatisfied", "very_dissatisfied", "unknown"]
SATISFACTION_WEIGHTS = {"operations": [76, 16, 4, 1, 1, 2], "growth": [82, 12, 3, 1, 0, 2]}
SURVEY_2014_WEIGHTS = [55, 30, 8, 3, 1, 3]  # on average 85% satisfied or very satisfied
NPS_WEIGHTS = {"operations": [1, 0, 0, 1, 1, 2, 3, 6, 12, 20, 54],  # 0..10: NPS about 65
               "growth": [0, 0, 0, 1, 1, 1, 2, 5, 10, 19, 61]}  # about 75
EFFECT = ["high", "some", "low", "none", "unknown"]
EFFECT_WEIGHTS = {"green": [70, 22, 4, 1, 3], "digital": [58, 30, 7, 2, 3],
                  "other": [62, 28, 5, 2, 3]}
# fmt: on
EVALUATION_SOURCE = "Brugerevaluering (demo)"
LEGAL_FORMS = ["ApS", "ApS", "ApS", "A/S", "I/S", ""]


@dataclass(frozen=True)
class ActivitySizes:
    """How much Erhvervshus Sydjylland's demo activity holds (defaults: about its real size)."""

    companies: int = 1450  # guided in 2021 or 2022, about 800 a year, a quarter in both years
    referral_share: float = 0.25  # of the companies guided in 2022, referred to an adviser
    answer_share: float = 0.4  # of the companies guided, answering the user evaluation
    seed: int = 2022


@dataclass
class Activity:
    rng: random.Random
    hub: Operator
    staff: list[int]
    sizes: ActivitySizes
    created: dict[str, int] = field(default_factory=dict)

    def weekday(self, start: datetime.date, end: datetime.date) -> datetime.date:
        day = start + datetime.timedelta(days=self.rng.randint(0, (end - start).days))
        return day - datetime.timedelta(days=max(day.weekday() - 4, 0))


def mark_demo_rural(municipalities) -> None:
    if not any(m.rural_urban for m in municipalities):
        Municipality.objects.filter(pk__in=[m.pk for m in municipalities]).filter(
            name__in=DEMO_RURAL
        ).update(rural_urban=Municipality.RuralUrban.RURAL)


def hub_staff(hub: Operator, count: int = 4) -> list[int]:
    users = get_user_model().objects
    staff = []
    for i in range(1, count + 1):
        user, _ = users.get_or_create(
            username=f"demo-{ascii_slug(hub.name)}-{i}",
            defaults={
                "first_name": "Konsulent",
                "last_name": f"Syd {i}",
                "password": make_password(None),
            },
        )
        do_add_membership(user, hub, Membership.Role.CONSULTANT)
        staff.append(user.pk)
    return staff


def seed_syddanmark_activity(sizes: ActivitySizes) -> dict[str, int]:
    """Erhvervshus Sydjylland's companies, specialised guidance in 2021-2022, evaluation
    answers and referrals to advisers in 2022 - once (skipped when its first demo companies
    are registered)."""
    cvrs = demo_cvrs(sizes.companies, sizes.seed)
    if Company.objects.filter(cvr__in=cvrs[:20]).exists():
        return {}
    hub = Operator.objects.get(name=SYD_HUB)
    municipalities = list(hub.municipalities.order_by("code"))
    mark_demo_rural(municipalities)
    activity = Activity(random.Random(sizes.seed), hub, hub_staff(hub), sizes)
    taken = set(Company.objects.filter(cvr__in=cvrs).values_list("cvr", flat=True))
    companies = syd_companies(activity, [c for c in cvrs if c not in taken], municipalities)
    sessions = syd_sessions(activity, companies)
    guided_2022 = [s for s in sessions if s.date.year == 2022 and s.kind == "full"]
    syd_evaluations(activity, guided_2022, D(2022, 12, 31))
    syd_referrals(activity, guided_2022)
    return activity.created


def syd_companies(activity: Activity, cvrs: list[str], municipalities) -> list[Company]:
    from faker import Faker  # a development dependency, like the crm demo's

    rng, fake = activity.rng, Faker("da_DK")
    fake.seed_instance(activity.sizes.seed)
    industries = list(IndustryCode.objects.filter(system=IndustryCode.System.DB25))
    weights = [8 if c.code[:2] in TRADES else 1 for c in industries]
    towns = [SYD_TOWNS.get(m.name, (10, "", m.name)) for m in municipalities]
    # Every municipality gets a company first, then they go by population.
    places = municipalities + rng.choices(
        municipalities, [t[0] for t in towns], k=max(len(cvrs) - len(municipalities), 0)
    )
    companies = []
    for cvr, municipality in zip(cvrs, places, strict=False):
        _, postcode, city = SYD_TOWNS.get(municipality.name, (10, "", municipality.name))
        industry = rng.choices(industries, weights)[0] if industries else None
        trade = TRADES.get(industry.code[:2], "Handel") if industry else "Handel"
        growth = rng.random() < 0.45
        companies.append(
            validated(
                Company(
                    cvr=cvr,
                    name=f"{fake.last_name()} {trade} {rng.choice(LEGAL_FORMS)}".strip(),
                    address=f"{fake.street_name()} {rng.randint(1, 140)}",
                    postcode=postcode,
                    city=city,
                    municipality=municipality,
                    industry_code=industry,
                    employees=rng.choice([2, 4, 7, 12, 18, 25, 40, 60, 120]),
                    started_on=D(2022, 1, 1) - datetime.timedelta(days=rng.randint(200, 12000)),
                    segment=Company.Segment.GROWTH if growth else Company.Segment.OPERATIONS,
                    growth_potential=rng.choice("AB") if growth else "",
                )
            )
        )
    Company.objects.bulk_create(companies, batch_size=2000)
    activity.created["companies"] = len(companies)
    return companies


def syd_sessions(activity: Activity, companies: list[Company]) -> list[GuidanceSession]:
    """Specialised guidance: about 55% of the companies in 2021 and 59% in 2022, a quarter
    of them in both years (so about three in four of 2022's are new), one to three each."""
    rng = activity.rng
    sessions, teams = [], []
    for company in companies:
        draw = rng.random()
        guided = [2021] if draw < 0.41 else [2022] if draw < 0.86 else [2021, 2022]
        for year in guided:
            for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
                session = syd_session(activity, company, year)
                author = rng.choice(activity.staff)
                session.created_by_id = author
                sessions.append(session)
                teams.append(author)
    GuidanceSession.objects.bulk_create(sessions, batch_size=2000)
    through = GuidanceSession.consultants.through
    through.objects.bulk_create(
        [through(guidancesession=s, user_id=u) for s, u in zip(sessions, teams, strict=True)],
        batch_size=2000,
    )
    activity.created["guidance sessions"] = len(sessions)
    return sessions


def syd_session(activity: Activity, company: Company, year: int) -> GuidanceSession:
    rng = activity.rng
    full = rng.random() < 0.9
    themes = rng.sample(COMPANY_THEMES, rng.choice([1, 1, 2, 3]))
    session = GuidanceSession(
        company=company,
        operator=activity.hub,
        municipality=company.municipality,
        date=activity.weekday(D(year, 1, 4), D(year, 12, 20)),
        tier=GuidanceSession.Tier.SPECIALISED,
        channel=rng.choices(GuidanceSession.Channel.values, HUB_CHANNELS)[0],
        kind=GuidanceSession.Kind.FULL if full else GuidanceSession.Kind.BRIEF,
        themes=themes,
        content=" ".join([CONTENT[t] for t in themes] + [rng.choice(CLOSINGS)]),
        hours_before=Decimal(rng.choice("1222223") if full else "0"),
        hours_during=Decimal(rng.choice("2344456") if full else "0.5"),
        hours_after=Decimal(rng.choice("12223") if full else "0"),
        screening_done=full and rng.random() < 0.3,
    )
    return validated(session)


def answer(activity: Activity, segment: str, themes: list[str], **fields) -> Evaluation:
    """One answer of the national user evaluation (about specialised guidance), drawn by
    segment (satisfaction, NPS) and theme (expected effect)."""
    rng = activity.rng
    theme = "green" if "green" in themes else "digital" if "digital" in themes else "other"
    nps = rng.choices(range(11), NPS_WEIGHTS[segment])[0]
    return Evaluation(
        segment=segment,
        themes=themes,
        satisfaction=rng.choices(SATISFACTION, SATISFACTION_WEIGHTS[segment])[0],
        nps=nps if rng.random() < 0.95 else None,
        effect=rng.choices(EFFECT, EFFECT_WEIGHTS[theme])[0],
        source=EVALUATION_SOURCE,
        **fields,
    )


def evaluations_for(activity: Activity, sessions, last_day: datetime.date) -> list[Evaluation]:
    """About ``answer_share`` of the guided companies answer, two to eight weeks after their
    last session of the list (answers after ``last_day`` are not in yet)."""
    by_company: dict[int, list] = {}
    for session in sessions:
        by_company.setdefault(session.company_id, []).append(session)
    answers = []
    for company_sessions in by_company.values():
        last = max(company_sessions, key=lambda s: s.date)
        answered_on = last.date + datetime.timedelta(days=activity.rng.randint(14, 56))
        if activity.rng.random() > activity.sizes.answer_share or answered_on > last_day:
            continue
        themes = sorted({t for s in company_sessions for t in s.themes})
        segment = last.company.segment or activity.rng.choice(["operations", "growth"])
        answers.append(
            answer(
                activity,
                segment,
                themes,
                operator_id=last.operator_id,
                company_id=last.company_id,
                municipality_id=last.municipality_id,
                answered_on=answered_on,
            )
        )
    return answers


def syd_evaluations(activity: Activity, sessions, last_day: datetime.date) -> None:
    answers = Evaluation.objects.bulk_create(evaluations_for(activity, sessions, last_day))
    activity.created["evaluation answers"] = len(answers)


def syd_referrals(activity: Activity, sessions: list[GuidanceSession]) -> None:
    """The hub refers a quarter of the companies it guided in 2022 to an external adviser
    (the shared register of ``referrals.demo``), with the follow-up and uptake answers."""
    from referrals import demo as referral_demo

    rng = activity.rng
    register = {a.name: a for a in referral_demo.seed_advisers() if "Midt" not in a.name}
    setting = referral_demo.Setting(
        rng=rng,
        now=timezone.now(),
        today=timezone.localdate(),
        hub=activity.hub,
        triage=activity.staff[:1],
        workers=activity.staff,
        worker_weights=[1] * len(activity.staff),
    )
    first = {}
    for session in sorted(sessions, key=lambda s: s.date):
        first.setdefault(session.company_id, session)
    drafts = []
    for session in first.values():
        if rng.random() > activity.sizes.referral_share:
            continue
        row = {
            "company_id": session.company_id,
            "founder_id": None,
            "municipality_id": session.municipality_id,
            "municipality__code": session.municipality.code,
            "operator_id": activity.hub.pk,
            "created_by_id": session.created_by_id,
            "themes": session.themes,
        }
        at = setting.moment(
            min(session.date + datetime.timedelta(days=rng.randint(0, 5)), D(2022, 12, 30))
        )
        adviser, themes = referral_demo.adviser_for(setting, row, at, register)
        draft = referral_demo.new_draft(
            setting, row, at, target_adviser_id=adviser.pk, themes=themes
        )
        referral_demo.adviser_story(setting, draft)
        drafts.append(draft)
    with pghistory.context(source="seed_contracts"):
        referral_demo.insert(drafts)
    activity.created["referrals"] = len(drafts)


def seed_midtjylland_evaluations(seed: int = 1082) -> int:
    """Evaluation answers for Viborg 2014 (the cooperation agreement's satisfaction goal) and,
    once the crm demo exists, for the companies Erhvervshus Midtjylland guided in its year."""
    hub = Operator.objects.get(name="Erhvervshus Midtjylland")
    activity = Activity(random.Random(seed), hub, [], ActivitySizes())
    answers = []
    viborg_source = f"{EVALUATION_SOURCE}, Viborg 2014"
    if not Evaluation.objects.filter(source=viborg_source).exists():
        answers += viborg_2014_answers(activity, viborg_source)
    year_source = f"{EVALUATION_SOURCE}, Erhvervshus Midtjylland"
    if not Evaluation.objects.filter(source=year_source).exists():
        sessions = GuidanceSession.objects.filter(
            operator=hub, company__isnull=False, kind=GuidanceSession.Kind.FULL
        ).select_related("company")
        year = evaluations_for(activity, list(sessions), timezone.localdate())
        for row in year:
            row.source = year_source
        answers += year
    return len(Evaluation.objects.bulk_create(answers))


def viborg_2014_answers(activity: Activity, source: str, count: int = 70) -> list[Evaluation]:
    """The 2014 satisfaction survey (no company link, no segments, no NPS or effect question):
    seven in ten answers about the local service, the rest about the specialised one."""
    viborg = Municipality.objects.get(name="Viborg")
    local = Operator.objects.get(name="Viborgegnens Erhvervsråd")
    rng = activity.rng
    return [
        Evaluation(
            operator=local if rng.random() < 0.7 else activity.hub,
            municipality=viborg,
            answered_on=activity.weekday(D(2014, 2, 1), D(2014, 12, 19)),
            satisfaction=rng.choices(SATISFACTION, SURVEY_2014_WEIGHTS)[0],
            source=source,
        )
        for _ in range(count)
    ]


@transaction.atomic
def seed_contracts(activity: ActivitySizes | None = None) -> list[tuple[str, str, str]]:
    """Create the three demo contracts and the activity they are measured on (both
    idempotent) and a KKR Syddanmark reader; returns the new login (user name, password,
    operator)."""
    midt = Municipality.objects.filter(name__in=RURAL_PROGRAMME)
    programme_2010(midt)
    viborg_2014(Municipality.objects.get(name="Viborg"))
    syd = syddanmark_2022()
    seed_syddanmark_activity(activity or ActivitySizes())
    seed_midtjylland_evaluations()
    user, _ = get_user_model().objects.get_or_create(
        username="kkrsyd",
        defaults={"first_name": "Sofie", "last_name": "Syd", "email": "kkrsyd@demo.knudepunkt.dk"},
    )
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.save()
    do_add_membership(user, syd.oversight, Membership.Role.VIEWER)
    return [("kkrsyd", password, syd.oversight.name)]
