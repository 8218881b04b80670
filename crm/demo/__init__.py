"""Demo data for Region Midtjylland (make run): operators, one user per role, and a year of
records in the region's 19 municipalities - companies, contact persons, founders, guidance
sessions, consent, networks, development projects and growth programmes.

The records are drawn from one seed, so every run builds the same demo, and they are created
once: a second run finds the first demo CVR numbers and only resets the demo passwords. Rows are
bulk-inserted (the pghistory triggers still record each insert) but built exactly as the services
build them: CVR and CPR numbers are valid, CPR numbers are encrypted and hashed by ``crm.cpr``.
"""

import datetime
import random
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

import pghistory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from crm import cpr
from crm.models import (
    Company,
    Consent,
    ContactPerson,
    DevelopmentProject,
    Founder,
    GuidanceSession,
    IndustryCode,
    Membership,
    Municipality,
    Network,
    Operator,
    ProgrammeEnrolment,
    Theme,
)
from crm.reference import read_rows
from crm.services import do_add_membership, do_set_operator_municipalities

REGION_CODE = "1082"
HUB_NAME = "Erhvervshus Midtjylland"
# Known names of local business services; the rest get a generic name.
LOCAL_SERVICE_NAMES = {"Viborg": "Viborgegnens Erhvervsråd"}


@dataclass
class DemoLogin:
    username: str
    password: str
    role: str
    operator: str


@dataclass(frozen=True)
class DemoSizes:
    """How much the demo holds; the defaults are a year of Region Midtjylland."""

    companies: int = 4000
    founders: int = 400
    sessions: int = 9000
    projects: int = 190
    enrolments: int = 150
    seed: int = 1082


@dataclass
class DemoResult:
    logins: list[DemoLogin]
    created: dict[str, int] = field(default_factory=dict)  # empty when the records existed


def local_service_name(municipality: Municipality) -> str:
    return LOCAL_SERVICE_NAMES.get(municipality.name, f"Erhvervsservice {municipality.name}")


def seed_operators() -> dict[str, Operator]:
    municipalities = Municipality.objects.filter(region__code=REGION_CODE)
    for municipality in municipalities:
        operator, _ = Operator.objects.get_or_create(
            name=local_service_name(municipality), defaults={"kind": Operator.Kind.LOCAL}
        )
        do_set_operator_municipalities(operator, [municipality])
    kkr, _ = Operator.objects.get_or_create(
        name="KKR Midtjylland", defaults={"kind": Operator.Kind.OVERSIGHT}
    )
    do_set_operator_municipalities(kkr, municipalities)
    return {
        "local": Operator.objects.get(name=LOCAL_SERVICE_NAMES["Viborg"]),
        "hub": Operator.objects.get(name=HUB_NAME),
        "oversight": kkr,
    }


DEMO_USERS = [
    # username, first name, operator key, role
    ("konsulent", "Karen Konsulent", "local", Membership.Role.CONSULTANT),
    ("leder", "Lars Leder", "local", Membership.Role.MANAGER),
    ("visitator", "Vibeke Visitator", "hub", Membership.Role.TRIAGE),
    ("hubkonsulent", "Henrik Hubkonsulent", "hub", Membership.Role.CONSULTANT),
    ("kkr", "Kirsten KKR", "oversight", Membership.Role.VIEWER),
]


@transaction.atomic
def seed_demo(sizes: DemoSizes | None = None) -> DemoResult:
    """Create (or reset) the demo operators and users - every run issues new passwords - and,
    unless they exist already, the demo records."""
    operators = seed_operators()
    logins = []
    for username, full_name, key, role in DEMO_USERS:
        first, last = full_name.split(" ", 1)
        user, _ = get_user_model().objects.update_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.knudepunkt.dk",
            },
        )
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save()
        do_add_membership(user, operators[key], role)
        logins.append(DemoLogin(username, password, role, operators[key].name))
    with pghistory.context(source="seed_demo"):
        created = seed_records(sizes or DemoSizes())
    return DemoResult(logins, created)


# --- Records ---------------------------------------------------------------------------------

