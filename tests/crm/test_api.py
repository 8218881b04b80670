"""The records API (/api/v1/): access for the four kinds of user, writes through the services,
foreign ids refused, CPR numbers never returned. Reads: test_api_reads.py."""

import datetime
import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

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
from crm.services import (
    do_add_contact,
    do_add_project,
    do_create_company,
    do_create_founder,
    do_create_network,
    do_enrol_programme,
    do_log_session,
)
from crm.tokens import do_create_token
from tests.conftest import CPR, CVRS, assert_four_users, record_consent

pytestmark = pytest.mark.django_db

# Nine months back, as when these tests were written (2.3 and 30.11.2026), so the records stay
# inside the session rules' 730 days whatever the date.
TODAY = timezone.localdate() - datetime.timedelta(days=273)
NEXT_DAY = (TODAY + datetime.timedelta(days=1)).isoformat()


def post(user_client: Client, url: str, data: dict, method: str = "post"):
    return getattr(user_client, method)(url, data, content_type="application/json")


def log_session(world, subject, **fields):
    defaults = {"date": TODAY, "tier": "local", "channel": "visit", "themes": ["export"]}
    return do_log_session(world.consultant, subject, operator=world.local, **(defaults | fields))


@pytest.fixture
def records(world, company, founder):
    """One record of each kind in Viborg (``company`` and ``founder`` from tests/conftest.py,
    the rest added by the local consultant), and a company and a founder in Aarhus."""
    consultant = world.consultant
    return {
        "company": company,
        "founder": founder,
        "contact": do_add_contact(consultant, company, name="Bo Smed", role="Ejer"),
        "session": log_session(world, company, kind="brief"),  # no content: a brief contact
        "consent": record_consent(
            consultant,
            founder,
            scope=Consent.Scope.NAMED,
            operators=[world.local],
        ),
        "network": do_create_network(
            consultant,
            name="Smede i Viborg",
            kind="erfa",
            municipality=world.home,
            started_on=TODAY,
            members=[company],
        ),
        "project": do_add_project(
            consultant, company, title="Nyt værksted", identified_on=TODAY, funding="lag"
        ),
        "enrolment": do_enrol_programme(
            consultant, company, programme="Vækstkraft", growth_level="B", started_on=TODAY
        ),
        "foreign_company": do_create_company(
            world.outsider, cvr=CVRS[1], name="Aarhus Bageri ApS", municipality=world.other
        ),
        "foreign_founder": do_create_founder(
            world.outsider, cpr_number="1212121212", name="Ole Aarhus", municipality=world.other
        ),
    }


ENDPOINTS = {
    "company": "api-company",
    "contact": "api-contact",
    "founder": "api-founder",
    "session": "api-session",
    "consent": "api-consent",
    "network": "api-network",
    "project": "api-project",
    "enrolment": "api-enrolment",
}


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# --- Access: the four kinds of user ---------------------------------------------------------


@pytest.mark.parametrize("kind", ENDPOINTS)
def test_detail_for_the_four_users(world, records, kind):
    url = reverse(f"{ENDPOINTS[kind]}-detail", args=[records[kind].pk])
    assert_four_users(world, url, allowed=world.consultant, api=True)


@pytest.mark.parametrize("kind", ENDPOINTS)
def test_list_shows_only_the_callers_municipalities(world, records, kind):
    url = reverse(f"{ENDPOINTS[kind]}-list")
    row = records[kind].pk

    assert row in ids(world.client_for(world.consultant).get(url))
    assert world.client_for(world.viewer).get(url).status_code == 403
    assert row not in ids(world.client_for(world.outsider).get(url))
    assert Client().get(url).status_code == 401


UPDATES = {
    "company": ("name", "Nyt navn"),
    "founder": ("name", "Nyt navn"),
    "contact": ("role", "Direktør"),
    "session": ("content", "Rettet referat"),
    "project": ("status", "granted"),
}


