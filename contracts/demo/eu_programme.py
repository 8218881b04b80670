"""Seed 004: an EU-funded programme (Möjligheternas Region, eight municipalities, 1 September
2015 - 31 December 2018, the Regional Fund), goal by goal as its final report lists the
indicators: companies supported (400) of which women (150), young (18-30) and foreign-born,
persons who started a company (300, of which women 125), persons given start-up advice (500)
and meetings with people with ideas (120), each breakdown a count of its own; and jobs
created (100), counted from the guided companies' full-time equivalents over the programme
(the growth from the year before each company's first guidance to 2018). Reporting every
half year, a participant list with each payment request (``report_shape`` "eu").

The programme's municipalities are Swedish; the demo holds it over eight municipalities of
Region Nordjylland run by their local business services, the business coaches
("affärscoacher") of the text."""

import datetime

from contracts.demo.agreements import LOCAL, contract, local_service, operator
from contracts.models import Contract
from crm.models import Municipality, Operator

D = datetime.date
EU_PROGRAMME = "EU-program: Mulighedernes Region 2015-2018 (Möjligheternas Region)"
EU_MUNICIPALITIES = [
    "Morsø",
    "Thisted",
    "Brønderslev",
    "Frederikshavn",
    "Vesthimmerlands",
    "Læsø",
    "Jammerbugt",
    "Hjørring",
]
BREAKDOWNS = [
    ("a", "women", "heraf kvinder", "Varav antal kvinnor"),
    ("b", "young", "heraf unge (18-30 år)", "Varav antal unga (18-30 år)"),
    ("c", "foreign_born", "heraf født i udlandet", "Varav antal utlandsfödda"),
]


def with_breakdowns(goal: dict, targets: dict, groups=("women", "young", "foreign_born")) -> list:
    """The goal and one goal per breakdown ("1a" women, "1b" young, "1c" foreign-born), each a
    count with the target the text gives (none where it gives none)."""
    goals = [goal]
    for letter, group, title, text in BREAKDOWNS:
        if group in groups:
            goals.append(
                {
                    **goal,
                    "number": goal["number"] + letter,
                    "title": f"{goal['title']}, {title}",
                    "text": text,
                    "params": {**goal.get("params", {}), "breakdown": group},
                    "target": targets.get(group),
                }
            )
    return goals


EU_GOALS = [
    *with_breakdowns(
        {
            "number": "1",
            "title": "Virksomheder der får støtte",
            "text": "Antal företag som får stöd: Mål: 400 stycken",
            "indicator": "companies_supported",
            "target": 400,
        },
        {"women": 150},
    ),
    *with_breakdowns(
        {
            "number": "2",
            "title": "Personer der har startet virksomhed",
            "text": "Antal personer som har startat företag: Mål: 300 stycken",
            "indicator": "persons_started_company",
            "target": 300,
        },
        {"women": 125},
    ),
    *with_breakdowns(
        {
            "number": "3",
            "title": "Personer der har fået iværksætterrådgivning (kurser og arrangementer)",
            "text": "Antal personer som fått nyföretagarrådgivning: Mål: 500 stycken",
            "indicator": "event_participants",
            "target": 500,
        },
        {},
        groups=("women", "young"),
    ),
    {
        "number": "4",
        "title": "Møder med personer med idéer",
        "text": "Antal möten med personer med idéer: Mål: 120st",
        "indicator": "sessions",
        "params": {"kind": "full", "subject": "founder"},
        "target": 120,
    },
    *with_breakdowns(
        {
            "number": "4p",
            "title": "Personer med idéer, der har fået vejledning",
            "text": "Andel av dem som är kvinnor / unga (18-30år) / utlandsfödda",
            "indicator": "founders_supported",
            "target": None,
        },
        {},
    ),
    {
        "number": "6",
        "title": "Nye virksomheder der får støtte (til og med tre år efter start)",
        "text": "Antal nya företag som får stöd: Mål: 300",
        "indicator": "companies_supported",
        "params": {"subject": "entrepreneur"},
        "target": 300,
    },
    {
        "number": "5",
        "title": "Nye arbejdspladser i virksomheder der får støtte",
        "text": "Sysselsättningsökning i företag som får stöd: Mål: 100 stycken",
        "indicator": "jobs_created",
        # over the programme: each company's growth in FTE from the year before its first
        # guidance in the period (its employment before the support) to 2018
        "params": {"whole_period": True},
        "target": 100,
    },
]
for _goal in EU_GOALS:
    _goal["measures"] = LOCAL  # the local business coaches of the eight municipalities


def eu_programme_2015(municipalities=None) -> Contract:
    """Seed 004's programme over ``municipalities`` (the demo's eight), once."""
    if municipalities is None:
        municipalities = Municipality.objects.filter(name__in=EU_MUNICIPALITIES)
    owner = operator("Mulighedernes Region (EU-projekt)", Operator.Kind.PROGRAMME, municipalities)
    return contract(
        EU_PROGRAMME,
        EU_GOALS,
        kind=Contract.Kind.PROGRAMME,
        starts_on=D(2015, 9, 1),
        ends_on=D(2018, 12, 31),
        status=Contract.Status.CLOSED,
        report_shape="eu",
        source="Seed 004: Läges- och slutrapport, Möjligheternas Region (ERUF) 2015-2018",
        parties=[owner, *(local_service(m) for m in municipalities)],
        municipalities=municipalities,
        oversight=owner,
    )
