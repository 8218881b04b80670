"""Demo events and group activities: in every municipality a course or meeting held in the last
year, with companies, founders and persons without CVR or CPR, most of them marked present, and
one coming up with its registrations only."""

import datetime

from crm.demo.identifiers import ascii_slug
from crm.demo.plan import Plan, bulk, validated
from crm.models import Company, Event, EventParticipant, Founder

# (kind, title, themes)
EVENTS = [
    (Event.Kind.COURSE, "Start egen virksomhed", ["start_up"]),
    (Event.Kind.WORKSHOP, "Digital markedsføring for små virksomheder", ["digital"]),
    (Event.Kind.NETWORK, "Netværksmøde: grøn omstilling", ["green"]),
    (Event.Kind.INFORMATION, "Informationsmøde om eksport", ["export"]),
    (Event.Kind.COURSE, "Økonomi og budget for iværksættere", ["start_up", "financing"]),
]
PLACES = ["Rådhuset", "Biblioteket", "Erhvervshuset", "Innovationshuset", "Kulturhuset"]


def seed_events(plan: Plan, companies: list[Company], founders: list[Founder]) -> tuple[int, int]:
    """Two events per municipality, run by its local business service. Returns how many
    events and participants were created."""
    companies_in, founders_in = by_municipality(companies), by_municipality(founders)
    events, participants = [], []
    for municipality in plan.municipalities:
        local = plan.local[municipality.pk]
        for upcoming in (False, True):
            kind, title, themes = plan.rng.choice(EVENTS)
            day = (
                plan.today + datetime.timedelta(days=plan.rng.randint(7, 60))
                if upcoming
                else plan.date_within(365)
            )
            event = validated(
                Event(
                    title=title,
                    kind=kind,
                    date=day,
                    place=f"{plan.rng.choice(PLACES)}, {municipality.name}",
                    municipality=municipality,
                    operator=local,
                    themes=themes,
                    hours=plan.rng.choice([2, 3, 4, 6]),
                    created_by=plan.staff[local.pk][0],
                )
            )
            events.append(event)
            participants += [
                (event, who, None if upcoming else plan.rng.random() < 0.8)
                for who in attendees(plan, companies_in, founders_in, municipality)
            ]
    bulk(Event, events)
    rows = [
        EventParticipant(
            event=event,
            municipality=event.municipality,
            attended=attended,
            registered_by=event.created_by,
            **who,
        )
        for event, who, attended in participants
    ]
    return len(events), len(bulk(EventParticipant, rows))


def by_municipality(records: list) -> dict[int, list]:
    found: dict[int, list] = {}
    for record in records:
        found.setdefault(record.municipality_id, []).append(record)
    return found


def attendees(plan: Plan, companies_in: dict, founders_in: dict, municipality) -> list[dict]:
    """A few companies and founders of the municipality and a few persons with neither."""
    rng = plan.rng
    companies = companies_in.get(municipality.pk, [])
    founders = founders_in.get(municipality.pk, [])
    chosen = [{"company": c} for c in rng.sample(companies, min(len(companies), rng.randint(2, 6)))]
    chosen += [{"founder": f} for f in rng.sample(founders, min(len(founders), rng.randint(0, 2)))]
    for _ in range(rng.randint(1, 4)):
        name = plan.fake.name()
        email = f"{ascii_slug(name)}@example.dk" if rng.random() < 0.7 else ""
        chosen.append({"name": name, "email": email})
    return chosen
