"""Events and group activities: the rules (crm.events), who sees the participants, and the
pages walked as the four kinds of user."""

import datetime

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm import cpr, events, services
from crm.models import ConsentAccess, EventParticipant, Founder, Membership
from crm.services import DomainError, NotAllowed
from tests.conftest import CPR, CVRS, assert_four_users, make_member, record_consent
from tests.counting import assert_queries_do_not_grow, page_rows
from tests.crm.test_api_reads import valid_cvrs

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PERSON = {"name": "Ida Idé", "email": "ida@example.dk"}
PERSON_CPR = "0302954321"  # 3 February 1995


def new_event(world, user=None, **fields):
    defaults = {
        "title": "Start egen virksomhed",
        "kind": "course",
        "date": TODAY,
        "place": "Viborg Bibliotek",
        "municipality": world.home,
        "operator": world.local,
        "themes": ["start_up"],
        "hours": 3,
    }
    return events.do_create_event(user or world.consultant, **{**defaults, **fields})


@pytest.fixture
def event(world):
    return new_event(world)


@pytest.fixture
def person(world, event):
    return events.do_register_participant(
        world.consultant, event, **PERSON, municipality=world.home
    )


def history(model_name: str, obj):
    return apps.get_model("crm", f"{model_name}Event").objects.filter(pgh_obj_id=obj.pk)


# --- The rules -----------------------------------------------------------------------------


def test_a_company_a_founder_and_a_person_are_registered_and_those_who_came_marked(
    world, event, company, founder
):
    registered = [
        events.do_register_participant(world.consultant, event, company=company),
        events.do_register_participant(world.consultant, event, founder=founder),
        events.do_register_participant(world.consultant, event, **PERSON, municipality=world.other),
    ]

    changed = events.do_mark_attendance(world.consultant, event, present=registered[:2])

    assert [p.kind for p in registered] == ["company", "founder", "person"]
    assert changed == 3
    assert {p.kind: p.attended for p in event.participants.all()} == {
        "company": True,
        "founder": True,
        "person": False,
    }
    assert registered[2].municipality == world.other  # a person gives its own
    assert history("EventParticipant", registered[0]).filter(pgh_label="update").count() == 1


def test_a_participant_is_registered_once(world, event, company, person):
    events.do_register_participant(world.consultant, event, company=company)

    with pytest.raises(DomainError, match="allerede tilmeldt"):
        events.do_register_participant(world.consultant, event, company=company)
    with pytest.raises(DomainError, match="allerede tilmeldt"):
        events.do_register_participant(
            world.consultant, event, name="Ida", email="IDA@example.dk", municipality=world.home
        )


def test_attendance_is_marked_from_the_event_day(world):
    tomorrow = new_event(world, date=TODAY + datetime.timedelta(days=1))

    with pytest.raises(DomainError, match="arrangementets dato"):
        events.do_mark_attendance(world.consultant, tomorrow, present=[])


def test_attendance_takes_only_the_events_own_participants(world, event, person):
    other = new_event(world, title="Eksportcafé")
    stranger = events.do_register_participant(
        world.consultant, other, name="Bo", municipality=world.home
    )

    with pytest.raises(DomainError):
        events.do_mark_attendance(world.consultant, event, present=[person, stranger])


def test_only_staff_of_the_organiser_and_its_partners_change_the_event(world, event, company):
    hub_consultant = make_member(world.hub, Membership.Role.CONSULTANT)  # serves Viborg too

    with pytest.raises(NotAllowed):
        events.do_register_participant(hub_consultant, event, company=company)
    with pytest.raises(DomainError):  # another municipality
        events.do_register_participant(world.outsider, event, company=company)

    events.do_update_event(world.consultant, event, partners=[world.hub])
    events.do_register_participant(hub_consultant, event, company=company)

    assert event.participants.get().company == company
    added = apps.get_model("crm", "EventPartnerEvent").objects.get(pgh_label="add")
    assert (added.event_id, added.operator_id) == (event.pk, world.hub.pk)


def test_the_organiser_and_municipality_of_an_event_stay(world, event):
    with pytest.raises(DomainError):
        events.do_update_event(world.consultant, event, municipality=world.other)

    events.do_update_event(world.consultant, event, title="Start egen virksomhed II", hours=4)

    event.refresh_from_db()
    assert (event.title, event.hours) == ("Start egen virksomhed II", 4)
    assert history("Event", event).filter(pgh_label="update").get().title == event.title


def test_an_event_is_created_for_the_users_own_operator(world):
    with pytest.raises(DomainError, match="egen operatør"):
        new_event(world, operator=world.hub)


