"""The server side of the phone app (issue 18): idempotency keys on the API's writes, a new
session checked against the company's version, the offline bundle, a new company by its CVR
number from the register, the follow-up from the phone, and logout clearing the phone."""

import datetime
import json
from functools import partial

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import anonymise, concurrency, idempotency
from crm.models import Company, Founder, GuidanceSession, IdempotentRequest
from crm.services import do_create_company, do_log_session, do_update_company
from crm.tasks import purge_access_logs
from tests.at_once import at_once
from tests.conftest import CPR, CVRS, make_member
from tests.crm.register_server import EXAMPLE_CVR, use_virk
from tests.crm.test_api_reads import valid_cvrs
from tests.crm.test_concurrency import Api

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SESSIONS = reverse("api-session-list")
BUNDLE = reverse("api-offline")
FROM_REGISTER = reverse("api-company-from-register")


def send(client: Client, url: str, data: dict, key: str = "", method: str = "post", **headers):
    if key:
        headers["Idempotency-Key"] = key
    call = getattr(client, method)
    return call(url, json.dumps(data), content_type="application/json", headers=headers)


def visit(world, company, **fields) -> dict:
    return {
        "company": company.pk,
        "operator": world.local.pk,
        "date": TODAY.isoformat(),
        "tier": "local",
        "channel": "visit",
        "themes": ["export"],
        "content": "Besøg på værkstedet",
    } | fields


def log_session(world, subject, **fields):
    defaults = {
        "date": TODAY,
        "tier": "local",
        "channel": "visit",
        "themes": ["export"],
        "content": "Besøg",
        "hours_during": 1,
    }
    return do_log_session(world.consultant, subject, operator=world.local, **(defaults | fields))


# --- Idempotency keys ------------------------------------------------------------------------


def test_a_session_sent_twice_with_one_key_is_logged_once_and_the_answer_replayed(world, company):
    client = world.client_for(world.consultant)

    first = send(client, SESSIONS, visit(world, company), key="outbox-1")
    second = send(client, SESSIONS, visit(world, company), key="outbox-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert GuidanceSession.objects.count() == 1


def test_the_same_key_with_another_body_is_refused_in_danish_and_writes_nothing(world, company):
    client = world.client_for(world.consultant)
    send(client, SESSIONS, visit(world, company), key="outbox-1")

    response = send(client, SESSIONS, visit(world, company, content="Andet"), key="outbox-1")

    assert response.status_code == 422
    assert "allerede brugt" in response.json()["detail"]
    assert GuidanceSession.objects.count() == 1


def test_a_refused_write_is_not_stored_and_may_be_sent_again_once_put_right(world, company):
    client = world.client_for(world.consultant)
    tomorrow = (TODAY + datetime.timedelta(days=1)).isoformat()

    refused = send(client, SESSIONS, visit(world, company, date=tomorrow), key="outbox-1")
    accepted = send(client, SESSIONS, visit(world, company), key="outbox-2")

    assert refused.status_code == 400
    assert "efter i dag" in refused.json()["date"][0]
    assert accepted.status_code == 201
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["outbox-2"]


def test_keys_are_per_user(world, company):
    colleague = make_member(world.local, "consultant")
    for user in (world.consultant, colleague):
        assert (
            send(world.client_for(user), SESSIONS, visit(world, company), key="k").status_code
            == 201
        )

    assert GuidanceSession.objects.count() == 2


def test_a_key_of_more_than_100_characters_is_refused(world, company):
    response = send(world.client_for(world.consultant), SESSIONS, visit(world, company), "x" * 101)

    assert response.status_code == 400
    assert not GuidanceSession.objects.exists()


def test_a_company_created_twice_with_one_key_is_created_once(world):
    client, url = world.client_for(world.consultant), reverse("api-company-list")
    data = {"cvr": CVRS[2], "name": "Ny ApS", "municipality": world.home.pk}

    answers = [send(client, url, data, key="new-company") for _ in range(2)]

    assert [answer.status_code for answer in answers] == [201, 201]
    assert Company.objects.filter(cvr=CVRS[2]).count() == 1


def test_a_patch_replayed_changes_nothing_the_second_time(world, company):
    client, url = (
        world.client_for(world.consultant),
        reverse("api-company-detail", args=[company.pk]),
    )
    send(client, url, {"city": "Viborg"}, key="edit-1", method="patch")
    do_update_company(world.consultant, company, city="Skive")  # somebody else, meanwhile

    replay = send(client, url, {"city": "Viborg"}, key="edit-1", method="patch")

    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert Company.objects.get(pk=company.pk).city == "Skive"


@pytest.mark.django_db(transaction=True)
def test_two_sendings_of_one_key_at_the_same_moment_log_one_session(live_server, world, company):
    api = Api(live_server, world.consultant)
    data = visit(world, company, company_version=concurrency.version(company))
    send_it = partial(api, "POST", "/api/v1/sessions/", data, **{"Idempotency-Key": "outbox-9"})

    # Both wait: the first for the company's row (held), the second for the first's key.
    answers = at_once(send_it, send_it, held=[company])

    assert [status for status, _body, _headers in answers] == [201, 201], answers
    assert answers[0][1] == answers[1][1]
    assert GuidanceSession.objects.count() == 1
    assert IdempotentRequest.objects.count() == 1


def test_keys_older_than_a_week_are_purged_by_the_nightly_log_purge(world, company):
    send(world.client_for(world.consultant), SESSIONS, visit(world, company), key="old")
    send(world.client_for(world.consultant), SESSIONS, visit(world, company), key="new")
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=idempotency.KEY_DAYS + 1)
    IdempotentRequest.objects.filter(key="old").update(created_at=old)

    purged = purge_access_logs()

    assert purged["idempotency_keys"] == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]


