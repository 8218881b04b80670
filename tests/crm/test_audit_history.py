"""A record's change history that people can read (issue 15): who changed what, when and from
where, in Danish, with field names and old and new values; many-to-many changes too; a CPR
number never in clear; for the managers of the operators that hold the records."""

import datetime
import itertools

import pghistory
import pytest
from django.urls import reverse
from django.utils import timezone

from crm import cpr, services
from crm.models import Company, Founder, Membership
from crm.models.guidance import ConsentOperator, NetworkMember, SessionConsultant
from crm.register_sync import HISTORY_SOURCE
from crm.services import do_set_operator_municipalities
from referrals.services import accept_referral, send_referral
from tests.conftest import assert_four_users, make_member, record_consent
from tests.counting import assert_queries_do_not_grow
from tests.crm.test_records import form_data, log_session
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def history(world, subject, user=None):
    kind = "company" if isinstance(subject, Company) else "founder"
    client = world.client_for(user or world.manager)
    response = client.get(reverse(f"{kind}-history", args=[subject.pk]))
    assert response.status_code == 200
    return response


def test_the_history_is_for_the_managers_of_the_municipality(world, company, founder):
    for kind, subject in [("company", company), ("founder", founder)]:
        url = reverse(f"{kind}-history", args=[subject.pk])
        assert_four_users(world, url, allowed=world.manager, no_right=world.consultant)
        assert world.client_for(world.viewer).get(url).status_code == 403


def test_many_to_many_changes_are_kept_with_who_did_them(world, company):
    session = log_session(world, company, consultants=[world.consultant])
    network = services.do_create_network(
        world.consultant, name="Erfa Viborg", kind="erfa", municipality=world.home, started_on=TODAY
    )
    consent = record_consent(world.consultant, company, scope="named", operators=[world.hub])

    with pghistory.context(user=world.manager.pk):
        session.consultants.set([world.manager])
        network.members.add(company)
        consent.operators.remove(world.hub)

    events = SessionConsultant.pgh_event_model.objects.filter(guidancesession=session)
    assert sorted(events.values_list("pgh_label", "user_id")) == [
        ("add", world.consultant.pk),
        ("add", world.manager.pk),
        ("remove", world.consultant.pk),
    ]
    removed = events.get(pgh_label="remove")
    assert removed.pgh_context.metadata["user"] == world.manager.pk
    members = NetworkMember.pgh_event_model.objects.filter(network=network)
    assert list(members.values_list("pgh_label", "company_id")) == [("add", company.pk)]
    operators = ConsentOperator.pgh_event_model.objects.filter(consent=consent)
    assert sorted(operators.values_list("pgh_label", flat=True)) == ["add", "remove"]


def test_the_history_page_shows_a_consultant_added_on_the_session_page(world, company):
    world.manager.first_name, world.manager.last_name = "Lone", "Leder"
    world.manager.save()
    session = log_session(world, company, consultants=[world.consultant])
    client = world.client_for(world.consultant)
    url = reverse("session-edit", args=[session.pk])
    data = form_data(client.get(url)) | {"consultants": [world.consultant.pk, world.manager.pk]}
    assert client.post(url, data).status_code == 302

    text = history(world, company).text

    assert "Konsulenter: „Lone Leder“" in text
    assert "Tilføjet" in text
    assert f"Siden {url}" in text
    assert f"Vejledning: {TODAY:%d.%m.%Y}" in text


def test_the_history_names_the_field_and_its_old_and_new_value(world, company):
    client = world.client_for(world.consultant)
    url = reverse("company-edit", args=[company.pk])
    data = form_data(client.get(url)) | {"name": "Østergaard Smedie & Søn ApS", "employees": "7"}
    assert client.post(url, data).status_code == 302

    rows = history(world, company).context["page"].rows

    update = rows[0]
    assert update.action == "Ændret"
    assert update.user == world.consultant
    changes = {change.label: (change.old, change.new) for change in update.changes}
    assert changes["Navn"] == ("Østergaard Smedie ApS", "Østergaard Smedie & Søn ApS")
    assert changes["Antal ansatte"] == ("–", "7")
    assert rows[-1].action == "Oprettet"


def test_the_register_refresh_and_the_api_are_named_as_the_source(world, company):
    with pghistory.context(source=HISTORY_SOURCE):
        Company.objects.filter(pk=company.pk).update(city="Viborg")
    client = world.client_for(world.consultant)
    response = client.patch(
        reverse("api-company-detail", args=[company.pk]),
        {"employees": 3},
        content_type="application/json",
        HTTP_IF_MATCH=client.get(reverse("api-company-detail", args=[company.pk]))["ETag"],
    )
    assert response.status_code == 200

    sources = [row.source for row in history(world, company).context["page"].rows]

    assert sources[0] == f"API'et ({reverse('api-company-detail', args=[company.pk])})"
    assert sources[1] == "CVR-registret (natlig opdatering)"