# Per municipality code: population (thousands, 2024) that weights its share of the records, and
# postcodes with towns, the main town first.
# fmt: off
TOWNS: dict[str, tuple[int, list[tuple[str, str]]]] = {
    "615": (99, [("8700", "Horsens"), ("8740", "Brædstrup"), ("8752", "Østbirk")]),
    "657": (90, [("7400", "Herning"), ("7490", "Aulum"), ("7451", "Sunds"),
                 ("7480", "Vildbjerg")]),
    "661": (59, [("7500", "Holstebro"), ("7570", "Vemb"), ("7830", "Vinderup")]),
    "665": (19, [("7620", "Lemvig"), ("7673", "Harboøre"), ("7680", "Thyborøn")]),
    "671": (21, [("7600", "Struer"), ("7790", "Thyholm"), ("7560", "Hjerm")]),
    "706": (43, [("8400", "Ebeltoft"), ("8410", "Rønde"), ("8550", "Ryomgård"),
                 ("8560", "Kolind")]),
    "707": (37, [("8500", "Grenaa"), ("8963", "Auning"), ("8961", "Allingåbro"),
                 ("8585", "Glesborg")]),
    "710": (50, [("8450", "Hammel"), ("8370", "Hadsten"), ("8382", "Hinnerup"),
                 ("8860", "Ulstrup")]),
    "727": (24, [("8300", "Odder"), ("8350", "Hundslund")]),
    "730": (100, [("8900", "Randers C"), ("8920", "Randers NV"), ("8870", "Langå"),
                  ("8981", "Spentrup")]),
    "740": (101, [("8600", "Silkeborg"), ("8620", "Kjellerup"), ("8653", "Them"),
                  ("8654", "Bryrup")]),
    "741": (4, [("8305", "Samsø")]),
    "746": (65, [("8660", "Skanderborg"), ("8680", "Ry"), ("8362", "Hørning"),
                 ("8464", "Galten")]),
    "751": (370, [("8000", "Aarhus C"), ("8200", "Aarhus N"), ("8210", "Aarhus V"),
                  ("8260", "Viby J"), ("8270", "Højbjerg"), ("8381", "Tilst"),
                  ("8520", "Lystrup")]),
    "756": (42, [("7430", "Ikast"), ("7330", "Brande"), ("7441", "Bording"),
                 ("7442", "Engesvang")]),
    "760": (56, [("6950", "Ringkøbing"), ("6900", "Skjern"), ("6960", "Hvide Sande"),
                 ("6880", "Tarm")]),
    "766": (48, [("8722", "Hedensted"), ("7130", "Juelsminde"), ("7160", "Tørring"),
                 ("8783", "Hornsyld")]),
    "779": (46, [("7800", "Skive"), ("7860", "Spøttrup"), ("7870", "Roslev"), ("7884", "Fur")]),
    "791": (98, [("8800", "Viborg"), ("8850", "Bjerringbro"), ("8830", "Tjele"),
                 ("7470", "Karup J"), ("9632", "Møldrup")]),
}

# Trade words by DB07 division (first two digits of the code); these divisions are also
# drawn more often, as they are where the local business services meet most companies.
TRADES = {
    "01": "Landbrug", "10": "Bageri", "16": "Træindustri", "25": "Smedie", "28": "Maskinfabrik",
    "31": "Møbler", "33": "Service", "41": "Byg", "42": "Entreprenør", "43": "Tømrer & Snedker",
    "45": "Auto", "46": "Engros", "47": "Butik", "49": "Transport", "55": "Kro", "56": "Café",
    "62": "IT", "68": "Ejendomme", "69": "Revision", "70": "Consult", "71": "Rådgivning",
    "73": "Kommunikation", "74": "Design", "81": "Rengøring", "86": "Fysioterapi",
    "93": "Fitness", "96": "Frisør",
}
INVENTED = (["Nord", "Midt", "Vest", "Grøn", "Fjord", "Hede", "Kyst", "Ny"],
            ["vind", "energi", "puls", "tech", "food", "solutions", "byg", "design", "lab"])
LEGAL_FORMS = (["ApS", "A/S", "I/S", ""], [55, 12, 8, 25])
EMPLOYEES = ([(1, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, 249), (250, 900)],
             [45, 25, 13, 10, 4, 2, 1])
