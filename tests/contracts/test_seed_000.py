"""Seed 000: the programme contract "Iværksætteri og virksomhedsudvikling i landdistrikter",
Region Midtjylland, 1 April 2010 - 31 March 2012, 13 municipalities, computed goal by goal on
a small data set counted by hand. Every expected number is written from the contract's text:
"Indsatsen skal gennemføres af de lokale erhvervsserviceoperatører" (so the Region, the
Væksthus, a local service that is not a party and the services of other municipalities never
count), and the period is "igangsat 01.04.2010 ... afsluttet 31.03.2012".

Also seed 003 (Region Midtjylland's cluster programme): "et virksomhedsnetværk af minimum 5
parter", as a goal added to this contract.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import override_settings

from contracts.demo.agreements import RURAL_PROGRAMME, local_service, programme_2010
from contracts.models import Goal
from contracts.services import compute_attainment
from crm.models import Operator
from crm.reference import load_reference_data
from tests.contracts.test_whose_records import (
    MD5,
    TOTAL,
    Records,
    adviser,
    every,
    hub,
    municipality,
    operator,
    snapshots,
)

pytestmark = pytest.mark.django_db
D = datetime.date
AS_OF = D(2012, 6, 30)  # after the end: each goal's final result, met or not met
BEFORE, AFTER = D(2010, 3, 31), D(2012, 4, 1)  # a day either side of the period
LOCAL = Operator.Kind.LOCAL


@pytest.fixture(scope="module")
def seed(django_db_setup, django_db_blocker):
    """The contract as ``programme_2010`` builds it, and the hand-counted data set (built
    once; the tests that add records roll them back)."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=[MD5]),
        transaction.atomic(),
    ):
        load_reference_data()
        m = {name: municipality(name) for name in [*RURAL_PROGRAMME, "Aarhus"]}
        contract = programme_2010([m[name] for name in RURAL_PROGRAMME])
        les = {name: local_service(m[name]) for name in RURAL_PROGRAMME}
        r = Records()
        s = SimpleNamespace(contract=contract, records=r, m=m, les=les)
        s.region = Operator.objects.get(name="Region Midtjylland")  # a party, not measured
        s.vaeksthus = hub("Midtjylland")  # Væksthus Midtjylland: not a party
        s.viborg_nord = operator("Erhvervsservice Viborg Nord (ikke part)", LOCAL)
        s.aarhus_les = operator("Erhvervsservice Aarhus", LOCAL)
        viborg_les, herning_les = les["Viborg"], les["Herning"]

        # Companies: micro = 1-10 employees; ``rural``: in a rural area or a town of at most
        # 3,000 inhabitants (the company's own mark).
        v1 = r.company(m["Viborg"], "v1", employees=5, rural=True)
        v2 = r.company(m["Viborg"], "v2", employees=1, rural=True)
        v3 = r.company(m["Viborg"], "v3 (Viborg by)", employees=10, rural=False)
        v4 = r.company(m["Viborg"], "v4 (11 ansatte)", employees=11, rural=True)
        v5 = r.company(m["Viborg"], "v5", employees=3, rural=True)
        v6 = r.company(m["Viborg"], "v6", employees=4, rural=True)
        v7 = r.company(m["Viborg"], "v7", employees=2, rural=True)
        v8 = r.company(m["Viborg"], "v8", employees=6, rural=True)
        v9 = r.company(m["Viborg"], "v9", employees=6, rural=True)
        h1 = r.company(m["Herning"], "h1", employees=8, rural=True)
        a1 = r.company(m["Aarhus"], "a1 (Aarhus)", employees=2, rural=True)

        # Guidance (full) and brief contacts.
        r.session(viborg_les, v1, D(2010, 5, 1))
        r.session(viborg_les, v1, D(2011, 1, 10), kind="brief")
        r.session(viborg_les, v1, D(2011, 3, 1), channel="phone")
        r.session(viborg_les, v2, D(2011, 6, 1), kind="brief")
        r.session(viborg_les, v3, D(2010, 6, 1))
        r.session(viborg_les, v4, D(2010, 6, 2))
        r.session(viborg_les, v8, BEFORE)
        r.session(viborg_les, v9, AFTER)
        r.session(viborg_les, a1, D(2011, 5, 1))  # in Aarhus: not one of the 13
        r.session(herning_les, h1, D(2011, 9, 1))
        r.session(s.vaeksthus, v5, D(2011, 2, 1))
        r.session(s.region, v6, D(2011, 2, 1))
        r.session(s.viborg_nord, v7, D(2011, 2, 1))
        r.session(s.aarhus_les, a1, D(2011, 5, 2))

        # Referrals: to external knowledge (advisers) and to Væksthus Midtjylland.
        r.referral(viborg_les, v1, D(2010, 7, 1), to=adviser("private"))
        r.referral(viborg_les, v3, D(2011, 1, 1), to=adviser("knowledge"))
        r.referral(viborg_les, v4, D(2011, 1, 2), to=adviser("private"), state="withdrawn")
        r.referral(viborg_les, v1, AFTER, to=adviser("private"))
        r.referral(viborg_les, v1, D(2011, 2, 1), to=s.vaeksthus)
        r.referral(viborg_les, v8, BEFORE, to=s.vaeksthus)
        r.referral(herning_les, h1, D(2011, 10, 1), to=adviser("company"))
        r.referral(herning_les, h1, D(2011, 11, 1), to=s.vaeksthus)
        r.referral(s.vaeksthus, v5, D(2011, 3, 1), to=adviser("private"))
        r.referral(s.region, v6, D(2011, 3, 1), to=s.vaeksthus)

        # Development projects (LAG funding with help for plan and application, or not).
        lag = {"funding": "lag", "application_help": True}
        r.project(viborg_les, v1, D(2010, 9, 1), **lag)
        r.project(viborg_les, v1, D(2011, 5, 1), **lag)  # the same company again
        r.project(viborg_les, v3, D(2011, 6, 1), **lag)
        r.project(viborg_les, v4, D(2011, 6, 2), funding="lag", application_help=False)
        r.project(viborg_les, v2, D(2011, 6, 3), funding="rural", application_help=True)
        r.project(viborg_les, v8, BEFORE, **lag)
        r.project(herning_les, h1, D(2011, 8, 1), **lag)
        r.project(s.vaeksthus, v5, D(2011, 7, 1), **lag)
        r.project(s.region, v6, D(2011, 7, 1), **lag)

        # Business networks.
        r.network(viborg_les, m["Viborg"], D(2010, 10, 1), spans=[m["Skive"]], members=[v1, v2])
        r.network(herning_les, m["Herning"], D(2011, 3, 1))
        r.network(viborg_les, m["Viborg"], D(2011, 4, 1), spans=[m["Aarhus"]])
        r.network(les["Lemvig"], m["Lemvig"], BEFORE)
        r.network(les["Struer"], m["Struer"], AFTER)
        r.network(s.vaeksthus, m["Lemvig"], D(2011, 5, 1))
        r.network(s.region, m["Samsø"], D(2011, 5, 1))

        compute_attainment(contract, AS_OF)
        yield s
        transaction.set_rollback(True)


