"""The three agreements of the source documents, goal by goal as their texts say: the rural
programme of Region Midtjylland 2010-2012 (seed 000), the Viborg cooperation agreement 2014
(seed 001) and the KKR Syddanmark performance contract 2022 (seed 002). Each goal quotes its
clause and measures the party the text names; no target is given that the text does not give.

Two current contracts (the Viborg agreement and the national goals of a performance contract
between KKR Midtjylland and Erhvervshus Midtjylland) run over the demo's own year, so every
role sees numbers in ``make run``."""

import datetime
from decimal import Decimal

from contracts.models import BudgetLine, Contract, Goal, PaymentRule
from crm.demo.operators import local_service_name
from crm.models import Municipality, Operator
from crm.services import do_set_operator_municipalities

D = datetime.date
LOCAL, HUB = Operator.Kind.LOCAL, Operator.Kind.HUB
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


def local_service(municipality: Municipality) -> Operator:
    """The municipality's local business service (the demo's, or one made for it)."""
    existing = Operator.objects.filter(kind=LOCAL, municipalities=municipality).first()
    return existing or operator(local_service_name(municipality), LOCAL, [municipality])


def contract(title: str, goals: list[dict], **fields) -> Contract:
    parties = fields.pop("parties")
    municipalities = fields.pop("municipalities")
    obj, created = Contract.objects.get_or_create(title=title, defaults=fields)
    if created:
        obj.parties.set(parties)
        obj.municipalities.set(municipalities)
        Goal.objects.bulk_create(Goal(contract=obj, **goal) for goal in goals)
    return obj


def budget(obj: Contract, lines: list[tuple[str, str, int]]) -> None:
    if not obj.budget_lines.exists():
        BudgetLine.objects.bulk_create(
            BudgetLine(contract=obj, side=side, name=name, amount=amount)
            for side, name, amount in lines
        )


# --- Seed 000 ------------------------------------------------------------------------------

PROGRAMME_GOALS = [
    {
        "number": "1",
        "title": "Kontakt med mikrovirksomheder i landdistrikterne",
        "text": "Kontakt med 4.000 mindre virksomheder i landdistrikterne. (Målgruppen: "
        "mikrovirksomheder, 1-10 ansatte, beliggende i landdistrikterne eller i byer med op "
        "til 3.000 indbyggere.)",
        "indicator": "companies_contacted",
        "params": {"micro": True, "rural": True},
        "target": 4000,
    },
    {
        "number": "2",
        "title": "Vejledningsbesøg",
        "text": "Gennemførelse af 1.000 vejledningsbesøg (virksomhedsvejledninger i "
        "målgruppen af etablerede iværksættere og mikrovirksomheder)",
        "indicator": "sessions",
        "params": {"kind": "full", "subject": "company"},
        "target": 1000,
    },
    {
        "number": "3",
        "title": "Kontakter mellem virksomheder og ekstern viden",
        "text": "Skabe 200 kontakter mellem virksomheder og ekstern viden",
        "indicator": "referrals",
        "params": {"target": "adviser"},
        "target": 200,
    },
    {
        "number": "4",
        "title": "Henvisninger til Væksthus Midtjylland",
        "text": "Henvisning af 50 vækstvirksomheder/-iværksættere til Væksthus Midtjylland",
        "indicator": "referrals",
        "params": {"target": "home_hub"},
        "target": 50,
    },
    {
        "number": "5",
        "title": "Virksomheder hjulpet til at søge LAG-midler",
        "text": "Hjælpe 2 virksomheder pr. kommune med at ansøge om udviklingsfinansiering fra LAG",
        "indicator": "projects",
        "params": {"funding": "lag", "application_help": True, "distinct_companies": True},
        "target": 2,
        "per_municipality": True,
        "every_municipality": True,
    },
    {
        "number": "6",
        "title": "Virksomhedsnetværk i alle kommuner",
        "text": "Oprettelse af virksomhedsnetværk i alle kommuner – gerne tværkommunale",
        "indicator": "networks",
        "target": 1,
        "per_municipality": True,
        "every_municipality": True,
    },
    {
        "number": "7",
        "title": "Nye kommunikationsinitiativer",
        "text": "Udvikling af 5 nye kommunikationsinitiativer der kan understøtte den "
        "fremtidige indsats",
        "is_milestone": True,
    },
    {
        "number": "8",
        "title": "Udviklingsprojekter identificeret",
        "text": "Det forventes, at der gennemsnitligt identificeres 10 udviklingsprojekter "
        "pr. kommune",
        "indicator": "projects",
        "target": 10,
        "per_municipality": True,
    },
]
# "Indsatsen skal gennemføres af de lokale erhvervsserviceoperatører": every goal measures the
# local services among the parties.
for _goal in PROGRAMME_GOALS:
    _goal["measures"] = LOCAL

