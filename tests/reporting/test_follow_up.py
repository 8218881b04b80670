"""The half-year follow-up (seed 001 §3), the annual report's draft -> published step, the
snapshots export and the contract dashboard's filters, links and tiles."""

import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from contracts import indicators
from contracts.models import Contract, Goal, Snapshot
from contracts.services import compute_attainment
from crm import services
from crm.models import GuidanceSession, Membership, Operator
from crm.services import do_set_operator_municipalities
from reporting import queries
from reporting.models import Report
from tests.conftest import assert_four_users, make_member
from tests.reporting.test_reporting import goal_line, pdf_text

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = timezone.localdate()


@pytest.fixture
def agreement(world, company, founder):
    """A cooperation agreement for 2025 in Viborg (seed 001's shape): a session and a
    growth programme in each half-year."""
    contract = Contract.objects.create(
        kind="cooperation",
        title="Samarbejdsaftale Viborg 2025",
        starts_on=D(2025, 1, 1),
        ends_on=D(2025, 12, 31),
        status="closed",
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    for number, indicator, target, params in [
        ("1a", "subjects_guided", 200, {"tier": "local", "subject": "entrepreneur"}),
        ("1b", "subjects_guided", 200, {"tier": "local", "subject": "established"}),
        ("3Bv", "enrolments", 5, {"growth_level": "B", "subject": "established"}),
    ]:
        Goal.objects.create(
            contract=contract,
            number=number,
            title=f"Mål {number}",
            indicator=indicator,
            target=target,
            params=params,
        )
    Goal.objects.create(
        contract=contract,
        number="4",
        title="Nye arbejdspladser",
        target=275,
        external_value=112,
        external_source="Virksomhedernes regnskaber",
    )
    for day in (D(2025, 3, 4), D(2025, 9, 9)):
        for subject in (company, founder):
            services.do_log_session(
                world.consultant,
                subject,
                operator=world.local,
                date=day,
                tier="local",
                channel="visit",
            )
    for day in (D(2025, 5, 1), D(2025, 10, 1)):
        services.do_enrol_programme(
            world.consultant, company, programme="Vækstspor", growth_level="B", started_on=day
        )
    return contract


def ask_half_year(client, contract, capture, **period):
    data = {f"half_year-{key}": value for key, value in period.items()}
    with capture(execute=True):
        return client.post(reverse("contract-report", args=[contract.pk, "half_year"]), data)


def test_the_half_year_follow_up_shows_the_half_years_activity_and_status_at_its_end(
    world, agreement, django_capture_on_commit_callbacks
):
    response = ask_half_year(
        world.client_for(world.viewer),
        agreement,
        django_capture_on_commit_callbacks,
        start="2025-01-01",
        end="2025-06-30",
    )
    report = Report.objects.get()
    assert response["Location"] == reverse("report-detail", args=[report.pk])
    text = pdf_text(report.file.open("rb").read())

    assert "Halvårlig opfølgning 01.01.2025 – 30.06.2025" in text
    # Seed 001's table for the first half only: one founder, one company, one B programme.
    assert "Vejledte i lokal erhvervsservice 1 200 1 200" in text, text
    assert "Vækstforløb på B-niveau 0 – 1 5" in text
    assert "Vejledte i alt 1 – 1 –" in text and "Regionale programmer i alt 0 – 1 –" in text
    # Each goal's status as of 30.06.2025: the numbers a snapshot of that date holds.
    compute_attainment(agreement, D(2025, 6, 30))
    for snapshot in Snapshot.objects.filter(goal__contract=agreement, municipality=None):
        assert goal_line(snapshot) in text, (snapshot.goal, text)
    # The externally reported goal: its target beside the reported value, and the source.
    assert "Nye arbejdspladser 275 112 Virksomhedernes regnskaber" in text


def test_the_activity_table_counts_guided_founders_as_the_indicator_does(world, agreement, founder):
    """A brief contact is no guidance: the founder whose only first-half session was one is
    left out of the table, as the ``subjects_guided`` goal beside it leaves them out."""
    GuidanceSession.objects.filter(founder=founder, date=D(2025, 3, 4)).update(kind="brief")
    period = indicators.Period(D(2025, 1, 1), D(2025, 6, 30))

    rows = queries.activity_table(agreement, period.start, period.end)
    local, total = rows[0], next(row for row in rows if row.get("total"))
    guided = indicators.compute(
        "subjects_guided",
        period,
        [world.home.pk],
        [world.local.pk],
        {"tier": "local", "subject": "entrepreneur"},
    )

    founders, companies = (cell["count"] for cell in local["cells"])
    assert founders == guided.total.value == 0
    assert total["cells"][0]["count"] == 0
    assert companies == total["cells"][1]["count"] == 1


def test_the_follow_up_period_is_derived_when_none_is_chosen(
    world, contract, django_capture_on_commit_callbacks
):
    ask_half_year(world.client_for(world.viewer), contract, django_capture_on_commit_callbacks)
    report = Report.objects.get()

    assert report.period_start == D(TODAY.year, 1 if TODAY.month <= 6 else 7, 1)
    assert report.period_end == TODAY


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ({"start": "2025-06-30", "end": "2025-01-01"}, "fra-dato ligger efter til-datoen"),
        ({"start": "2024-07-01", "end": "2024-12-31"}, "inden for kontraktens periode"),
        ({"start": "2025-01-01"}, "både fra- og til-dato"),
        ({"start": "30.02.2025", "end": "2025-06-30"}, "gyldig dato"),
    ],
)
def test_a_bad_follow_up_period_is_refused_and_nothing_is_stored(
    world, agreement, django_capture_on_commit_callbacks, period, message
):
    response = ask_half_year(
        world.client_for(world.viewer), agreement, django_capture_on_commit_callbacks, **period
    )

    assert response.status_code == 400
    assert message in response.text
    assert not Report.objects.exists()