# --- A new session checked against the company's version ------------------------------------


def test_a_session_based_on_the_company_as_it_is_is_logged(world, company):
    data = visit(world, company, company_version=concurrency.version(company))

    response = send(world.client_for(world.consultant), SESSIONS, data)

    assert response.status_code == 201, response.json()


def test_a_session_based_on_a_company_changed_since_is_refused_with_412_and_the_changes(
    world, company
):
    read = concurrency.version(company)
    do_update_company(world.consultant, company, name="Østergaard Smedie og VVS ApS")
    data = visit(world, company, company_version=read)

    response = send(world.client_for(world.consultant), SESSIONS, data, key="outbox-1")

    assert response.status_code == 412
    body = response.json()
    assert "ændret af en anden" in body["detail"]
    assert {
        "field": "Navn",
        "old": "Østergaard Smedie ApS",
        "new": "Østergaard Smedie og VVS ApS",
    } in body["changes"]
    assert body["version"] == concurrency.version(Company.objects.get(pk=company.pk))
    assert not GuidanceSession.objects.exists()
    assert not IdempotentRequest.objects.exists()  # the phone may send it again, corrected


def test_a_session_based_on_a_founder_changed_since_is_refused_too(world, founder):
    read = concurrency.version(founder)
    founder.name = "Ane Åberg Holm"
    founder.save()
    data = visit(world, founder, founder_version=read) | {"company": None, "founder": founder.pk}

    response = send(world.client_for(world.consultant), SESSIONS, data)

    assert response.status_code == 412
    assert not GuidanceSession.objects.exists()


def test_a_session_on_a_company_no_longer_visible_is_refused(world, company):
    data = visit(world, company, company_version=concurrency.version(company))

    response = send(world.client_for(world.outsider), SESSIONS, data)

    assert response.status_code == 400
    assert "company" in response.json()


# --- The offline bundle ----------------------------------------------------------------------


def test_the_bundle_for_the_four_users(world):
    client = world.client_for
    assert client(world.consultant).get(BUNDLE).status_code == 200
    assert client(world.viewer).get(BUNDLE).status_code == 403
    assert client(world.outsider).get(BUNDLE).json()["companies"] == []
    assert Client().get(BUNDLE).status_code == 401


