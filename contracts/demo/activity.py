"""Demo activity behind the contracts.

The KKR Syddanmark contract is measured on Erhvervshus Sydjylland's work: companies it guided in
2021 and 2022 (goal 1 compares the two years), their answers to the national user evaluation
(goals 3, 5-7) and its referrals to external advisers with uptake answers (goals 4, 8c). The
Midtjylland contracts get evaluation answers: Viborg 2014 (goal 5 of the cooperation
agreement) and the year of the crm demo for the companies Erhvervshus Midtjylland guided."""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

import pghistory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from crm.demo.identifiers import ascii_slug
from crm.demo.plan import validated
from crm.demo.vocabulary import CLOSINGS, COMPANY_THEMES, CONTENT, HUB_CHANNELS, TRADES
from crm.models import Company, GuidanceSession, IndustryCode, Membership, Municipality, Operator
from crm.services import do_add_membership

D = datetime.date

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
# fmt: on
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


def syd_referrals(activity: Activity, sessions: list[GuidanceSession]) -> None:
    """The hub refers a quarter of the companies it guided in 2022 to an external adviser
    (the shared register of ``referrals.demo``), with the follow-up and uptake answers."""
    from referrals.demo.advisers import adviser_for, adviser_story, seed_advisers
    from referrals.demo.drafts import Setting, insert, new_draft

    rng = activity.rng
    register = {a.name: a for a in seed_advisers() if "Midt" not in a.name}
    setting = Setting(
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
        adviser, themes = adviser_for(setting, row, at, register)
        draft = new_draft(setting, row, at, target_adviser_id=adviser.pk, themes=themes)
        adviser_story(setting, draft)
        drafts.append(draft)
    with pghistory.context(source="seed_contracts"):
        insert(drafts)
    activity.created["referrals"] = len(drafts)
