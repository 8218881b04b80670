"""Beyond guidance: business networks, development projects and growth programmes."""

from decimal import Decimal

from crm.demo.plan import Plan, bulk, validated
from crm.demo.vocabulary import (
    FOUNDER_PROGRAMME,
    PROGRAMMES,
    PROJECT_TITLES,
    SPANNING_NETWORKS,
)
from crm.models import Company, DevelopmentProject, Founder, Network, ProgrammeEnrolment


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
            name=name,
            kind=kind,
            municipality=home,
            started_on=plan.date_within(6 * 365),
            operator=plan.local[home.pk],
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
                operator=plan.local[company.municipality_id],
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
    """Growth programmes (run by the hub, seed 001 §6): companies with a growth potential
    first, and some founders."""
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
                operator=plan.hub,
                programme=rng.choice(PROGRAMMES) if isinstance(s, Company) else FOUNDER_PROGRAMME,
                growth_level=getattr(s, "growth_potential", "") or rng.choice("ABC"),
                started_on=plan.date_within(365),
            )
        )
        for s in subjects
    ]
