"""The EU programme's shape (seed 004): the half-year report with indicators and their
breakdowns as counts, and the payment request's participant list, by name with sex, age band
and born abroad for staff of the parties and as counts only for a viewer."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from contracts.demo.agreements import contract
from contracts.demo.eu_programme import EU_GOALS
from contracts.models import Contract
from crm import services
from crm.models import Event, EventParticipant
from reporting.models import ExportLog, Report
from tests.counting import assert_queries_do_not_grow
from tests.reporting.test_reporting import pdf_text

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def programme(world, company, founder):
    """The seed 004 goals over Viborg this year, run by its local service; a course today
    with the founder, the company, P1 (a young woman born abroad) and P2 (a man of 45)
    present and P3 absent."""
    obj = contract(
        "EU-program Viborg",
        EU_GOALS,
        kind=Contract.Kind.PROGRAMME,
        starts_on=datetime.date(TODAY.year, 1, 1),
        ends_on=datetime.date(TODAY.year, 12, 31),
        status=Contract.Status.ACTIVE,
        report_shape="eu",
        parties=[world.local],
        municipalities=[world.home],
    )
    course = Event.objects.create(
        title="Iværksætterkursus",
        kind=Event.Kind.COURSE,
        date=TODAY,
        place="Viborg",
        municipality=world.home,
        operator=world.local,
        hours=3,
        created_by=world.consultant,
    )
    people = [
        {"founder": founder},
        {"company": company},
        {"name": "Pia Ung", "sex": "F", "age_band": "18_30", "born_abroad": True},
        {"name": "Per Midt", "sex": "M", "age_band": "31_64", "born_abroad": False},
        {"name": "Pernille Fravær", "sex": "F", "attended": False},
    ]
    for who in people:
        EventParticipant.objects.create(
            event=course,
            municipality=world.home,
            registered_by=world.consultant,
            **{"attended": True, **who},
        )
    services.do_log_session(
        world.consultant, founder, operator=world.local, date=TODAY, tier="local", channel="visit"
    )
    return obj


def half_year_pdf(world, user, programme, capture) -> str:
    client = world.client_for(user)
    with capture(execute=True):
        client.post(reverse("contract-report", args=[programme.pk, "half_year"]))
    report = Report.objects.get(created_by=user)
    assert report.state == "done", report.error
    return pdf_text(report.file.open("rb").read())


def test_the_half_year_report_has_the_eu_shape_with_breakdowns_and_participants(
    world, programme, django_capture_on_commit_callbacks
):
    text = half_year_pdf(world, world.consultant, programme, django_capture_on_commit_callbacks)

    assert "Virksomheder der får støtte, heraf kvinder" in text
    # The founder's guidance today: one meeting and one person with ideas, a man of 36, in the
    # half-year and since the start (target 120; the persons have none).
    assert "4 Møder med personer med idéer 1 1 120" in text
    assert "4p Personer med idéer, der har fået vejledning 1 1 –" in text
    assert "4pa Personer med idéer, der har fået vejledning, heraf kvinder 0 0 –" in text
    assert "Personer der har startet virksomhed, heraf født i udlandet" in text
    assert "Aktivitet Iværksættere" not in text  # not the Viborg activity table
    # The course's participants: four present, of them one woman, one young, one born abroad.
    assert "Deltagere i alt 4" in text
    assert "heraf kvinder 1 heraf unge (18-30 år) 1 heraf født i udlandet 1" in text
    assert "Pia Ung" in text and "Kvinde" in text and "Pernille" not in text


def test_a_viewers_half_year_report_holds_the_counts_and_no_participant(
    world, programme, django_capture_on_commit_callbacks
):
    text = half_year_pdf(world, world.viewer, programme, django_capture_on_commit_callbacks)

    assert "Deltagere i alt 4" in text and "heraf kvinder 1" in text
    for name in ("Pia Ung", "Per Midt", "Ane Åberg", "Østergaard"):
        assert name not in text


def sheet(response) -> list[list]:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(data))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_the_payment_requests_participant_list_carries_the_breakdowns_for_staff(world, programme):
    url = reverse("payment-participants", args=[programme.pk, "xlsx"])
    rows = sheet(world.client_for(world.consultant).get(url))

    header, *lines = rows
    assert header[-3:] == ["Køn", "Aldersgruppe", "Født i udlandet"]
    guided = [line for line in lines if line[1] == "Vejledning"]
    assert [line[2:4] + line[-3:-1] for line in guided] == [
        ["Ane Åberg", "Iværksætter (CPR)", "Mand", "31-64 år"]
    ]
    by_name = {line[2]: line for line in lines if line[1] == "Iværksætterkursus"}
    assert set(by_name) == {"Ane Åberg", "Østergaard Smedie ApS", "Pia Ung", "Per Midt"}
    assert by_name["Pia Ung"][-3:] == ["Kvinde", "18-30 år", "ja"]
    assert by_name["Ane Åberg"][-3:-1] == ["Mand", "31-64 år"]  # from the CPR number
    assert by_name["Østergaard Smedie ApS"][-3:] == [None, None, None]
    assert ExportLog.objects.filter(kind=f"payment_participants:{programme.pk}").exists()


def test_a_viewer_gets_the_participant_counts_only(world, programme):
    url = reverse("payment-participants", args=[programme.pk, "xlsx"])
    rows = sheet(world.client_for(world.viewer).get(url))

    assert rows == [
        ["Deltagere", "Antal"],
        ["Deltagere i alt", 4],
        ["heraf kvinder", 1],
        ["heraf unge (18-30 år)", 1],
        ["heraf født i udlandet", 1],
    ]


def test_the_participant_list_for_the_four_users(world, programme):
    url = reverse("payment-participants", args=[programme.pk, "xlsx"])

    assert world.client_for(world.manager).get(url).status_code == 200
    assert world.client_for(world.outsider).get(url).status_code == 404
    anonymous = world.client_for(None).get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    # A viewer is answered with the counts (above): no 403 here, the list shrinks instead.
    other = Contract.objects.create(
        kind="programme", title="Uden EU-form", starts_on=TODAY, ends_on=TODAY, status="active"
    )
    other.municipalities.set([world.home])
    assert (
        world.client_for(world.manager)
        .get(reverse("payment-participants", args=[other.pk, "xlsx"]))
        .status_code
        == 404
    )


def test_the_dashboard_of_an_eu_programme_links_its_participant_list(world, programme):
    page = world.client_for(world.viewer).get(reverse("contract-dashboard", args=[programme.pk]))

    assert reverse("payment-participants", args=[programme.pk, "xlsx"]) in page.text


def test_the_participant_list_does_not_query_per_participant(world, programme):
    course = Event.objects.get(title="Iværksætterkursus")
    numbers = iter(range(100))

    def add(n: int) -> None:
        for _ in range(n):
            EventParticipant.objects.create(
                event=course,
                municipality=world.home,
                registered_by=world.consultant,
                attended=True,
                name=f"Deltager {next(numbers)}",
                sex="F",
            )

    def listed(response) -> int:
        return len(sheet(response)) - 1

    url = reverse("payment-participants", args=[programme.pk, "xlsx"])
    assert_queries_do_not_grow(world.client_for(world.consultant), url, add, listed)