def test_a_cpr_number_is_never_shown_only_that_it_changed(world, founder):
    old_hash = Founder.objects.get(pk=founder.pk).cpr_hash
    new_cpr = "0202854321"
    Founder.objects.filter(pk=founder.pk).update(
        cpr_encrypted=cpr.encrypt(new_cpr),
        cpr_hash=cpr.lookup_hash(new_cpr),
        birth_date=datetime.date(1985, 2, 2),
    )

    response = history(world, founder)

    changes = response.context["page"].rows[0].changes
    assert [(c.label, c.new, c.hidden) for c in changes] == [("CPR-nummer", "ændret", True)]
    for secret in ["0101902345", "0202854321", "020285", old_hash, cpr.lookup_hash(new_cpr)]:
        assert secret not in response.text


def test_other_operators_sessions_are_not_in_the_history(world, company, hub_consent):
    hub_session = services.do_log_session(
        world.triage,
        company,
        operator=world.hub,
        date=TODAY,
        tier="specialised",
        channel="phone",
        content="Hubbens fortrolige note",
        consultants=[world.triage],
    )

    text = history(world, company).text

    assert "Hubbens fortrolige note" not in text
    assert SessionConsultant.pgh_event_model.objects.filter(guidancesession=hub_session).exists()
    assert world.triage.get_username() not in text


def sessions_listed(response) -> int:
    rows = response.context["page"].rows
    return sum(row.action == "Oprettet" and row.record.startswith("Vejledning") for row in rows)


def test_the_history_page_does_not_query_per_row(world, company):
    numbers = itertools.count()

    def change(k):
        with pghistory.context(user=world.consultant.pk, url="/test/"):
            for _ in range(k):
                session = log_session(world, company, consultants=[world.consultant])
                session.consultants.add(world.manager)
                Company.objects.filter(pk=company.pk).update(employees=next(numbers))

    assert_queries_do_not_grow(
        world.client_for(world.manager),
        reverse("company-history", args=[company.pk]),
        change,
        sessions_listed,
        n=3,
    )


def referral_changes(response) -> list[tuple]:
    rows = response.context["page"].rows
    return [
        (row.record, change.old, change.new)
        for row in rows
        if row.record.startswith("Henvisning")
        for change in row.changes
        if change.label == "Status"
    ]


def test_the_senders_manager_sees_a_referral_sent_and_accepted(world, company, referral):
    accept_referral(world.triage, referral)

    changes = referral_changes(history(world, company))

    record = "Henvisning: Erhvervshus Midtjylland"
    assert changes == [(record, "Sendt", "Accepteret"), (record, "", "Sendt")]


def test_a_manager_of_an_unrelated_operator_sees_no_referral(world, company, referral):
    accept_referral(world.triage, referral)
    unrelated = OperatorFactory(name="Skive Erhverv")
    do_set_operator_municipalities(unrelated, [world.home])
    manager = make_member(unrelated, Membership.Role.MANAGER)

    response = history(world, company, manager)

    assert referral_changes(response) == []
    assert "Vækstpotentiale i eksport" not in response.text


def test_the_history_page_does_not_query_per_referral(world, company, hub_consent):
    def change(k):
        with pghistory.context(user=world.consultant.pk, url="/test/"):
            for _ in range(k):
                referral = send_referral(
                    world.consultant,
                    company,
                    sender_operator=world.local,
                    target_operator=world.hub,
                    reason="Eksport",
                )
                accept_referral(world.triage, referral)

    def accepted(response) -> int:
        return sum(new == "Accepteret" for _, _, new in referral_changes(response))

    url = reverse("company-history", args=[company.pk])
    assert_queries_do_not_grow(world.client_for(world.manager), url, change, accepted, n=3)


def test_older_changes_are_on_the_next_page(world, company):
    for employees in range(7):
        Company.objects.filter(pk=company.pk).update(employees=employees)
    from crm.audit import subject_history

    first = subject_history(world.manager, company, size=3)
    second = subject_history(world.manager, company, first.next_cursor, size=3)
    third = subject_history(world.manager, company, second.next_cursor, size=3)

    shown = [c.new for page in (first, second, third) for row in page.rows for c in row.changes]
    assert shown[:7] == ["6", "5", "4", "3", "2", "1", "0"]
    assert third.next_cursor is None
    assert [row.action for row in third.rows][-1] == "Oprettet"


def test_the_subject_page_links_to_the_history_for_managers_only(world, company):
    url = reverse("company-detail", args=[company.pk])
    history_url = reverse("company-history", args=[company.pk])

    assert history_url in world.client_for(world.manager).get(url).text
    assert history_url not in world.client_for(world.consultant).get(url).text