EDUCATIONS = ["Erhvervsuddannelse", "Gymnasial uddannelse", "Kort videregående uddannelse",
              "Professionsbachelor", "Kandidatuddannelse", "Folkeskole", "Ph.d."]
ROLES = ["Indehaver", "Direktør", "Økonomichef", "Salgschef", "Produktionschef", "Partner"]
CONTENT = {
    Theme.START_UP: "Gennemgang af forretningsplan, budget og valg af selskabsform.",
    Theme.FINANCING: "Drøftelse af finansiering: bank, Vækstfonden og fonde.",
    Theme.GREEN: "Muligheder for energibesparelser og cirkulære forretningsmodeller.",
    Theme.DIGITAL: "Kortlægning af digitaliseringsbehov: ERP, webshop og automatisering.",
    Theme.EXPORT: "Eksportmodenhed og de første markeder i Tyskland og Norden.",
    Theme.WORKFORCE: "Rekruttering og fastholdelse af faglærte medarbejdere.",
    Theme.DESIGN: "Introduktion til designtænkning; mulig henvisning til designøkosystemet.",
    Theme.MANAGEMENT: "Sparring om ledelse, organisering og etablering af bestyrelse.",
    Theme.OWNERSHIP: "Forberedelse af generationsskifte og ejerskifte.",
    Theme.OTHER: "Generel sparring om virksomhedens situation.",
}
CLOSINGS = ["Aftalt opfølgning.", "Virksomheden vender tilbage.", "Materiale sendt pr. mail.",
            "Kontakt til ekstern rådgiver formidlet."]
LOCAL_CLOSINGS = [*CLOSINGS, "Henvist til Erhvervshus Midtjylland."]
FOUNDER_THEMES = [Theme.FINANCING, Theme.DIGITAL, Theme.GREEN]
COMPANY_THEMES = [t for t in Theme.values if t != Theme.START_UP]
# Channel weights (outreach, visit, phone, e-mail) of the local services and of the hub.
LOCAL_CHANNELS, HUB_CHANNELS = [25, 35, 30, 10], [5, 60, 25, 10]
PROJECT_TITLES = ["Gårdbutik og lokale fødevarer", "Ny produktionshal", "Energirenovering",
                  "Oplevelsesturisme ved fjorden", "Webshop og digital booking",
                  "Shelterplads og naturformidling", "Fælles showroom", "Mikrobryggeri"]
PROGRAMMES = ["Vækstforløb", "SMV:Grøn", "SMV:Digital", "Eksportforløb", "Bestyrelse i vækst"]
FOUNDER_PROGRAMME = "Iværksætterforløb"
SPANNING_NETWORKS = [
    ("Fødevarenetværk Vestjylland", Network.Kind.INDUSTRY, ["657", "661", "665", "671", "760"]),
    ("Djurslands Turismenetværk", Network.Kind.INDUSTRY, ["706", "707"]),
]
# fmt: on
DEMO_STAFF_PER_OPERATOR = 2  # generated colleagues beside the named demo users
KONSULENT_FOLLOW_UPS = 12  # the demo consultant's follow-ups around today


@dataclass
class Plan:
    """What the records are drawn from: one seeded random source and the demo's tenancy."""

    rng: random.Random
    fake: object  # faker.Faker (a development dependency, imported when the demo is built)
    today: datetime.date
    municipalities: list[Municipality]
    local: dict[int, Operator]  # municipality id -> its local business service
    hub: Operator
    staff: dict[int, list]  # operator id -> consultants, the likelier first
    staff_weights: dict[int, list[int]]
    industries: list[IndustryCode]
    industry_weights: list[int]
    rural: set[int]  # ids of municipalities typed as rural or peripheral

    def date_within(self, days: int, *, after: datetime.date | None = None) -> datetime.date:
        """A weekday in the ``days`` before today (and not before ``after``)."""
        start = max(self.today - datetime.timedelta(days=days), after or datetime.date.min)
        span = max((self.today - start).days, 0)
        day = start + datetime.timedelta(days=self.rng.randint(0, span))
        return day - datetime.timedelta(days=max(day.weekday() - 4, 0))

    def weighted(self, items, weights):
        return self.rng.choices(items, weights)[0]