def table(default, **named) -> dict:
    """The expected rows of the 13 municipalities and the total: ``default`` for each
    municipality not named (names with a hyphen are not used here)."""
    return {
        **every(RURAL_PROGRAMME, default),
        **{TOTAL if k == "total" else k: v for k, v in named.items()},
    }


def test_seed_000_the_contract_as_written_parties_period_and_whose_work_each_goal_measures(seed):
    contract = seed.contract

    assert (contract.starts_on, contract.ends_on) == (D(2010, 4, 1), D(2012, 3, 31))
    assert contract.budget == Decimal(7_000_000)
    assert sorted(contract.municipalities.values_list("name", flat=True)) == sorted(RURAL_PROGRAMME)
    assert set(contract.parties.all()) == {seed.region, *seed.les.values()}
    computed = contract.goals.exclude(indicator="").exclude(is_milestone=True)
    assert set(computed.values_list("measures", flat=True)) == {LOCAL}


def test_seed_000_maal_1_kontakt_med_mikrovirksomheder_i_landdistrikterne_counted_once(
    seed,
):
    """ "Kontakt med 4.000 mindre virksomheder i landdistrikterne" (1-10 employees, in a rural
    area or a town of at most 3,000): a brief contact is a contact. Viborg: v1 (guided twice
    and contacted briefly: once) and v2 (a brief contact); not v3 (in Viborg town, Viborg is a
    landkommune), v4 (11 employees), v5-v7 (the Væksthus, the Region, a local service that is
    no party), v8/v9 (a day before/after the period). Herning: h1. Not a1 (Aarhus)."""
    assert snapshots(seed.contract, "1") == table(
        (0, None, None, "tracked"),  # the target is for the whole programme
        Viborg=(2, None, None, "tracked"),
        Herning=(1, None, None, "tracked"),
        total=(3, None, None, "not_met"),  # 3 < 4,000
    )


