"""The whole API under a fuzzer (schemathesis): every operation of the OpenAPI schema that
/api/schema/ serves, called with generated input as a consultant and as a viewer, answers
without a server error, with a documented status code and media type and a body that matches
the schema.

Bounded for the suite: a few derandomized examples per operation, no shrinking, one test (one
database set-up) per user. Every call goes through the project's WSGI application inside a
savepoint of the test's transaction, so what one example writes is gone before the next."""

import datetime

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings

from contracts.models import Contract, Goal
from crm.services import do_add_contact, do_log_session

TODAY = timezone.localdate()
EXAMPLES = 5  # per operation, and as many again against a row that exists

CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "generation": {"mode": "positive"},
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
        },
    }
)
BOUNDED = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


class Application(WSGIHandler):
    """The project's WSGI application as Django's test client runs it: inside the test's
    transaction and without the CSRF check (the calls sign in with the session cookie; CSRF
    has its own tests)."""

    def __call__(self, environ, start_response):
        # Django closes the connection when a request starts and when its response is closed;
        # inside the test's transaction that would end the test. So, as the test client does,
        # not around this call, and the response is read and closed before it returns.
        for signal in (request_started, request_finished):
            signal.disconnect(close_old_connections)
        try:
            response = super().__call__(environ, start_response)
            body = b"".join(response)
            response.close()
            return [body]
        finally:
            for signal in (request_started, request_finished):
                signal.connect(close_old_connections)

    def get_response(self, request):
        request._dont_enforce_csrf_checks = True
        return super().get_response(request)


@pytest.fixture
def rows(world, company, founder, hub_consent, referral) -> dict:
    """A real row behind each kind of id, so examples also reach a row the consultant may
    see (and the viewer may not), not only ids that name nothing."""
    contract = Contract.objects.create(
        kind="cooperation",
        title="Samarbejdsaftale Viborg",
        starts_on=datetime.date(TODAY.year, 1, 1),
        ends_on=datetime.date(TODAY.year, 12, 31),
        status="active",
        hourly_rate=500,
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    goal = Goal.objects.create(
        contract=contract, number="1", title="Vejledte", indicator="companies_contacted", target=2
    )
    session = do_log_session(
        world.consultant, company, operator=world.local, date=TODAY, tier="local", channel="visit"
    )
    contact = do_add_contact(world.consultant, company, name="Bo Smed", role="Ejer")
    return {
        "municipalities": world.home.code,
        "companies": company.pk,
        "founders": founder.pk,
        "contacts": contact.pk,
        "sessions": session.pk,
        "consents": hub_consent.pk,
        "referrals": referral.pk,
        "contracts": contract.pk,
        "goals": goal.pk,
    }


def strategies(operation, rows: dict, client) -> list:
    """Generated input; for a detail route with a known row, the same against that row, and
    a change sends the row's current ETag in If-Match (the examples never change it for the
    next: each is rolled back)."""
    generated = [operation.as_strategy()]
    kind = operation.path.split("/")[3]  # /api/v1/<kind>/{id}/...
    names = [parameter.name for parameter in operation.path_parameters]
    if len(names) == 1 and kind in rows:
        known = {names[0]: rows[kind]}
        etag = None
        if operation.method.upper() in ("PUT", "PATCH"):
            etag = client.get(operation.path.format(**known)).headers.get("ETag")
        headers = {"If-Match": etag} if etag else None
        generated.append(operation.as_strategy(path_parameters=known, headers=headers))
    return generated


def fuzz(strategy, cookies: dict, calls: list) -> None:
    @given(case=strategy)
    @BOUNDED
    def run(case):
        calls.append(case)
        with transaction.atomic():  # a savepoint: each example starts from the same rows
            case.call_and_validate(cookies=cookies)
            transaction.set_rollback(True)

    run()


@pytest.mark.parametrize("role", ["consultant", "viewer"])
def test_every_api_operation_answers_as_documented(world, rows, role):
    client = world.client_for(getattr(world, role))
    schema = schemathesis.openapi.from_dict(
        client.get("/api/schema/?format=json").json(), config=CONFIG
    )
    schema.app = Application()
    cookie = django_settings.SESSION_COOKIE_NAME
    cookies = {cookie: client.cookies[cookie].value}
    calls, failures = [], []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for strategy in strategies(operation, rows, client):
            try:
                fuzz(strategy, cookies, calls)
            # Every operation's failures first, then fail once; schemathesis reports several
            # failures of one operation as a BaseExceptionGroup.
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{operation.label}\n{error}")
    print(f"{role}: {len(operations)} operations, {len(calls)} examples")
    assert not failures, "\n\n".join(failures)