def demo_cvrs(count: int, seed: int) -> list[str]:
    """``count`` distinct valid CVR numbers (mod 11 with weights 2765 4321), from ``seed``."""
    rng = random.Random(f"cvr-{seed}")
    numbers: dict[str, None] = {}
    while len(numbers) < count:
        body = str(rng.randrange(1_000_000, 4_500_000))
        check = -sum(w * int(d) for w, d in zip((2, 7, 6, 5, 4, 3, 2), body, strict=True)) % 11
        if check < 10:
            numbers[body + str(check)] = None
    return list(numbers)


def demo_cpr(rng: random.Random, born: datetime.date, sex: str) -> str:
    """A CPR number for ``born``: the 7th digit and the year give the century (CPR rules),
    the last digit the sex (odd: male)."""
    yy = born.year % 100
    if born.year < 2000:
        centuries = "0123" + ("49" if yy >= 37 else "")
    else:
        centuries = ("49" if yy <= 36 else "") + ("5678" if yy <= 57 else "")
    last = rng.choice("13579" if sex == Founder.Sex.MALE else "02468")
    return f"{born:%d%m%y}{rng.choice(centuries)}{rng.randrange(100):02d}{last}"


def ascii_slug(text: str) -> str:
    text = text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", text)


def build_plan(sizes: DemoSizes) -> Plan:
    from faker import Faker

    fake = Faker("da_DK")
    fake.seed_instance(sizes.seed)
    municipalities = list(Municipality.objects.filter(region__code=REGION_CODE).order_by("code"))
    typology = {row["code"]: row["typology"] for row in read_rows("municipalities.csv")}
    local = {m.pk: Operator.objects.get(name=local_service_name(m)) for m in municipalities}
    hub = Operator.objects.get(name=HUB_NAME)
    industries = list(IndustryCode.objects.filter(system=IndustryCode.System.DB25))
    plan = Plan(
        rng=random.Random(sizes.seed),
        fake=fake,
        today=timezone.localdate(),
        municipalities=municipalities,
        local=local,
        hub=hub,
        staff={},
        staff_weights={},
        industries=industries,
        industry_weights=[8 if c.code[:2] in TRADES else 1 for c in industries],
        rural={
            m.pk for m in municipalities if typology.get(m.code) in ("landkommune", "yderkommune")
        },
    )
    seed_staff(plan)
    return plan


def seed_staff(plan: Plan) -> None:
    """Consultants for every operator: the named demo users first (they log a large share of
    Viborg's and the hub's sessions), then generated colleagues without a password."""
    users = get_user_model().objects
    named = {
        "Viborgegnens Erhvervsråd": [("konsulent", 40), ("leder", 10)],
        HUB_NAME: [("hubkonsulent", 35), ("visitator", 10)],
    }
    for operator in [*plan.local.values(), plan.hub]:
        people = [(users.get(username=u), w) for u, w in named.get(operator.name, [])]
        for i in range(1, DEMO_STAFF_PER_OPERATOR + 1):
            first, last = plan.fake.first_name(), plan.fake.last_name()
            user, _ = users.get_or_create(
                username=f"demo-{ascii_slug(operator.name)}-{i}",
                defaults={"first_name": first, "last_name": last, "password": make_password(None)},
            )
            do_add_membership(user, operator, Membership.Role.CONSULTANT)
            people.append((user, 25))
        plan.staff[operator.pk] = [user for user, _ in people]
        plan.staff_weights[operator.pk] = [weight for _, weight in people]


def bulk(model, rows: list) -> list:
    return model.objects.bulk_create(rows, batch_size=2000)


def validated(record):
    """Run the field validation the services run (``full_clean``) without its database
    look-ups - foreign keys, uniqueness, constraints - which the bulk insert enforces anyway."""
    relations = [f.name for f in record._meta.concrete_fields if f.is_relation]
    record.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)
    return record