def test_seed_000_maal_1_in_a_yderkommune_every_micro_company_is_target_group_rural_or_not(
    seed,
):
    """ "Projektets målgruppe er alle mikrovirksomheder i yderkommunerne, mens fokus i
    landkommunerne rettes mod alle mikrovirksomheder beliggende i landdistrikterne eller i
    byer med op til 3.000 indbyggere." Skive is one of the 6 yderkommuner: its micro company
    in Skive town counts; one with 12 employees does not."""
    r, skive = seed.records, seed.m["Skive"]
    r.session(seed.les["Skive"], r.company(skive, "s1 (Skive by)", employees=7), D(2011, 2, 1))
    r.session(seed.les["Skive"], r.company(skive, "s2 (12 ansatte)", employees=12), D(2011, 2, 1))

    compute_attainment(seed.contract, AS_OF)

    assert snapshots(seed.contract, "1") == table(
        (0, None, None, "tracked"),
        Viborg=(2, None, None, "tracked"),
        Herning=(1, None, None, "tracked"),
        Skive=(1, None, None, "tracked"),  # s1
        total=(4, None, None, "not_met"),
    )


def test_seed_000_maal_2_vejledningsbesoeg_are_the_local_services_guidance_not_brief_contacts(
    seed,
):
    """ "Gennemførelse af 1.000 vejledningsbesøg" - the same 1,000 as "1000
    virksomhedsvejledninger" (Lokale opgaver), so a guidance by phone counts too. Viborg: v1
    twice, v3, v4 = 4 (not the brief contacts of v1 and v2, not v5-v9, not a1 in Aarhus);
    Herning: h1 = 1."""
    assert snapshots(seed.contract, "2") == table(
        (0, None, None, "tracked"),
        Viborg=(4, None, None, "tracked"),
        Herning=(1, None, None, "tracked"),
        total=(5, None, None, "not_met"),  # 5 < 1,000
    )


def test_seed_000_maal_2_a_founder_before_start_is_no_virksomhedsvejledning(seed):
    """The programme brings knowledge to "etablerede iværksættere og mikrovirksomheder" and
    is to "generere 1000 virksomhedsvejledninger": the guidance of a founder before start (no
    company yet) is not one of them."""
    founder = seed.records.founder(seed.m["Viborg"])
    seed.records.session(seed.les["Viborg"], founder, D(2011, 4, 1))

    compute_attainment(seed.contract, AS_OF)

    assert snapshots(seed.contract, "2")[TOTAL] == (5, None, None, "not_met")
    assert snapshots(seed.contract, "2")["Viborg"] == (4, None, None, "tracked")


def test_seed_000_maal_3_kontakter_til_ekstern_viden_are_local_referrals_to_advisers(
    seed,
):
    """ "Skabe 200 kontakter mellem virksomheder og ekstern viden" ("alt fra en anden
    virksomhed ... til private rådgivere, videncentre, uddannelsesinstitutioner"). Viborg: v1
    to a private adviser, v3 to a knowledge institution (not v4's withdrawn referral, not the
    one a day after the period, not v1's referral to the Væksthus, not the Væksthus's own);
    Herning: h1 to another company."""
    assert snapshots(seed.contract, "3") == table(
        (0, None, None, "tracked"),
        Viborg=(2, None, None, "tracked"),
        Herning=(1, None, None, "tracked"),
        total=(3, None, None, "not_met"),  # 3 < 200
    )


def test_seed_000_maal_4_henvisning_til_vaeksthus_midtjylland_counts_the_local_services_referrals(
    seed,
):
    """ "Henvisning af 50 vækstvirksomheder/-iværksættere til Væksthus Midtjylland". Viborg:
    v1 (not v8's, a day before the period; not the Region's referral of v6); Herning: h1."""
    assert snapshots(seed.contract, "4") == table(
        (0, None, None, "tracked"),
        Viborg=(1, None, None, "tracked"),
        Herning=(1, None, None, "tracked"),
        total=(2, None, None, "not_met"),  # 2 < 50
    )


def test_seed_000_maal_4_a_referral_to_another_hub_is_no_referral_to_vaeksthus_midtjylland(seed):
    """The target names the receiver: "til Væksthus Midtjylland". Lemvig's local service
    referring a Lemvig company to Erhvervshus Nordjylland does not count."""
    lemvig = seed.m["Lemvig"]
    company = seed.records.company(lemvig, "l1", employees=3, rural=True)
    seed.records.referral(seed.les["Lemvig"], company, D(2011, 6, 1), to=hub("Nordjylland"))

    compute_attainment(seed.contract, AS_OF)

    assert snapshots(seed.contract, "4")["Lemvig"] == (0, None, None, "tracked")
    assert snapshots(seed.contract, "4")[TOTAL] == (2, None, None, "not_met")


