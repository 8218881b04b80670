"""Seed 001: the cooperation agreement (samarbejdsaftale) between Viborg Kommune,
Viborgegnens Erhvervsråd and Væksthus Midtjylland, 1 January - 31 December 2014, computed goal
by goal on a small data set counted by hand, with its honoraria (§8).

Read from the text: "iværksættere (før start – indtil tre år)" are founders before start and
companies up to three years after their start; "virksomheder" are the older companies (and
those without a start date). "Vejledte ... i lokal erhvervsservice" is Viborgegnens
Erhvervsråd's guidance, "i specialiseret erhvervsservice" the Væksthus's; the growth
programmes and satisfaction count both parties. Arsenalet (the focused service, no party),
another hub and another local service never count, even in Viborg.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import override_settings

from contracts.demo.agreements import local_service, viborg_2014
from contracts.services import compute_attainment, settlement
from crm.models import Operator
from crm.reference import load_reference_data
from tests.contracts.test_whose_records import (
    MD5,
    TOTAL,
    Records,
    hub,
    municipality,
    operator,
    snapshots,
)

pytestmark = pytest.mark.django_db
D = datetime.date
AS_OF = D(2015, 3, 31)  # after the end: the final result


@pytest.fixture(scope="module")
def seed(django_db_setup, django_db_blocker):
    """The agreement as ``viborg_2014`` builds it and the hand-counted data set (built once;
    the tests that add records roll them back)."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=[MD5]),
        transaction.atomic(),
    ):
        load_reference_data()
        viborg, aarhus = municipality("Viborg"), municipality("Aarhus")
        contract = viborg_2014(viborg)
        r = Records()
        ver, vaeksthus = local_service(viborg), hub("Midtjylland")
        arsenalet = operator("Arsenalet", Operator.Kind.FOCUSED)
        nord = hub("Nordjylland")
        aarhus_les = operator("Erhvervsservice Aarhus", Operator.Kind.LOCAL)
        s = SimpleNamespace(
            contract=contract, records=r, viborg=viborg, ver=ver, vaeksthus=vaeksthus
        )

        # Founders before start, and companies by start date (three years: "indtil tre år").
        f1, f2, f3, f4, f5 = (r.founder(viborg, f"F{i}") for i in range(1, 6))
        y1 = r.company(viborg, "Y1", started_on=D(2012, 6, 1))
        y3 = r.company(viborg, "Y3", started_on=D(2011, 3, 1))  # three years on 1.3.2014
        e1 = r.company(viborg, "E1", started_on=D(2011, 3, 1))
        o1 = r.company(viborg, "O1", started_on=D(2005, 1, 1), growth_potential="A")
        o2 = r.company(viborg, "O2")  # no start date
        o3 = r.company(viborg, "O3", started_on=D(2010, 1, 1))
        g1 = r.company(viborg, "G1", started_on=D(2000, 1, 1), segment="growth")
        p1 = r.company(viborg, "P1", started_on=D(1999, 1, 1))
        a1 = r.company(aarhus, "A1 (Aarhus)", started_on=D(2013, 1, 1))
        s.subjects = {x.name: x for x in (f1, f2, f3, f4, f5, y1, y3, e1, o1, o2, o3, g1, p1)}

        # Viborgegnens Erhvervsråd (local guidance).
        r.session(ver, f1, D(2014, 2, 1))
        r.session(ver, f1, D(2014, 5, 1), screening_done=True, screening_result="B")
        r.session(ver, f2, D(2014, 3, 1), kind="brief")
        r.session(ver, f4, D(2013, 11, 1))
        r.session(ver, f4, D(2014, 2, 1))
        r.session(ver, f5, D(2015, 1, 5))
        r.session(ver, y1, D(2014, 3, 1))
        r.session(ver, y3, D(2014, 3, 1))  # exactly three years after its start
        r.session(ver, e1, D(2014, 3, 2))  # three years and a day
        r.session(ver, o1, D(2014, 4, 1), screening_done=True)
        r.session(ver, o2, D(2014, 6, 1))
        r.session(ver, o3, D(2013, 12, 31))
        r.session(ver, p1, D(2014, 6, 1), kind="brief")
        r.session(ver, p1, D(2014, 6, 2), screening_done=True)  # no growth potential found
        r.session(ver, p1, D(2015, 1, 1))
        r.session(ver, g1, D(2015, 1, 9), screening_done=True)
        r.session(ver, a1, D(2014, 5, 1))  # in Aarhus
        # Others in Viborg: the focused service, another local service, another hub.
        r.session(arsenalet, g1, D(2014, 5, 1), screening_done=True)
        r.session(aarhus_les, o3, D(2014, 5, 1), tier="local")
        r.session(nord, g1, D(2014, 8, 1))
        r.session(nord, o3, D(2014, 8, 1))
        # Væksthus Midtjylland (specialised guidance).
        r.session(vaeksthus, f1, D(2014, 6, 1))
        r.session(vaeksthus, f3, D(2014, 3, 1))
        r.session(vaeksthus, y1, D(2014, 6, 1))
        r.session(vaeksthus, o1, D(2014, 6, 1), kind="brief")
        r.session(vaeksthus, g1, D(2014, 7, 1))
        r.session(vaeksthus, o2, D(2014, 7, 1))
        r.session(vaeksthus, a1, D(2014, 6, 1))  # in Aarhus

        # Growth programmes (vækstforløb) at A, B and C level.
        r.enrolment(vaeksthus, f1, D(2014, 8, 1), "A")
        r.enrolment(ver, y1, D(2014, 8, 1), "A")
        r.enrolment(vaeksthus, o1, D(2014, 8, 1), "A")
        r.enrolment(vaeksthus, y3, D(2014, 10, 1), "B")  # by then 3 years 7 months old
        r.enrolment(vaeksthus, g1, D(2014, 9, 1), "C")
        r.enrolment(arsenalet, o2, D(2014, 9, 1), "B")
        r.enrolment(vaeksthus, o3, D(2013, 12, 31), "B")
        r.enrolment(nord, y1, D(2014, 9, 1), "B")
        r.enrolment(vaeksthus, a1, D(2014, 9, 1), "C")

        # The user evaluation: satisfaction with the guidance of the operator named.
        r.evaluation(ver, f1, D(2014, 3, 1), satisfaction="very")
        r.evaluation(vaeksthus, y1, D(2014, 7, 1), satisfaction="satisfied")
        r.evaluation(ver, o1, D(2014, 5, 1), satisfaction="very")
        r.evaluation(vaeksthus, g1, D(2014, 8, 1), satisfaction="satisfied")
        r.evaluation(ver, y3, D(2014, 2, 15), satisfaction="neutral")
        r.evaluation(ver, e1, D(2014, 4, 1), satisfaction="very")
        r.evaluation(ver, p1, D(2014, 7, 1), satisfaction="dissatisfied")
        r.evaluation(ver, f2, D(2014, 4, 1), satisfaction="unknown")
        r.evaluation(arsenalet, o1, D(2014, 6, 1), satisfaction="very_dissatisfied")
        r.evaluation(nord, y1, D(2014, 9, 1), satisfaction="very_dissatisfied")
        r.evaluation(ver, f1, D(2013, 12, 31), satisfaction="dissatisfied")
        r.evaluation(ver, a1, D(2014, 6, 1), satisfaction="dissatisfied")
        r.evaluation(vaeksthus, g1, D(2014, 9, 1), nps=3)  # no satisfaction answer

        # Screenings/referrals to the specialised service (§8).
        r.referral(ver, o1, D(2014, 4, 2), to=vaeksthus, after_screening=True)
        r.referral(ver, f1, D(2014, 5, 2), to=vaeksthus, after_screening=True)
        r.referral(ver, p1, D(2014, 6, 3), to=vaeksthus, after_screening=True)
        r.referral(ver, o2, D(2014, 6, 5), to=vaeksthus)
        r.referral(arsenalet, g1, D(2014, 5, 2), to=vaeksthus, after_screening=True)
        r.referral(ver, g1, D(2015, 1, 10), to=vaeksthus, after_screening=True)

        compute_attainment(contract, AS_OF)
        yield s
        transaction.set_rollback(True)


