"""Every report, for every contract, at any time: each report kind renders through the real
service and task for the three seed contracts and for a contract with a goal for every
indicator and every value of its parameters; each goal's numbers are in the PDF, tables fit
the page, and a report that cannot be rendered says why and what to do."""

import datetime
import inspect
import io
import logging
import random
import re
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.template.defaultfilters import floatformat
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from contracts import indicators
from contracts.demo import agreements
from contracts.models import Contract, Evaluation, Goal
from contracts.services import check_goal_indicator, goal_snapshots
from crm.demo.identifiers import demo_cpr, demo_cvrs
from crm.demo.subjects import demo_founder
from crm.models import (
    Company,
    DevelopmentProject,
    GuidanceSession,
    Membership,
    Municipality,
    Network,
    Operator,
    ProgrammeEnrolment,
)
from referrals.models import Adviser, Referral
from reporting import queries, services
from reporting.models import Report
from tests.conftest import make_member

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = timezone.localdate()
KINDS = [Report.Kind.ANNUAL, Report.Kind.HALF_YEAR, Report.Kind.SETTLEMENT]


# --- Records -------------------------------------------------------------------------------


class Records:
    """A few records of each kind the indicators read, made directly (small and fast): per
    call, one operator's work in one municipality on one day."""

    def __init__(self, user):
        self.user = user
        self.rng = random.Random(2014)
        self.cvrs = iter(demo_cvrs(200, seed=77))
        self.design = Adviser.objects.create(name="Designhuset", kind=Adviser.Kind.DESIGN)
        self.lag = Adviser.objects.create(name="LAG Midt", kind=Adviser.Kind.FUNDING)

    def company(self, municipality, **fields) -> Company:
        fields = {"started_on": D(2000, 1, 1), "employees": 5, **fields}
        cvr = next(self.cvrs)
        return Company.objects.create(
            cvr=cvr, name=f"Virksomhed {cvr}", municipality=municipality, **fields
        )

    def founder(self, municipality):
        born = D(1995, 1, 1) + datetime.timedelta(days=self.rng.randrange(3000))
        number = demo_cpr(self.rng, born, self.rng.choice("FM"))
        founder = demo_founder(number, name="Iværksætter", municipality=municipality)
        founder.save()
        return founder

    def session(self, operator, subject, day, **fields):
        fields = {"tier": "local", "channel": "visit", "themes": ["green"], **fields}
        key = "company" if isinstance(subject, Company) else "founder"
        return GuidanceSession.objects.create(
            operator=operator,
            municipality=subject.municipality,
            date=day,
            created_by=self.user,
            **{key: subject},
            **fields,
        )

    def work(self, operator, municipality, day, *, tier="local", hub=None, demo_answers=False):
        """A founder, a company in its first three years and an older growth company guided
        (the older one also contacted briefly), referrals, programmes, a project, a network
        and survey answers."""
        founder = self.founder(municipality)
        young = self.company(municipality, started_on=day - datetime.timedelta(days=400))
        older = self.company(municipality, segment="growth", rural=True, growth_potential="A")
        for subject in (founder, young, older):
            self.session(operator, subject, day, tier=tier)
        self.session(operator, older, day, tier=tier, kind="brief", channel="phone")
        self.referrals(operator, older, day, hub)
        for subject, level in ((founder, "A"), (young, "B"), (older, "C")):
            key = "company" if isinstance(subject, Company) else "founder"
            ProgrammeEnrolment.objects.create(
                municipality=municipality,
                programme="Vækstspor",
                growth_level=level,
                started_on=day,
                operator=operator,
                **{key: subject},
            )
        DevelopmentProject.objects.create(
            company=older,
            municipality=municipality,
            title="Nyt værksted",
            identified_on=day,
            funding="lag",
            application_help=True,
            amount_granted=Decimal(150_000),
            operator=operator,
        )
        network = Network.objects.create(
            name="Erfa", kind="erfa", municipality=municipality, started_on=day, operator=operator
        )
        network.members.set([young, older])
        self.answers(operator, older, day, demo=demo_answers)

    def referrals(self, operator, company, day, hub):
        sent = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
        common = {
            "company": company,
            "municipality": company.municipality,
            "sender_operator": operator,
            "sent_by": self.user,
            "reason": "Vækstambitioner",
            "sent_at": sent,
        }
        Referral.objects.create(
            target_adviser=self.design, uptake="used", uptake_recorded_at=sent, **common
        )
        Referral.objects.create(target_adviser=self.lag, uptake="unknown", **common)
        if hub is not None:
            Referral.objects.create(
                target_operator=hub,
                after_screening=True,
                due_on=day + datetime.timedelta(days=2),
                contacted_at=sent,
                **common,
            )

    def answers(self, operator, company, day, *, demo: bool):
        for satisfaction, nps, effect in [("very", 10, "high"), ("satisfied", 6, "some")]:
            Evaluation.objects.create(
                operator=operator,
                company=company,
                municipality=company.municipality,
                answered_on=day,
                segment="growth",
                themes=["green", "digital"],
                satisfaction=satisfaction,
                nps=nps,
                effect=effect,
                referral_used="used",
                is_demo=demo,
            )


