"""The access logs (issue 15): CPR reveals, exports of person data, reads on a consent, failed
logins and lockouts; for the managers of a municipality (an administrator for every operator),
filtered by user, subject and period, exported (and the export logged), each purged after a
retention of its own."""

import datetime
import itertools
import re

import pytest
from axes.models import AccessFailureLog, AccessLog
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm import audit, services
from crm.models import ConsentAccess, CprReveal, Membership
from reporting import services as reporting_services
from reporting.models import ExportLog
from tests.conftest import CPR, assert_four_users, make_member
from tests.counting import assert_queries_do_not_grow, page_rows
from tests.factories import UserFactory
from tests.reporting.test_exports_excel import danish_csv

pytestmark = pytest.mark.django_db

LOGS = ["cpr", "eksporter", "logins"]


def log_url(world, log: str) -> str:
    return reverse("access-log", args=[world.home.code, log])


def listed(world, log: str, reader=None, **params):
    response = world.client_for(reader or world.manager).get(log_url(world, log), params)
    assert response.status_code == 200
    return response


def reveal(world, founder, user=None):
    client = world.client_for(user or world.manager)
    assert client.post(reverse("founder-reveal-cpr", args=[founder.pk])).status_code == 200


def failed_login(username: str):
    Client().post(reverse("login"), {"username": username, "password": "forkert kode"})


@pytest.mark.parametrize("log", LOGS)
def test_each_log_is_for_the_managers_of_the_municipality(world, log):
    url = log_url(world, log)
    assert_four_users(world, url, allowed=world.manager, no_right=world.consultant)
    assert world.client_for(world.viewer).get(url).status_code == 403
    assert world.client_for(world.triage).get(url).status_code == 403
    export = reverse("access-log-export", args=[world.home.code, log, "csv"])
    assert_four_users(world, export, allowed=world.manager, no_right=world.viewer)


def test_the_cpr_log_shows_who_revealed_whose_number_and_when(world, founder):
    world.manager.first_name, world.manager.last_name = "Lone", "Leder"
    world.manager.save()
    reveal(world, founder)

    response = listed(world, "cpr")

    [line] = response.context["lines"]
    assert line[1:] == ["Lone Leder", "Ane Åberg"]
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", line[0])
    assert CPR not in response.text


def test_the_export_log_shows_an_export_of_person_data(world, company, referral):
    client = world.client_for(world.consultant)
    assert client.get(reverse("export-referrals", args=["csv"])).status_code == 200

    [line] = listed(world, "eksporter").context["lines"]

    assert line[1:] == [audit.person_name(world.consultant), "Henvisninger", "1"]


def test_the_login_log_shows_failed_logins_and_the_lockout(world):
    for _ in range(5):
        failed_login(world.consultant.username)
    failed_login("en-der-ikke-findes")

    lines = listed(world, "logins").context["lines"]

    assert [line[1] for line in lines] == [world.consultant.username] * 5
    assert [line[3] for line in lines] == ["ja", "nej", "nej", "nej", "nej"]
    # The administrator sees the name that is no account too.
    admin = UserFactory(is_superuser=True, is_staff=True)
    response = world.client_for(admin).get(reverse("access-log-all", args=["logins"]))
    assert "en-der-ikke-findes" in response.text


def test_the_consent_log_is_in_the_family_with_filters(world, company, hub_consent):
    services.do_log_session(
        world.consultant,
        company,
        operator=world.local,
        date=timezone.localdate(),
        tier="local",
        channel="visit",
        content="Note",
    )
    hub_client = world.client_for(world.triage)
    assert hub_client.get(reverse("company-detail", args=[company.pk])).status_code == 200
    url = reverse("consent-access-log", args=[world.home.code])

    response = world.client_for(world.manager).get(url, {"user": world.triage.username})

    assert len(response.context["lines"]) == ConsentAccess.objects.count() > 0
    assert company.name in response.context["lines"][0]
    other = world.client_for(world.manager).get(url, {"user": world.consultant.username})
    assert other.context["lines"] == []


def test_another_operators_reveals_and_exports_are_not_in_the_log(world, founder):
    aarhus = services.do_create_founder(
        world.outsider, cpr_number="0202854321", name="Bo Aarhus", municipality=world.other
    )
    outsider_manager = make_member(world.other_local, Membership.Role.MANAGER)
    reveal(world, aarhus, outsider_manager)
    ExportLog.objects.create(user=world.outsider, kind="referrals", rows=3)
    failed_login(world.outsider.username)

    for log in LOGS:
        assert listed(world, log).context["lines"] == [], log


