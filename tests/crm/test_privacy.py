"""The consent rule beyond sessions (seed 002): without the company's or founder's consent,
other operators see the registry facts only - no contact persons, development projects,
growth programmes or consents - on the pages, in the API and in exports. And the segment is
set by hub staff only."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm import consents, services
from crm.models import (
    Company,
    Consent,
    ContactPerson,
    DevelopmentProject,
    Membership,
    ProgrammeEnrolment,
)
from crm.services import NotAllowed
from reporting.models import ExportLog
from tests.conftest import CVRS, record_consent
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SECRETS = ["Bo Smed", "+45 20 30 40 50", "Nyt værksted", "Vækstkraft"]


@pytest.fixture
def logged(world, company, founder):
    """What the local service logged on the company and the founder, beyond registry facts;
    and a consent the company gave to Aarhus's local service only."""
    consultant = world.consultant
    return {
        "contact": services.do_add_contact(
            consultant, company, name="Bo Smed", role="Ejer", phone="+45 20 30 40 50"
        ),
        "project": services.do_add_project(
            consultant, company, title="Nyt værksted", identified_on=TODAY, funding="lag"
        ),
        "enrolment": services.do_enrol_programme(
            consultant, company, programme="Vækstkraft", growth_level="B", started_on=TODAY
        ),
        "founder_enrolment": services.do_enrol_programme(
            consultant, founder, programme="Iværksætterspor", growth_level="C", started_on=TODAY
        ),
        "consent": record_consent(
            consultant,
            company,
            given_on=TODAY,
            scope=Consent.Scope.NAMED,
            operators=[world.other_local],
        ),
    }


def page(world, user, subject) -> str:
    kind = "company" if isinstance(subject, Company) else "founder"
    response = world.client_for(user).get(reverse(f"{kind}-detail", args=[subject.pk]))
    assert response.status_code == 200
    return response.text


def test_without_consent_the_hub_sees_only_the_registry_facts_on_the_page(world, company, logged):
    text = page(world, world.triage, company)

    assert company.name in text and company.cvr in text
    for secret in SECRETS + ["Erhvervsservice Aarhus"]:  # the consent names Aarhus
        assert secret not in text, secret
    assert all(secret in page(world, world.consultant, company) for secret in SECRETS)


def test_with_consent_the_hub_sees_the_history_until_withdrawn(world, company, logged):
    consent = record_consent(
        world.consultant, company, given_on=TODAY, scope=Consent.Scope.NAMED, operators=[world.hub]
    )
    assert all(secret in page(world, world.triage, company) for secret in SECRETS)

    consents.do_withdraw_consent(world.consultant, consent, on=TODAY)
    text = page(world, world.triage, company)

    assert not any(secret in text for secret in SECRETS)
    # The withdrawn consent names the hub: the hub sees that it may no longer share.
    assert "Tilbagekaldt" in text


def test_a_founders_programmes_and_consents_need_consent_too(world, founder, logged):
    assert "Iværksætterspor" not in page(world, world.triage, founder)

    record_consent(world.consultant, founder, given_on=TODAY, scope="all")

    assert "Iværksætterspor" in page(world, world.triage, founder)


def test_a_hub_that_guided_the_company_sees_what_is_logged_on_it(world, company, logged):
    services.do_log_session(
        world.triage,
        company,
        operator=world.hub,
        date=TODAY,
        tier="specialised",
        channel="visit",
    )

    text = page(world, world.triage, company)

    assert all(secret in text for secret in SECRETS)


SHARED = {
    "contact": ("api-contact", ContactPerson),
    "project": ("api-project", DevelopmentProject),
    "enrolment": ("api-enrolment", ProgrammeEnrolment),
    "founder_enrolment": ("api-enrolment", ProgrammeEnrolment),
    "consent": ("api-consent", Consent),
}