EXPENSE, FINANCING = BudgetLine.Side.EXPENSE, BudgetLine.Side.FINANCING
PROGRAMME_BUDGET = [
    (EXPENSE, "Operatør: udvikling, drift og evaluering", 650_000),
    (EXPENSE, "Operatør: kommunikation", 130_000),
    (EXPENSE, "Vejledningsindsats (1.000 virksomheder á 8 timer x 500 kr.)", 4_000_000),
    (EXPENSE, "Netværksdannelse (13 x 30.000 kr.)", 390_000),
    (
        EXPENSE,
        "Vejledning, udviklingsprojekter (13 x 10 virksomheder á 8 timer x 500 kr.)",
        520_000,
    ),
    (EXPENSE, "Projektskrivning, udviklingsprojekter (13 x 2 virksomheder á 15.000 kr.)", 390_000),
    (EXPENSE, "Videnopsamling og evaluering", 530_000),
    (EXPENSE, "Nye kommunikationsinitiativer (13 x 30.000 kr.)", 390_000),
    (FINANCING, "Region Midtjylland", 3_500_000),
    (FINANCING, "Kommunerne", 3_500_000),
]


def programme_2010(municipalities) -> Contract:
    region = operator("Region Midtjylland", Operator.Kind.PROGRAMME, municipalities)
    obj = contract(
        "Landdistriktsprogram Region Midtjylland 2010-2012",
        PROGRAMME_GOALS,
        kind=Contract.Kind.PROGRAMME,
        starts_on=D(2010, 4, 1),
        ends_on=D(2012, 3, 31),
        status=Contract.Status.CLOSED,
        budget=Decimal(7_000_000),
        hourly_rate=Decimal(500),
        source="Seed 000: programkontrakt, Region Midtjylland 2010-2012",
        parties=[region, *(local_service(m) for m in municipalities)],
        municipalities=municipalities,
        oversight=region,
    )
    budget(obj, PROGRAMME_BUDGET)
    return obj


# --- Seed 001 ------------------------------------------------------------------------------


def cooperation_goals() -> list[dict]:
    """Seed 001, B) Aktivitetsdel §1 and A) §7: "iværksættere" are founders before start and
    companies up to three years after ("før start – indtil tre år"); "virksomheder" the
    others."""
    goals = []
    for number, tier, measures, target, where in [
        ("1", "local", LOCAL, 200, "lokal erhvervsservice"),
        ("2", "specialised", HUB, 12, "specialiseret erhvervsservice"),
    ]:
        goals += [
            {
                "number": f"{number}a",
                "title": f"Vejledte iværksættere i {where}",
                "text": f"Vejledte iværksættere i {where}: {target} (mål for antal "
                "iværksættere, før start – indtil tre år)",
                "indicator": "subjects_guided",
                "params": {"subject": "entrepreneur", "tier": tier},
                "measures": measures,
                "target": target,
            },
            {
                "number": f"{number}b",
                "title": f"Vejledte virksomheder i {where}",
                "text": f"Vejledte virksomheder i {where}: {target} (mål for antal virksomheder)",
                "indicator": "subjects_guided",
                "params": {"subject": "established", "tier": tier},
                "measures": measures,
                "target": target,
            },
        ]
    for level in "ABC":
        for letter, subject, target, who in [
            ("i", "entrepreneur", 3, "iværksættere"),
            ("v", "established", 5, "virksomheder"),
        ]:
            goals.append(
                {
                    "number": f"3{level}{letter}",
                    "title": f"Vækstforløb for {who} på {level}-niveau",
                    "text": f"Medfinansiering til vækst (regionale programmer): vækstforløb "
                    f"for iværksættere/virksomheder på {level}-vækstpotentialeniveau: "
                    f"{target} {who}",
                    "indicator": "enrolments",
                    "params": {"growth_level": level, "subject": subject},
                    "target": target,
                }
            )
    goals += [
        {
            "number": "4",
            "title": "Nye arbejdspladser",
            "text": "Der fastsættes et måltal på 275 årlige arbejdspladser for Væksthus "
            "Midtjylland og VIBORGegnens Erhvervsråd.",
            "target": 275,
            "external_source": "Indberettes fra virksomhedernes regnskaber (ikke i CRM'et)",
        },
        {
            "number": "5",
            "title": "Tilfredse eller meget tilfredse brugere",
            "text": "Mere end 80% af vejledte iværksættere og eksisterende virksomheder med "
            "vækstambitioner skal være tilfredse eller meget tilfredse",
            "indicator": "satisfaction_share",
            "target_kind": "share",
            "target": 80,
            "strict": True,
            "params": {"answers": ["very", "satisfied"], "growth_ambitions": True},
        },
    ]
    return goals


