"""The three agreements of the source documents, with their goals: the rural programme of Region
Midtjylland 2010-2012 (seed 000), the Viborg cooperation agreement 2014 (seed 001) and the KKR
Syddanmark performance contract 2022 (seed 002)."""

import datetime
from decimal import Decimal

from contracts.models import BudgetLine, Contract, Goal, PaymentRule
from crm.models import Operator
from crm.services import do_set_operator_municipalities

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
