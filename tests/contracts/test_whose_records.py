"""Whose records a goal counts (DOMAIN: "Records of other hubs, other local services or
non-parties never count, even in the same municipalities"), generated over the whole
indicator catalogue, not hand-listed; and a goal narrowed with ``Goal.measures`` counts only
that kind among the contract's parties.

The record builders at the top (``Records``) are shared by the seed contract tests
(test_seed_000/001/002): they write the rows directly, as the CRM's services would store
them, so every test states exactly which operator did what, where and when.
"""

import datetime
import inspect
import itertools
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings

from contracts.indicators import CATALOGUE, PARAMETERS, Period, compute
from contracts.models import Contract, Evaluation, Goal, Snapshot
from contracts.services import compute_attainment
from crm import cpr, impact
from crm.models import (
    Company,
    Event,
    EventParticipant,
    Founder,
    GuidanceSession,
    Municipality,
    Network,
    Operator,
)
from crm.models.guidance import DevelopmentProject, ProgrammeEnrolment
from crm.reference import load_reference_data
from referrals.models import Adviser, Referral
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date
TOTAL = "I alt"
MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"

# --- Record builders (shared by the seed contract tests) -----------------------------------

_cvr_numbers = itertools.count(30_000_001)  # the CVR check digit is a form rule, not the model's
_cpr_serials = itertools.count(1000)
BORN = D(1990, 1, 1)


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


def adviser(kind: str) -> Adviser:
    """One external adviser of each kind (Adviser.Kind: private, knowledge, company, cluster,
    design, funding)."""
    return Adviser.objects.get_or_create(name=f"Rådgiver ({kind})", defaults={"kind": kind})[0]


def operator(name: str, kind: str) -> Operator:
    return Operator.objects.get_or_create(name=name, defaults={"kind": kind})[0]


def hub(name: str) -> Operator:
    """A hub of the reference data (Erhvervshus Midtjylland, Nordjylland, Sydjylland, Fyn...)."""
    return Operator.objects.get(name=f"Erhvervshus {name}", kind=Operator.Kind.HUB)


def municipality(name: str) -> Municipality:
    return Municipality.objects.get(name=name)