COOPERATION_BUDGET = [
    (EXPENSE, "200 registrerede vejledte iværksættere á op til kr. 500", 100_000),
    (EXPENSE, "12 screenede/visiterede iværksættere á op til kr. 2.500", 30_000),
    (EXPENSE, "12 screenede/visiterede virksomheder á op til kr. 2.500", 30_000),
]


def cooperation_agreement(viborg, title: str, starts_on, ends_on, status, source) -> Contract:
    """Viborg Kommune, Viborgegnens Erhvervsråd and the hub (Væksthus, now Erhvervshus
    Midtjylland), with the honoraria of §8."""
    kommune = operator("Viborg Kommune", Operator.Kind.OVERSIGHT, [viborg])
    obj = contract(
        title,
        cooperation_goals(),
        kind=Contract.Kind.COOPERATION,
        starts_on=starts_on,
        ends_on=ends_on,
        status=status,
        source=source,
        parties=[local_service(viborg), Operator.objects.get(name="Erhvervshus Midtjylland")],
        municipalities=[viborg],
        oversight=kommune,
    )
    for kind, amount in [(PaymentRule.Kind.FOUNDER, 500), (PaymentRule.Kind.GROWTH_REFERRAL, 2500)]:
        PaymentRule.objects.get_or_create(contract=obj, kind=kind, defaults={"amount": amount})
    budget(obj, COOPERATION_BUDGET)
    return obj


def viborg_2014(viborg) -> Contract:
    return cooperation_agreement(
        viborg,
        "Samarbejdsaftale om erhvervsservice, Viborg 2014",
        D(2014, 1, 1),
        D(2014, 12, 31),
        Contract.Status.CLOSED,
        "Seed 001: samarbejdsaftale Viborg Kommune, Viborgegnens Erhvervsråd og Væksthus "
        "Midtjylland 2014",
    )


# --- Seed 002 ------------------------------------------------------------------------------


def share(goal: dict) -> dict:
    return {"target_kind": "share", "measures": HUB, **goal}