@transaction.atomic
def seed_records(sizes: DemoSizes) -> dict[str, int]:
    """The demo records, unless the first demo CVR numbers are registered already. Returns
    how many of each were created (empty when skipped)."""
    cvrs = demo_cvrs(sizes.companies, sizes.seed)
    if Company.objects.filter(cvr__in=cvrs[:20]).exists():
        return {}
    plan = build_plan(sizes)
    companies = bulk(Company, [build_company(plan, cvr, m) for cvr, m in spread(plan, cvrs)])
    contacts = bulk(ContactPerson, build_contacts(plan, companies))
    founders = bulk(Founder, build_founders(plan, sizes.founders, companies))
    sessions = seed_sessions(plan, sizes.sessions, companies, founders)
    consents = seed_consents(plan, sessions)
    networks = seed_networks(plan, companies)
    projects = bulk(DevelopmentProject, build_projects(plan, sizes.projects, companies))
    enrolments = bulk(
        ProgrammeEnrolment, build_enrolments(plan, sizes.enrolments, companies, founders)
    )
    return {
        "companies": len(companies),
        "contact persons": len(contacts),
        "founders": len(founders),
        "guidance sessions": len(sessions),
        "consents": consents,
        "networks": networks,
        "development projects": len(projects),
        "programme enrolments": len(enrolments),
    }


def spread(plan: Plan, items: list) -> list[tuple[object, Municipality]]:
    """Pair every item with a municipality, weighted by population; each gets at least one."""
    weights = [TOWNS[m.code][0] for m in plan.municipalities]
    head = list(zip(items, plan.municipalities, strict=False))
    tail = [(item, plan.weighted(plan.municipalities, weights)) for item in items[len(head) :]]
    return head + tail


def town(plan: Plan, municipality: Municipality) -> tuple[str, str]:
    towns = TOWNS[municipality.code][1]
    return towns[0] if plan.rng.random() < 0.5 else plan.rng.choice(towns)


def company_name(plan: Plan, industry: IndustryCode, city: str) -> str:
    rng, trade = plan.rng, TRADES.get(industry.code[:2], "Handel")
    form = plan.weighted(*LEGAL_FORMS)
    draw = rng.random()
    if draw < 0.3:
        return plan.fake.company()
    if draw < 0.75:
        base = f"{plan.fake.last_name()} {trade}"
    elif draw < 0.9:
        base = f"{city.split(' ')[0]} {trade}"
    else:
        base = f"{rng.choice(INVENTED[0])}{rng.choice(INVENTED[1])}"
    return f"{base} {form}".strip()


def build_company(plan: Plan, cvr: str, municipality: Municipality) -> Company:
    rng, today = plan.rng, plan.today
    industry = plan.weighted(plan.industries, plan.industry_weights)
    postcode, city = town(plan, municipality)
    employees = None
    if rng.random() < 0.95:
        employees = rng.randint(*plan.weighted(*EMPLOYEES))
    if rng.random() < 0.2:  # new: under three years old
        started = today - datetime.timedelta(days=rng.randint(20, 3 * 365 - 5))
    else:
        started = today - datetime.timedelta(days=int(365 * rng.triangular(3, 60, 8)))
    company = Company(
        cvr=cvr,
        name=company_name(plan, industry, city),
        address=f"{plan.fake.street_name()} {rng.randint(1, 140)}",
        postcode=postcode,
        city=city,
        municipality=municipality,
        industry_code=industry,
        employees=employees,
        employees_known_on=today.replace(day=1) if employees else None,
        started_on=started,
        rural=municipality.pk in plan.rural and (city != TOWNS[municipality.code][1][0][1]),
    )
    if rng.random() < 0.35:
        company.segment = (
            Company.Segment.GROWTH if rng.random() < 0.3 else Company.Segment.OPERATIONS
        )
    if rng.random() < 0.12:
        company.growth_potential = plan.weighted("ABC", [2, 4, 4])
        company.growth_potential_set_by = plan.weighted(
            plan.staff[plan.hub.pk], plan.staff_weights[plan.hub.pk]
        )
        company.growth_potential_set_at = timezone.make_aware(
            datetime.datetime.combine(plan.date_within(365), datetime.time(10))
        )
    return validated(company)


