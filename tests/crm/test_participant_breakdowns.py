"""Seed 004's breakdowns on participants: sex, age band and born abroad as a person without
CPR gives them (optional), a founder's from its record, a company's never asked."""

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import events, services
from crm.models import EventParticipant
from tests.crm.test_events import PERSON_CPR, new_event

pytestmark = pytest.mark.django_db


def test_a_person_registered_on_the_page_carries_what_she_gave(world):
    event = new_event(world)
    client = world.client_for(world.consultant)
    data = {"kind": "person", "name": "Pia Ung", "municipality": world.home.pk}

    client.post(
        reverse("event-register", args=[event.pk]),
        {**data, "sex": "F", "age_band": "18_30", "born_abroad": "true"},
    )
    client.post(
        reverse("event-register", args=[event.pk]),
        {**data, "name": "Per Tavs", "born_abroad": "unknown"},
    )

    given = dict(EventParticipant.objects.values_list("name", "born_abroad"))
    assert given == {"Pia Ung": True, "Per Tavs": None}
    assert EventParticipant.objects.get(name="Pia Ung").age_band == "18_30"
    assert EventParticipant.objects.get(name="Per Tavs").sex == ""


def test_a_company_or_founder_takes_no_typed_breakdown(world, company, founder):
    event = new_event(world)

    row = events.do_register_participant(
        world.consultant, event, company=company, sex="F", born_abroad=True
    )
    other = events.do_register_participant(
        world.consultant, event, founder=founder, age_band="18_30"
    )

    assert (row.sex, row.born_abroad, other.age_band) == ("", None, "")


def test_a_person_who_becomes_a_founder_takes_her_birthplace_to_the_record(world):
    event = new_event(world, date=timezone.localdate())
    person = events.do_register_participant(
        world.consultant, event, name="Ida Idé", municipality=world.home, sex="F", born_abroad=True
    )

    founder, _created = events.do_make_founder_from_participant(
        world.consultant, person, cpr_number=PERSON_CPR, name="Ida Idé", municipality=world.home
    )

    founder.refresh_from_db()
    person.refresh_from_db()
    assert founder.born_abroad is True
    assert (person.founder, person.sex, person.born_abroad) == (founder, "", None)


def test_a_founders_birthplace_is_in_the_api_with_the_details_only(world, founder):
    services.do_update_founder(world.consultant, founder, born_abroad=True)
    url = reverse("api-founder-detail", args=[founder.pk])

    assert world.client_for(world.consultant).get(url).json()["born_abroad"] is True
    assert world.client_for(world.triage).get(url).json()["born_abroad"] is None  # no consent