class Records:
    """Builds the rows the indicators read, each by a named operator on a given day."""

    TIERS = {Operator.Kind.HUB: "specialised", Operator.Kind.FOCUSED: "focused"}

    def __init__(self):
        self.user = UserFactory()

    def company(self, where: Municipality, name: str = "", **fields) -> Company:
        cvr = str(next(_cvr_numbers))
        return Company.objects.create(
            cvr=cvr, name=name or f"Virksomhed {cvr}", municipality=where, **fields
        )

    def founder(
        self, where: Municipality, name: str = "", *, born=BORN, female=False, **fields
    ) -> Founder:
        serial = next(_cpr_serials) * 2 + (0 if female else 1)  # odd last digit: a man
        number = f"{born:%d%m%y}{serial:04d}"  # 7th digit 0-3: born in the 1900s
        return Founder.objects.create(
            cpr_encrypted=cpr.encrypt(number),
            cpr_hash=cpr.lookup_hash(number),
            birth_date=cpr.birth_date(number),
            sex=cpr.sex(number),
            name=name or f"Iværksætter {serial}",
            municipality=where,
            **fields,
        )

    @staticmethod
    def subject(subject) -> dict:
        return {"company": subject} if isinstance(subject, Company) else {"founder": subject}

    def session(self, by: Operator, subject, day, *, kind="full", **fields) -> GuidanceSession:
        """A guidance session (kind full) or a brief contact (kind brief) in the subject's
        municipality, at the operator's tier unless given."""
        fields = {
            "tier": self.TIERS.get(by.kind, "local"),
            "channel": "visit",
            "municipality": subject.municipality,
            **fields,
        }
        return GuidanceSession.objects.create(
            **self.subject(subject),
            operator=by,
            date=day,
            kind=kind,
            created_by=self.user,
            **fields,
        )

    def referral(self, by: Operator, subject, day, *, to, uptake="", answered=None, **fields):
        """A referral sent by ``by`` on ``day`` to an operator or an external adviser, with
        the company's uptake answer recorded on ``answered``."""
        target = {"target_operator": to} if isinstance(to, Operator) else {"target_adviser": to}
        if uptake:
            fields |= {"uptake_source": "evaluation", "uptake_recorded_at": noon(answered or day)}
        return Referral.objects.create(
            **self.subject(subject),
            **target,
            municipality=fields.pop("municipality", subject.municipality),
            sender_operator=by,
            sent_by=self.user,
            reason="Henvisning",
            sent_at=noon(day),
            uptake=uptake,
            **fields,
        )

    def evaluation(self, about: Operator, subject, day, **answers) -> Evaluation:
        """An answer in the user evaluation about ``about``'s guidance."""
        return Evaluation.objects.create(
            **self.subject(subject),
            operator=about,
            municipality=answers.pop("municipality", subject.municipality),
            answered_on=day,
            **answers,
        )

    def network(self, by: Operator, where: Municipality, day, *, spans=(), members=()):
        network = Network.objects.create(
            name=f"Netværk {Network.objects.count() + 1}",
            kind="erfa",
            municipality=where,
            started_on=day,
            operator=by,
        )
        network.municipalities.set(spans)
        network.members.set(members)
        return network

    def project(self, by: Operator, company: Company, day, **fields) -> DevelopmentProject:
        fields = {"funding": "other", **fields}
        return DevelopmentProject.objects.create(
            company=company,
            municipality=company.municipality,
            title="Udviklingsprojekt",
            identified_on=day,
            operator=by,
            **fields,
        )

    def event(self, by: Operator, where: Municipality, day, *, came=(), email="") -> Event:
        """A course ``by`` held in ``where`` on ``day``: the companies and founders that
        ``came``, and a person without CVR or CPR (``email``) if given."""
        event = Event.objects.create(
            title="Kursus",
            kind="course",
            date=day,
            place="Rådhuset",
            municipality=where,
            operator=by,
            themes=["start_up"],
            hours=3,
            created_by=self.user,
        )
        people = [self.subject(subject) for subject in came]
        people += [{"name": "Deltager", "email": email}] if email else []
        EventParticipant.objects.bulk_create(
            EventParticipant(
                event=event,
                municipality=where,
                attended=True,
                registered_by=self.user,
                **person,
            )
            for person in people
        )
        return event

    def enrolment(self, by: Operator, subject, day, level: str) -> ProgrammeEnrolment:
        return ProgrammeEnrolment.objects.create(
            **self.subject(subject),
            municipality=subject.municipality,
            programme="Vækstforløb",
            growth_level=level,
            started_on=day,
            operator=by,
        )


def snapshots(contract: Contract, number: str) -> dict:
    """Goal ``number``'s newest snapshots: municipality name (``TOTAL`` for the total) ->
    (value, numerator, denominator, status)."""
    rows = Snapshot.objects.filter(goal__contract=contract, goal__number=number)
    as_of = rows.order_by("-as_of").values_list("as_of", flat=True).first()
    return {
        row.municipality.name if row.municipality else TOTAL: (
            row.value,
            row.numerator,
            row.denominator,
            row.status,
        )
        for row in rows.filter(as_of=as_of).select_related("municipality")
    }


def every(names, row) -> dict:
    """The same expected row for each of ``names`` (the municipalities not written out)."""
    return dict.fromkeys(names, row)


# --- The catalogue, generated ---------------------------------------------------------------

YEAR = Period(D(2024, 1, 1), D(2024, 12, 31))
RATE = Decimal(500)


def trial_value(param: str):
    """A value the parameter's label offers: its first choice, yes, or one."""
    parameter = PARAMETERS[param]
    if parameter.kind == "bool":
        return True
    if parameter.kind == "int":
        return 1
    first = parameter.choices[0][0]
    return [first] if parameter.kind == "choices" else first


def required_params(name: str) -> dict:
    """The parameters an indicator cannot do without (e.g. founders_share's group), set to
    a value their label offers; every other parameter stays at its default."""
    function = CATALOGUE[name].function
    return {
        param: trial_value(param)
        for param, spec in inspect.signature(function).parameters.items()
        if spec.kind == spec.KEYWORD_ONLY and spec.default is inspect.Parameter.empty
    }


INDUSTRY = "621000"


def figures(company: Company, in_2023: tuple, in_2024: tuple) -> None:
    """(full-time equivalents, revenue) in 2023 and 2024, active both years."""
    for year, (fte, revenue) in ((2023, in_2023), (2024, in_2024)):
        impact.do_record_year(
            company, year, source="imported", employees_fte=fte, revenue=revenue, status="active"
        )