def national_goals() -> list[dict]:
    """Seed 002's national goals 1-7 ("ens for alle seks erhvervshuse"): each measures the
    contract's hub."""
    return [
        share(
            {
                "number": "1",
                "title": "Nye vejledte virksomheder",
                "indicator": "new_companies_share",
                "target": 50,
                "text": "Mindst 50 pct. af de vejledte virksomheder skal være nye i forhold til "
                "de virksomheder, der modtog vejledning fra erhvervshuset året før.",
            }
        ),
        {
            "number": "1b",
            "title": "Kendskabsgrad",
            "text": "Der måles ikke kendskabsgrad i 2022 ... I 2023 skal kendskabsgraden for "
            "hvert erhvervshus være mindst 50 pct.",
            "external_source": "Erhvervsstyrelsens kendskabsmåling (ikke målt i 2022)",
        },
        {
            "number": "2",
            "title": "Bred geografisk spredning",
            "text": "Der skal sikres en geografisk spredning blandt de virksomheder det "
            "enkelte erhvervshus hjælper. Målet fastsættes nærmere under de lokale mål.",
            "indicator": "companies_guided",
            "measures": HUB,
            "comment": "Målet pr. kommune sættes lokalt (hensigtserklæringerne).",
        },
        share(
            {
                "number": "3a",
                "title": "Meget tilfredse, driftssegment",
                "text": "Mindst 80 pct. af de vejlede virksomheder angiver i "
                "brugerevalueringen, at de er 'Meget tilfredse' med erhvervshusmedarbejderens "
                "faglige kompetencer. Målet skal være opfyldt for hvert af erhvervshusenes "
                "drifts- og vækstsegmenter.",
                "indicator": "satisfaction_share",
                "params": {"segment": "operations"},
                "target": 80,
            }
        ),
        share(
            {
                "number": "3b",
                "title": "Meget tilfredse, vækstsegment",
                "text": "Mindst 80 pct. ... 'Meget tilfredse' ... (vækstsegmentet)",
                "indicator": "satisfaction_share",
                "params": {"segment": "growth"},
                "target": 80,
            }
        ),
        {
            "number": "3c",
            "title": "NPS, driftssegment",
            "text": "Erhvervshusene opnår hvert år en Net Promotor Score (NPS) på mindst 70 "
            "for hhv. deres drifts- og vækstsegment.",
            "indicator": "nps",
            "params": {"segment": "operations"},
            "target_kind": "nps",
            "measures": HUB,
            "target": 70,
        },
        {
            "number": "3d",
            "title": "NPS, vækstsegment",
            "text": "... NPS på mindst 70 for ... vækstsegment.",
            "indicator": "nps",
            "params": {"segment": "growth"},
            "target_kind": "nps",
            "measures": HUB,
            "target": 70,
        },
        share(
            {
                "number": "4",
                "title": "Henviste virksomheder der har brugt rådgivningen",
                "text": "I 2022 angiver mindst 45 pct. af de henviste virksomheder, at de har "
                "benyttet den eksterne rådgivning eller vejledning efter henvisning fra "
                "erhvervshuset. ... Virksomheder, der ikke ved, om de har benyttet "
                "henvisningen, udgår af beregningen.",
                "indicator": "uptake_share",
                "target": 45,
            }
        ),
        share(
            {
                "number": "5",
                "title": "Positiv effekt: grøn omstilling og cirkulær økonomi",
                "text": "I 2022 og 2023 vurderer 70 % af de virksomheder der har modtaget "
                "vejledning inden for bæredygtighed, grøn omstilling og cirkulær økonomi, at "
                "vejledningen 'I høj grad' forventes at have en positiv effekt.",
                "indicator": "effect_share",
                "params": {"themes": ["green"]},
                "target": 70,
            }
        ),
        {
            "number": "5b",
            "title": "Kendskab til ydelser i grøn omstilling",
            "text": "For Erhvervshus Sydjylland skal virksomhedernes kendskab til "
            "erhvervshuset i efteråret 2021 være 73 pct. og i 2023 skal den være steget med "
            "yderligere 5 procentpoint.",
            "target_kind": "share",
            "target": 73,
            "external_source": "Erhvervsstyrelsens spørgeskemaundersøgelse (efteråret 2021)",
        },
        share(
            {
                "number": "6a",
                "title": "Positiv effekt af vejledningen",
                "text": "I 2022 og 2023 vurderer 70 pct. af de virksomheder, der har modtaget "
                "hjælp i erhvervshusene, at vejledningen 'I høj grad' forventes at have en "
                "positiv effekt for virksomheden.",
                "indicator": "effect_share",
                "target": 70,
            }
        ),
        {
            "number": "6b",
            "title": "Vækstsegmentet: mervækst i omsætning mod kontrolgruppe (procentpoint)",
            "text": "For virksomheder i erhvervshusenes vækstsegment skal der to år efter endt "
            "vejledning kunne måles en mervækst på mindst 10 procentpoint i omsætning ... i "
            "forhold til en kontrolgruppe af sammenlignelige virksomheder.",
            "target": 10,
            "external_source": "Erhvervsstyrelsens effektmåling to år efter vejledningen",
        },
        {
            "number": "6c",
            "title": "Vækstsegmentet: mervækst i beskæftigelse mod kontrolgruppe (procentpoint)",
            "text": "... og mindst 5 procentpoint i beskæftigelse i forhold til en "
            "kontrolgruppe af sammenlignelige virksomheder.",
            "target": 5,
            "external_source": "Erhvervsstyrelsens effektmåling to år efter vejledningen",
        },
        {
            "number": "6d",
            "title": "Driftssegmentet: øget produktivitet mod kontrolgruppe (procentpoint)",
            "text": "Virksomheder i erhvervshusenes driftssegment har to år efter endt "
            "vejledning en øget produktivitet sammenlignet med en kontrolgruppe af "
            "sammenlignelige virksomheder. I beregningen måles væksten i virksomhedernes "
            "omsætning per årsværk.",
            "target": 0,
            "strict": True,
            "external_source": "Erhvervsstyrelsens effektmåling (omsætning pr. årsværk)",
        },
        share(
            {
                "number": "7",
                "title": "Positiv effekt: digitalisering og nye teknologier",
                "text": "I 2022 og 2023 vurderer 70 pct. af de virksomheder, der har modtaget "
                "vejledning indenfor digitalisering og brug af nye teknologier, at "
                "vejledningen 'I høj grad' forventes at have en positiv effekt.",
                "indicator": "effect_share",
                "params": {"themes": ["digital"]},
                "target": 70,
            }
        ),
    ]


