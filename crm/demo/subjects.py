"""The subjects of guidance: companies with their contact persons, and founders."""

import datetime

from django.utils import timezone

from crm import cpr
from crm.demo.identifiers import ascii_slug, demo_cpr
from crm.demo.plan import Plan, spread, town, validated
from crm.demo.vocabulary import EDUCATIONS, EMPLOYEES, INVENTED, LEGAL_FORMS, ROLES, TOWNS, TRADES
from crm.models import Company, ContactPerson, Founder, IndustryCode, Municipality


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
                        # Every third said yes to the own user survey (no random draw, so
                        # the rest of the demo stays as it was).
                        survey_consent=len(contacts) % 3 == 0,
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
            survey_consent=len(founders) % 4 == 0,  # the own user survey (no random draw)
        )
        started = new.get(municipality.pk)
        if started and plan.rng.random() < 0.2:
            founder.company = started.pop()
            founder.company_started_on = founder.company.started_on
        founders.append(validated(founder))
    return founders