class Subjects:
    """Two companies and two founders in one municipality."""

    def __init__(self, records: Records, where: Municipality):
        self.young = records.company(  # micro, rural, started a year ago, growth ambitions
            where,
            employees=4,
            rural=True,
            started_on=D(2023, 1, 1),
            growth_potential="A",
            industry_code_db07=INDUSTRY,
        )
        self.established = records.company(
            where, employees=50, started_on=D(1990, 1, 1), industry_code_db07=INDUSTRY
        )
        # Their figures (jobs created, survival, growth against the comparison group).
        figures(self.young, (4, 1_000_000), (6, 1_300_000))
        figures(self.established, (40, 2_000_000), (45, 2_500_000))
        self.woman = records.founder(where, born=D(1999, 5, 5), female=True)  # 25 in 2024
        self.starter = records.founder(where, company_started_on=D(2024, 6, 1))


def activity(records: Records, by: Operator, subjects: Subjects, *, known=None, sender=None):
    """One of everything an indicator counts, done by ``by`` in 2024 in the subjects'
    municipality: guidance
    (full and brief, founders and companies), a company ``known`` from guidance the year
    before, referrals sent (to a hub, advisers, the design ecosystem, funding) and received,
    an uptake answer, a LAG project with help and a grant, a network, growth programmes, a
    course with a company, a founder and a person, and survey answers about ``by``'s
    guidance."""
    s = subjects
    where = s.young.municipality
    for subject in (s.young, s.established, s.woman, s.starter):
        records.session(by, subject, D(2024, 3, 1), themes=["green"])
    records.session(by, s.established, D(2024, 4, 1), kind="brief")
    records.session(by, known or s.established, D(2023, 6, 1))  # the year before
    records.referral(by, s.young, D(2024, 3, 2), to=hub("Midtjylland"), after_screening=True)
    records.referral(
        by, s.young, D(2024, 3, 2), to=adviser("private"), uptake="used", answered=D(2024, 5, 1)
    )
    records.referral(by, s.established, D(2024, 3, 2), to=adviser("design"), uptake="not_used")
    records.referral(by, s.woman, D(2024, 3, 2), to=adviser("funding"))
    records.referral(  # received by ``by`` and contacted the next day, before its deadline
        sender,
        s.young,
        D(2024, 3, 4),
        to=by,
        due_on=D(2024, 3, 6),
        contacted_at=noon(D(2024, 3, 5)),
    )
    records.project(
        by, s.young, D(2024, 4, 1), funding="lag", application_help=True, amount_granted=100_000
    )
    records.network(by, where, D(2024, 5, 1), members=[s.young, s.established])
    records.enrolment(by, s.young, D(2024, 6, 1), "A")
    records.event(by, where, D(2024, 6, 2), came=[s.young, s.woman], email="ide@example.dk")
    records.enrolment(by, s.woman, D(2024, 6, 1), "B")
    records.evaluation(
        by,
        s.young,
        D(2024, 9, 1),
        segment="growth",
        themes=["green", "digital"],
        satisfaction="very",
        nps=10,
        effect="high",
    )
    records.evaluation(
        by,
        s.established,
        D(2024, 9, 1),
        segment="operations",
        satisfaction="satisfied",
        nps=8,
        effect="some",
    )


def measured(name: str, scene: dict, operators) -> object:
    ids = [op.pk for op in operators]
    return compute(name, YEAR, scene["ids"], ids, required_params(name), hourly_rate=RATE)


def goal_number(name: str, measures: str) -> str:
    """A goal number (at most ten characters) for the indicator and what it measures."""
    return f"{sorted(CATALOGUE).index(name)}/{measures or 'all'}"


def every_indicator(scene: dict, operators) -> dict:
    return {name: measured(name, scene, operators) for name in CATALOGUE}