@pytest.mark.parametrize("kind", UPDATES)
def test_update_for_the_four_users(world, records, kind):
    url = reverse(f"{ENDPOINTS[kind]}-detail", args=[records[kind].pk])
    field, value = UPDATES[kind]

    assert_four_users(
        world, url, allowed=world.consultant, api=True, method="patch", data={field: value}
    )
    records[kind].refresh_from_db()
    assert getattr(records[kind], field) == value


def test_withdraw_consent_for_the_four_users(world, records):
    url = reverse("api-consent-withdraw", args=[records["consent"].pk])

    assert_four_users(world, url, allowed=world.consultant, api=True, method="post", data={})
    records["consent"].refresh_from_db()
    assert records["consent"].withdrawn_on is not None


def test_an_unknown_id_is_404_like_a_foreign_one(world, records):
    response = world.client_for(world.consultant).get(reverse("api-company-detail", args=[0]))

    assert response.status_code == 404


def test_delete_is_not_offered(world, records):
    url = reverse("api-company-detail", args=[records["company"].pk])

    assert world.client_for(world.consultant).delete(url).status_code == 405


# --- Creating through the services -----------------------------------------------------------


def create_payloads(world, records) -> dict:
    company, founder = records["company"].pk, records["founder"].pk
    return {
        "company": {"cvr": CVRS[2], "name": "Ny ApS", "municipality": world.home.pk},
        "contact": {"company": company, "name": "Eva Holm", "email": "eva@example.dk"},
        "founder": {"cpr_number": "1503301234", "name": "Karl Holm", "municipality": world.home.pk},
        "session": {
            "company": company,
            "operator": world.local.pk,
            "date": NEXT_DAY,
            "tier": "local",
            "channel": "phone",
            "themes": ["green", "digital"],
            "content": "Grøn omstilling og digitalisering",
        },
        "consent": {
            "company": company,
            "given_on": timezone.localdate().isoformat(),
            "method": "email",
            "given_by": records["contact"].pk,
            "scope": "all",
        },
        "network": {
            "name": "Mentorer",
            "kind": "mentor",
            "municipality": world.home.pk,
            "members": [company],
            "started_on": NEXT_DAY,
        },
        "project": {
            "company": company,
            "title": "Gårdbutik",
            "identified_on": NEXT_DAY,
            "funding": "rural",
        },
        "enrolment": {
            "founder": founder,
            "programme": "Iværksætterforløb",
            "growth_level": "A",
            "started_on": NEXT_DAY,
        },
    }


MODELS = {
    "company": Company,
    "contact": ContactPerson,
    "founder": Founder,
    "session": GuidanceSession,
    "consent": Consent,
    "network": Network,
    "project": DevelopmentProject,
    "enrolment": ProgrammeEnrolment,
}


@pytest.mark.parametrize("kind", ENDPOINTS)
def test_create_for_the_four_users(world, records, kind):
    """The consultant creates; the viewer has no right (403); the outsider's ids from Viborg
    do not exist for it (400, nothing written); anonymous 401."""
    url = reverse(f"{ENDPOINTS[kind]}-list")
    data = create_payloads(world, records)[kind]
    model = MODELS[kind]
    before = model.objects.count()

    assert post(world.client_for(world.viewer), url, data).status_code == 403
    assert post(world.client_for(world.outsider), url, data).status_code == 400
    assert post(Client(), url, data).status_code == 401
    assert model.objects.count() == before

    response = post(world.client_for(world.consultant), url, data)
    assert response.status_code == 201, response.json()
    assert model.objects.filter(pk=response.json()["id"]).exists()


def test_created_session_takes_the_subjects_municipality_and_the_caller_as_consultant(
    world, records
):
    data = create_payloads(world, records)["session"]

    body = post(world.client_for(world.consultant), reverse("api-session-list"), data).json()

    assert body["municipality_code"] == "791"
    assert body["consultants"] == [world.consultant.pk]
    assert body["created_by"] == world.consultant.pk
    assert body["themes"] == ["green", "digital"]