def syddanmark_local_goals() -> list[dict]:
    """Seed 002's local goals 8-9 (KKR Syddanmark and Erhvervshus Sydjylland)."""
    return [
        {
            "number": "8a",
            "title": "Teams for grøn omstilling, eksport og digitalisering",
            "text": "For ledestjernerne Grøn omstilling, Eksport og Digitalisering blev der i "
            "2021 etableret tre teams, som hver især er specialiseret inden for de enkelte "
            "ledestjerner.",
            "is_milestone": True,
        },
        {
            "number": "8b",
            "title": "Koordinator for kompetent arbejdskraft",
            "text": "For ledestjernen Kompetent arbejdskraft er der udpeget en medarbejder i "
            "Erhvervshus Syddanmark, som koordinerer vores indsats på området. Der vil blive "
            "udarbejdet samarbejdsaftaler med relevante samarbejdspartnere inden for området.",
            "is_milestone": True,
        },
        {
            "number": "8c",
            "title": "Henvisninger til designøkosystemet",
            "text": "Vi måler på antal henvisning til design økosystemet i 2022",
            "indicator": "referrals",
            "params": {"target": "design"},
            "measures": HUB,
        },
        {
            "number": "8d",
            "title": "Vejledte virksomheder i landdistriktskommuner",
            "text": "Målsætningen om bred geografisk spredning skal sikre, at der er lige "
            "adgang til vejledning for virksomheder i land og by. Målet skal tage hensyn til "
            "opdelingen af landdistriktskommuner og bykommuner (bilag 1 i rammeaftalen).",
            "indicator": "rural_share",
            "target_kind": "share",
            "measures": HUB,
            "comment": "Kommunernes land/by-opdeling (bilag 1 i rammeaftalen) sættes af en "
            "administrator.",
        },
        {
            "number": "9",
            "title": "Samarbejdsaftaler med alle nationale klynger",
            "text": "I 2022 vil Erhvervshus Sydjylland indgå på ny/fortsætte på indgåede "
            "samarbejdsaftaler med alle de nationale klynger.",
            "is_milestone": True,
        },
    ]


def syddanmark_2022() -> Contract:
    hub = Operator.objects.get(name="Erhvervshus Sydjylland")
    municipalities = list(hub.municipalities.all())
    kkr = operator("KKR Syddanmark", Operator.Kind.OVERSIGHT, municipalities)
    return contract(
        "Resultatkontrakt 2022, KKR Syddanmark og Erhvervshus Sydjylland",
        national_goals() + syddanmark_local_goals(),
        kind=Contract.Kind.PERFORMANCE,
        starts_on=D(2022, 1, 1),
        ends_on=D(2022, 12, 31),
        status=Contract.Status.ACTIVE,
        source="Seed 002: resultatkontrakt 2022",
        parties=[hub],
        municipalities=municipalities,
        oversight=kkr,
    )


# --- The demo's current contracts ---------------------------------------------------------


def current_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Twelve months that began ten months before this month: they hold most of the demo's
    year of activity and are still running."""
    month = today.year * 12 + today.month - 1 - 10
    start = D(month // 12, month % 12 + 1, 1)
    return start, D(start.year + 1, start.month, 1) - datetime.timedelta(days=1)


def current_contracts(today: datetime.date) -> list[Contract]:
    start, end = current_period(today)
    viborg = Municipality.objects.get(name="Viborg")
    cooperation = cooperation_agreement(
        viborg,
        f"Samarbejdsaftale om erhvervsservice, Viborg {start:%m.%Y}-{end:%m.%Y} (demo)",
        start,
        end,
        Contract.Status.ACTIVE,
        "Demo: seed 001's mål for indeværende periode",
    )
    hub = Operator.objects.get(name="Erhvervshus Midtjylland")
    region = list(hub.municipalities.all())
    kkr = operator("KKR Midtjylland", Operator.Kind.OVERSIGHT, region)
    performance = contract(
        f"Resultatkontrakt {start:%m.%Y}-{end:%m.%Y}, KKR Midtjylland og Erhvervshus "
        "Midtjylland (demo)",
        national_goals(),
        kind=Contract.Kind.PERFORMANCE,
        starts_on=start,
        ends_on=end,
        status=Contract.Status.ACTIVE,
        source="Demo: seed 002's nationale mål for indeværende periode",
        parties=[hub],
        municipalities=region,
        oversight=kkr,
    )
    return [cooperation, performance]