def listed(world, user, endpoint) -> list[int]:
    response = world.client_for(user).get(reverse(f"{endpoint}-list"))
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("kind", SHARED)
def test_api_hides_the_row_from_other_operators_without_consent(world, logged, kind):
    endpoint, model = SHARED[kind]
    row = logged[kind]
    detail = reverse(f"{endpoint}-detail", args=[row.pk])

    assert row.pk in listed(world, world.consultant, endpoint)
    assert world.client_for(world.consultant).get(detail).status_code == 200
    for other in (world.triage, world.outsider):  # the hub; another municipality's service
        assert row.pk not in listed(world, other, endpoint)
        assert world.client_for(other).get(detail).status_code == 404
        assert not model.objects.visible_to(other).filter(pk=row.pk).exists()
    assert Client().get(detail).status_code == 401


@pytest.mark.parametrize("kind", ["contact", "project", "enrolment"])
def test_api_shows_the_row_to_the_hub_with_consent(world, logged, hub_consent, kind):
    endpoint, _model = SHARED[kind]
    row = logged[kind]

    assert row.pk in listed(world, world.triage, endpoint)
    detail = reverse(f"{endpoint}-detail", args=[row.pk])
    assert world.client_for(world.triage).get(detail).status_code == 200
    # Another municipality's service stays outside, consent or not.
    assert row.pk not in listed(world, world.outsider, endpoint)


def test_a_consent_is_seen_by_the_operators_it_names_and_by_its_recorders(world, company):
    hubs_own = record_consent(
        world.triage,
        company,
        given_on=TODAY,
        scope=Consent.Scope.NAMED,
        operators=[world.other_local],
    )
    to_the_hub = record_consent(
        world.consultant, company, given_on=TODAY, scope=Consent.Scope.NAMED, operators=[world.hub]
    )
    consents.do_withdraw_consent(world.consultant, to_the_hub, on=TODAY)

    visible = set(Consent.objects.visible_to(world.triage).values_list("pk", flat=True))

    assert visible == {hubs_own.pk, to_the_hub.pk}


def test_the_participant_export_leaves_out_what_the_hub_may_not_see(world, logged):
    url = reverse("export-participants", args=["csv"])

    hub = world.client_for(world.triage).get(url, {"programme": "Vækstkraft"})
    local = world.client_for(world.consultant).get(url, {"programme": "Vækstkraft"})

    assert "Østergaard" not in hub.content.decode("utf-8-sig")
    assert "Østergaard" in local.content.decode("utf-8-sig")
    assert list(ExportLog.objects.order_by("pk").values_list("user", "rows")) == [
        (world.triage.pk, 0),
        (world.consultant.pk, 1),
    ]


# --- Segment: set by hub staff (seed 002) --------------------------------------------------


def test_a_local_consultant_may_not_set_the_segment_and_nothing_is_written(world):
    with pytest.raises(NotAllowed, match="erhvervshusets medarbejdere"):
        services.do_create_company(
            world.consultant,
            cvr=CVRS[1],
            name="Vækst ApS",
            municipality=world.home,
            segment=Company.Segment.GROWTH,
        )
    assert not Company.objects.filter(cvr=CVRS[1]).exists()


def test_only_hub_staff_change_the_segment(world, company):
    with pytest.raises(NotAllowed):
        services.do_update_company(world.consultant, company, segment=Company.Segment.GROWTH)
    company.refresh_from_db()
    assert company.segment == ""

    services.do_update_company(world.triage, company, segment=Company.Segment.GROWTH)
    # Others may go on correcting the company; the segment they leave as it is.
    services.do_update_company(
        world.consultant, company, name="Ny Smedie ApS", segment=Company.Segment.GROWTH
    )

    company.refresh_from_db()
    assert (company.name, company.segment) == ("Ny Smedie ApS", Company.Segment.GROWTH)


def test_staff_of_a_hub_elsewhere_may_not_set_the_segment(world, company):
    hub_elsewhere = OperatorFactory(name="Erhvervshus Andetsteds", kind="hub")
    services.do_set_operator_municipalities(hub_elsewhere, [world.other])
    services.do_add_membership(world.consultant, hub_elsewhere, Membership.Role.CONSULTANT)

    with pytest.raises(NotAllowed):
        services.do_update_company(world.consultant, company, segment=Company.Segment.OPERATIONS)