def person(plan: Plan, sex: str | None = None) -> tuple[str, str]:
    sex = sex or plan.rng.choice("FM")
    first = plan.fake.first_name_male() if sex == "M" else plan.fake.first_name_female()
    return first, plan.fake.last_name()


def build_contacts(plan: Plan, companies: list[Company]) -> list[ContactPerson]:
    contacts = []
    for company in companies:
        count = plan.weighted([0, 1, 2], [15, 70, 15])
        for role in plan.rng.sample(ROLES, count):
            first, last = person(plan)
            domain = ascii_slug(company.name)[:20] or "firma"
            contacts.append(
                validated(
                    ContactPerson(
                        company=company,
                        name=f"{first} {last}",
                        role=role,
                        education=plan.rng.choice(EDUCATIONS),
                        phone=plan.fake.phone_number(),
                        email=f"{ascii_slug(first)}@{domain}.dk",
                    )
                )
            )
    return contacts


def demo_founder(number: str, **fields) -> Founder:
    """A founder built as ``crm.services.do_create_founder`` builds one (without its checks
    of the user's right and of duplicates, which the demo does in bulk)."""
    number = cpr.clean_cpr(number)
    return Founder(
        cpr_encrypted=cpr.encrypt(number),
        cpr_hash=cpr.lookup_hash(number),
        birth_date=cpr.birth_date(number),
        sex=cpr.sex(number),
        **fields,
    )


def founder_numbers(plan: Plan, count: int) -> list[tuple[str, str]]:
    """(CPR number, sex) of ``count`` founders aged 18-70, none already registered."""
    numbers: dict[str, str] = {}
    while len(numbers) < count:
        sex = plan.rng.choice("FFMMM")
        age_days = int(365 * plan.rng.triangular(18.05, 69.9, 32))
        born = plan.today - datetime.timedelta(days=age_days)
        numbers.setdefault(demo_cpr(plan.rng, born, sex), sex)
    taken = set(
        Founder.objects.filter(cpr_hash__in=[cpr.lookup_hash(n) for n in numbers]).values_list(
            "cpr_hash", flat=True
        )
    )
    return [(n, s) for n, s in numbers.items() if cpr.lookup_hash(n) not in taken]


def build_founders(plan: Plan, count: int, companies: list[Company]) -> list[Founder]:
    """Founders before start; about one in five has since started one of the new companies."""
    new = {}
    for company in companies:
        if company.is_new:
            new.setdefault(company.municipality_id, []).append(company)
    founders = []
    for (number, sex), municipality in spread(plan, founder_numbers(plan, count)):
        first, last = person(plan, sex)
        postcode, city = town(plan, municipality)
        founder = demo_founder(
            number,
            name=f"{first} {last}",
            address=f"{plan.fake.street_name()} {plan.rng.randint(1, 140)}",
            postcode=postcode,
            city=city,
            phone=plan.fake.phone_number(),
            email=f"{ascii_slug(first)}.{ascii_slug(last)}@{plan.fake.free_email_domain()}",
            education=plan.rng.choice(EDUCATIONS),
            municipality=municipality,
        )
        started = new.get(municipality.pk)
        if started and plan.rng.random() < 0.2:
            founder.company = started.pop()
            founder.company_started_on = founder.company.started_on
        founders.append(validated(founder))
    return founders


def seed_sessions(plan: Plan, count: int, companies: list, founders: list) -> list:
    """``count`` sessions over the last year, spread like the population; founders are
    weighted double, so they have about a sixth of them."""
    by_municipality: dict[int, list] = {}
    for subject in companies + founders * 2:
        by_municipality.setdefault(subject.municipality_id, []).append(subject)
    built = [
        build_session(plan, plan.rng.choice(by_municipality[m.pk]))
        for _, m in spread(plan, list(range(count)))
        if m.pk in by_municipality
    ]
    konsulent_follow_ups(plan, [session for session, _ in built])
    sessions = bulk(GuidanceSession, [session for session, _ in built])
    through = GuidanceSession.consultants.through
    rows = [
        through(guidancesession=s, user=u)
        for s, (_, team) in zip(sessions, built, strict=True)
        for u in team
    ]
    bulk(through, rows)
    return sessions