def test_a_person_becomes_a_founder_without_typing_it_again(world, person):
    founder, created = events.do_make_founder_from_participant(
        world.consultant,
        person,
        cpr_number=PERSON_CPR,
        name=person.name,
        email=person.email,
        municipality=world.home,
    )

    person.refresh_from_db()
    assert created and person.founder == founder and person.kind == "founder"
    assert (person.name, person.email) == ("", "")  # the founder record holds them now
    assert founder.email == PERSON["email"] and founder.masked_cpr == "030295-xxxx"
    assert PERSON_CPR.encode() not in bytes(founder.cpr_encrypted)
    assert cpr.decrypt(founder.cpr_encrypted) == PERSON_CPR
    with pytest.raises(DomainError, match="allerede knyttet"):
        events.do_make_company_from_participant(
            world.consultant, person, cvr=CVRS[1], name="Idé ApS", municipality=world.home
        )


def test_a_person_whose_cpr_number_is_registered_is_linked_to_that_founder(world, founder, person):
    linked, created = events.do_make_founder_from_participant(
        world.consultant, person, cpr_number=CPR, name="Retyped", municipality=world.home
    )

    assert (linked, created) == (founder, False)
    assert Founder.objects.count() == 1 and Founder.objects.get().name == founder.name


def test_a_person_becomes_a_company(world, person):
    company, created = events.do_make_company_from_participant(
        world.consultant, person, cvr=CVRS[1], name="Idé ApS", municipality=world.home
    )

    person.refresh_from_db()
    assert created and person.company == company and person.kind == "company"


def test_merging_two_registered_duplicates_moves_both_registrations(world, event, company):
    from crm.merging import do_merge

    duplicate = services.do_create_company(
        world.consultant, cvr=CVRS[1], name="Østergaard Smedie", municipality=world.home
    )
    for registered in (company, duplicate):
        events.do_register_participant(world.consultant, event, company=registered)

    do_merge(world.manager, company, duplicate)

    assert [p.company for p in event.participants.all()] == [company, company]


# --- Who sees the participants -------------------------------------------------------------


def test_other_operators_see_a_participant_only_with_its_consent(world, event, company, person):
    events.do_register_participant(world.consultant, event, company=company)
    hub_consultant = make_member(world.hub, Membership.Role.CONSULTANT)
    visible = EventParticipant.objects.visible_to

    assert visible(hub_consultant).count() == 0
    assert visible(world.consultant).count() == 2
    assert visible(world.outsider).count() == 0

    record_consent(world.consultant, company, scope="named", operators=[world.hub])

    assert [p.company for p in visible(hub_consultant)] == [company]  # never the person


def test_a_participant_read_on_a_consent_is_logged(world, event, company):
    events.do_register_participant(world.consultant, event, company=company)
    record_consent(world.consultant, company, scope="named", operators=[world.hub])
    hub_consultant = make_member(world.hub, Membership.Role.CONSULTANT)

    response = world.client_for(hub_consultant).get(reverse("event-detail", args=[event.pk]))

    assert company.name in response.text
    read = ConsentAccess.objects.get(record=ConsentAccess.Record.EVENT)
    assert (read.user, read.holder, read.company) == (hub_consultant, world.local, company)
    assert 'id="register"' not in response.text  # the hub does not run it


def test_the_subjects_page_lists_its_events_and_logs_a_read_on_a_consent(world, event, company):
    events.do_register_participant(world.consultant, event, company=company)
    events.do_mark_attendance(world.consultant, event, present=event.participants.all())
    record_consent(world.consultant, company, scope="named", operators=[world.hub])
    url = reverse("company-detail", args=[company.pk])

    own = world.client_for(world.consultant).get(url).text
    hub = world.client_for(world.triage).get(url).text

    for text in (own, hub):
        assert 'data-kind="event"' in text and "Start egen virksomhed" in text and "mødt" in text
    read = ConsentAccess.objects.get(record=ConsentAccess.Record.EVENT)
    assert (read.user, read.holder) == (world.triage, world.local)


# --- Pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["event-list", "event-create"])
def test_event_pages_without_municipality_for_the_four_users(world, name):
    url = reverse(name)
    assert world.client_for(world.consultant).get(url).status_code == 200
    assert world.client_for(world.outsider).get(url).status_code == 200
    assert world.client_for(world.viewer).get(url).status_code == 403
    assert Client().get(url)["Location"].startswith("/login/")


def test_the_list_shows_only_the_users_municipalities(world, event):
    new_event(
        world,
        user=world.outsider,
        title="Aarhus-kursus",
        municipality=world.other,
        operator=world.other_local,
    )

    response = world.client_for(world.consultant).get(reverse("event-list"))

    assert [e.title for e in response.context["page"]] == ["Start egen virksomhed"]
    assert "Aarhus-kursus" not in response.text


@pytest.mark.parametrize("name", ["event-detail", "event-edit"])
def test_event_pages_for_the_four_users(world, event, name):
    assert_four_users(world, reverse(name, args=[event.pk]), allowed=world.consultant)


