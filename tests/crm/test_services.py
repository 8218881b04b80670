"""Correcting what was registered: sessions, development projects, contact persons."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import GuidanceSession
from crm.services import DomainError, NotAllowed
from tests.conftest import CVRS

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def log_session(world, subject, user=None, operator=None, **fields):
    defaults = {"date": TODAY, "tier": "local", "channel": "visit", "content": "Eksport"}
    return services.do_log_session(
        user or world.consultant, subject, operator=operator or world.local, **defaults | fields
    )


def events_of(model_name: str, obj):
    return apps.get_model("crm", f"{model_name}Event").objects.filter(pgh_obj_id=obj.pk)


# --- Sessions ------------------------------------------------------------------------------


def test_a_colleague_of_the_same_operator_corrects_a_session(world, company):
    session = log_session(world, company)

    services.do_update_session(
        world.manager,
        session,
        channel="phone",
        themes=["export", "green"],
        consultants=[world.consultant, world.manager],
    )

    session.refresh_from_db()
    assert (session.channel, session.themes) == ("phone", ["export", "green"])
    assert set(session.consultants.all()) == {world.consultant, world.manager}
    assert session.created_by == world.consultant


def test_without_consultants_named_the_session_keeps_its_consultants(world, company):
    session = log_session(world, company, consultants=[world.manager])

    services.do_update_session(world.consultant, session, content="Rettet")

    assert list(session.consultants.all()) == [world.manager]


def test_an_empty_consultant_list_means_the_editing_user(world, company):
    session = log_session(world, company, consultants=[world.manager])

    services.do_update_session(world.consultant, session, consultants=[])

    assert list(session.consultants.all()) == [world.consultant]


def test_another_operators_session_is_refused_even_with_consent(world, company, hub_consent):
    session = log_session(world, company)

    with pytest.raises(NotAllowed, match="Kun Viborgegnens Erhvervsråd"):
        services.do_update_session(world.triage, session, content="Hubbens version")

    session.refresh_from_db()
    assert session.content == "Eksport"


def test_a_user_without_the_right_in_the_municipality_is_refused(world, company):
    session = log_session(world, company)

    with pytest.raises(DomainError):
        services.do_update_session(world.viewer, session, content="Set af en læser")
    with pytest.raises(DomainError):
        services.do_update_session(world.outsider, session, content="Fra Aarhus")

    session.refresh_from_db()
    assert session.content == "Eksport"


@pytest.mark.parametrize("stranger", ["outsider", "triage"])
def test_a_consultant_of_another_operator_is_refused(world, company, stranger):
    session = log_session(world, company)

    with pytest.raises(DomainError, match="ansat hos"):
        services.do_update_session(
            world.consultant,
            session,
            content="Ny tekst",
            consultants=[getattr(world, stranger)],
        )

    session.refresh_from_db()
    assert session.content == "Eksport"
    assert list(session.consultants.all()) == [world.consultant]


@pytest.mark.parametrize(
    "field",
    [
        lambda world, other: {"company": other},
        lambda world, other: {"operator": world.hub},
        lambda world, other: {"municipality": world.other},
    ],
)
def test_subject_operator_and_municipality_stay(world, company, field):
    other = services.do_create_company(
        world.consultant, cvr=CVRS[1], name="Anden ApS", municipality=world.home
    )
    session = log_session(world, company)

    with pytest.raises(DomainError, match="kan ikke ændres"):
        services.do_update_session(world.consultant, session, **field(world, other))

    session.refresh_from_db()
    assert (session.company, session.operator, session.municipality) == (
        company,
        world.local,
        world.home,
    )


def test_a_correction_keeps_the_municipality_of_the_sessions_day(world, company):
    session = log_session(world, company)
    company.municipality = world.other
    company.save()
    session.refresh_from_db()

    services.do_update_session(world.consultant, session, content="Rettet efter flytningen")

    session.refresh_from_db()
    assert (session.municipality, session.content) == (world.home, "Rettet efter flytningen")


def test_invalid_session_data_leaves_the_row_and_its_consultants_unchanged(world, company):
    session = log_session(world, company)

    with pytest.raises(ValidationError) as error:
        services.do_update_session(
            world.consultant,
            session,
            hours_during=Decimal("-1"),
            content="Ændret",
            consultants=[world.manager],
        )

    assert "hours_during" in error.value.message_dict
    session = GuidanceSession.objects.get(pk=session.pk)
    assert (session.hours_during, session.content) == (4, "Eksport")
    assert list(session.consultants.all()) == [world.consultant]


def test_sessions_editable_by_follows_operator_and_right(world, company, hub_consent):
    meeting = hub_consent.company.sessions.get()  # where the company gave its consent
    local = log_session(world, company)
    hubs = log_session(world, company, user=world.triage, operator=world.hub, tier="focused")

    assert set(services.sessions_editable_by(world.consultant)) == {meeting, local}
    assert set(services.sessions_editable_by(world.triage)) == {hubs}
    assert not services.sessions_editable_by(world.viewer).exists()
    assert not services.sessions_editable_by(world.outsider).exists()


# --- Development projects and contact persons ------------------------------------------------


@pytest.fixture
def project(world, company):
    return services.do_add_project(
        world.consultant, company, title="Nyt værksted", identified_on=TODAY, funding="lag"
    )


def test_a_project_moves_on_to_granted(world, project):
    services.do_update_project(
        world.consultant, project, status="granted", amount_granted=Decimal("250000")
    )

    project.refresh_from_db()
    assert (project.status, project.amount_granted) == ("granted", Decimal("250000"))


def test_a_projects_company_stays(world, project):
    other = services.do_create_company(
        world.consultant, cvr=CVRS[1], name="Anden ApS", municipality=world.home
    )

    with pytest.raises(DomainError, match="kan ikke ændres"):
        services.do_update_project(world.consultant, project, company=other)

    project.refresh_from_db()
    assert project.company.cvr == CVRS[0]


def test_invalid_project_data_leaves_the_row_unchanged(world, project):
    with pytest.raises(ValidationError):
        services.do_update_project(world.consultant, project, status="lost", title="Ændret")

    project.refresh_from_db()
    assert (project.status, project.title) == ("identified", "Nyt værksted")


def test_project_and_contact_changes_need_the_right(world, company, project):
    contact = services.do_add_contact(world.consultant, company, name="Bo Smed")

    for user in (world.viewer, world.outsider):
        with pytest.raises(DomainError):
            services.do_update_project(user, project, status="applied")
        with pytest.raises(DomainError):
            services.do_update_contact(user, contact, role="Direktør")

    project.refresh_from_db()
    contact.refresh_from_db()
    assert (project.status, contact.role) == ("identified", "")


def test_a_contact_person_is_corrected_and_stays_with_the_company(world, company):
    contact = services.do_add_contact(world.consultant, company, name="Bo Smed")
    other = services.do_create_company(
        world.consultant, cvr=CVRS[1], name="Anden ApS", municipality=world.home
    )

    services.do_update_contact(world.triage, contact, role="Ejer", phone="12345678")
    with pytest.raises(DomainError, match="kan ikke ændres"):
        services.do_update_contact(world.consultant, contact, company=other)
    with pytest.raises(ValidationError):
        services.do_update_contact(world.consultant, contact, email="ikke-en-adresse")

    contact.refresh_from_db()
    assert (contact.role, contact.phone, contact.email) == ("Ejer", "12345678", "")
    assert contact.company == company


# --- History -------------------------------------------------------------------------------


def test_a_session_corrected_in_the_browser_is_kept_with_who_and_what(world, company):
    session = log_session(world, company)
    url = reverse("session-edit", args=[session.pk])
    data = {
        "date": TODAY.isoformat(),
        "tier": "local",
        "channel": "phone",
        "kind": "full",
        "hours_before": "1",
        "hours_during": "3",
        "hours_after": "1",
        "content": "Rettet: telefonmøde",
    }

    response = world.client_for(world.manager).post(url, data)

    assert response.status_code == 302
    update = events_of("GuidanceSession", session).get(pgh_label="update")
    assert (update.channel, update.content) == ("phone", "Rettet: telefonmøde")
    assert update.pgh_context.metadata["user"] == world.manager.pk
    assert update.pgh_context.metadata["url"] == url


def test_project_and_contact_corrections_are_kept(world, company, project):
    contact = services.do_add_contact(world.consultant, company, name="Bo Smed")

    services.do_update_project(world.consultant, project, status="applied")
    services.do_update_contact(world.consultant, contact, role="Ejer")

    assert events_of("DevelopmentProject", project).get(pgh_label="update").status == "applied"
    assert events_of("ContactPerson", contact).get(pgh_label="update").role == "Ejer"