def build_session(plan: Plan, subject) -> tuple[GuidanceSession, list]:
    """One guidance and its consultants: mostly by the local business service, some
    specialised guidance by the hub (more often for companies with growth potential)."""
    rng = plan.rng
    is_company = isinstance(subject, Company)
    hub = is_company and rng.random() < (0.35 if subject.growth_potential else 0.1)
    operator = plan.hub if hub else plan.local[subject.municipality_id]
    staff, weights = plan.staff[operator.pk], plan.staff_weights[operator.pk]
    author = plan.weighted(staff, weights)
    full = hub or rng.random() < 0.7
    if is_company:
        themes = rng.sample(COMPANY_THEMES, rng.choice([1, 1, 2, 3]))
    else:
        themes = [Theme.START_UP, *rng.sample(FOUNDER_THEMES, rng.randint(0, 1))]
    session = GuidanceSession(
        company=subject if is_company else None,
        founder=None if is_company else subject,
        operator=operator,
        municipality_id=subject.municipality_id,
        date=plan.date_within(364, after=subject.started_on if is_company else None),
        tier=GuidanceSession.Tier.SPECIALISED if hub else GuidanceSession.Tier.LOCAL,
        channel=plan.weighted(
            GuidanceSession.Channel.values, HUB_CHANNELS if hub else LOCAL_CHANNELS
        ),
        kind=GuidanceSession.Kind.FULL if full else GuidanceSession.Kind.BRIEF,
        themes=themes,
        content=" ".join(
            [CONTENT[t] for t in themes] + [rng.choice(CLOSINGS if hub else LOCAL_CLOSINGS)]
        ),
        created_by=author,
    )
    set_hours(plan, session)
    if is_company and full and rng.random() < 0.2:
        session.screening_done = True
        session.screening_result = subject.growth_potential or rng.choice(["A", "B", "C", ""])
    if full and rng.random() < 0.4:
        follow_up = session.date + datetime.timedelta(days=rng.choice([14, 21, 30, 45, 60, 90]))
        # The older follow-ups have been done and cleared; the recent ones are still open.
        if follow_up >= plan.today - datetime.timedelta(days=21):
            session.follow_up_on = follow_up
    colleague = plan.weighted(staff, weights) if rng.random() < 0.15 else author
    return validated(session), list(dict.fromkeys([author, colleague]))


def set_hours(plan: Plan, session: GuidanceSession) -> None:
    """Planned 2 + 4 + 2 hours per guidance (seed 000); a brief contact takes minutes."""
    rng = plan.rng
    if session.kind == GuidanceSession.Kind.FULL:
        before, during, after = rng.choice("1222223"), rng.choice("2344456"), rng.choice("12223")
    else:
        before, during, after = "0", rng.choice(["0.5", "0.5", "1"]), rng.choice(["0", "0.5"])
    session.hours_before, session.hours_during, session.hours_after = (
        Decimal(before),
        Decimal(during),
        Decimal(after),
    )


def konsulent_follow_ups(plan: Plan, sessions: list[GuidanceSession]) -> None:
    """The demo consultant's latest full sessions get follow-ups from two weeks ago to a
    month ahead, so 'my follow-ups' has something due today."""
    mine = [
        s
        for s in sessions
        if s.created_by.username == "konsulent"
        and s.kind == GuidanceSession.Kind.FULL
        and s.date <= plan.today - datetime.timedelta(days=14)
    ]
    mine.sort(key=lambda s: s.date, reverse=True)
    for i, session in enumerate(mine[:KONSULENT_FOLLOW_UPS]):
        offset = -14 + i * 4  # -14, -10, ... +30 days
        session.follow_up_on = plan.today + datetime.timedelta(days=offset)


