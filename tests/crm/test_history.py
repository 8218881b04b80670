import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from crm import services
from tests.conftest import record_consent

pytestmark = pytest.mark.django_db


def events_of(model_name: str, obj):
    return apps.get_model("crm", f"{model_name}Event").objects.filter(pgh_obj_id=obj.pk)


def test_a_change_in_the_browser_is_kept_with_who_and_what(world, company):
    client = world.client_for(world.consultant)
    client.post(
        reverse("company-edit", args=[company.pk]),
        {"name": "Østergaard Smedie & Co ApS", "municipality": world.home.pk},
    )

    update = events_of("Company", company).get(pgh_label="update")
    assert update.name == "Østergaard Smedie & Co ApS"
    assert update.pgh_context.metadata["user"] == world.consultant.pk
    assert update.pgh_context.metadata["url"] == reverse("company-edit", args=[company.pk])
    assert events_of("Company", company).filter(pgh_label="insert").count() == 1


def test_bulk_updates_are_kept_too(world, company):
    type(company).objects.filter(pk=company.pk).update(employees=12)

    assert events_of("Company", company).filter(pgh_label="update").get().employees == 12


def test_every_record_kind_keeps_history(world, company, founder):

    today = timezone.localdate()
    session = services.do_log_session(
        world.consultant, company, operator=world.local, date=today, tier="local", channel="phone"
    )
    consent = record_consent(world.consultant, founder, given_on=today, scope="all")
    contact = services.do_add_contact(world.consultant, company, name="Mette Holm")
    network = services.do_create_network(
        world.consultant, name="Erfa", kind="erfa", municipality=world.home, started_on=today
    )
    project = services.do_add_project(
        world.consultant, company, title="Gårdbutik", identified_on=today, funding="lag"
    )
    enrolment = services.do_enrol_programme(
        world.consultant, founder, programme="Vækstspor", growth_level="B", started_on=today
    )

    for name, obj in [
        ("GuidanceSession", session),
        ("Consent", consent),
        ("ContactPerson", contact),
        ("Network", network),
        ("DevelopmentProject", project),
        ("ProgrammeEnrolment", enrolment),
        ("Founder", founder),
    ]:
        assert events_of(name, obj).filter(pgh_label="insert").exists(), name
