"""Issue 14: referring without the subject's consent offers to record it in the same flow
(crm.consents' rules: evidence required) and keeps the typed reason."""

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Consent
from referrals.models import Referral

pytestmark = pytest.mark.django_db

REASON = "Ønsker hjælp til eksport til Tyskland"


def referral_post(world) -> dict:
    return {"sender_operator": world.local.pk, "target_operator": world.hub.pk, "reason": REASON}


def consent_post(world, contact, **change) -> dict:
    data = {
        "consent-with_consent": "1",
        "consent-given_on": timezone.localdate().isoformat(),
        "consent-method": "meeting",
        "consent-given_by": contact.pk,
        "consent-scope": "named",
        "consent-operators": [world.hub.pk],
    }
    return data | change


@pytest.fixture
def met_today(world, company):
    """The consultant met the company today and its director said yes to sharing."""
    services.do_log_session(
        world.consultant, company, operator=world.local, date=timezone.localdate(),
        tier="local", channel="visit", kind="brief",
    )  # fmt: skip
    return services.do_add_contact(world.consultant, company, name="Mette Holm", role="Direktør")


def test_without_consent_the_page_asks_for_it_and_keeps_the_reason(world, company):
    url = reverse("company-referral-create", args=[company.pk])

    response = world.client_for(world.consultant).post(url, referral_post(world))

    assert response.status_code == 400
    assert response.context["consent_form"] is not None
    assert 'name="consent-with_consent"' in response.text
    assert REASON in response.text and "data-error-summary" in response.text
    assert not Referral.objects.exists() and not Consent.objects.exists()


def test_the_consent_recorded_in_the_flow_sends_the_referral(world, company, met_today):
    url = reverse("company-referral-create", args=[company.pk])
    data = referral_post(world) | consent_post(world, met_today)

    response = world.client_for(world.consultant).post(url, data)

    referral = Referral.objects.get()
    assert response["Location"] == reverse("referral-detail", args=[referral.pk])
    assert referral.reason == REASON
    consent = Consent.objects.get()
    assert (consent.given_by, list(consent.operators.all())) == (met_today, [world.hub])
    assert consent.confirmed_at is not None


def test_a_consent_without_evidence_is_refused_and_nothing_is_sent(world, company, met_today):
    url = reverse("company-referral-create", args=[company.pk])
    data = referral_post(world) | consent_post(world, met_today, **{"consent-method": "form"})

    response = world.client_for(world.consultant).post(url, data)

    assert response.status_code == 400
    assert "Upload den underskrevne samtykkeblanket." in response.text
    assert REASON in response.text
    assert not Referral.objects.exists() and not Consent.objects.exists()


def test_a_consent_awaiting_confirmation_holds_the_referral_and_is_not_asked_twice(world, company):
    contact = services.do_add_contact(world.consultant, company, name="Mette Holm")
    url = reverse("company-referral-create", args=[company.pk])
    client = world.client_for(world.consultant)
    by_email = consent_post(world, contact, **{"consent-method": "email"})

    recorded = client.post(url, referral_post(world) | by_email)
    again = client.post(url, referral_post(world))

    assert recorded.status_code == again.status_code == 400
    assert Consent.objects.get().confirmed_at is None  # not guided: the subject confirms
    assert again.context["consent_form"] is None
    assert "gælder først, når" in again.text and REASON in again.text
    assert not Referral.objects.exists()