def viborg(row, total=None) -> dict:
    """Viborg's row (the only municipality; its own target is not set: "tracked") and the
    total."""
    return {"Viborg": row, TOTAL: total or row}


def test_seed_001_the_agreement_as_written_parties_period_and_honoraria(seed):
    contract = seed.contract

    assert (contract.starts_on, contract.ends_on) == (D(2014, 1, 1), D(2014, 12, 31))
    assert set(contract.parties.all()) == {seed.ver, seed.vaeksthus}
    assert seed.ver.name == "Viborgegnens Erhvervsråd"
    rules = dict(contract.payment_rules.values_list("kind", "amount"))
    assert rules == {"founder": Decimal(500), "growth_referral": Decimal(2500)}


def test_seed_001_1_vejledte_ivaerksaettere_lokal_before_start_and_up_to_three_years(
    seed,
):
    """ "Vejledte iværksættere i lokal erhvervsservice: 200" (før start – indtil tre år).
    F1 (guided twice: once), F4 (first guided in 2013, again in 2014), Y1 (started 2012) and
    Y3 (guided on its third anniversary: "indtil tre år") = 4. Not F2 (a brief contact), F5
    (2015), F3 (the Væksthus only), E1 (three years and a day)."""
    assert snapshots(seed.contract, "1a") == viborg(
        (4, None, None, "tracked"), (4, None, None, "not_met")
    )