def test_seed_000_maal_5_two_companies_per_municipality_helped_to_apply_for_lag_funding(seed):
    """ "Hjælpe 2 virksomheder pr. kommune med at ansøge om udviklingsfinansiering fra LAG":
    companies, not projects, with help for plan and application, LAG funding only. Viborg:
    v1 (two LAG projects: once) and v3 = 2, met; not v4 (no help), v2 (the rural development
    programme, not LAG), v8 (before the period), v5/v6 (the Væksthus, the Region). Herning:
    h1 = 1 of 2. Total target 13 x 2 = 26."""
    assert snapshots(seed.contract, "5") == table(
        (0, None, None, "not_met"),
        Viborg=(2, None, None, "met"),
        Herning=(1, None, None, "not_met"),
        total=(3, None, None, "not_met"),
    )


def test_seed_000_maal_6_a_network_counts_when_created_in_the_period_in_each_municipality_it_spans(
    seed,
):
    """ "Oprettelse af virksomhedsnetværk i alle kommuner – gerne tværkommunale". Viborg: the
    network spanning Viborg and Skive and the one spanning Viborg and Aarhus (Aarhus is not
    one of the 13) = 2; Skive 1; Herning 1. Not Lemvig's (created a day before the period),
    Struer's (a day after), the Væksthus's in Lemvig or the Region's on Samsø. The total is
    the sum over the municipalities (a network spanning two counts in both), target 13 x 1."""
    assert snapshots(seed.contract, "6") == table(
        (0, None, None, "not_met"),
        Viborg=(2, None, None, "met"),
        Skive=(1, None, None, "met"),
        Herning=(1, None, None, "met"),
        total=(4, None, None, "not_met"),
    )


def test_seed_000_maal_6_not_met_in_total_while_one_municipality_has_no_network(seed):
    """ "... i alle kommuner": a network spanning twelve of the thirteen municipalities (all
    but Samsø) brings the sum over the municipalities to 16, above 13, but the goal is not
    met while Samsø has none."""
    spans = [seed.m[name] for name in RURAL_PROGRAMME if name != "Samsø"]
    seed.records.network(seed.les["Viborg"], seed.m["Viborg"], D(2011, 9, 1), spans=spans)

    compute_attainment(seed.contract, AS_OF)

    assert snapshots(seed.contract, "6") == table(
        (1, None, None, "met"),
        Viborg=(3, None, None, "met"),
        Skive=(2, None, None, "met"),
        Herning=(2, None, None, "met"),
        Samsø=(0, None, None, "not_met"),
        total=(16, None, None, "not_met"),  # 3 + 2 + 2 + 9 x 1
    )


def test_seed_000_maal_8_development_projects_identified_by_the_local_services(seed):
    """ "Det forventes, at der gennemsnitligt identificeres 10 udviklingsprojekter pr.
    kommune" (on average: 130 in total). Viborg: v1 twice, v3, v4, v2 = 5 projects of any
    funding; not v8's (before the period), the Væksthus's or the Region's. Herning: 1."""
    assert snapshots(seed.contract, "8") == table(
        (0, None, None, "not_met"),
        Viborg=(5, None, None, "not_met"),
        Herning=(1, None, None, "not_met"),
        total=(6, None, None, "not_met"),  # 6 < 130
    )


def test_seed_000_maal_7_communication_initiatives_is_a_milestone_not_computed(seed):
    assert snapshots(seed.contract, "7") == {}
    assert seed.contract.goals.get(number="7").is_milestone


def test_seed_003_a_network_counts_with_at_least_5_parties_not_with_4(seed):
    """Seed 003: "deltagelse i et virksomhedsnetværk af minimum 5 parter" (the parties read as
    member companies). A network of 5 members in Viborg counts, one of 4 in Herning does not,
    nor do the earlier networks (2 members and none)."""
    r = seed.records
    Goal.objects.create(
        contract=seed.contract,
        number="003",
        title="Virksomhedsnetværk af minimum 5 parter",
        indicator="networks",
        params={"min_members": 5},
        measures=LOCAL,
    )
    five = [r.company(seed.m["Viborg"], f"n{i}") for i in range(5)]
    r.network(seed.les["Viborg"], seed.m["Viborg"], D(2011, 6, 1), members=five)
    r.network(seed.les["Herning"], seed.m["Herning"], D(2011, 6, 1), members=five[:4])

    compute_attainment(seed.contract, AS_OF)

    assert snapshots(seed.contract, "003") == table(
        (0, None, None, "tracked"),
        Viborg=(1, None, None, "tracked"),
        total=(1, None, None, "tracked"),
    )