def seed_consents(plan: Plan, sessions: list[GuidanceSession]) -> int:
    """About a third of the guided companies consent to share, mostly with all operators."""
    rng, consents, named = plan.rng, [], []
    guided = {s.company_id: s for s in sessions if s.company_id}
    for session in guided.values():
        if rng.random() > 0.33:
            continue
        scope = Consent.Scope.ALL if rng.random() < 0.7 else Consent.Scope.NAMED
        given = plan.date_within(365)
        withdrawn = plan.date_within(365, after=given) if rng.random() < 0.05 else None
        consent = Consent(
            company_id=session.company_id,
            given_on=given,
            scope=scope,
            recorded_by=session.created_by,
            withdrawn_on=withdrawn,
        )
        consents.append(consent)
        if scope == Consent.Scope.NAMED:
            named.append((consent, [plan.local[session.municipality_id], plan.hub]))
    bulk(Consent, consents)
    through = Consent.operators.through
    bulk(through, [through(consent=c, operator=o) for c, ops in named for o in ops])
    return len(consents)


def seed_networks(plan: Plan, companies: list[Company]) -> int:
    """A business network in every municipality (seed 000), and two spanning several."""
    by_code = {m.code: m for m in plan.municipalities}
    members: dict[int, list[Company]] = {}
    for company in companies:
        members.setdefault(company.municipality_id, []).append(company)
    specs = [
        (f"Erfagruppe {m.name}", Network.Kind.ERFA, [m.code]) for m in plan.municipalities
    ] + SPANNING_NETWORKS
    networks, spans, joins = [], [], []
    for name, kind, codes in specs:
        home = by_code[codes[0]]
        network = Network(
            name=name, kind=kind, municipality=home, started_on=plan.date_within(6 * 365)
        )
        networks.append(network)
        spans += [(network, by_code[code]) for code in codes]
        pool = [c for code in codes for c in members.get(by_code[code].pk, [])]
        size = min(len(pool), plan.rng.randint(6, 18))
        joins += [(network, company) for company in plan.rng.sample(pool, size)]
    bulk(Network, networks)
    spans_through, members_through = Network.municipalities.through, Network.members.through
    bulk(spans_through, [spans_through(network=n, municipality=m) for n, m in spans])
    bulk(members_through, [members_through(network=n, company=c) for n, c in joins])
    return len(networks)


def build_projects(plan: Plan, count: int, companies: list[Company]) -> list:
    """Development projects, most in rural municipalities and seeking LAG funding."""
    rng, Status = plan.rng, DevelopmentProject.Status
    pool = [c for c in companies if c.municipality_id in plan.rural] or companies
    projects = []
    for company in rng.sample(pool, min(count, len(pool))):
        status = plan.weighted(Status.values, [30, 25, 25, 8, 12])
        applied = Decimal(rng.randrange(50_000, 1_500_000, 5_000))
        granted = None
        if status in (Status.GRANTED, Status.COMPLETED):
            granted = applied * Decimal(rng.choice(["0.5", "0.8", "1"]))
        project = validated(
            DevelopmentProject(
                company=company,
                municipality_id=company.municipality_id,
                title=rng.choice(PROJECT_TITLES),
                identified_on=plan.date_within(2 * 365),
                funding=plan.weighted(DevelopmentProject.Funding.values, [55, 20, 25]),
                application_help=rng.random() < 0.6,
                amount_applied=None if status == Status.IDENTIFIED else applied,
                amount_granted=granted,
                status=status,
            )
        )
        projects.append(project)
    return projects


def build_enrolments(plan: Plan, count: int, companies: list, founders: list) -> list:
    """Growth programmes: companies with a growth potential first, and some founders."""
    rng = plan.rng
    rated = [c for c in companies if c.growth_potential] or companies
    subjects = rng.sample(rated, min(len(rated), count * 4 // 5))
    subjects += rng.sample(founders, min(len(founders), count - len(subjects)))
    return [
        validated(
            ProgrammeEnrolment(
                company=s if isinstance(s, Company) else None,
                founder=s if isinstance(s, Founder) else None,
                municipality_id=s.municipality_id,
                programme=rng.choice(PROGRAMMES) if isinstance(s, Company) else FOUNDER_PROGRAMME,
                growth_level=getattr(s, "growth_potential", "") or rng.choice("ABC"),
                started_on=plan.date_within(365),
            )
        )
        for s in subjects
    ]