def test_the_bundle_holds_own_companies_founders_and_follow_ups_never_a_cpr_number(
    world, company, founder
):
    log_session(world, company, follow_up_on=TODAY + datetime.timedelta(days=1))
    log_session(world, founder)
    others = do_create_company(
        world.manager, cvr=CVRS[1], name="Andres ApS", municipality=world.home
    )
    log_session(world, others, date=TODAY - datetime.timedelta(days=800))  # too long ago

    response = world.client_for(world.consultant).get(BUNDLE)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert [row["name"] for row in body["companies"]] == ["Østergaard Smedie ApS"]
    assert body["companies"][0]["version"] == concurrency.version(company)
    assert body["founders"] == [
        {
            "id": founder.pk,
            "name": "Ane Åberg",
            "cpr_masked": "010190-xxxx",
            "municipality": world.home.pk,
            "version": concurrency.version(founder),
        }
    ]
    [due] = body["follow_ups"]
    assert (due["subject_name"], due["company"], due["founder"]) == (company.name, company.pk, None)
    assert CPR not in response.text and CPR[6:] not in response.text
    assert ["phone", "Telefon"] in body["choices"]["channel"]
    assert {"id": world.home.pk, "name": "Viborg"} in body["municipalities"]
    assert body["user"]["id"] == world.consultant.pk
    assert body["expires_at"] > body["generated_at"]


def test_the_bundle_leaves_out_companies_the_user_may_no_longer_see(world, company):
    log_session(world, company)
    company.municipality = world.other
    company.save()

    body = world.client_for(world.consultant).get(BUNDLE).json()

    assert body["companies"] == []


def test_the_bundle_reads_a_fixed_number_of_queries(world):
    client, cvrs = world.client_for(world.consultant), iter(valid_cvrs(30))

    def add(count: int) -> None:
        for n in range(count):
            made = do_create_company(
                world.consultant, cvr=next(cvrs), name=f"Firma {n}", municipality=world.home
            )
            log_session(world, made, follow_up_on=TODAY + datetime.timedelta(days=1))

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            body = client.get(BUNDLE).json()
        return len(queries), len(body["companies"])

    add(3)
    client.get(BUNDLE)
    few, three = count()
    add(27)
    many, thirty = count()

    assert (three, thirty) == (3, 30)
    assert many == few


# --- A new company by its CVR number ---------------------------------------------------------


def test_a_company_is_registered_from_the_register_by_its_cvr_number(world, virk):
    client = world.client_for(world.consultant)

    response = send(client, FROM_REGISTER, {"cvr": EXAMPLE_CVR}, key="new-1")
    again = send(client, FROM_REGISTER, {"cvr": EXAMPLE_CVR}, key="new-1")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["municipality"], body["existing"]) == (
        "Eksempel Rådgivning ApS",
        world.home.pk,
        False,
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Company.objects.filter(cvr=EXAMPLE_CVR).count() == 1


def test_a_company_registered_already_is_answered_with_existing(world, virk):
    made = do_create_company(
        world.consultant, cvr=EXAMPLE_CVR, name="Eksempel", municipality=world.home
    )

    response = send(world.client_for(world.consultant), FROM_REGISTER, {"cvr": EXAMPLE_CVR})

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["existing"]) == (made.pk, True)


def test_a_company_registered_elsewhere_is_a_conflict_without_its_details(world, virk):
    do_create_company(world.outsider, cvr=EXAMPLE_CVR, name="Eksempel", municipality=world.other)

    response = send(world.client_for(world.consultant), FROM_REGISTER, {"cvr": EXAMPLE_CVR})

    assert response.status_code == 409
    assert "ikke har adgang til" in response.json()["detail"]
    assert "id" not in response.json()


def test_a_cvr_number_that_cannot_be_is_refused(world, virk):
    response = send(world.client_for(world.consultant), FROM_REGISTER, {"cvr": "12345678"})

    assert response.status_code == 400
    assert "kontrolcifferet" in response.json()["cvr"][0]


def test_a_company_outside_the_users_municipalities_is_not_found(world, virk):
    response = send(world.client_for(world.outsider), FROM_REGISTER, {"cvr": EXAMPLE_CVR})

    assert response.status_code == 404
    assert not Company.objects.exists()


def test_the_register_away_answers_503_in_danish_and_writes_nothing(world, settings, httpserver):
    use_virk(settings, httpserver)
    httpserver.expect_request("/cvr-permanent/virksomhed/_search").respond_with_data(
        "busy", status=503
    )

    response = send(world.client_for(world.consultant), FROM_REGISTER, {"cvr": EXAMPLE_CVR}, "k")

    assert response.status_code == 503
    assert response.json()["detail"] == "CVR-registret svarer ikke; prøv igen senere."
    assert not Company.objects.exists() and not IdempotentRequest.objects.exists()