@pytest.fixture
def records(world):
    return Records(world.consultant)


# --- Asking for reports and reading them ------------------------------------------------------


def ask(user, kind, capture, *, contract=None, company=None, **period) -> Report:
    """Through the service and the Celery task, as the page asks."""
    with capture(execute=True):
        report = services.request_report(
            user, kind=kind, contract=contract, company=company, **period
        )
    report.refresh_from_db()
    return report


def pdf_text(report: Report) -> str:
    reader = PdfReader(io.BytesIO(report.file.open("rb").read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def page_texts(report: Report) -> list[str]:
    """Each page's text as pdftotext lays it out: text past the page's edge is cut off."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.pdf"
        path.write_bytes(report.file.open("rb").read())
        pages = len(PdfReader(path).pages)
        return [
            subprocess.run(  # noqa: S603 - a fixed binary on a file we wrote
                ["/usr/bin/pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for n in range(1, pages + 1)
        ]


MARGIN = 16 / 25.4 * 72  # report.css: 16 mm left and right, in points
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<')


def words_outside_the_margins(report: Report) -> list[str]:
    """Words (pdftotext's boxes) that reach into the left or right margin or past the edge:
    a table too wide for the page."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.pdf"
        path.write_bytes(report.file.open("rb").read())
        boxes = subprocess.run(  # noqa: S603 - a fixed binary on a file we wrote
            ["/usr/bin/pdftotext", "-bbox", str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))
    return [
        word
        for left, right, word in WORD.findall(boxes)
        if float(left) < MARGIN - 0.5 or float(right) > width - MARGIN + 0.5
    ]


def danish(value, digits="-1g") -> str:
    with translation.override("da"):
        return floatformat(value, digits)


def numbers_line(goal: Goal, snap) -> str:
    """A goal's numbers as the reports print them: target, value, attainment, status, and
    the forecast of a running goal ("endeligt" once its period is over)."""
    share = " %" if goal.target_kind == "share" else ""
    target = "–" if snap.target is None else f"{'> ' * goal.strict}{danish(snap.target)}{share}"
    value = "–" if snap.value is None else f"{danish(snap.value)}{share}"
    attainment = "–" if snap.attainment is None else f"{danish(snap.attainment, '1')} %"
    forecast = "endeligt" if snap.value is not None else "–"
    if snap.forecast is not None:
        forecast = f"{danish(snap.forecast)}{share}"
    with translation.override("da"):
        return f"{target} {value} {attainment} {snap.get_status_display()} {forecast}"


def totals_as_of(contract: Contract, as_of) -> dict:
    """Each computed goal's total as of ``as_of``, computed here by the attainment function."""
    ids = list(contract.municipalities.values_list("pk", flat=True))
    goals = contract.goals.select_related("contract").prefetch_related("contract__parties")
    return {goal: goal_snapshots(goal, ids, as_of)[0] for goal in goals if goal.is_computed}


def assert_goal_numbers(report: Report, text: str):
    for goal, snap in totals_as_of(report.contract, report.period_end).items():
        assert f"{goal.number} " in text and goal.title in text, goal
        assert numbers_line(goal, snap) in text, (goal, numbers_line(goal, snap))


def every_kind(user, contract, company, capture) -> dict:
    reports = {kind: ask(user, kind, capture, contract=contract) for kind in KINDS}
    reports["company"] = ask(user, Report.Kind.COMPANY, capture, company=company)
    for kind, report in reports.items():
        assert report.state == Report.State.DONE, (kind, report.error)
        assert report.file and report.error == ""
        assert words_outside_the_margins(report) == [], kind
    return reports


# --- The seed contracts ---------------------------------------------------------------------


def test_every_report_of_the_rural_programme_2010(
    world, records, django_capture_on_commit_callbacks
):
    municipalities = list(Municipality.objects.filter(name__in=agreements.RURAL_PROGRAMME))
    contract = agreements.programme_2010(municipalities)
    lemvig = Municipality.objects.get(name="Lemvig")
    for municipality, day in [(world.home, D(2011, 5, 3)), (lemvig, D(2012, 2, 1))]:
        records.work(agreements.local_service(municipality), municipality, day)
    manager = make_member(world.local, Membership.Role.MANAGER)
    company = Company.objects.filter(municipality=world.home).first()

    reports = every_kind(manager, contract, company, django_capture_on_commit_callbacks)

    annual = pdf_text(reports[Report.Kind.ANNUAL])
    assert_goal_numbers(reports[Report.Kind.ANNUAL], annual)
    assert_goal_numbers(reports[Report.Kind.HALF_YEAR], pdf_text(reports[Report.Kind.HALF_YEAR]))
    # Finished: every goal with a target is met or not met; none is merely on its way.
    assert "Ikke opfyldt" in annual and "På vej" not in annual and "Bagud" not in annual
    assert "Milepæl: Ikke vurderet" in annual  # goal 7, a milestone nobody has judged
    for municipality in municipalities:
        assert municipality.name in annual
    assert "demo-svar" not in annual  # no survey answers in this contract


def test_every_report_of_the_viborg_agreement_2014(
    world, records, django_capture_on_commit_callbacks
):
    contract = agreements.viborg_2014(world.home)
    records.work(world.local, world.home, D(2014, 3, 4), hub=world.hub, demo_answers=True)
    records.work(world.hub, world.home, D(2014, 5, 6), tier="specialised")
    records.work(world.other_local, world.home, D(2014, 3, 4))  # not a party: never counts
    Goal.objects.filter(contract=contract, number="4").update(external_value=112)
    manager = make_member(world.local, Membership.Role.MANAGER)
    company = Company.objects.filter(municipality=world.home).first()

    reports = every_kind(manager, contract, company, django_capture_on_commit_callbacks)

    half_year = ask(
        manager,
        Report.Kind.HALF_YEAR,
        django_capture_on_commit_callbacks,
        contract=contract,
        start=D(2014, 1, 1),
        end=D(2014, 6, 30),
    )
    text = pdf_text(half_year)
    # Seed 001's table: entrepreneurs (a founder and a company in its first three years) and
    # older companies, each beside its goal's target; the other parties' records only.
    assert "Vejledte i lokal erhvervsservice 2 200 1 200" in text, text
    assert "Vejledte i specialiseret erhvervsservice 2 12 1 12" in text
    assert "Vejledte i fokuseret erhvervsservice 0 – 0 –" in text
    assert "Vejledte i alt 4 – 2 –" in text
    assert "Vækstforløb på A-niveau 2 3 0 5" in text
    assert "Vækstforløb på B-niveau 2 3 0 5" in text  # the young company is an entrepreneur
    assert "Vækstforløb på C-niveau 0 3 2 5" in text
    assert "Regionale programmer i alt 4 – 2 –" in text
    assert_goal_numbers(half_year, text)
    assert "Tallene bygger delvis på demo-svar" in text

    annual = pdf_text(reports[Report.Kind.ANNUAL])
    assert_goal_numbers(reports[Report.Kind.ANNUAL], annual)
    assert "Nye arbejdspladser 275 112" in annual  # an external goal: target beside value
    assert "> 80 %" in annual  # goal 5: "mere end 80%"
    # The appendix: the clause, what counts, whose records, numerator and denominator.
    assert "Bilag: Sådan måles målene" in annual
    assert "Mere end 80% af vejledte iværksættere" in annual
    assert "Kontraktens erhvervshus: Erhvervshus Midtjylland" in annual
    assert "svar på spørgsmålet om tilfredshed: 4" in annual
    assert "Tallene bygger delvis på demo-svar" in annual


def test_every_report_of_the_syddanmark_contract_2022(
    world, records, django_capture_on_commit_callbacks
):
    contract = agreements.syddanmark_2022()
    hub = Operator.objects.get(name="Erhvervshus Sydjylland")
    for name, day in [("Esbjerg", D(2022, 3, 1)), ("Tønder", D(2022, 9, 1))]:
        records.work(hub, Municipality.objects.get(name=name), day, tier="specialised")
    Goal.objects.filter(contract=contract, number="9").update(
        milestone_status="met", evidence="Aftaler med alle klynger", judged_at=timezone.now()
    )
    Goal.objects.filter(contract=contract, number="6b").update(external_value=12)
    manager = make_member(hub, Membership.Role.MANAGER)
    company = Company.objects.filter(municipality__name="Esbjerg").first()

    reports = every_kind(manager, contract, company, django_capture_on_commit_callbacks)

    annual = pdf_text(reports[Report.Kind.ANNUAL])
    assert_goal_numbers(reports[Report.Kind.ANNUAL], annual)
    assert_goal_numbers(reports[Report.Kind.HALF_YEAR], pdf_text(reports[Report.Kind.HALF_YEAR]))
    assert "Milepæl: Opfyldt" in annual and "Aftaler med alle klynger" in annual
    assert "10 12 Erhvervsstyrelsens effektmåling" in annual  # goal 6b: target, reported
    assert "Følges (intet mål)" in annual  # goal 8c: a number followed without a target
    assert "demo-svar" not in annual  # the answers are real ones here


def test_the_activity_table_counts_as_the_goals_do_in_two_queries(world, records):
    """Each cell of seed 001's table is its goal's number for the first half-year (the goals
    start on 1 January), and more goals do not mean more queries."""
    contract = agreements.viborg_2014(world.home)
    records.work(world.local, world.home, D(2014, 3, 4), hub=world.hub)
    records.work(world.hub, world.home, D(2014, 5, 6), tier="specialised")
    start, end = D(2014, 1, 1), D(2014, 6, 30)

    with CaptureQueriesContext(connection) as few:
        rows = queries.activity_table(contract, start, end)
    cells = {
        (cell["target"], cell["count"]) for row in rows for cell in row["cells"] if cell["target"]
    }
    totals = totals_as_of(contract, end)
    goals = [g for g in totals if g.indicator in ("subjects_guided", "enrolments")]
    assert cells == {(goal.target, totals[goal].value) for goal in goals}
    Goal.objects.bulk_create(
        Goal(
            contract=contract,
            number=f"X{n}",
            title="Tema",
            indicator="subjects_guided",
            params={"themes": ["green"], "subject": "entrepreneur", "tier": "local"},
        )
        for n in range(5)
    )
    with CaptureQueriesContext(connection) as more:
        queries.activity_table(contract, start, end)
    assert len(more) == len(few) <= 7  # goals (3), municipalities, parties, 2 aggregates


# --- Every indicator with every value of its parameters ------------------------------------


def parameter_values(name: str) -> list:
    """Every value a parameter may take: each choice; for several choices, each choice in a
    list of up to three and all of them at once; yes and no; a number."""
    parameter = indicators.PARAMETERS[name]
    codes = [code for code, _label in parameter.choices]
    return {
        "choice": codes,
        "choices": [codes[i : i + 3] for i in range(0, len(codes), 3)] + [codes],
        "bool": [True, False],
        "int": [5],
    }[parameter.kind]


def every_goal() -> list[tuple[str, dict]]:
    """(indicator, parameters): each indicator with only the parameters it cannot do
    without, then with all its parameters set at once, the n-th goal to each parameter's
    n-th value (from the first again when a parameter has fewer), until every value of every
    parameter has had its goal."""
    goals = []
    for name, definition in indicators.CATALOGUE.items():
        values = {parameter: parameter_values(parameter) for parameter in definition.parameters}
        signature = inspect.signature(definition.function).parameters
        required = {
            parameter: options[0]
            for parameter, options in values.items()
            if signature[parameter].default is inspect.Parameter.empty
        }
        goals.append((name, required))
        rounds = max((len(options) for options in values.values()), default=0)
        goals += [
            (name, {parameter: options[n % len(options)] for parameter, options in values.items()})
            for n in range(rounds)
        ]
    return goals


def generated_goals(contract: Contract) -> list[Goal]:
    goals = []
    for number, (name, params) in enumerate(every_goal(), start=1):
        check_goal_indicator(name, params)  # what the goal form would let through
        share = indicators.CATALOGUE[name].is_share
        goals.append(
            Goal(
                contract=contract,
                number=f"G{number}",
                title=f"{name} {params}",
                indicator=name,
                params=params,
                target_kind="share" if share else "count",
                target=None if number % 4 == 0 else (50 if share else 2),
                strict=number % 5 == 0,
                measures=["", Operator.Kind.LOCAL, Operator.Kind.HUB][number % 3],
                per_municipality=number % 7 == 0 and not share,
            )
        )
    return Goal.objects.bulk_create(goals)


def test_every_indicator_with_every_parameter_value_in_every_report(
    world, records, django_capture_on_commit_callbacks
):
    skive = Municipality.objects.get(name="Skive")
    start = TODAY - datetime.timedelta(days=200)
    contract = Contract.objects.create(
        kind="performance",
        title="Alle indikatorer",
        starts_on=start,
        ends_on=TODAY + datetime.timedelta(days=165),
        status="active",
        hourly_rate=500,
    )
    skive_local = agreements.local_service(skive)
    contract.parties.set([world.local, skive_local, world.hub])
    contract.municipalities.set([world.home, skive])
    goals = generated_goals(contract)
    Goal.objects.create(contract=contract, number="M1", title="Milepæl", is_milestone=True)
    skive.rural_urban = "rural"
    skive.save()
    for operator, municipality, tier in [
        (world.local, world.home, "local"),
        (skive_local, skive, "focused"),
        (world.hub, skive, "specialised"),
    ]:
        for days in (150, 20):
            day = TODAY - datetime.timedelta(days=days)
            records.work(operator, municipality, day, tier=tier, hub=world.hub, demo_answers=True)
    manager = make_member(world.local, Membership.Role.MANAGER)

    reports = every_kind(
        manager, contract, Company.objects.first(), django_capture_on_commit_callbacks
    )

    annual, half_year = (pdf_text(reports[kind]) for kind in KINDS[:2])
    assert len(goals) > 80
    assert_goal_numbers(reports[Report.Kind.ANNUAL], annual)
    assert_goal_numbers(reports[Report.Kind.HALF_YEAR], half_year)
    # Running: the forecasts are in the lines above; goals without a target are followed.
    assert "endeligt" not in annual and "Følges (intet mål)" in annual
    assert "Tallene bygger delvis på demo-svar" in annual and "demo-svar" in half_year


# --- Tables fit the page --------------------------------------------------------------------


def test_a_region_of_22_municipalities_is_on_the_page_in_full(
    world, records, django_capture_on_commit_callbacks
):
    region = list(Municipality.objects.filter(region__name__contains="Syddanmark"))
    assert len(region) == 22
    hubs = list(Operator.objects.filter(kind=Operator.Kind.HUB, municipalities__in=region))
    contract = Contract.objects.create(
        kind="performance",
        title="Hele Region Syddanmark",
        starts_on=D(2024, 1, 1),
        ends_on=D(2024, 12, 31),
        status="closed",
    )
    contract.parties.set(hubs)
    contract.municipalities.set(region)
    for number, (name, params) in enumerate(every_goal()[:10], start=1):
        Goal.objects.create(
            contract=contract,
            number=str(number),
            title=name,
            indicator=name,
            params=params,
            target=3,
        )
    records.work(hubs[0], region[0], D(2024, 4, 2), tier="specialised")
    manager = make_member(hubs[0], Membership.Role.MANAGER)

    report = ask(manager, Report.Kind.ANNUAL, django_capture_on_commit_callbacks, contract=contract)

    assert words_outside_the_margins(report) == []
    pages = page_texts(report)
    for municipality in region:
        assert any(municipality.name in page for page in pages), municipality.name
    for number in range(1, 11):  # every goal has its column
        assert any(f"Mål {number} " in page for page in pages), number


# --- A report that cannot be rendered --------------------------------------------------------


def test_a_failed_report_says_why_and_what_to_do_and_is_logged(
    world, contract, company, django_capture_on_commit_callbacks, caplog
):
    """A goal stored with an indicator the catalogue does not know (not through the form)."""
    Goal.objects.filter(contract=contract, number="1").update(indicator="no_such_indicator")

    with caplog.at_level(logging.ERROR, logger="reporting.services"):
        report = ask(
            world.manager,
            Report.Kind.HALF_YEAR,
            django_capture_on_commit_callbacks,
            contract=contract,
        )

    assert report.state == Report.State.FAILED and not report.file
    page = world.client_for(world.manager).get(reverse("report-detail", args=[report.pk])).text
    assert (
        "Rapporten kunne ikke dannes: Mål 1 (Kontaktede virksomheder) kan ikke beregnes: "
        "Ukendt indikator “no_such_indicator”. Ret målet under kontraktens mål, og bestil "
        "rapporten igen." in page
    )
    assert reverse("contract-detail", args=[contract.pk]) in page
    (record,) = [r for r in caplog.records if r.name == "reporting.services"]
    assert f"Report {report.pk} (half_year) could not be rendered" == record.getMessage()
    assert record.exc_info and "no_such_indicator" in str(record.exc_info[1])
    assert company.name not in caplog.text and company.cvr not in caplog.text


def test_an_unexpected_failure_gives_the_report_number_to_quote(world, contract):
    report = Report.objects.create(kind="annual", contract=contract, created_by=world.manager)

    message = services.failure_message(report, RuntimeError("disk full"))

    assert message == (
        "Rapporten kunne ikke dannes: der opstod en uventet fejl. Prøv igen om lidt, eller "
        f"kontakt administratoren og oplys rapport nr. {report.pk}."
    )
