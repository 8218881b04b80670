"""Two people changing one record at once (crm.concurrency): versions as ETag and as the edit
pages' hidden token, row locks, and registrations of one CVR or CPR number at the same moment.
The parallel tests send real HTTP requests from threads to pytest-django's live server, each
request in its own transaction on PostgreSQL."""

import datetime
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from knox.models import AuthToken

from contracts.models import Contract
from crm import concurrency
from crm.models import Company, Founder
from crm.services import DuplicateRecord, do_update_company, do_update_founder
from tests.conftest import CPR, CVRS

TODAY = timezone.localdate()


class Api:
    """HTTP calls to the live server as one user, with an API token."""

    def __init__(self, live_server, user):
        self.base = live_server.url
        _row, self.token = AuthToken.objects.create(user=user)

    def __call__(self, method: str, path: str, body=None, **headers) -> tuple[int, dict, dict]:
        request = urllib.request.Request(  # noqa: S310 (the live server's http URL)
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Token {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                **headers,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null"), response.headers
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null"), error.headers


def at_once(*calls) -> list:
    """Run ``calls`` in threads released together; their answers in the order given."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


# --- Two parallel changes of one record ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_parallel_patches_with_if_match_give_one_412_never_a_lost_change(
    live_server, world, company
):
    api, url = Api(live_server, world.consultant), f"/api/v1/companies/{company.pk}/"
    for trial in range(30):
        status, _body, headers = api("GET", url)
        assert status == 200
        changes = [{"city": f"By {trial}"}, {"address": f"Vej {trial}"}]
        calls = [partial(api, "PATCH", url, c, **{"If-Match": headers["ETag"]}) for c in changes]

        answers = at_once(*calls)

        stored = Company.objects.get(pk=company.pk)
        codes = sorted(code for code, _body, _headers in answers)
        assert codes in ([200, 200], [200, 412]), (trial, answers)
        for change, (code, body, _headers) in zip(changes, answers, strict=True):
            [(field, value)] = change.items()
            assert (getattr(stored, field) == value) == (code == 200), (trial, body)


@pytest.mark.django_db(transaction=True)
def test_two_parallel_patches_without_if_match_both_apply(live_server, world, company):
    api, url = Api(live_server, world.consultant), f"/api/v1/companies/{company.pk}/"
    for trial in range(30):
        changes = [{"city": f"By {trial}"}, {"employees": trial}]

        answers = at_once(*[partial(api, "PATCH", url, change) for change in changes])

        assert [code for code, _body, _headers in answers] == [200, 200], answers
        stored = Company.objects.get(pk=company.pk)
        assert (stored.city, stored.employees) == (f"By {trial}", trial)


# --- Parallel registrations of one CVR or CPR number ------------------------------------


@pytest.mark.django_db(transaction=True)
def test_parallel_registrations_of_one_cvr_make_one_company_and_link_to_it(live_server, world):
    api = Api(live_server, world.consultant)
    body = {"cvr": CVRS[1], "name": "Smedien ApS", "municipality": world.home.pk}

    answers = at_once(*[partial(api, "POST", "/api/v1/companies/", body)] * 6)

    assert sorted(code for code, _body, _headers in answers) == [201] + [400] * 5, answers
    company = Company.objects.get(cvr=CVRS[1])
    for code, answer, _headers in answers:
        if code == 400:
            assert "allerede registreret" in answer["detail"]
            assert answer["existing"] == company.pk
            assert answer["existing_url"] == reverse("company-detail", args=[company.pk])


@pytest.mark.django_db(transaction=True)
def test_parallel_registrations_of_one_cpr_make_one_founder_and_link_to_it(live_server, world):
    api = Api(live_server, world.consultant)
    body = {"cpr_number": CPR, "name": "Ane Åberg", "municipality": world.home.pk}

    answers = at_once(*[partial(api, "POST", "/api/v1/founders/", body)] * 6)

    assert sorted(code for code, _body, _headers in answers) == [201] + [400] * 5, answers
    (founder,) = Founder.objects.all()
    for code, answer, _headers in answers:
        if code == 400:
            assert answer["existing_url"] == reverse("founder-detail", args=[founder.pk])
            assert CPR not in json.dumps(answer)


@pytest.mark.django_db
def test_the_unique_constraint_refusing_the_second_of_two_is_the_same_refusal(world, company):
    # The moment between the look-up and the insert, taken by another registration.
    twin = Company(cvr=company.cvr, name="Tvilling ApS", municipality=world.home)

    with pytest.raises(DuplicateRecord) as refused:
        concurrency.save_new(twin, Company.objects.filter(cvr=company.cvr), "Findes")

    assert refused.value.existing == company
    assert Company.objects.count() == 1


# --- ETag and If-Match ---------------------------------------------------------------------


def send(client, method: str, url: str, data=None, **headers):
    return getattr(client, method)(url, data, content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_a_read_answers_the_version_and_a_stale_if_match_is_refused_with_what_changed(
    world, company
):
    client, url = world.client_for(world.consultant), f"/api/v1/companies/{company.pk}/"
    tag = client.get(url)["ETag"]
    do_update_company(world.manager, company, address="Havnegade 3")

    refused = send(client, "patch", url, {"name": "Nyt navn"}, **{"If-Match": tag})

    assert refused.status_code == 412
    assert refused.json()["changes"] == [{"field": "Adresse", "old": "–", "new": "Havnegade 3"}]
    assert refused["ETag"] == client.get(url)["ETag"] != tag
    assert Company.objects.get(pk=company.pk).name == "Østergaard Smedie ApS"
    saved = send(client, "patch", url, {"name": "Nyt navn"}, **{"If-Match": refused["ETag"]})
    assert saved.status_code == 200 and saved["ETag"] == client.get(url)["ETag"]


@pytest.mark.django_db
def test_a_stale_if_match_tells_what_changed_only_to_who_may_change_the_record(world, founder):
    # The hub has not guided the founder and has no consent: it may not see its details.
    client, url = world.client_for(world.triage), f"/api/v1/founders/{founder.pk}/"
    tag = client.get(url)["ETag"]
    do_update_founder(world.manager, founder, phone="20304050")

    refused = send(client, "patch", url, {"name": "Ane"}, **{"If-Match": tag})

    assert refused.status_code == 403 and "Telefon" not in refused.text


@pytest.mark.django_db
def test_put_needs_if_match_and_a_star_matches_any_version(world, company):
    client, url = world.client_for(world.consultant), f"/api/v1/companies/{company.pk}/"
    data = {"cvr": company.cvr, "name": "Erstattet", "municipality": world.home.pk}

    assert send(client, "put", url, data).status_code == 428
    assert send(client, "put", url, data, **{"If-Match": "*"}).status_code == 200
    weak = send(client, "patch", url, {"city": "Viborg"}, **{"If-Match": 'W/"x"'})
    assert weak.status_code == 412  # If-Match compares strongly: a weak tag never matches
    assert Company.objects.get(pk=company.pk).name == "Erstattet"


@pytest.mark.django_db
def test_a_stale_if_match_on_a_contract_leaves_its_status(world):
    contract = Contract.objects.create(
        kind="cooperation",
        title="Samarbejdsaftale",
        starts_on=datetime.date(TODAY.year, 1, 1),
        ends_on=datetime.date(TODAY.year, 12, 31),
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    client, url = world.client_for(world.manager), f"/api/v1/contracts/{contract.pk}/"
    tag = client.get(url)["ETag"]
    assert send(client, "patch", url, {"status": "active"}, **{"If-Match": tag}).status_code == 200

    stale = send(client, "patch", url, {"status": "closed"}, **{"If-Match": tag})

    assert stale.status_code == 412
    assert Contract.objects.get(pk=contract.pk).status == "active"


def test_the_schema_documents_etag_if_match_412_and_428():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    item = paths["/api/v1/companies/{id}/"]

    for method in ("put", "patch"):
        headers = {p["name"]: p for p in item[method]["parameters"] if p["in"] == "header"}
        assert headers["If-Match"].get("required", False) is (method == "put")
        assert {"200", "409", "412"} <= set(item[method]["responses"])
        assert "ETag" in item[method]["responses"]["200"]["headers"]
    assert "428" in item["put"]["responses"]
    assert "ETag" in item["get"]["responses"]["200"]["headers"]


# --- The edit pages ------------------------------------------------------------------------


def posted(form) -> dict:
    """What the browser posts for ``form`` as shown."""
    values = {field.html_name: field.value() for field in form if not field.field.disabled}
    return {name: "" if value is None else value for name, value in values.items()}


@pytest.mark.django_db
def test_a_page_edit_on_a_stale_token_is_refused_naming_the_change_and_saves_nothing(
    world, company
):
    client, url = world.client_for(world.consultant), reverse("company-edit", args=[company.pk])
    shown = client.get(url).context["form"]
    do_update_company(world.manager, company, address="Havnegade 3")  # a colleague meanwhile

    refused = client.post(url, posted(shown) | {"name": "Østergaard Smedie A/S"})

    assert refused.status_code == 200
    assert "Adresse: “–” → “Havnegade 3”" in refused.text
    stored = Company.objects.get(pk=company.pk)
    assert (stored.name, stored.address) == ("Østergaard Smedie ApS", "Havnegade 3")
    # The form now shows the colleague's address and carries the current version: saving
    # again keeps both changes.
    form = refused.context["form"]
    assert form["address"].value() == "Havnegade 3" and form["name"].value().endswith("A/S")
    assert client.post(url, posted(form)).status_code == 302
    stored = Company.objects.get(pk=company.pk)
    assert (stored.name, stored.address) == ("Østergaard Smedie A/S", "Havnegade 3")


@pytest.mark.django_db
def test_a_stale_founder_edit_masks_the_personal_values_it_names(world, founder):
    client, url = world.client_for(world.consultant), reverse("founder-edit", args=[founder.pk])
    shown = client.get(url).context["form"]
    do_update_founder(world.manager, founder, phone="20304050")

    refused = client.post(url, posted(shown) | {"city": "Viborg"})

    (message,) = refused.context["form"].non_field_errors()
    assert "Telefon: “–” → “20…”" in message and "20304050" not in message
    assert Founder.objects.get(pk=founder.pk).city == ""


@pytest.mark.django_db
def test_an_edit_without_a_token_writes_only_onto_the_stored_record(world, company):
    url = reverse("company-edit", args=[company.pk])
    client = world.client_for(world.consultant)
    data = posted(client.get(url).context["form"])
    del data["version"]

    assert client.post(url, data | {"city": "Viborg"}).status_code == 302
    assert Company.objects.get(pk=company.pk).city == "Viborg"