def test_the_logs_filter_by_user_subject_and_period(world, founder):
    other = services.do_create_founder(
        world.consultant, cpr_number="0202854321", name="Bo Berg", municipality=world.home
    )
    reveal(world, founder)
    second_manager = make_member(world.local, Membership.Role.MANAGER, first_name="Kaj")
    reveal(world, other, second_manager)
    old = CprReveal.objects.get(founder=other)
    CprReveal.objects.filter(pk=old.pk).update(
        revealed_at=timezone.now() - datetime.timedelta(days=10)
    )

    def founders(**params):
        return [line[2] for line in listed(world, "cpr", **params).context["lines"]]

    assert founders() == ["Ane Åberg", "Bo Berg"]
    assert founders(user="kaj") == ["Bo Berg"]
    assert founders(subject="åberg") == ["Ane Åberg"]
    assert founders(subject="020285-4321") == ["Bo Berg"]  # by the whole CPR number
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert founders(start=yesterday.isoformat()) == ["Ane Åberg"]
    assert founders(end=yesterday.isoformat()) == ["Bo Berg"]


def test_an_export_of_a_log_holds_the_filtered_rows_and_is_logged(world, founder):
    reveal(world, founder)
    client = world.client_for(world.manager)
    url = reverse("access-log-export", args=[world.home.code, "cpr", "csv"])

    rows = danish_csv(client.get(url, {"subject": "Åberg"}).content)

    assert rows[0] == ["Tidspunkt", "Vist af", "Iværksætter"]
    assert [row[2] for row in rows[1:]] == ["Ane Åberg"]
    assert ExportLog.objects.filter(user=world.manager, kind="log:cpr", rows=1).exists()
    export_lines = listed(world, "eksporter").context["lines"]
    assert export_lines[0][2] == "Adgangslog: Visninger af CPR-numre"


def test_every_operators_log_is_for_an_administrator_only(world, founder):
    reveal(world, founder)
    url = reverse("access-log-all", args=["cpr"])
    admin = UserFactory(is_superuser=True, is_staff=True)

    assert len(world.client_for(admin).get(url).context["lines"]) == 1
    assert world.client_for(world.manager).get(url).status_code == 403
    assert Client().get(url).status_code == 302
    assert (
        world.client_for(admin).get(reverse("access-log-all", args=["ukendt"])).status_code == 404
    )


@pytest.mark.parametrize("log", LOGS)
def test_a_log_page_does_not_query_per_row(world, founder, log):
    numbers = itertools.count()

    def add(k):
        for _ in range(k):
            n = next(numbers)
            if log == "cpr":
                CprReveal.objects.create(user=world.manager, founder=founder)
            elif log == "eksporter":
                ExportLog.objects.create(user=world.consultant, kind=f"participants:P{n}", rows=n)
            else:
                AccessFailureLog.objects.create(
                    username=world.consultant.username,
                    ip_address="10.0.0.1",
                    user_agent="test",
                    http_accept="*/*",
                    path_info="/login/",
                    locked_out=False,
                )

    assert_queries_do_not_grow(
        world.client_for(world.manager), log_url(world, log), add, page_rows("lines")
    )


def test_each_log_is_purged_after_its_own_retention(world, founder, settings):
    settings.CPR_REVEAL_LOG_DAYS, settings.LOGIN_LOG_DAYS, settings.EXPORT_LOG_DAYS = 30, 10, 20
    settings.CONSENT_READ_LOG_DAYS = 30
    now = timezone.now()
    for days in (5, 15, 25, 35):
        at = now - datetime.timedelta(days=days)
        reveal_row = CprReveal.objects.create(user=world.manager, founder=founder)
        CprReveal.objects.filter(pk=reveal_row.pk).update(revealed_at=at)
        export = ExportLog.objects.create(user=world.consultant, kind="referrals", rows=1)
        ExportLog.objects.filter(pk=export.pk).update(at=at)
        for model in (AccessFailureLog, AccessLog):
            row = model.objects.create(username="x", user_agent="t", http_accept="", path_info="")
            model.objects.filter(pk=row.pk).update(attempt_time=at)

    purged = audit.do_purge_access_logs()
    exports = reporting_services.do_purge_export_log()

    assert purged == {"cpr_reveals": 1, "consent_reads": 0, "failed_logins": 3, "logins": 3}
    assert exports == 2
    assert CprReveal.objects.count() == 3 and ExportLog.objects.count() == 2
    assert audit.do_purge_access_logs() == dict.fromkeys(purged, 0)  # a rerun does nothing
