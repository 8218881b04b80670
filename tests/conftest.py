"""Fixtures every test module reuses: reference data and the four kinds of user.

``world`` gives, for the municipality Viborg (``world.home``):
- ``world.consultant``: a consultant of Viborg's local service (has the right),
- ``world.viewer``: a viewer of the same municipality without record rights (403),
- ``world.outsider``: a consultant of Aarhus's local service (404),
and anonymous is a fresh ``Client()``.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.models import Membership, Municipality, Operator, RetentionRule
from crm.reference import load_reference_data
from crm.retention import DEFAULT_YEARS
from crm.security import requires_two_factor
from crm.services import do_add_membership, do_set_operator_municipalities
from tests.factories import OperatorFactory, UserFactory

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A test database of this run's own (``test_<name>_<pid>``): two runs on one PostgreSQL
    (two developers, or a run beside CI) never drop or reuse each other's database."""
    from django.conf import settings

    test = settings.DATABASES["default"].setdefault("TEST", {})
    test["NAME"] = f"test_{settings.DATABASES['default']['NAME']}_{os.getpid()}"
    # Room in the process's connection pool for the tests that run several connections at once
    # (tests/at_once.py: the test, a holder and the calls; a live server's request threads
    # beside them), above the 4 a server process gets by default.
    settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"] = 10


@pytest.fixture(scope="session", autouse=True)
def cache_of_this_run():
    """Cache keys of this run's own (``test-<pid>``): the parallel test processes (``make
    test`` runs two, pytest-xdist) and a run beside CI share one Redis; a lockout, a rate count
    or a cached right of one must not reach another. Set in the environment too, so that the
    Celery worker processes a test starts read the same keys."""
    from django.conf import settings
    from django.test import override_settings

    prefix = f"test-{os.getpid()}"
    os.environ["CACHE_KEY_PREFIX"] = prefix
    caches = {name: {**cache, "KEY_PREFIX": prefix} for name, cache in settings.CACHES.items()}
    with override_settings(CACHES=caches):
        yield


@pytest.fixture(autouse=True)
def reference_data(db):
    # Loaded again after a transactional test has flushed the tables, with the retention
    # rules the migrations write (crm 0020, 0023).
    if not Municipality.objects.exists():
        load_reference_data()
    if not RetentionRule.objects.exists():
        RetentionRule.objects.bulk_create(
            RetentionRule(kind=kind, years=years) for kind, years in DEFAULT_YEARS.items()
        )


def make_member(operator: Operator, role: str, **fields):
    user = UserFactory(**fields)
    do_add_membership(user, operator, role)
    if requires_two_factor(user):
        authenticator(user)  # set up, as on the first login; client_for verifies with it
    return user


@dataclass
class World:
    home: Municipality
    other: Municipality
    local: Operator
    other_local: Operator
    hub: Operator
    consultant: object
    manager: object
    triage: object
    viewer: object
    outsider: object

    def client_for(self, user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
            if requires_two_factor(user):
                pass_two_factor(client, user)
        return client


def pass_two_factor(client: Client, user) -> None:
    """What a user whose role requires a second factor does after the password: the session
    is verified with a confirmed authenticator app (crm.views.account does the same)."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator(user).persistent_id
    session.save()


def authenticator(user) -> TOTPDevice:
    """The user's confirmed authenticator app, made on first need."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "test"}
    )
    return device


