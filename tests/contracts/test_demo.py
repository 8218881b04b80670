import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings

from contracts.demo import ActivitySizes, seed_contracts
from contracts.demo.activity import DEMO_RURAL, SYD_HUB, mark_demo_rural
from contracts.demo.evaluations import EVALUATION_SOURCE
from contracts.models import Contract, Evaluation, Snapshot
from contracts.services import compute_attainment
from crm.demo import DemoSizes, seed_demo
from crm.models import Company, GuidanceSession, Municipality, Operator
from crm.reference import load_reference_data
from referrals.models import Referral, ReferralEvent
from reporting.models import Report
from reporting.services import render

MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"
CRM = DemoSizes(companies=120, founders=20, sessions=400, projects=8, enrolments=6)
SMALL = ActivitySizes(companies=150)
D = datetime.date


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The crm demo and the contracts with their activity, once for the module."""
    fast_hasher = override_settings(PASSWORD_HASHERS=[MD5])
    with django_db_blocker.unblock(), fast_hasher, transaction.atomic():
        load_reference_data()
        seed_demo(CRM)
        seed_contracts(SMALL)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded, db):
    return Contract.objects.get(title__startswith="Resultatkontrakt 2022")


def syd_hub() -> Operator:
    return Operator.objects.get(name=SYD_HUB)


def counts() -> list[int]:
    models = (Contract, Company, GuidanceSession, Evaluation, Referral, ReferralEvent)
    return [model.objects.count() for model in models]


def test_the_hub_guides_its_companies_in_2021_and_2022(demo):
    companies = Company.objects.filter(municipality__in=syd_hub().municipalities.all())
    sessions = GuidanceSession.objects.filter(operator=syd_hub())

    assert companies.count() == SMALL.companies
    assert companies.values("municipality").distinct().count() == 13
    assert {d.year for d in sessions.values_list("date", flat=True)} == {2021, 2022}
    assert not sessions.exclude(tier="specialised").exists()
    assert not sessions.exclude(company__in=companies).exists()
    assert not sessions.filter(consultants__isnull=True).exists()
    both = companies.filter(sessions__date__year=2021).filter(sessions__date__year=2022)
    assert 0 < both.distinct().count() < companies.filter(sessions__date__year=2022).count()


def test_evaluations_of_2022_answer_for_companies_the_hub_guided_before(demo):
    answers = Evaluation.objects.filter(source=EVALUATION_SOURCE)

    assert answers.count() > 20
    for row in answers.select_related("company"):
        assert D(2022, 1, 1) <= row.answered_on <= D(2022, 12, 31)
        assert row.operator_id == syd_hub().pk
        assert row.municipality_id == row.company.municipality_id
        assert row.segment == row.company.segment
        assert GuidanceSession.objects.filter(
            company=row.company_id, operator=syd_hub(), date__lt=row.answered_on
        ).exists()
    assert set(answers.values_list("segment", flat=True)) == {"operations", "growth"}


def test_midtjylland_gets_answers_for_viborg_2014_and_the_demo_year(demo):
    viborg = Evaluation.objects.filter(source__endswith="Viborg 2014")
    year = Evaluation.objects.filter(source__endswith="Erhvervshus Midtjylland")

    assert viborg.count() == 70
    assert not viborg.exclude(answered_on__year=2014).exists()
    assert not viborg.exclude(municipality__name="Viborg").exists()
    assert year.exists()
    assert not year.exclude(municipality__region__code="1082").exists()
    assert not year.exclude(operator__name="Erhvervshus Midtjylland").exists()


def test_every_computed_goal_of_the_kkr_contract_has_a_value(demo):
    compute_attainment(demo, D(2022, 12, 31))
    totals = Snapshot.objects.filter(goal__contract=demo, municipality=None)

    assert totals.count() == demo.goals.exclude(indicator="").exclude(is_milestone=True).count()
    assert not totals.filter(value__isnull=True).exists()
    new = totals.get(goal__number="1")
    assert 0 < new.numerator < new.denominator  # some were guided in 2021 too
    assert totals.get(goal__number="2").value >= 10
    assert 0 < totals.get(goal__number="8d").value < 100


def test_hub_referrals_to_advisers_in_2022_carry_uptake(demo):
    referrals = Referral.objects.filter(sender_operator=syd_hub())

    assert referrals.exists()
    assert not referrals.exclude(sent_at__year=2022).exists()
    assert not referrals.filter(target_adviser__isnull=True).exists()
    assert referrals.exclude(uptake="").exists()
    assert not referrals.filter(state="withdrawn").exclude(uptake="").exists()
    assert ReferralEvent.objects.filter(referral__in=referrals).count() >= referrals.count()


def test_rural_is_set_for_the_demo_only_when_no_class_is_set(demo):
    municipalities = list(syd_hub().municipalities.all())
    rural = set(Municipality.objects.filter(rural_urban="rural").values_list("name", flat=True))
    assert rural == set(DEMO_RURAL)

    Municipality.objects.filter(name__in=DEMO_RURAL).update(rural_urban="")
    Municipality.objects.filter(name="Kolding").update(rural_urban="urban")
    mark_demo_rural(Municipality.objects.filter(pk__in=[m.pk for m in municipalities]))

    assert not Municipality.objects.filter(rural_urban="rural").exists()


def test_seeding_twice_creates_nothing(demo):
    before = counts()

    seed_contracts(SMALL)

    assert counts() == before


def test_the_eu_programme_of_seed_004_is_loaded_with_its_breakdowns(demo):
    programme = Contract.objects.get(source__startswith="Seed 004")

    assert programme.report_shape == "eu"
    assert programme.municipalities.count() == 8
    assert programme.goals.filter(params__breakdown="women").count() == 4
    assert programme.goals.get(number="1").target == 400


def test_the_eu_programmes_last_half_year_report_renders(demo):
    programme = Contract.objects.get(source__startswith="Seed 004")
    reader = get_user_model().objects.create(username="eu-reader")
    report = Report.objects.create(
        kind=Report.Kind.HALF_YEAR,
        contract=programme,
        period_start=D(2018, 7, 1),
        period_end=D(2018, 12, 31),
        created_by=reader,
        language="da",
    )

    assert render(report).state == Report.State.DONE
    assert report.file.size > 0