def elsewhere(records: Records, by: Operator, shared: Subjects, skive, sender: Operator):
    """Everything again by another operator: with the local service's own companies and
    founders on the same days (one of them guided the year before), and with subjects of
    its own in Skive (so a distinct count, a municipality count or a rural share would show
    its records if they were counted)."""
    activity(records, by, shared, known=shared.young, sender=sender)
    activity(records, by, Subjects(records, skive), sender=sender)


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker):
    """Built once for the module (the tests only read): Viborg (rural) and Skive are the
    contract's municipalities; its parties are Viborg's local service and Erhvervshus
    Midtjylland; three operators that are not parties work in Viborg the same days, with the
    same companies and founders. Skive's local service sends the referrals the operators
    receive. Every indicator is computed as each step is taken, and once more as goals
    (measuring the local service, the hub, all parties) of the contract."""
    fast_hasher = override_settings(PASSWORD_HASHERS=[MD5])
    with django_db_blocker.unblock(), fast_hasher, transaction.atomic():
        load_reference_data()
        viborg, skive = municipality("Viborg"), municipality("Skive")
        viborg.rural_urban = "rural"
        viborg.save()
        records = Records()
        subjects = Subjects(records, viborg)
        # Never guided, in the subjects' industry and size bands: the comparison group.
        for fte in (2, 20):
            comparison = records.company(viborg, industry_code_db07=INDUSTRY)
            figures(comparison, (fte, 1_000_000), (fte, 1_000_000))
        local = operator("Viborgegnens Erhvervsråd", Operator.Kind.LOCAL)
        midt = hub("Midtjylland")
        sender = operator("Erhvervsservice Skive", Operator.Kind.LOCAL)
        scene = {
            "ids": [viborg.pk, skive.pk],
            "local": local,
            "intruders": [
                operator("Erhvervsservice Viborg Nord (ikke part)", Operator.Kind.LOCAL),
                hub("Nordjylland"),
                operator("Arsenalet", Operator.Kind.FOCUSED),
            ],
        }
        # The hub alone (rolled back), then the local service alone:
        savepoint = transaction.savepoint()
        elsewhere(records, midt, subjects, skive, sender)
        scene["hub alone"] = every_indicator(scene, [local, midt])
        transaction.savepoint_rollback(savepoint)
        activity(records, local, subjects, sender=sender)
        scene["local alone"] = every_indicator(scene, [local, midt])
        # ...then the hub and the three non-parties, with the same subjects on the same days:
        for other in (midt, *scene["intruders"]):
            elsewhere(records, other, subjects, skive, sender)
        scene["local after"] = every_indicator(scene, [local])
        scene["both"] = every_indicator(scene, [local, midt])
        scene["intruder"] = {
            intruder.name: every_indicator(scene, [intruder]) for intruder in scene["intruders"]
        }
        contract = Contract.objects.create(
            kind="cooperation",
            title="Aftale",
            starts_on=YEAR.start,
            ends_on=YEAR.end,
            hourly_rate=RATE,
        )
        contract.parties.set([local, midt])
        contract.municipalities.set([viborg, skive])
        Goal.objects.bulk_create(
            Goal(
                contract=contract,
                number=goal_number(name, measures),
                title=name,
                indicator=name,
                params=required_params(name),
                measures=measures,
            )
            for name in CATALOGUE
            for measures in ("local", "hub", "")
        )
        compute_attainment(contract, YEAR.end)
        scene["contract"] = contract
        yield scene
        transaction.set_rollback(True)


def as_rows(result, municipalities) -> dict:
    rows = {
        m.name: (
            result.per_municipality[m.pk].value,
            result.per_municipality[m.pk].numerator,
            result.per_municipality[m.pk].denominator,
        )
        for m in municipalities
    }
    rows[TOTAL] = (result.total.value, result.total.numerator, result.total.denominator)
    return rows


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_records_of_a_non_measured_operator_in_the_same_municipality_and_period_never_count(
    name, scene
):
    """Measuring Viborg's local service: the hub's, another local service's, another hub's
    and a focused service's records of the same subjects on the same days change nothing;
    each of them counts where its own operator is measured."""
    assert scene["local after"][name] == scene["local alone"][name]
    for intruder, results in scene["intruder"].items():
        assert results[name].total.value, intruder


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_a_goal_narrowed_with_measures_counts_only_that_kind_among_the_parties(name, scene):
    """The goal measuring the local services gives what the local service's records alone
    give, the one measuring the hub what the hub's alone give, and the one measuring all
    parties counts both (and never the non-parties)."""
    contract = scene["contract"]
    municipalities = list(contract.municipalities.all())
    for measures, result in (
        ("local", scene["local alone"][name]),
        ("hub", scene["hub alone"][name]),
        ("", scene["both"][name]),
    ):
        number = goal_number(name, measures)
        got = {where: row[:3] for where, row in snapshots(contract, number).items()}
        assert got == as_rows(result, municipalities), measures
    assert scene["local alone"][name].total.value and scene["hub alone"][name].total.value
