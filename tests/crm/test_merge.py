"""Merging a duplicate company or founder into the record to keep (crm.merging)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract, Evaluation, Goal, Snapshot
from contracts.services import compute_attainment
from crm import merging
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
from crm.services import do_add_contact, do_create_company, do_create_founder
from referrals.models import Referral
from tests.conftest import CVRS, assert_four_users, record_consent

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def duplicate(world):
    return do_create_company(
        world.consultant, cvr=CVRS[1], name="Østergaard Smedie", municipality=world.home
    )


def test_a_merge_moves_every_related_row_and_the_history_to_the_survivor(
    world, company, duplicate, referral, django_capture_on_commit_callbacks
):
    # The referral fixture is on ``company``: move it to the duplicate, with the rest.
    Referral.objects.filter(pk=referral.pk).update(company=duplicate)
    record_consent(world.consultant, duplicate)  # a session, a contact person, a consent
    do_add_contact(world.consultant, duplicate, name="Jens Holm", role="Ejer")
    network = Network.objects.create(
        name="Erfa", kind="erfa", municipality=world.home, started_on="2025-01-01"
    )
    network.members.add(company, duplicate)  # both are members: kept once
    DevelopmentProject.objects.create(
        company=duplicate,
        municipality=world.home,
        title="LAG",
        identified_on="2025-01-01",
        funding="lag",
    )
    ProgrammeEnrolment.objects.create(
        company=duplicate,
        municipality=world.home,
        programme="Vækst",
        growth_level="A",
        started_on="2025-01-01",
    )
    Evaluation.objects.create(
        operator=world.local, company=duplicate, municipality=world.home, answered_on="2025-03-01"
    )
    founder = do_create_founder(
        world.consultant, cpr_number="0202855678", name="Bo", municipality=world.home
    )
    Founder.objects.filter(pk=founder.pk).update(company=duplicate)
    duplicate_pk = duplicate.pk
    with django_capture_on_commit_callbacks(execute=True):
        result = merging.do_merge(world.manager, company, duplicate)
    assert not Company.objects.filter(pk=duplicate_pk).exists()
    for model in [GuidanceSession, Consent, ContactPerson, DevelopmentProject, ProgrammeEnrolment]:
        assert model.objects.filter(company=company).exists(), model
    assert ContactPerson.objects.filter(company=company).count() == 3  # two were the duplicate's
    assert Referral.objects.get(pk=referral.pk).company == company
    assert Evaluation.objects.get().company == company
    assert Founder.objects.get(pk=founder.pk).company == company
    assert list(network.members.all()) == [company]
    # Every relation Django knows of was walked: nothing points at the duplicate any more.
    for related, field, _many in merging.relations(Company):
        assert not related._base_manager.filter(**{f"{field}_id": duplicate_pk}).exists()
    events = company.events.filter(pgh_context__metadata__merge__isnull=False)
    assert events.exists()  # the merge is in the survivor's history
    assert result.moved["crm.guidancesession.company"] >= 1


def contacted_companies(goal) -> int:
    return Snapshot.objects.get(goal=goal, as_of=TODAY, municipality=None).value


def test_a_merge_recomputes_the_snapshots_after_its_commit(
    world, company, duplicate, django_capture_on_commit_callbacks
):
    contract = Contract.objects.create(
        kind="performance",
        title="Resultatkontrakt Viborg",
        starts_on=datetime.date(TODAY.year, 1, 1),
        ends_on=datetime.date(TODAY.year, 12, 31),
        status="active",
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    goal = Goal.objects.create(
        contract=contract, number="1", title="Kontaktede", indicator="companies_contacted"
    )
    record_consent(world.consultant, company)  # a session with each of the two
    record_consent(world.consultant, duplicate)
    compute_attainment(contract, TODAY)
    assert contacted_companies(goal) == 2

    with django_capture_on_commit_callbacks() as after_commit:
        result = merging.do_merge(world.manager, company, duplicate)
    assert contacted_companies(goal) == 2 and result.contract_ids == []  # not before commit
    for callback in after_commit:
        callback()

    assert result.contract_ids == [contract.pk]
    assert contacted_companies(goal) == 1  # one company, met twice


def test_a_founder_merge_moves_sessions(world, founder):
    other = do_create_founder(
        world.consultant, cpr_number="0202855678", name="Ane Aaberg", municipality=world.home
    )
    record_consent(world.consultant, other)
    merging.do_merge(world.manager, founder, other)
    assert GuidanceSession.objects.filter(founder=founder).exists()
    assert not Founder.objects.filter(pk=other.pk).exists()


def test_only_a_manager_merges(world, company, duplicate):
    with pytest.raises(Exception) as error:
        merging.do_merge(world.consultant, company, duplicate)
    assert error.type.__name__ == "PermissionDenied"
    assert Company.objects.filter(pk=duplicate.pk).exists()


def test_the_merge_page_for_the_four_users(world, company, duplicate):
    url = reverse("company-merge", args=[company.pk])
    assert_four_users(world, url, allowed=world.manager, no_right=world.consultant)
    response = world.client_for(world.manager).post(url, {"duplicate": duplicate.pk})
    assert response.status_code == 302
    assert not Company.objects.filter(pk=duplicate.pk).exists()


def test_the_merge_api(world, company, duplicate):
    url = reverse("api-merge-list")
    data = {"kind": "company", "survivor": company.pk, "duplicate": duplicate.pk}
    consultant = world.client_for(world.consultant)
    assert consultant.post(url, data, content_type="application/json").status_code == 403
    manager = world.client_for(world.manager)
    response = manager.post(url, data, content_type="application/json")
    assert response.status_code == 200, response.content
    assert not Company.objects.filter(pk=duplicate.pk).exists()