def test_the_half_year_follow_up_for_the_four_users(world, contract):
    url = reverse("contract-report", args=[contract.pk, "half_year"])
    assert world.client_for(world.viewer).post(url).status_code == 302
    assert world.client_for(world.outsider).post(url).status_code == 404
    assert Client().post(url)["Location"].startswith("/login/")


# --- The annual report: a draft until a manager publishes it --------------------------------


@pytest.fixture
def draft(world, contract, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        world.client_for(world.manager).post(
            reverse("contract-report", args=[contract.pk, "annual"])
        )
    return Report.objects.get()


def test_only_a_manager_asks_for_the_annual_report(world, contract):
    url = reverse("contract-report", args=[contract.pk, "annual"])
    assert_four_users(world, url, method="post", allowed=world.manager, ok=302)
    assert Report.objects.get().created_by == world.manager


def test_officials_see_an_annual_report_only_once_it_is_published(
    world, contract, draft, django_capture_on_commit_callbacks
):
    viewer = world.client_for(world.viewer)
    pages = [reverse(name, args=[draft.pk]) for name in ("report-detail", "report-file")]

    assert draft.is_draft and draft.state == "done"
    assert [viewer.get(url).status_code for url in pages] == [403, 403]
    assert list(viewer.get(reverse("report-list")).context["reports"]) == []
    dashboard = viewer.get(reverse("contract-dashboard", args=[contract.pk]))
    assert list(dashboard.context["reports"]) == []

    with django_capture_on_commit_callbacks(execute=True):
        world.client_for(world.manager).post(reverse("report-publish", args=[draft.pk]))

    assert [viewer.get(url).status_code for url in pages] == [200, 200]
    assert list(viewer.get(reverse("report-list")).context["reports"]) == [draft]
    dashboard = viewer.get(reverse("contract-dashboard", args=[contract.pk]))
    assert reverse("report-file", args=[draft.pk]) in dashboard.text


def test_a_draft_is_listed_only_for_managers_of_the_contracts_parties(world, draft):
    """A manager of another operator in Viborg holds manage_contracts there, but may not
    open the draft (``check_can_manage``), so the list (page and API) leaves it out too."""
    neighbour = Operator.objects.create(name="Arsenalet", kind=Operator.Kind.FOCUSED)
    do_set_operator_municipalities(neighbour, [world.home])
    neighbour_manager = make_member(neighbour, Membership.Role.MANAGER)

    for user, expected in [(neighbour_manager, []), (world.manager, [draft.pk])]:
        client = world.client_for(user)
        page = client.get(reverse("report-list")).context["reports"]
        api = client.get(reverse("api-report-list")).json()["results"]
        assert [report.pk for report in page] == [row["id"] for row in api] == expected


def test_a_later_attainment_run_does_not_change_the_published_numbers(
    world, contract, draft, django_capture_on_commit_callbacks
):
    """The report shows the snapshots as of its period end: a run after the preview (here
    dated tomorrow, with one company more) leaves the published numbers as previewed."""
    goal = contract.goals.get(number="1")
    shown = Snapshot.objects.get(goal=goal, municipality=None, as_of=draft.period_end)
    assert goal_line(shown) in pdf_text(draft.file.open("rb").read())
    other = services.do_create_company(
        world.consultant, cvr="10150817", name="Nørgaard Tømrer ApS", municipality=world.home
    )
    services.do_log_session(
        world.consultant, other, operator=world.local, date=TODAY, tier="local", channel="visit"
    )
    compute_attainment(contract, TODAY + datetime.timedelta(days=1))
    later = Snapshot.objects.get(goal=goal, municipality=None, as_of__gt=draft.period_end)
    assert later.value != shown.value

    with django_capture_on_commit_callbacks(execute=True):
        world.client_for(world.manager).post(reverse("report-publish", args=[draft.pk]))
    draft.refresh_from_db()

    text = pdf_text(draft.file.open("rb").read())
    assert "KLADDE" not in text and goal_line(shown) in text
    assert goal_line(later) not in text


def test_the_draft_pdf_is_marked_and_carries_the_comments(
    world, contract, draft, django_capture_on_commit_callbacks
):
    goal = contract.goals.get(number="1")
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client_for(world.manager).post(
            reverse("report-comments", args=[draft.pk]), {f"goal_{goal.pk}": "Under plan."}
        )
    draft.refresh_from_db()

    assert response["Location"] == reverse("report-detail", args=[draft.pk])
    text = pdf_text(draft.file.open("rb").read())
    assert "KLADDE – ikke offentliggjort" in text and "Kommentar: Under plan." in text
    # A blank comment removes it.
    world.client_for(world.manager).post(
        reverse("report-comments", args=[draft.pk]), {f"goal_{goal.pk}": " "}
    )
    assert not draft.comments.exists()


def test_comments_and_publishing_for_the_four_users(world, draft):
    comments = reverse("report-comments", args=[draft.pk])
    assert_four_users(world, comments, allowed=world.manager)
    publish = reverse("report-publish", args=[draft.pk])
    assert_four_users(world, publish, method="post", allowed=world.manager, ok=302)
    draft.refresh_from_db()
    assert draft.published_by == world.manager and draft.published_at


def test_a_published_report_is_final(world, contract, draft):
    manager = world.client_for(world.manager)
    manager.post(reverse("report-publish", args=[draft.pk]))
    goal = contract.goals.get(number="1")

    response = manager.post(reverse("report-comments", args=[draft.pk]), {f"goal_{goal.pk}": "X"})
    again = manager.post(reverse("report-publish", args=[draft.pk]), follow=True)

    assert response.status_code == 400 and "kan ikke længere ændres" in response.text
    assert "kan ikke længere ændres" in again.text
    assert not draft.comments.exists()


def test_a_draft_is_published_only_after_its_preview(world, contract):
    draft = Report.objects.create(kind="annual", contract=contract, created_by=world.manager)

    response = world.client_for(world.manager).post(
        reverse("report-publish", args=[draft.pk]), follow=True
    )

    assert "Se forhåndsvisningen" in response.text
    draft.refresh_from_db()
    assert draft.published_at is None


# --- Snapshots over time -------------------------------------------------------------------


def test_snapshots_over_time_export(world, contract):
    client = world.client_for(world.viewer)
    csv_lines = (
        client.get(reverse("export-snapshots", args=[contract.pk, "csv"]))
        .content.decode("utf-8-sig")
        .splitlines()
    )
    xlsx = client.get(reverse("export-snapshots", args=[contract.pk, "xlsx"])).content

    yesterday = (TODAY - datetime.timedelta(days=1)).strftime("%d.%m.%Y")
    snap = Snapshot.objects.get(goal__number="1", municipality=None, as_of=TODAY)
    assert csv_lines[0].startswith("Mål;Titel;Kommune;Dato;Resultat")
    assert csv_lines[1].startswith(f"1;Kontaktede virksomheder;I alt;{yesterday};")
    assert csv_lines[2] == (
        f"1;Kontaktede virksomheder;I alt;{TODAY:%d.%m.%Y};1,00;40,00;"
        f"{str(snap.attainment).replace('.', ',')};"
        f"{snap.get_status_display()}"
    )
    assert csv_lines[3].startswith("1;Kontaktede virksomheder;Viborg;")
    assert len(csv_lines) == 5  # total and Viborg, two dates each
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert [cell.value for cell in sheet[1]][:4] == ["Mål", "Titel", "Kommune", "Dato"]
    assert sheet.max_row == 5


def test_snapshots_export_for_the_four_users(world, contract):
    url = reverse("export-snapshots", args=[contract.pk, "csv"])
    assert world.client_for(world.viewer).get(url).status_code == 200
    assert world.client_for(world.outsider).get(url).status_code == 404
    assert Client().get(url)["Location"].startswith("/login/")
    pdf = reverse("export-snapshots", args=[contract.pk, "pdf"])
    assert world.client_for(world.viewer).get(pdf).status_code == 404


# --- The contract dashboard ----------------------------------------------------------------


def test_dashboard_numbers_link_to_their_rows_for_those_who_may_see_them(world, contract):
    url = reverse("contract-dashboard", args=[contract.pk])
    rows = reverse("goal-rows", args=["vejledninger"])

    consultant = world.client_for(world.consultant).get(url)
    viewer = world.client_for(world.viewer).get(url)

    # The party's rows in its municipality, over the goal's period until the snapshot.
    link = next(t["url"] for t in consultant.context["tiles"] if t["url"])
    assert link.startswith(f"{rows}?") and f"operators={world.local.pk}" in link
    assert f"date_from={TODAY.year}-01-01" in link and f"date_to={TODAY.isoformat()}" in link
    assert rows not in viewer.text
    assert [t["url"] for t in viewer.context["tiles"]] == [None]


def test_dashboard_filters_by_period_and_municipality(world, contract, company):
    url = reverse("contract-dashboard", args=[contract.pk])
    client = world.client_for(world.viewer)
    yesterday = TODAY - datetime.timedelta(days=1)

    as_of = client.get(url, {"end": yesterday.isoformat()}).context
    viborg = client.get(url, {"municipality": world.home.code}).context
    bad = client.get(url, {"end": "i går", "municipality": world.other.code})

    assert as_of["tiles"][0]["total"].as_of == yesterday
    assert viborg["tiles"][0]["total"].municipality == world.home
    assert viborg["municipalities"] == [world.home]
    assert bad.status_code == 200 and bad.context["tiles"][0]["total"].as_of == TODAY
    assert "Filteret er ikke gyldigt" in bad.text


def test_milestones_and_external_goals_get_tiles(world, contract):
    Goal.objects.filter(contract=contract, number="9").update(
        milestone_status="met", evidence="Aftaler underskrevet 01.03."
    )
    Goal.objects.create(
        contract=contract,
        number="10",
        title="Kendskab",
        target=60,
        external_value=54,
        external_source="Måling fra Epinion",
    )

    text = world.client_for(world.viewer).get(reverse("contract-dashboard", args=[contract.pk]))
    text = text.text

    assert 'data-goal="9"' in text and "Milepæl: Opfyldt" in text
    assert "Aftaler underskrevet 01.03." in text
    assert 'data-goal="10"' in text and "Kilde: Måling fra Epinion" in text


def test_the_activity_page_shows_labels_not_codes(world, company, referral):
    services.do_log_session(
        world.consultant,
        company,
        operator=world.local,
        date=TODAY,
        tier="local",
        channel="visit",
        themes=["export"],
    )

    response = world.client_for(world.manager).get(reverse("activity-dashboard"))

    assert '<th scope="row">Eksport</th>' in response.text and ">export<" not in response.text
    assert '<th scope="row">Sendt</th><td class="bar">' in response.text  # the bar's label


def test_the_dashboard_does_not_query_per_goal_or_municipality(world, contract):
    from tests.crm.test_api_reads import count_queries

    client, url = (
        world.client_for(world.consultant),
        reverse("contract-dashboard", args=[contract.pk]),
    )
    count_queries(client, url)  # the first request also loads the session and the user
    few = count_queries(client, url)
    contract.municipalities.add(world.other)
    for number in range(2, 8):
        Goal.objects.create(
            contract=contract,
            number=str(number),
            title=f"Mål {number}",
            indicator="sessions",
            target=10,
            params={"tier": "local"},
        )
        Goal.objects.create(
            contract=contract, number=f"M{number}", title="Milepæl", is_milestone=True
        )
    compute_attainment(contract, TODAY)

    assert count_queries(client, url) == few