def test_event_actions_for_the_four_users(world, event, company):
    register = reverse("event-register", args=[event.pk])
    data = {"kind": "company", "cvr": company.cvr}
    assert_four_users(world, register, allowed=world.consultant, method="post", data=data, ok=302)
    attendance = reverse("event-attendance", args=[event.pk])
    present = {"present": [event.participants.get().pk]}
    assert_four_users(
        world, attendance, allowed=world.consultant, method="post", data=present, ok=302
    )
    assert event.participants.get().attended is True


@pytest.mark.parametrize("name", ["participant-make-founder", "participant-make-company"])
def test_participant_pages_for_the_four_users(world, person, name):
    assert_four_users(world, reverse(name, args=[person.pk]), allowed=world.consultant)


def test_staff_of_another_operator_in_the_municipality_may_not_run_the_event(world, event, person):
    client = world.client_for(world.triage)  # the hub serves Viborg

    assert client.get(reverse("event-detail", args=[event.pk])).status_code == 200
    assert client.get(reverse("event-edit", args=[event.pk])).status_code == 403
    assert client.post(reverse("event-register", args=[event.pk]), {}).status_code == 403
    assert client.get(reverse("participant-make-founder", args=[person.pk])).status_code == 404


def test_a_founder_is_registered_by_cpr_number_and_the_number_is_never_shown(world, event, founder):
    client = world.client_for(world.consultant)
    url = reverse("event-register", args=[event.pk])

    wrong = client.post(url, {"kind": "founder", "cpr_number": "0101901111"})
    done = client.post(url, {"kind": "founder", "cpr_number": "010190-2345"}, follow=True)

    assert wrong.status_code == 400 and "0101901111" not in wrong.text
    assert "Ingen iværksætter med dette CPR-nummer" in wrong.text
    assert event.participants.get().founder == founder
    assert "010190-xxxx" in done.text and CPR not in done.text


def test_a_person_needs_a_name_and_a_municipality(world, event):
    response = world.client_for(world.consultant).post(
        reverse("event-register", args=[event.pk]), {"kind": "person", "email": "x@example.dk"}
    )

    assert response.status_code == 400
    assert set(response.context["participant_form"].errors) == {"name", "municipality"}


def test_make_founder_prefills_the_founder_form_and_links_the_participant(world, person):
    client = world.client_for(world.consultant)
    url = reverse("participant-make-founder", args=[person.pk])

    form = client.get(url).context["form"]
    response = client.post(
        url,
        {
            "cpr_number": PERSON_CPR,
            "name": PERSON["name"],
            "email": PERSON["email"],
            "municipality": world.home.pk,
        },
    )

    assert form.initial["name"] == PERSON["name"] and form.initial["email"] == PERSON["email"]
    founder = Founder.objects.get(name=PERSON["name"])
    assert response["Location"] == reverse("founder-detail", args=[founder.pk])
    person.refresh_from_db()
    assert person.founder == founder
    again = client.get(url)  # linked already: back to the event
    assert again["Location"] == reverse("event-detail", args=[person.event_id])


def test_the_event_list_does_not_query_per_row(world):
    def add(k):
        for i in range(k):
            event = new_event(world, title=f"Kursus {i}", partners=[world.hub])
            events.do_register_participant(
                world.consultant, event, name=f"Deltager {i}", municipality=world.home
            )

    assert_queries_do_not_grow(
        world.client_for(world.consultant), reverse("event-list"), add, page_rows("page")
    )


def test_the_event_page_does_not_query_per_participant(world, event):
    """Companies, founders and persons in turn."""
    cvrs, numbers = iter(valid_cvrs(20)), iter(range(1000, 1100))

    def participant(number: int) -> dict:
        if number % 3 == 0:
            name = f"Firma {number}"
            fields = {"cvr": next(cvrs), "name": name, "municipality": world.home}
            return {"company": services.do_create_company(world.consultant, **fields)}
        if number % 3 == 1:
            fields = {"name": f"Iværksætter {number}", "municipality": world.home}
            cpr_number = f"020285{number}"
            return {
                "founder": services.do_create_founder(
                    world.consultant, cpr_number=cpr_number, **fields
                )
            }
        return {"name": f"Person {number}", "municipality": world.home}

    def add(k):
        for _ in range(k):
            events.do_register_participant(world.consultant, event, **participant(next(numbers)))

    assert_queries_do_not_grow(
        world.client_for(world.consultant),
        reverse("event-detail", args=[event.pk]),
        add,
        page_rows("participants"),
        n=3,
    )


def test_make_company_prefills_the_company_form_and_links_the_participant(world, person):
    client = world.client_for(world.consultant)
    url = reverse("participant-make-company", args=[person.pk])

    form = client.get(url).context["form"]
    response = client.post(url, {"cvr": CVRS[1], "name": "Idé ApS", "municipality": world.home.pk})

    assert form.initial["name"] == PERSON["name"]
    person.refresh_from_db()
    assert person.company.name == "Idé ApS"
    assert response["Location"] == reverse("company-detail", args=[person.company_id])