def current_code(device: TOTPDevice) -> str:
    """The six digits the app shows now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def world(reference_data) -> World:
    home = Municipality.objects.get(code="791")  # Viborg
    other = Municipality.objects.get(code="751")  # Aarhus
    local = OperatorFactory(name="Viborgegnens Erhvervsråd")
    do_set_operator_municipalities(local, [home])
    other_local = OperatorFactory(name="Erhvervsservice Aarhus")
    do_set_operator_municipalities(other_local, [other])
    hub = Operator.objects.get(name="Erhvervshus Midtjylland")
    return World(
        home=home,
        other=other,
        local=local,
        other_local=other_local,
        hub=hub,
        consultant=make_member(local, Membership.Role.CONSULTANT),
        manager=make_member(local, Membership.Role.MANAGER),
        triage=make_member(hub, Membership.Role.TRIAGE),
        viewer=make_member(local, Membership.Role.VIEWER),
        outsider=make_member(other_local, Membership.Role.CONSULTANT),
    )


def assert_four_users(
    world: World, url: str, *, allowed, no_right=None, method="get", data=None, ok=200, api=False
):
    """The standard access walk: the allowed user gets ``ok``; a user of the same
    municipality without the right 403; a user of another municipality 404; anonymous a
    redirect to the login page (pages) or 401 (API)."""
    no_right = no_right or world.viewer

    def call(user):
        client = world.client_for(user)
        kwargs = {"content_type": "application/json"} if api and data is not None else {}
        return getattr(client, method)(url, data, **kwargs)

    assert call(allowed).status_code == ok, url
    assert call(no_right).status_code == 403, url
    assert call(world.outsider).status_code == 404, url
    anonymous = call(None)
    if api:
        assert anonymous.status_code == 401, url
    else:
        assert anonymous.status_code == 302, url
        assert anonymous["Location"].startswith("/login/"), url


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


CVRS = ["35954716", "10150817", "24256790", "25063864", "29403473"]
CPR = "0101902345"  # 1 January 1990; no modulus-11 property, valid since 2007


@pytest.fixture
def company(world):
    from crm.services import do_create_company

    return do_create_company(
        world.consultant, cvr=CVRS[0], name="Østergaard Smedie ApS", municipality=world.home
    )


@pytest.fixture
def founder(world):
    from crm.services import do_create_founder

    return do_create_founder(
        world.consultant, cpr_number=CPR, name="Ane Åberg", municipality=world.home
    )


@pytest.fixture(autouse=True)
def celery_in_process():
    """Tasks run in the test process unless a test starts a real worker (tests/test_worker*)."""
    from crm.celery import app

    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = True


def record_consent(user, subject, *, scope="all", operators=(), given_on=None):
    """``user``'s operator records the subject's consent, said in a meeting on ``given_on``
    (today): the meeting is logged first (a brief contact) unless one was, so the operator
    has guided the subject and the consent is in force at once (crm.consents). A company's
    consent is given by its first contact person, registered if it has none."""
    from crm import consents, services
    from crm.forms import TIER_BY_OPERATOR_KIND
    from crm.models import Company, GuidanceSession

    given_on = given_on or timezone.localdate()
    operator = consents.recording_operator(user, subject)
    fields = services.subject_fields(subject)
    if not GuidanceSession.objects.filter(**fields, operator=operator, date=given_on).exists():
        services.do_log_session(
            user,
            subject,
            operator=operator,
            date=given_on,
            tier=TIER_BY_OPERATOR_KIND[operator.kind],
            channel="visit",
            kind="brief",
        )
    given_by = None
    if isinstance(subject, Company):
        given_by = subject.contacts.first() or services.do_add_contact(
            user, subject, name="Mette Holm", role="Direktør"
        )
    return consents.do_record_consent(
        user,
        subject,
        given_on=given_on,
        scope=scope,
        operators=operators,
        method="meeting",
        given_by=given_by,
    )


@pytest.fixture
def hub_consent(world, company):
    return record_consent(world.consultant, company, scope="named", operators=[world.hub])


@pytest.fixture
def referral(world, company, hub_consent):
    from referrals.services import send_referral

    return send_referral(
        world.consultant,
        company,
        sender_operator=world.local,
        target_operator=world.hub,
        reason="Vækstpotentiale i eksport",
        themes=["export"],
        after_screening=True,
    )


def start_worker(tmp_path, queue: str):
    """A real Celery worker process on ``queue``, on the test database."""
    import os
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connection

    assert settings.REDIS_URL, "worker tests need REDIS_URL (make test sets it)"
    db = connection.settings_dict
    if str(db["HOST"]).startswith("/"):  # a socket (the embedded PostgreSQL)
        url = f"postgres://{db['USER']}@/{db['NAME']}?host={db['HOST']}"
    else:
        url = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
    env = dict(
        os.environ, DATABASE_URL=url, CELERY_QUEUE=queue, EMAIL_URL=f"filemail:///{tmp_path}"
    )  # django-environ drops one leading slash
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=settings.BASE_DIR,
        env=env,
    )


@dataclass
class Worker:
    queue: str
    process: object


@pytest.fixture
def real_worker(celery_in_process, tmp_path):
    """A worker on a queue of its own, on the test database, mailing into ``tmp_path``;
    tasks sent from the test go to it."""
    import uuid

    worker = Worker(f"test-{uuid.uuid4().hex}", None)
    worker.process = start_worker(tmp_path, worker.queue)
    celery_in_process.conf.task_always_eager = False
    try:
        yield worker
    finally:
        worker.process.terminate()
        worker.process.wait(timeout=30)