def test_changing_the_growth_potential_records_when(world, records):
    url = reverse("api-company-detail", args=[records["company"].pk])

    body = post(world.client_for(world.consultant), url, {"growth_potential": "A"}, "patch")

    assert body.json()["growth_potential"] == "A"
    assert body.json()["growth_potential_set_at"] is not None


# --- Refusals: 400 with a message, nothing written -------------------------------------------


def test_invalid_cvr_is_refused_with_a_clear_message(world):
    data = {"cvr": "12345678", "name": "Fejl ApS", "municipality": world.home.pk}

    response = post(world.client_for(world.consultant), reverse("api-company-list"), data)

    assert response.status_code == 400
    assert "kontrolcifferet passer ikke" in response.json()["cvr"][0]
    assert not Company.objects.filter(cvr="12345678").exists()


def test_duplicate_cvr_names_the_existing_company_when_the_caller_may_see_it(world, records):
    data = {"cvr": CVRS[0], "name": "Igen ApS", "municipality": world.home.pk}

    response = post(world.client_for(world.consultant), reverse("api-company-list"), data)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "CVR-nummeret er allerede registreret.",
        "existing": records["company"].pk,
        "existing_url": reverse("company-detail", args=[records["company"].pk]),
    }


def test_duplicate_cvr_of_a_foreign_company_does_not_reveal_its_id(world, records):
    data = {"cvr": CVRS[1], "name": "Igen ApS", "municipality": world.home.pk}

    response = post(world.client_for(world.consultant), reverse("api-company-list"), data)

    assert response.status_code == 400
    assert response.json() == {"detail": "CVR-nummeret er allerede registreret."}
    assert Company.objects.filter(cvr=CVRS[1]).count() == 1


def test_invalid_cpr_date_is_refused(world):
    data = {"cpr_number": "3213901234", "name": "Ugyldig", "municipality": world.home.pk}

    response = post(world.client_for(world.consultant), reverse("api-founder-list"), data)

    assert response.status_code == 400
    assert "gyldig fødselsdato" in response.json()["cpr_number"][0]
    assert not Founder.objects.filter(name="Ugyldig").exists()


def test_duplicate_cpr_is_refused(world, records):
    data = {"cpr_number": CPR, "name": "Anna Igen", "municipality": world.home.pk}

    response = post(world.client_for(world.consultant), reverse("api-founder-list"), data)

    assert response.status_code == 400
    assert response.json()["existing"] == records["founder"].pk
    assert not Founder.objects.filter(name="Anna Igen").exists()


@pytest.mark.parametrize(
    ("number", "born", "sex"),
    [
        ("1503301234", datetime.date(1930, 3, 15), "F"),
        ("0101054000", datetime.date(2005, 1, 1), "F"),
        ("0101901235", datetime.date(1990, 1, 1), "M"),  # no modulus 11: issued since 2007
    ],
)
def test_cpr_gives_birth_date_sex_and_a_mask(world, number, born, sex):
    data = {"cpr_number": number, "name": "Ny", "municipality": world.home.pk}

    body = post(world.client_for(world.consultant), reverse("api-founder-list"), data).json()

    assert body["birth_date"] == born.isoformat()
    assert body["sex"] == sex
    assert body["masked_cpr"] == f"{born:%d%m%y}-xxxx"


def test_cpr_number_is_never_in_a_response(world, records):
    client = world.client_for(world.consultant)
    founder_url = reverse("api-founder-detail", args=[records["founder"].pk])
    again = {"cpr_number": CPR, "name": "Anna", "municipality": world.home.pk}
    created = {"cpr_number": "0101054000", "name": "Ny", "municipality": world.home.pk}
    responses = [
        (client.get(reverse("api-founder-list")), 200),
        (client.get(founder_url), 200),
        (post(client, founder_url, {"name": "Anna J."}, "patch"), 200),
        (post(client, reverse("api-founder-list"), again), 400),
        (post(client, reverse("api-founder-list"), created), 201),
        (client.get(reverse("api-consent-list")), 200),
        (client.get(reverse("api-enrolment-list")), 200),
    ]

    for response, status in responses:
        assert response.status_code == status
        text = response.content.decode()
        for secret in (CPR, "010190-2345", "0101054000", "cpr_hash", "cpr_encrypted"):
            assert secret not in text, (response.request["PATH_INFO"], secret)
        assert not re.search(r"(?<!\d)(2345|4000)(?!\d)", text)