def test_registering_from_the_register_for_the_viewer_and_anonymous(world, virk):
    assert (
        send(world.client_for(world.viewer), FROM_REGISTER, {"cvr": EXAMPLE_CVR}).status_code == 403
    )
    assert send(Client(), FROM_REGISTER, {"cvr": EXAMPLE_CVR}).status_code == 401


# --- The follow-up from the phone -----------------------------------------------------------


@pytest.fixture
def session(world, company):
    return log_session(world, company)


def follow_up(client, session, version: str):
    url = reverse("api-session-detail", args=[session.pk])
    data = {"follow_up_on": (TODAY + datetime.timedelta(days=7)).isoformat()}
    return send(client, url, data, method="patch", **{"If-Match": f'"{version}"'})


def test_a_follow_up_is_set_from_the_phone_on_the_version_it_read(world, session):
    response = follow_up(
        world.client_for(world.consultant), session, concurrency.current_version(session)
    )

    assert response.status_code == 200
    assert GuidanceSession.objects.get(pk=session.pk).follow_up_on == TODAY + datetime.timedelta(7)


def test_a_follow_up_on_a_session_changed_since_is_412(world, session):
    read = concurrency.current_version(session)
    GuidanceSession.objects.filter(pk=session.pk).update(content="Rettet")

    response = follow_up(world.client_for(world.consultant), session, read)

    assert response.status_code == 412
    assert GuidanceSession.objects.get(pk=session.pk).follow_up_on is None


def test_a_follow_up_on_a_session_no_longer_visible_is_404_and_not_allowed_is_403(world, session):
    version = concurrency.current_version(session)

    assert follow_up(world.client_for(world.outsider), session, version).status_code == 404
    assert follow_up(world.client_for(world.viewer), session, version).status_code == 403


# --- Logout clears the phone ------------------------------------------------------------------


def test_logout_tells_the_browser_to_clear_the_sites_storage(world):
    response = world.client_for(world.consultant).post(reverse("logout"))

    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_an_anonymised_founder_leaves_no_name_in_a_stored_answer(world):
    url, data = reverse("api-founder-list"), {"cpr_number": CPR, "name": "Ane Åberg"}
    data["municipality"] = world.home.pk
    client = world.client_for(world.consultant)
    created = send(client, url, data, key="founder-1").json()

    anonymise.founders([created["id"]])

    assert "Åberg" not in json.dumps(IdempotentRequest.objects.get().response)
    replay = send(client, url, data, key="founder-1")
    assert replay["Idempotent-Replayed"] == "true"
    assert Founder.objects.count() == 1


def test_the_bundle_holds_companies_of_sessions_the_user_took_part_in_not_a_colleagues(world):
    colleague = make_member(world.local, "consultant")
    ours, theirs = (
        do_create_company(world.consultant, cvr=cvr, name=name, municipality=world.home)
        for cvr, name in [(CVRS[1], "Fælles ApS"), (CVRS[2], "Kollegas ApS")]
    )
    for company, consultants in [(ours, [world.consultant, colleague]), (theirs, [colleague])]:
        fields = {"date": TODAY, "tier": "local", "channel": "visit", "themes": ["export"]}
        do_log_session(colleague, company, operator=world.local, consultants=consultants, **fields)

    body = world.client_for(world.consultant).get(BUNDLE).json()

    assert [row["name"] for row in body["companies"]] == ["Fælles ApS"]


def test_the_bundle_lasts_until_the_login_ends_not_the_idle_timeout(world, settings):
    """A visit without signal is idle for longer than the 30 minutes' idle timeout: the phone
    keeps the bundle until the login's absolute limit (12 hours after logging in)."""
    client = world.client_for(world.consultant)
    before = datetime.datetime.now(datetime.UTC)

    body = client.get(BUNDLE).json()

    expires = datetime.datetime.fromisoformat(body["expires_at"])
    idle_end = before + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert expires > idle_end + datetime.timedelta(hours=11)
    assert expires <= datetime.datetime.now(datetime.UTC) + settings.SESSION_ABSOLUTE_LIMIT
