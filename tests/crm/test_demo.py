import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.test import override_settings
from django.utils import timezone
from stdnum.dk import cpr as stdnum_cpr
from stdnum.dk import cvr as stdnum_cvr

from crm import cpr
from crm.demo import REGION_CODE, DemoSizes, seed_demo
from crm.demo.identifiers import demo_cpr
from crm.models import (
    Company,
    Consent,
    ContactPerson,
    DevelopmentProject,
    Founder,
    GuidanceSession,
    Network,
    ProgrammeEnrolment,
)
from crm.queries import follow_ups_due
from crm.reference import load_reference_data

MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"
SMALL = DemoSizes(companies=120, founders=20, sessions=400, projects=8, enrolments=6)


def record_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Company,
            ContactPerson,
            Founder,
            GuidanceSession,
            GuidanceSession.consultants.through,
            Consent,
            Network,
            DevelopmentProject,
            ProgrammeEnrolment,
        )
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module, in a transaction rolled back at its end (each test then runs
    in a savepoint inside it): seeding takes seconds, mostly in the permission sync."""
    fast_hasher = override_settings(PASSWORD_HASHERS=[MD5])
    with django_db_blocker.unblock(), fast_hasher, transaction.atomic():
        load_reference_data()
        yield seed_demo(SMALL)
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded, db):
    return seeded


def test_demo_holds_the_sizes_asked_for_in_region_midtjylland(demo):
    assert demo.created["companies"] == Company.objects.count() == 120
    assert Founder.objects.count() == 20
    assert GuidanceSession.objects.count() == 400
    assert DevelopmentProject.objects.count() == 8
    assert ProgrammeEnrolment.objects.count() == 6
    assert Network.objects.count() == 19 + 2  # one per municipality, two spanning several
    assert ContactPerson.objects.exists() and Consent.objects.exists()
    assert not Company.objects.exclude(municipality__region__code=REGION_CODE).exists()
    assert Company.objects.values("municipality").distinct().count() == 19


def test_demo_holds_events_with_companies_founders_and_persons(demo):
    from crm.models import Event, EventParticipant

    today = timezone.localdate()
    assert demo.created["events"] == Event.objects.count() == 19 * 2
    assert Event.objects.filter(date__gt=today).count() == 19  # one coming up in each
    rows = EventParticipant.objects
    assert demo.created["event participants"] == rows.count()
    assert rows.filter(company__isnull=False).exists()
    assert rows.filter(founder__isnull=False).exists()
    assert rows.filter(company__isnull=True, founder__isnull=True).exclude(name="").exists()
    assert not rows.filter(event__date__gt=today, attended__isnull=False).exists()
    assert rows.filter(event__date__lte=today, attended=True).exists()


def test_demo_holds_figures_by_year_for_most_companies(demo):
    from crm.models import CompanyYear

    years = CompanyYear.objects
    assert demo.created["company years"] == years.count() > 0
    assert years.values("company").distinct().count() > 120 / 2
    assert years.filter(export_share__isnull=False).exists()
    assert not years.exclude(revenue_source="imported").exists()


def test_every_demo_cvr_number_is_valid(demo):
    for number in Company.objects.values_list("cvr", flat=True):
        assert stdnum_cvr.is_valid(number), number


def test_every_founder_is_stored_as_the_service_stores_one(demo):
    today = timezone.localdate()
    for founder in Founder.objects.all():
        number = cpr.decrypt(founder.cpr_encrypted)
        assert cpr.clean_cpr(number) == number
        assert cpr.lookup_hash(number) == founder.cpr_hash
        assert (cpr.birth_date(number), cpr.sex(number)) == (founder.birth_date, founder.sex)
        age = (today - founder.birth_date).days // 365.25
        assert 18 <= age <= 70


def test_demo_cpr_gets_century_and_sex_right_around_2000():
    import random

    rng = random.Random(1)
    for born in (datetime.date(1956, 3, 1), datetime.date(1999, 12, 31), datetime.date(2007, 5, 9)):
        for sex in ("F", "M"):
            number = demo_cpr(rng, born, sex)
            assert stdnum_cpr.get_birth_date(number) == born
            assert cpr.sex(number) == sex


def test_sessions_belong_to_their_subjects_municipality(demo):
    sessions = GuidanceSession.objects
    assert (
        not sessions.filter(company__isnull=False)
        .exclude(municipality=F("company__municipality"))
        .exists()
    )
    assert (
        not sessions.filter(founder__isnull=False)
        .exclude(municipality=F("founder__municipality"))
        .exists()
    )
    assert (
        not sessions.filter(tier="local")
        .exclude(operator__municipalities=F("municipality"))
        .exists()
    )
    assert sessions.filter(tier="specialised", operator__name="Erhvervshus Midtjylland").exists()
    assert not sessions.filter(consultants__isnull=True).exists()


def test_sessions_cover_the_last_year_only(demo):
    today = timezone.localdate()
    dates = GuidanceSession.objects.values_list("date", flat=True)
    assert min(dates) >= today - datetime.timedelta(days=366)
    assert max(dates) <= today


def test_demo_consultant_has_follow_ups_due(demo):
    konsulent = get_user_model().objects.get(username="konsulent")
    today = timezone.localdate()

    assert follow_ups_due(konsulent, today).exists()
    assert GuidanceSession.objects.filter(
        municipality__name="Viborg", created_by=konsulent, follow_up_on__gt=today
    ).exists()


def test_seeding_twice_creates_no_duplicates_and_resets_passwords(demo):
    before = record_counts()
    konsulent = get_user_model().objects.get(username="konsulent")

    again = seed_demo(SMALL)

    assert again.created == {}
    assert record_counts() == before
    konsulent.refresh_from_db()
    login = next(login for login in again.logins if login.username == "konsulent")
    assert konsulent.check_password(login.password)
