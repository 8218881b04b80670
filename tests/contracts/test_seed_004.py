"""Seed 004: the EU programme (Möjligheternas Region, 1.9.2015 - 31.12.2018), held over eight
municipalities of Region Nordjylland, computed goal by goal on a small data set counted by
hand: each breakdown (women, young 18-30, foreign-born) is a count of its own.

The business coaches are the local services of the eight municipalities (the parties); the
hub of Nordjylland (no party) never counts, even in Thisted."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import override_settings

from contracts.demo.eu_programme import EU_MUNICIPALITIES, eu_programme_2015
from contracts.services import compute_attainment
from crm.impact import do_record_year
from crm.models import Event, EventParticipant
from crm.models.impact import Source
from crm.reference import load_reference_data
from tests.contracts.test_whose_records import MD5, TOTAL, Records, hub, municipality, snapshots

pytestmark = pytest.mark.django_db
D = datetime.date
AS_OF = D(2019, 3, 31)  # after the end: the final result


def event(r: Records, by, where, day) -> Event:
    return Event.objects.create(
        title="Prøv at være iværksætter",
        kind=Event.Kind.COURSE,
        date=day,
        place="Biblioteket",
        municipality=where,
        operator=by,
        hours=3,
        created_by=r.user,
    )


def take_part(r: Records, at: Event, *, attended=True, **who) -> EventParticipant:
    subject = who.get("company") or who.get("founder")
    return EventParticipant.objects.create(
        event=at,
        municipality=subject.municipality if subject else at.municipality,
        attended=attended,
        registered_by=r.user,
        **who,
    )


@pytest.fixture(scope="module")
def seed(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=[MD5]),
        transaction.atomic(),
    ):
        load_reference_data()
        contract = eu_programme_2015()
        r = Records()
        thisted, morsoe = municipality("Thisted"), municipality("Morsø")
        les_t, les_m = (
            contract.parties.get(municipalities=m, kind="local") for m in (thisted, morsoe)
        )
        nord = hub("Nordjylland")

        # Founders: FA a young foreign-born woman who started CA; FD a young man who started
        # CD after a course; FB guided twice, not started; FC and FE started, but FC only
        # with the hub and FE after a brief contact only; FF guided after the end.
        ca = r.company(thisted, "CA", started_on=D(2016, 6, 1))
        cd = r.company(morsoe, "CD")
        fa = r.founder(
            thisted, "FA", female=True, born_abroad=True, company=ca,
            company_started_on=D(2016, 6, 1),
        )  # fmt: skip
        fb = r.founder(thisted, "FB", born=D(1970, 1, 1))
        fc = r.founder(
            morsoe, "FC", female=True, born=D(1970, 1, 1), born_abroad=False,
            company_started_on=D(2017, 1, 1),
        )  # fmt: skip
        fd = r.founder(
            morsoe, "FD", born=D(1995, 1, 1), company=cd, company_started_on=D(2017, 3, 1)
        )
        fe = r.founder(thisted, "FE", female=True, company_started_on=D(2016, 9, 1))
        ff = r.founder(thisted, "FF", female=True)
        r.session(les_t, fa, D(2016, 3, 1))
        r.session(les_t, fb, D(2016, 4, 1))
        r.session(les_t, fb, D(2016, 5, 1))
        r.session(nord, fc, D(2016, 10, 1))
        r.session(les_t, fe, D(2016, 8, 1), kind="brief")
        r.session(les_t, ff, D(2019, 1, 10))

        # Companies: CA and CX (no founder) guided in Thisted, CD in Morsø; CY by the hub
        # only, CZ a brief contact.
        cx, cy, cz = (r.company(thisted, name) for name in ("CX", "CY", "CZ"))
        cx.started_on = D(2010, 1, 1)  # more than three years before its guidance
        cx.save()
        r.session(les_t, ca, D(2016, 7, 1))
        r.session(les_t, cx, D(2016, 11, 1))
        r.session(les_m, cd, D(2017, 4, 1))
        r.session(nord, cy, D(2017, 4, 1))
        r.session(les_t, cz, D(2017, 4, 1), kind="brief")

        # Events: a course in Morsø (FD, CD, P1, P2 present; P3 absent), one in Thisted (P1
        # again) and the hub's (P4).
        course = event(r, les_m, morsoe, D(2017, 2, 1))
        take_part(r, course, founder=fd)
        take_part(r, course, company=cd)
        p1 = {"name": "P1", "email": "p1@example.dk", "sex": "F", "age_band": "18_30"}
        take_part(r, course, **p1, born_abroad=True)
        take_part(r, course, name="P2", sex="M", age_band="31_64", born_abroad=False)
        take_part(r, course, name="P3", sex="F", age_band="18_30", attended=False)
        take_part(r, event(r, les_t, thisted, D(2016, 10, 1)), **p1)
        take_part(r, event(r, nord, thisted, D(2016, 10, 2)), name="P4", sex="F")

        # Full-time equivalents: CX (first guided 2016: from 2015) 10 -> 13, though 2017->2018
        # fell; CD (first guided 2017: from 2016) 4 -> 3; CA started in 2016, no year before
        # its guidance; CY (the hub's) and CZ (a brief contact) grew but do not count.
        for company, years in (
            (cx, {2015: 10, 2016: 12, 2017: 15, 2018: 13}),
            (cd, {2015: 1, 2016: 4, 2017: 5, 2018: 3}),
            (ca, {2016: 1, 2018: 2}),
            (cy, {2015: 1, 2018: 9}),
            (cz, {2016: 1, 2018: 5}),
        ):
            for year, fte in years.items():
                do_record_year(company, year, source=Source.IMPORTED, employees_fte=fte)

        compute_attainment(contract, AS_OF)
        yield SimpleNamespace(contract=contract, records=r, thisted=thisted, les_t=les_t)
        transaction.set_rollback(True)


def counts(seed, number: str) -> tuple:
    """(Thisted, Morsø, total) values of goal ``number``."""
    rows = snapshots(seed.contract, number)
    return rows["Thisted"][0], rows["Morsø"][0], rows[TOTAL][0]


def test_seed_004_the_programme_as_written(seed):
    contract = seed.contract

    assert (contract.starts_on, contract.ends_on) == (D(2015, 9, 1), D(2018, 12, 31))
    assert contract.report_shape == "eu"
    assert set(contract.municipalities.values_list("name", flat=True)) == set(EU_MUNICIPALITIES)
    targets = dict(contract.goals.values_list("number", "target"))
    assert (targets["1"], targets["1a"], targets["1b"], targets["1c"]) == (400, 150, None, None)
    assert (targets["2"], targets["2a"], targets["3"], targets["4"], targets["5"]) == (
        300,
        125,
        500,
        120,
        100,
    )
    assert targets["6"] == 300  # "nya företag som får stöd"
    jobs = contract.goals.get(number="5")
    assert (jobs.indicator, jobs.params) == ("jobs_created", {"whole_period": True})


def test_seed_004_1_companies_supported(seed):
    """CA, CX (Thisted) and CD (Morsø) = 3; not CY (the hub), not CZ (a brief contact)."""
    assert counts(seed, "1") == (2, 1, 3)


def test_seed_004_1_breakdowns_by_the_founder_who_started_the_company(seed):
    """Women: CA (FA). Young: CA (FA 26 on 1.7.2016) and CD (FD 22). Foreign-born: CA. CX has
    no founder and counts in none."""
    assert counts(seed, "1a") == (1, 0, 1)
    assert counts(seed, "1b") == (1, 1, 2)
    assert counts(seed, "1c") == (1, 0, 1)


def test_seed_004_2_persons_who_started_a_company(seed):
    """FA (guided before her start) and FD (a course before his start) = 2; not FC (the hub
    only), not FE (a brief contact only). Of them women FA; young FA and FD; foreign-born
    FA."""
    assert counts(seed, "2") == (1, 1, 2)
    assert counts(seed, "2a") == (1, 0, 1)
    assert counts(seed, "2b") == (1, 1, 2)
    assert counts(seed, "2c") == (1, 0, 1)


def test_seed_004_3_start_up_courses_count_persons_with_what_they_gave(seed):
    """Morsø: FD and CD (the company he started: one participant), P1, P2 = 3; Thisted: P1.
    Total 3 (P1 by her e-mail, once). Not P3 (absent), not P4 (the hub's event). Women: P1.
    Young: P1 (gave 18-30) and FD (22 on the day)."""
    assert counts(seed, "3") == (1, 3, 3)
    assert counts(seed, "3a") == (1, 1, 1)
    assert counts(seed, "3b") == (1, 2, 2)


def test_seed_004_4_meetings_and_persons_with_ideas(seed):
    """Meetings: FA once, FB twice = 3 (not FE's brief contact, FF after the end, FC the
    hub's). Persons: FA and FB; women, young and foreign-born: FA."""
    assert counts(seed, "4") == (3, 0, 3)
    assert counts(seed, "4p") == (2, 0, 2)
    assert counts(seed, "4pa") == (1, 0, 1)
    assert counts(seed, "4pb") == (1, 0, 1)
    assert counts(seed, "4pc") == (1, 0, 1)


def test_seed_004_a_person_who_gave_nothing_counts_in_no_breakdown(seed):
    """A person without CPR who gave neither sex, age band nor birthplace is a participant,
    and in no breakdown."""
    r = seed.records
    at = event(r, seed.les_t, seed.thisted, D(2018, 5, 1))
    take_part(r, at, name="P5")

    compute_attainment(seed.contract, AS_OF)

    assert counts(seed, "3") == (2, 3, 4)
    assert counts(seed, "3a") == (1, 1, 1)
    assert counts(seed, "3b") == (1, 2, 2)


def test_seed_004_6_new_companies_supported_are_up_to_three_years_after_their_start(seed):
    """CA (started 1.6.2016, guided 1.7.2016) = 1; not CX (started 2010), not CD (no start
    date: not known to be new)."""
    assert counts(seed, "6") == (1, 0, 1)


def test_seed_004_5_jobs_created_over_the_programme(seed):
    # From the year before each company's first guidance in the programme to 2018: CX
    # 13 - 10 (2015) = +3 in Thisted, CD 3 - 4 (2016) = -1 in Morsø; CA has no FTE for
    # 2015, CY and CZ were never guided by a party.
    assert counts(seed, "5") == (3, -1, 2)