def test_the_company_form_offers_the_segment_to_hub_staff_only(world, company):
    url = reverse("company-edit", args=[company.pk])
    local = world.client_for(world.consultant).get(url)
    hub = world.client_for(world.triage).get(url)

    assert local.context["form"].fields["segment"].disabled
    assert not hub.context["form"].fields["segment"].disabled

    data = {
        "name": company.name,
        "municipality": world.home.pk,
        "segment": Company.Segment.GROWTH,
    }
    response = world.client_for(world.consultant).post(url, data)
    company.refresh_from_db()
    assert response.status_code == 302 and company.segment == ""  # a disabled field is ignored
    response = world.client_for(world.triage).post(url, data)
    company.refresh_from_db()
    assert response.status_code == 302 and company.segment == Company.Segment.GROWTH


def test_the_api_refuses_a_segment_from_a_local_consultant(world, company):
    url = reverse("api-company-detail", args=[company.pk])
    body = {"segment": Company.Segment.GROWTH}

    refused = world.client_for(world.consultant).patch(url, body, content_type="application/json")
    allowed = world.client_for(world.triage).patch(url, body, content_type="application/json")

    assert refused.status_code == 403
    assert "erhvervshusets medarbejdere" in refused.json()["detail"]
    assert allowed.status_code == 200 and allowed.json()["segment"] == "growth"
    new = {"cvr": CVRS[2], "name": "Ny ApS", "municipality": world.home.pk, "segment": "growth"}
    response = world.client_for(world.consultant).post(
        reverse("api-company-list"), new, content_type="application/json"
    )
    assert response.status_code == 403
    assert not Company.objects.filter(cvr=CVRS[2]).exists()


FOUNDER_DETAILS = {"address": "Søndergade 4", "phone": "+45 31 41 59 26", "email": "ane@eks.dk"}


def test_a_founders_contact_details_need_consent_on_the_page_and_in_the_api(world, founder):
    services.do_update_founder(world.consultant, founder, **FOUNDER_DETAILS)
    api = world.client_for(world.triage)
    url = reverse("api-founder-detail", args=[founder.pk])

    def shown_to_hub():
        text, data = page(world, world.triage, founder), api.get(url).json()
        on_page = [value for value in FOUNDER_DETAILS.values() if value in text]
        in_api = [data[field] for field in FOUNDER_DETAILS if data[field]]
        listed = api.get(reverse("api-founder-list")).json()["results"][0]
        return on_page, in_api, listed["phone"]

    assert shown_to_hub() == ([], [], None)
    assert founder.name in page(world, world.triage, founder)  # the registry facts stay
    assert all(
        value in page(world, world.consultant, founder) for value in FOUNDER_DETAILS.values()
    )

    record_consent(world.consultant, founder, given_on=TODAY, scope="all")

    on_page, in_api, listed_phone = shown_to_hub()
    assert len(on_page) == len(in_api) == 3 and listed_phone == FOUNDER_DETAILS["phone"]


def test_a_founders_details_are_changed_only_by_those_who_may_see_them(world, founder):
    services.do_update_founder(world.consultant, founder, **FOUNDER_DETAILS)
    hub = world.client_for(world.triage)
    edit = reverse("founder-edit", args=[founder.pk])
    api = reverse("api-founder-detail", args=[founder.pk])

    assert hub.get(edit).status_code == 403
    assert (
        hub.patch(api, {"phone": "+45 99 99 99 99"}, content_type="application/json").status_code
        == 403
    )
    assert reverse("founder-edit", args=[founder.pk]) not in page(world, world.triage, founder)
    founder.refresh_from_db()
    assert founder.phone == FOUNDER_DETAILS["phone"]

    record_consent(world.consultant, founder, given_on=TODAY, scope="all")

    assert hub.get(edit).status_code == 200
    assert FOUNDER_DETAILS["email"] in hub.get(edit).text