@pytest.mark.parametrize(
    ("kind", "field", "foreign"),
    [
        ("company", "municipality", lambda world, records: world.other.pk),
        ("founder", "municipality", lambda world, records: world.other.pk),
        ("network", "municipality", lambda world, records: world.other.pk),
        ("network", "municipalities", lambda world, records: [world.other.pk]),
        ("network", "members", lambda world, records: [records["foreign_company"].pk]),
        ("contact", "company", lambda world, records: records["foreign_company"].pk),
        ("project", "company", lambda world, records: records["foreign_company"].pk),
        ("session", "company", lambda world, records: records["foreign_company"].pk),
        ("session", "operator", lambda world, records: world.other_local.pk),
        ("session", "consultants", lambda world, records: [world.outsider.pk]),
        ("consent", "company", lambda world, records: records["foreign_company"].pk),
        ("consent", "operators", lambda world, records: [world.other_local.pk]),
        ("enrolment", "founder", lambda world, records: records["foreign_founder"].pk),
    ],
)
def test_foreign_ids_are_refused_and_nothing_is_written(world, records, kind, field, foreign):
    data = create_payloads(world, records)[kind] | {field: foreign(world, records)}
    if field == "operators":
        data["scope"] = "named"
    model = MODELS[kind]
    before = model.objects.count()

    response = post(world.client_for(world.consultant), reverse(f"{ENDPOINTS[kind]}-list"), data)

    assert response.status_code == 400
    assert field in response.json()
    assert model.objects.count() == before


def test_a_hub_consultant_may_not_be_named_on_a_municipality_it_does_not_serve(world, records):
    """The triage user records in all of Midtjylland; a session in Aarhus may not name a
    Viborg-only consultant."""
    data = create_payloads(world, records)["session"] | {
        "company": records["foreign_company"].pk,
        "operator": world.hub.pk,
        "consultants": [world.consultant.pk],
    }

    response = post(world.client_for(world.triage), reverse("api-session-list"), data)

    assert response.status_code == 400
    assert "consultants" in response.json()


def test_moving_a_company_to_a_foreign_municipality_is_refused(world, records):
    url = reverse("api-company-detail", args=[records["company"].pk])

    response = post(
        world.client_for(world.consultant), url, {"municipality": world.other.pk}, "patch"
    )

    assert response.status_code == 400
    records["company"].refresh_from_db()
    assert records["company"].municipality == world.home


def test_another_operators_session_may_be_read_but_not_corrected(world, records, hub_consent):
    url = reverse("api-session-detail", args=[records["session"].pk])
    hub = world.client_for(world.triage)

    assert hub.get(url).status_code == 200
    response = post(hub, url, {"content": "Hubbens version"}, "patch")

    assert response.status_code == 403
    assert "Viborgegnens Erhvervsråd" in response.json()["detail"]
    records["session"].refresh_from_db()
    assert records["session"].content == ""


@pytest.mark.parametrize(
    ("consultant", "status"),
    [
        ("outsider", 400),  # another municipality: the id does not exist for the caller
        ("triage", 400),  # records in Viborg, but for the hub: the service refuses
    ],
)
def test_a_foreign_consultant_on_a_session_is_refused_and_nothing_written(
    world, records, consultant, status
):
    session = records["session"]
    url = reverse("api-session-detail", args=[session.pk])
    data = {"content": "Ændret", "consultants": [getattr(world, consultant).pk]}

    response = post(world.client_for(world.consultant), url, data, "patch")

    assert response.status_code == status
    session.refresh_from_db()
    assert session.content == ""
    assert list(session.consultants.all()) == [world.consultant]


