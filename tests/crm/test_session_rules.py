"""Issue 14: a guidance session typed in by a person is checked for plausibility (the rules in
crm.services.session_rule_errors), on the page and through the API alike; a failed save shows
an error summary and keeps what was typed, the CPR number of a founder too, never in plaintext."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Founder, GuidanceSession
from tests.conftest import CPR

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)
DAY = datetime.timedelta(days=1)
PLAUSIBLE = {
    "date": TODAY,
    "kind": "full",
    "content": "Eksport til Tyskland",
    "hours_before": 1,
    "hours_during": 2,
    "hours_after": 1,
    "screening_done": False,
    "screening_result": "",
    "follow_up_on": None,
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date": TODAY + DAY}, "date"),
        ({"date": TODAY - services.SESSION_MAX_AGE_DAYS * DAY - DAY}, "date"),
        ({"follow_up_on": TODAY}, "follow_up_on"),
        ({"screening_result": "A"}, "screening_result"),
        ({"content": "  "}, "content"),
        ({"hours_before": 0, "hours_during": 0, "hours_after": 0}, "hours_during"),
        ({"hours_after": 25}, "hours_after"),
    ],
)
def test_each_session_rule_names_its_field(change, field):
    assert list(services.session_rule_errors(PLAUSIBLE | change, today=TODAY)) == [field]


def test_a_correction_of_an_old_session_may_keep_its_date_but_not_move_to_another_old_one():
    old = TODAY - 3 * services.SESSION_MAX_AGE_DAYS * DAY
    kept = PLAUSIBLE | {"date": old}

    assert services.session_rule_errors(kept, today=TODAY, stored_date=old) == {}
    moved = services.session_rule_errors(kept, today=TODAY, stored_date=old + DAY)
    assert list(moved) == ["date"]


def test_a_plausible_session_and_a_brief_contact_without_content_pass():
    brief = PLAUSIBLE | {"kind": "brief", "content": "", "hours_during": 0, "hours_before": 0}
    oldest = PLAUSIBLE | {"date": TODAY - services.SESSION_MAX_AGE_DAYS * DAY}
    screened = PLAUSIBLE | {"screening_done": True, "screening_result": "A"}
    for session in (PLAUSIBLE, brief, oldest, screened, PLAUSIBLE | {"follow_up_on": TODAY + DAY}):
        assert services.session_rule_errors(session, today=TODAY) == {}


def session_post(world, **change) -> dict:
    today = timezone.localdate()
    data = {
        "date": today.isoformat(),
        "operator": world.local.pk,
        "tier": "local",
        "channel": "visit",
        "kind": "full",
        "hours_before": "1",
        "hours_during": "2",
        "hours_after": "1",
        "content": "Eksport til Tyskland",
    }
    return data | change


def test_the_session_form_refuses_with_the_errors_on_their_fields_and_keeps_the_input(
    world, company
):
    tomorrow = (timezone.localdate() + DAY).isoformat()
    data = session_post(world, date=tomorrow, screening_result="B", content="Typed notes")

    response = world.client_for(world.consultant).post(
        reverse("company-session-create", args=[company.pk]), data
    )

    assert response.status_code == 400
    form = response.context["session_form"]
    assert set(form.errors) == {"date", "screening_result"}
    assert "data-error-summary" in response.text
    assert 'href="#id_date"' in response.text and 'href="#id_screening_result"' in response.text
    assert "Typed notes" in response.text and f'value="{tomorrow}"' in response.text
    assert not GuidanceSession.objects.exists()


def test_the_api_applies_the_same_rules_on_create_and_on_a_partial_update(world, company):
    client = world.client_for(world.consultant)
    data = session_post(world, company=company.pk, hours_during="30")

    created = client.post(reverse("api-session-list"), data, content_type="application/json")

    assert created.status_code == 400
    assert list(created.json()) == ["hours_during"]
    session = services.do_log_session(
        world.consultant, company, operator=world.local, date=timezone.localdate(),
        tier="local", channel="visit", content="Eksport",
    )  # fmt: skip
    url = reverse("api-session-detail", args=[session.pk])
    patched = client.patch(url, {"follow_up_on": session.date.isoformat()}, "application/json")
    assert patched.status_code == 400
    assert list(patched.json()) == ["follow_up_on"]


def test_colleagues_are_offered_by_full_name(world, company):
    world.manager.first_name, world.manager.last_name = "Karen", "Blixen"
    world.manager.save()

    response = world.client_for(world.consultant).get(reverse("company-detail", args=[company.pk]))

    consultants = response.context["session_form"]["consultants"]
    labels = [choice.choice_label for choice in consultants]
    assert "Karen Blixen" in labels
    assert world.manager.username not in labels
    assert 'class="picker"' in str(consultants)


def founder_post(world, **change) -> dict:
    return {"name": "Ane Åberg", "municipality": world.home.pk, "cpr_number": CPR} | change


def test_the_founder_form_keeps_a_typed_cpr_number_encrypted_after_an_error(world):
    client = world.client_for(world.consultant)

    failed = client.post(reverse("founder-create"), founder_post(world, email="ikke en adresse"))

    assert failed.status_code == 200 and "email" in failed.context["form"].errors
    digits = re.sub(r"\D", "", CPR)
    assert digits not in re.sub(r"[-\s]", "", failed.text)
    kept = failed.context["form"].data["cpr_kept"]
    assert f'value="{kept}"' in failed.text and "er gemt" in failed.text

    saved = client.post(
        reverse("founder-create"), founder_post(world, cpr_number="", cpr_kept=kept)
    )

    assert saved.status_code == 302
    assert services.find_founder_by_cpr(CPR) == Founder.objects.get()


def test_a_forged_kept_cpr_value_is_not_taken(world):
    response = world.client_for(world.consultant).post(
        reverse("founder-create"), founder_post(world, cpr_number="", cpr_kept="forged:value")
    )

    assert "cpr_number" in response.context["form"].errors
    assert not Founder.objects.exists()
