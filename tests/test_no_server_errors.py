"""Bad input answers 4xx with a message a person can read, and changes nothing: ids that are not
numbers on every detail route of every API router, the ``.json`` suffix routes DRF would add,
and NUL characters in the address, the search, the list filters and forms. The fuzzer over the
whole schema is tests/test_api_fuzz.py."""

import pytest
from django.apps import apps
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern

from crm.models import Company
from tests.conftest import CVRS

pytestmark = pytest.mark.django_db

WRITES = ["post", "put", "patch", "delete"]
NUL_REFUSED = "NUL-tegn"  # in the refusal of crm.bad_input.RefuseNulMiddleware


def router_routes(patterns=None, prefix=""):
    """(name, URL argument names) of every route an API router made, in any module."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from router_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif prefix.startswith("api/") and isinstance(entry.pattern, RegexPattern):
            yield entry.name, list(entry.pattern.regex.groupindex)


ROUTES = sorted(set((name, tuple(args)) for name, args in router_routes()))
DETAIL_ROUTES = [(name, args) for name, args in ROUTES if args]
LIST_ROUTES = [name for name, args in ROUTES if not args and name != "api-root"]


def url_of(name: str, args, value: str) -> str:
    """The route's address with ``value`` as its id (reversed with 0: "abc" would not match)."""
    return reverse(name, kwargs=dict.fromkeys(args, "0")).replace("/0/", f"/{value}/")


def row_counts() -> dict:
    """Rows per model of the project's apps: nothing refused may add, change or remove one."""
    models = [
        model
        for label in ("crm", "referrals", "contracts", "reporting")
        for model in apps.get_app_config(label).get_models()
    ]
    return {model._meta.label: model._default_manager.count() for model in models}


def is_json_refusal(response, status: int) -> bool:
    return response.status_code == status and bool(response.json().get("detail"))


def test_the_walk_finds_every_router():
    prefixes = {name.split("-")[1] for name, _ in ROUTES if name != "api-root"}
    assert {"company", "session", "referral", "contract", "report"} <= prefixes
    assert len(DETAIL_ROUTES) > 30


def test_an_id_that_is_not_a_number_is_404_on_every_detail_route(world, company):
    client = world.client_for(world.consultant)
    before = row_counts()
    wrong = []
    for name, args in DETAIL_ROUTES:
        url = url_of(name, args, "abc")
        for method in ["get", *WRITES]:
            response = getattr(client, method)(url, {"name": "x"}, content_type="application/json")
            if not is_json_refusal(response, 404):
                wrong.append(f"{method.upper()} {url}: {response.status_code}")
    assert wrong == []
    assert row_counts() == before


def test_the_api_session_route_reads_abc_as_no_such_route(world):
    response = world.client_for(world.consultant).get("/api/v1/sessions/abc/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Ikke fundet."}


def test_no_router_route_takes_a_json_suffix(world, company):
    client = world.client_for(world.consultant)
    before = row_counts()
    wrong = []
    for name, args in ROUTES:
        url = url_of(name, args, str(company.pk))
        for suffixed in (url.rstrip("/") + ".json/", url.rstrip("/") + ".json"):
            for method in ["get", "post"]:
                response = getattr(client, method)(suffixed)
                if not is_json_refusal(response, 404):
                    wrong.append(f"{method.upper()} {suffixed}: {response.status_code}")
    assert wrong == []
    assert row_counts() == before


def test_a_custom_action_with_a_json_suffix_is_404(world):
    response = world.client_for(world.manager).get("/api/v1/contracts/4/run.json/")
    assert is_json_refusal(response, 404)


def test_nul_in_the_search_is_refused_with_a_message(world, company):
    client = world.client_for(world.consultant)
    for method in ("get", "post"):
        response = getattr(client, method)("/soeg/", {"q": "ab\x00cd"})
        assert response.status_code == 400
        assert NUL_REFUSED in response.text


PAGE_FILTERS = [
    ("company-list", "municipality"),
    ("founder-list", "municipality"),
    ("session-list", "municipality"),
    ("network-list", "municipality"),
    ("event-list", "municipality"),
    ("follow-ups", "municipality"),
    ("triage-queue", "municipality"),
    ("contract-list", "status"),
    ("activity-dashboard", "municipality"),
]


def test_nul_in_a_page_filter_is_refused_with_a_message(world):
    client = world.client_for(world.consultant)
    for name, parameter in PAGE_FILTERS:
        response = client.get(reverse(name), {parameter: "\x00"})
        assert response.status_code == 400, name
        assert NUL_REFUSED in response.text


def test_nul_in_any_filter_of_every_api_list_is_refused(world, company):
    client = world.client_for(world.consultant)
    wrong = []
    for name in LIST_ROUTES:
        url = reverse(name)
        filterset = getattr(resolve(url).func.cls, "filterset_class", None)
        for parameter in filterset.base_filters if filterset else ["q"]:
            response = client.get(url, {parameter: "a\x00"})
            if not is_json_refusal(response, 400) or NUL_REFUSED not in response.json()["detail"]:
                wrong.append(f"{url}?{parameter}: {response.status_code}")
    assert wrong == []


def test_nul_in_the_address_is_refused_in_the_readers_language(world):
    client = world.client_for(world.consultant)
    response = client.get("/kommuner/%00/")
    assert response.status_code == 400
    assert NUL_REFUSED in response.text
    response = client.get("/kommuner/%00/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "NUL character" in response.text


def test_nul_in_a_form_changes_nothing(world, company):
    client = world.client_for(world.consultant)
    fields = {"cvr": CVRS[1], "name": "Smed\x00ie", "municipality": world.home.pk}
    response = client.post(reverse("company-create"), fields)
    assert response.status_code == 400
    assert NUL_REFUSED in response.text
    response = client.post(reverse("company-edit", args=[company.pk]), {"name": "A\x00S"})
    assert response.status_code == 400
    assert list(Company.objects.values_list("name", flat=True)) == [company.name]


def test_nul_in_an_api_body_is_a_field_error_and_changes_nothing(world):
    client = world.client_for(world.consultant)
    body = {"cvr": CVRS[1], "name": "Smed\x00ie", "municipality": world.home.pk}
    response = client.post(reverse("api-company-list"), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["name"]
    response = client.post(reverse("api-company-list"), body)  # the same as a form
    assert is_json_refusal(response, 400)
    assert not Company.objects.exists()