def test_seed_001_1_a_founder_and_the_company_it_started_are_one_ivaerksaetter(seed):
    """F7 started C7 on 1.6.2013; the local service guided F7 in January 2014 and C7 in
    April: one iværksætter ("før start – indtil tre år"), not two."""
    r = seed.records
    c7 = r.company(seed.viborg, "C7", started_on=D(2013, 6, 1))
    f7 = r.founder(seed.viborg, "F7", company=c7, company_started_on=D(2013, 6, 1))
    r.session(seed.ver, f7, D(2014, 1, 10))
    r.session(seed.ver, c7, D(2014, 4, 1))

    compute_attainment(seed.contract, AS_OF)

    assert snapshots(seed.contract, "1a")[TOTAL] == (5, None, None, "not_met")  # 4 + F7/C7


def test_seed_001_1_vejledte_virksomheder_lokal_are_the_older_companies(seed):
    """ "Vejledte virksomheder i lokal erhvervsservice: 200". E1 (three years and a day), O1,
    O2 (no start date), P1 (its screening, not its brief contact) = 4. Not O3 (guided by the
    local service on 31.12.2013; in 2014 only by Aarhus's local service and another hub), not
    G1 (Arsenalet), not A1 (Aarhus)."""
    assert snapshots(seed.contract, "1b") == viborg(
        (4, None, None, "tracked"), (4, None, None, "not_met")
    )


def test_seed_001_1_vejledte_ivaerksaettere_specialiseret_are_the_vaeksthus_guidance(
    seed,
):
    """ "Vejledte iværksættere i specialiseret erhvervsservice: 12". F1, F3 and Y1 = 3 (not
    A1 in Aarhus)."""
    assert snapshots(seed.contract, "2a") == viborg(
        (3, None, None, "tracked"), (3, None, None, "not_met")
    )


def test_seed_001_1_vejledte_virksomheder_specialiseret_not_brief_contacts_or_other_hubs(
    seed,
):
    """ "Vejledte virksomheder i specialiseret erhvervsservice: 12". G1 and O2 = 2; not O1
    (a brief contact), not Erhvervshus Nordjylland's guidance of G1 and O3."""
    assert snapshots(seed.contract, "2b") == viborg(
        (2, None, None, "tracked"), (2, None, None, "not_met")
    )


@pytest.mark.parametrize(
    ("number", "count", "why"),
    [
        ("3Ai", 2, "F1 by the Væksthus, Y1 by the local service"),
        ("3Av", 1, "O1"),
        ("3Bi", 0, "Y3 was older than three years when it started its programme"),
        ("3Bv", 1, "Y3; not O2 (Arsenalet), O3 (2013), Y1 (another hub)"),
        ("3Ci", 0, ""),
        ("3Cv", 1, "G1; not A1 (Aarhus)"),
    ],
)
def test_seed_001_1_vaekstforloeb_paa_a_b_c_niveau_for_ivaerksaettere_and_virksomheder(
    seed, number, count, why
):
    """ "Vækstforløb for iværksættere/virksomheder på A-/B-/C-vækstpotentialeniveau: 3 / 5",
    by either party; the age that counts is the company's when its programme started."""
    assert snapshots(seed.contract, number) == viborg(
        (count, None, None, "tracked"), (count, None, None, "not_met")
    ), why