@pytest.mark.parametrize("kind", ["session", "contact", "project"])
def test_the_subject_of_a_row_stays_on_update(world, records, kind):
    row = records[kind]
    url = reverse(f"{ENDPOINTS[kind]}-detail", args=[row.pk])
    data = {"company": records["foreign_company"].pk, "operator": world.other_local.pk}

    response = post(world.client_for(world.consultant), url, data, "patch")

    assert response.status_code == 200
    assert response.json()["company"] == records["company"].pk
    row.refresh_from_db()
    assert row.company == records["company"]
    if kind == "session":
        assert (row.operator, row.municipality) == (world.local, world.home)


def test_a_session_is_corrected_with_put_and_its_consultants_change(world, records):
    session = records["session"]
    url = reverse("api-session-detail", args=[session.pk])
    data = {
        "date": NEXT_DAY,
        "tier": "local",
        "channel": "phone",
        "themes": ["green"],
        "consultants": [world.manager.pk],
    }
    client = world.client_for(world.consultant)
    tag = client.get(url)["ETag"]  # PUT replaces every field: it names the version it replaces

    body = client.put(url, data, content_type="application/json", headers={"If-Match": tag}).json()

    assert (body["channel"], body["themes"], body["consultants"]) == (
        "phone",
        ["green"],
        [world.manager.pk],
    )
    assert (body["company"], body["operator"]) == (records["company"].pk, world.local.pk)


def test_a_project_moves_on_with_the_amount_granted(world, records):
    url = reverse("api-project-detail", args=[records["project"].pk])
    data = {"status": "granted", "amount_granted": "250000.00"}

    body = post(world.client_for(world.consultant), url, data, "patch").json()

    assert (body["status"], body["amount_granted"]) == ("granted", "250000.00")


def test_invalid_update_answers_per_field_and_changes_nothing(world, records):
    session = records["session"]
    url = reverse("api-session-detail", args=[session.pk])

    response = post(
        world.client_for(world.consultant), url, {"hours_during": "-1", "content": "x"}, "patch"
    )

    assert response.status_code == 400
    assert "hours_during" in response.json()
    session.refresh_from_db()
    assert (session.hours_during, session.content) == (4, "")


def test_session_needs_exactly_one_subject(world, records):
    data = create_payloads(world, records)["session"] | {"founder": records["founder"].pk}

    response = post(world.client_for(world.consultant), reverse("api-session-list"), data)

    assert response.status_code == 400
    assert "virksomhed eller en iværksætter" in response.json()["non_field_errors"][0]


def test_named_consent_without_operators_answers_the_services_message(world, records):
    data = create_payloads(world, records)["consent"] | {"scope": "named"}

    response = post(world.client_for(world.consultant), reverse("api-consent-list"), data)

    assert response.status_code == 400
    assert response.json() == {"detail": "Vælg de operatører, samtykket gives til."}


def test_withdrawing_twice_is_refused(world, records):
    url = reverse("api-consent-withdraw", args=[records["consent"].pk])
    client = world.client_for(world.consultant)
    today = timezone.localdate().isoformat()
    assert post(client, url, {"on": today}).json()["withdrawn_on"] == today

    response = post(client, url, {})

    assert response.status_code == 400
    assert response.json() == {"detail": "Samtykket er allerede tilbagekaldt."}


def test_model_validation_errors_answer_per_field(world, records):
    data = create_payloads(world, records)["session"] | {"hours_during": "-1"}

    response = post(world.client_for(world.consultant), reverse("api-session-list"), data)

    assert response.status_code == 400
    assert "hours_during" in response.json()


def test_a_change_through_the_api_with_a_token_is_kept_with_who(world, records):
    _, token = do_create_token(world.consultant)
    company = records["company"]
    url = reverse("api-company-detail", args=[company.pk])

    response = Client().patch(
        url, {"employees": 12}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )

    assert response.status_code == 200
    update = apps.get_model("crm", "CompanyEvent").objects.get(
        pgh_obj_id=company.pk, pgh_label="update"
    )
    assert update.employees == 12
    assert update.pgh_context.metadata["user"] == world.consultant.pk