def test_seed_001_7_more_than_80_percent_satisfied_excludes_companies_without_growth_ambitions(
    seed,
):
    """ "Mere end 80% af vejledte iværksættere og eksisterende virksomheder med
    vækstambitioner skal være tilfredse eller meget tilfredse". Counted: F1 (very), Y1
    (satisfied), O1 (growth potential A, very), G1 (growth segment, satisfied), Y3 (answered
    before its third anniversary, neutral): 4 of 5 = 80.0 %, which is not more than 80 %.
    Left out: E1 and P1 (older companies without growth ambitions), F2 ("Ved ikke"), answers
    about Arsenalet's and Erhvervshus Nordjylland's guidance, an answer of 31.12.2013, one
    from Aarhus and one without a satisfaction answer."""
    assert snapshots(seed.contract, "5") == viborg(
        (Decimal("80.0"), 4, 5, "tracked"), (Decimal("80.0"), 4, 5, "not_met")
    )


def test_seed_001_7_arbejdspladser_are_reported_not_computed(seed):
    assert snapshots(seed.contract, "4") == {}


def paid(lines) -> dict:
    """kind -> {(subject, amount)} of a settlement's evidence."""
    return {
        line.rule.kind: {(getattr(item, "subject", item).name, item.paid) for item in line.evidence}
        for line in lines
    }


def test_seed_001_8_honoraria_500_per_registered_ivaerksaetter_and_up_to_2500_per_growth_referral(
    seed,
):
    """§8.2 "Registrering af alle vejledte iværksættere (før start og indtil tre år).
    Honoraret er kr. 500 pr. iværksætter": F1 (once, though guided twice), Y1 and Y3
    (registered by CVR up to three years after start), and F7 with the company C7 it started
    (once, as F7). Not F2 (a brief contact), F3 (guided by the Væksthus), F4 (registered in
    2013, before this agreement), F5 (2015), E1 (three years and a day), A1 (Aarhus).
    §8.1/8.3 "op til kr. 2.500 pr. screening/visitation" (no hourly rate agreed: 2,500):
    O1 (growth potential A) and F1 (screened to B). Not P1 (no potential found), O2 (not
    screened), Arsenalet's referral of G1, the local service's of G1 in 2015."""
    r = seed.records
    c7 = r.company(seed.viborg, "C7", started_on=D(2013, 6, 1))
    f7 = r.founder(seed.viborg, "F7", company=c7, company_started_on=D(2013, 6, 1))
    r.session(seed.ver, f7, D(2014, 1, 10))
    r.session(seed.ver, c7, D(2014, 4, 1))

    lines, total = settlement(seed.contract, D(2014, 1, 1), D(2014, 12, 31))
    wider, wider_total = settlement(seed.contract, D(2013, 1, 1), D(2015, 12, 31))

    five, twenty_five = Decimal(500), Decimal(2500)
    assert paid(lines) == {
        "founder": {("F1", five), ("Y1", five), ("Y3", five), ("F7", five)},
        "growth_referral": {("O1", twenty_five), ("F1", twenty_five)},
    }
    assert total == Decimal(7000)  # 4 x 500 + 2 x 2,500
    assert (paid(wider), wider_total) == (paid(lines), total)  # only the agreement's period


def test_seed_001_8_a_referral_to_another_hub_earns_no_honorarium_from_the_vaeksthus(seed):
    """ "Den lokale erhvervsservice honoreres af den specialiserede erhvervsservice for
    screening/visitation ... til den specialiserede erhvervsservice": Væksthus Midtjylland
    pays for referrals to itself, not for a growth company referred to Erhvervshus
    Nordjylland."""
    r = seed.records
    x = r.company(seed.viborg, "X", started_on=D(2001, 1, 1), growth_potential="B")
    r.session(seed.ver, x, D(2014, 9, 1), screening_done=True)
    r.referral(seed.ver, x, D(2014, 9, 2), to=hub("Nordjylland"), after_screening=True)

    lines, total = settlement(seed.contract, D(2014, 1, 1), D(2014, 12, 31))

    assert paid(lines)["growth_referral"] == {("O1", Decimal(2500)), ("F1", Decimal(2500))}
    assert total == Decimal(6500)  # F1, Y1, Y3 x 500 + O1, F1 x 2,500
