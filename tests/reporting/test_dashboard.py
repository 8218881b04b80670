"""The contract dashboard: a number links to exactly the rows it counts (for the seed
contracts, with other operators' records mixed in), the rows pages, and what a tile says: the
final result of a finished goal, the forecast of a running one, a goal without a target, an
externally reported goal beside its target, and demo survey answers."""

import datetime
from decimal import Decimal
from itertools import count

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from stdnum.dk import cvr as stdnum_cvr

from contracts.demo.agreements import (
    RURAL_PROGRAMME,
    programme_2010,
    syddanmark_2022,
    viborg_2014,
)
from contracts.models import Contract, Evaluation, Goal
from contracts.services import compute_attainment
from crm.demo.operators import local_service_name
from crm.models import (
    Company,
    DevelopmentProject,
    Founder,
    GuidanceSession,
    Membership,
    Municipality,
    Network,
    Operator,
    ProgrammeEnrolment,
)
from crm.services import do_add_membership, do_set_operator_municipalities
from referrals.models import Adviser, Referral
from reporting.rows import ROW_LINKS
from tests.conftest import make_member
from tests.counting import assert_queries_do_not_grow, page_rows

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = timezone.localdate()


def valid_cvrs(n: int) -> list[str]:
    numbers = (str(number) for number in range(31000000, 31100000))
    return [number for number in numbers if stdnum_cvr.is_valid(number)][:n]


class Records:
    """Small hand-made records, written straight to the tables (the services would refuse
    dates of 2010 for today's staff)."""

    def __init__(self, world):
        self.world = world
        self.cvrs = iter(valid_cvrs(80))
        self.numbers = count(1)
        self.private = Adviser.objects.create(name="Revisor A/S", kind=Adviser.Kind.PRIVATE)
        self.design = Adviser.objects.create(name="Designskolen", kind=Adviser.Kind.DESIGN)

    def company(self, municipality, **fields) -> Company:
        cvr = next(self.cvrs)
        return Company.objects.create(
            cvr=cvr, name=f"Firma {cvr}", municipality=municipality, **fields
        )

    def founder(self, municipality, **fields) -> Founder:
        n = next(self.numbers)
        return Founder.objects.create(
            cpr_encrypted=b"-",
            cpr_hash=f"test-{n}",
            birth_date=D(1990, 1, 1),
            sex=Founder.Sex.FEMALE,
            name=f"Iværksætter {n}",
            municipality=municipality,
            **fields,
        )

    @staticmethod
    def subject(subject) -> dict:
        key = "company" if isinstance(subject, Company) else "founder"
        return {key: subject, "municipality": subject.municipality}

    def session(self, operator, subject, day, *, tier="local", **fields):
        return GuidanceSession.objects.create(
            operator=operator,
            date=day,
            tier=tier,
            created_by=self.world.consultant,
            **self.subject(subject),
            **{"channel": "visit", **fields},
        )

    def referral(self, operator, subject, day, **fields):
        return Referral.objects.create(
            sender_operator=operator,
            sent_by=self.world.consultant,
            reason="Vækst",
            sent_at=datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC),
            due_on=day + datetime.timedelta(days=2),
            **self.subject(subject),
            **fields,
        )

    def project(self, operator, company, day, **fields):
        return DevelopmentProject.objects.create(
            operator=operator,
            company=company,
            municipality=company.municipality,
            title="Nyt produkt",
            identified_on=day,
            **fields,
        )

    def network(self, operator, municipality, day, spans=()):
        network = Network.objects.create(
            name=f"Netværk {next(self.numbers)}",
            kind=Network.Kind.ERFA,
            municipality=municipality,
            started_on=day,
            operator=operator,
        )
        network.municipalities.set(spans)
        return network

    def enrolment(self, operator, subject, day, level):
        return ProgrammeEnrolment.objects.create(
            operator=operator,
            programme="Vækstforløb",
            growth_level=level,
            started_on=day,
            **self.subject(subject),
        )


def operator_in(name: str, kind: str, municipalities) -> Operator:
    operator = Operator.objects.create(name=name, kind=kind)
    do_set_operator_municipalities(operator, municipalities)
    return operator


def seed_000_records(records: Records, world, contract):
    """Viborg's and Skive's local services (measured), the hub and a focused service (not
    parties) and records outside the period."""
    skive = Municipality.objects.get(name="Skive")
    les, skive_les = world.local, Operator.objects.get(name=local_service_name(skive))
    arsenalet = operator_in("Arsenalet", Operator.Kind.FOCUSED, [world.home])
    micro_rural = records.company(world.home, employees=5, rural=True)
    larger = records.company(world.home, employees=40, rural=True)
    skive_micro = records.company(skive, employees=3, rural=True)
    town = records.company(world.home, employees=4, rural=False)
    # Skive is a yderkommune: its micro companies are in the target group without the mark.
    skive_town = records.company(skive, employees=6, rural=False)
    skive_larger = records.company(skive, employees=60, rural=False)
    founder = records.founder(world.home)
    for operator, subject, day, kind in [
        (les, micro_rural, D(2010, 5, 1), "full"),
        (les, micro_rural, D(2010, 6, 1), "brief"),
        (les, larger, D(2011, 1, 1), "full"),
        (les, town, D(2011, 2, 1), "brief"),
        (les, founder, D(2011, 3, 1), "full"),
        (les, micro_rural, D(2009, 12, 1), "full"),  # before the period
        (skive_les, skive_micro, D(2011, 5, 1), "full"),
        (skive_les, skive_town, D(2011, 5, 2), "brief"),
        (skive_les, skive_larger, D(2011, 5, 3), "brief"),
        (world.hub, micro_rural, D(2011, 1, 5), "full"),  # not a party
        (world.hub, skive_micro, D(2011, 1, 6), "brief"),
        (arsenalet, town, D(2011, 6, 1), "full"),
    ]:
        records.session(operator, subject, day, kind=kind)
    records.referral(les, micro_rural, D(2010, 7, 1), target_adviser=records.private)
    records.referral(les, larger, D(2011, 2, 1), target_operator=world.hub)
    records.referral(les, larger, D(2011, 2, 2), target_adviser=records.private, state="withdrawn")
    records.referral(world.hub, micro_rural, D(2011, 3, 1), target_adviser=records.private)
    records.referral(skive_les, skive_micro, D(2011, 4, 1), target_adviser=records.design)
    for operator, company, funding, help_ in [
        (les, micro_rural, "lag", True),
        (les, micro_rural, "lag", True),
        (les, larger, "lag", False),
        (world.hub, town, "lag", True),
        (skive_les, skive_micro, "other", False),
    ]:
        records.project(operator, company, D(2011, 1, 10), funding=funding, application_help=help_)
    records.network(les, world.home, D(2011, 1, 1), spans=[skive])
    records.network(world.hub, world.home, D(2011, 1, 1))
    records.network(skive_les, skive, D(2009, 1, 1))
    # Goal 2 counts company guidance only: the founder's session does not count.
    return {"1": 3, "2": 3, "3": 2, "4": 1, "5": 1, "6": 2, "8": 4}


def seed_001_records(records: Records, world, contract):
    """The local service and the hub (both parties), Arsenalet (not a party); founders,
    companies up to three years old, older ones and one without a start date."""
    arsenalet = Operator.objects.get(name="Arsenalet")
    founder = records.founder(world.home)
    young = records.company(world.home, started_on=D(2012, 6, 1))
    old = records.company(world.home, started_on=D(2000, 1, 1))
    undated = records.company(world.home)
    contacted = records.company(world.home)
    # A founder and the company it started are one iværksætter.
    started = records.company(world.home, started_on=D(2013, 1, 1))
    founded = records.founder(world.home, company=started, company_started_on=D(2013, 1, 1))
    for subject in (founder, young, old, undated, started, founded):
        records.session(world.local, subject, D(2014, 2, 1))
    records.session(world.local, contacted, D(2014, 2, 2), kind="brief")
    records.session(world.hub, young, D(2014, 3, 1), tier="specialised")
    records.session(world.hub, old, D(2014, 3, 2), tier="specialised")
    records.session(arsenalet, founder, D(2014, 3, 3))
    records.enrolment(world.local, founder, D(2014, 3, 1), "A")
    records.enrolment(world.hub, old, D(2014, 4, 1), "B")
    records.enrolment(world.hub, young, D(2014, 5, 1), "A")
    records.enrolment(arsenalet, young, D(2014, 5, 2), "A")
    return {"1a": 3, "1b": 2, "2a": 1, "2b": 1, "3Ai": 2, "3Bv": 1, "3Av": 0}


def seed_002_records(records: Records, world, contract):
    """Erhvervshus Sydjylland (measured) and Haderslev's local service (not a party)."""
    hub = Operator.objects.get(name="Erhvervshus Sydjylland")
    haderslev, billund = (Municipality.objects.get(name=n) for n in ("Haderslev", "Billund"))
    les = operator_in("Erhvervsservice Haderslev", Operator.Kind.LOCAL, [haderslev])
    first, second, third = (records.company(m) for m in (haderslev, haderslev, billund))
    records.session(hub, first, D(2022, 2, 1), tier="specialised")
    records.session(hub, first, D(2022, 3, 1), tier="specialised")
    records.session(hub, third, D(2022, 4, 1), tier="specialised")
    records.session(hub, second, D(2022, 4, 2), tier="specialised", kind="brief")
    records.session(les, second, D(2022, 5, 1))
    records.referral(hub, first, D(2022, 6, 1), target_adviser=records.design)
    records.referral(hub, third, D(2022, 6, 2), target_adviser=records.private)
    records.referral(les, second, D(2022, 6, 3), target_adviser=records.design)
    return {"2": 2, "8c": 1}


@pytest.fixture
def seeds(world):
    """The three seed contracts with their records, computed as of their last day, and a
    consultant of every party: someone who sees every row the numbers count."""
    records = Records(world)
    midt = Municipality.objects.filter(name__in=RURAL_PROGRAMME)
    built = []
    for contract, fill in [
        (programme_2010(midt), seed_000_records),
        (viborg_2014(world.home), seed_001_records),
        (syddanmark_2022(), seed_002_records),
    ]:
        expected = fill(records, world, contract)
        compute_attainment(contract, contract.ends_on)
        built.append((contract, expected))
    everybody = make_member(world.local, Membership.Role.CONSULTANT)
    parties = Operator.objects.filter(contracts__in=[c for c, _e in built]).distinct()
    for party in parties.exclude(pk=world.local.pk):
        do_add_membership(everybody, party, Membership.Role.CONSULTANT)
    return built, everybody


def the_number(client, url: str):
    """The figure on a rows page that the link says equals the number."""
    page = client.get(url)
    assert page.status_code == 200, url
    figures = {key: value for key, _label, value in page.context["figures"]}
    counted = page.context["count"]
    assert f'data-figure="{counted}"><strong>' in page.text
    return Decimal(figures[counted] or 0)


def counted(snap) -> Decimal:
    # A share's rows are its numerator; hours priced in kroner list their hours.
    return snap.numerator if snap.numerator is not None else snap.value


def test_each_number_of_the_seed_contracts_lists_exactly_the_rows_it_counts(world, seeds):
    built, everybody = seeds
    client = world.client_for(everybody)
    for contract, expected in built:
        context = client.get(reverse("contract-dashboard", args=[contract.pk])).context
        tiles = {tile["goal"].number: tile for tile in context["tiles"]}
        totals = {number: tile["total"].value for number, tile in tiles.items()}
        assert {n: totals[n] for n in expected} == {n: Decimal(v) for n, v in expected.items()}
        for number, tile in tiles.items():
            if tile["goal"].indicator not in ROW_LINKS:
                assert tile["url"] is None, (contract, number)
                continue
            assert tile["url"], (contract, number)
            assert the_number(client, tile["url"]) == counted(tile["total"]), (contract, number)
        cells = [(goal, cell) for goal, cells in context["rows"] for cell in cells]
        linked = [(goal, cell) for goal, cell in cells if cell["url"] and cell["snap"].value]
        assert linked, contract
        for goal, cell in linked:
            assert the_number(client, cell["url"]) == counted(cell["snap"]), (goal, cell)


def test_a_number_links_only_for_those_who_see_every_row_it_counts(world, seeds):
    built, _everybody = seeds
    (programme, _), (cooperation, _), _syd = built
    client = world.client_for(world.consultant)  # Viborg's local service only

    programme_page = client.get(reverse("contract-dashboard", args=[programme.pk])).context
    cooperation_page = client.get(reverse("contract-dashboard", args=[cooperation.pk])).context
    official = world.client_for(world.viewer).get(
        reverse("contract-dashboard", args=[cooperation.pk])
    )

    # Seed 000 counts thirteen local services: the total is not Viborg's to list, Viborg's
    # column is.
    assert all(tile["url"] is None for tile in programme_page["tiles"])
    viborg = [m.pk for m in programme_page["municipalities"]].index(world.home.pk)
    urls = [cells[viborg]["url"] for goal, cells in programme_page["rows"]]
    assert all(urls[:5]) and urls[5] is None  # networks span municipalities
    # Seed 001: the local service's own goals link, the hub's and the shared ones do not.
    links = {tile["goal"].number: tile["url"] for tile in cooperation_page["tiles"]}
    assert links["1a"] and links["1b"]
    assert links["2a"] is None and links["3Ai"] is None and links["5"] is None
    assert all(tile["url"] is None for tile in official.context["tiles"])


def test_a_link_carries_every_filter_of_its_goal(world, seeds):
    built, everybody = seeds
    programme = built[0][0]
    context = (
        world.client_for(everybody).get(reverse("contract-dashboard", args=[programme.pk])).context
    )
    url = next(t["url"] for t in context["tiles"] if t["goal"].number == "1")

    assert url.startswith(reverse("goal-rows", args=["vejledninger"]))
    for part in ("micro=true", "rural=true", "subject=company", "date_from=2010-04-01"):
        assert part in url
    assert "date_to=2012-03-31" in url and "count=companies" in url


# Every linkable indicator with parameters that narrow its rows.
EVERY_LINK = {
    "companies_guided": {
        "tier": "local",
        "themes": ["export", "green"],
        "segment": "growth",
        "channel": "visit",
    },
    "subjects_guided": {"subject": "entrepreneur", "tier": "local"},
    "companies_contacted": {"micro": True, "rural": True, "tier": "local", "themes": ["export"]},
    "founders_guided": {"tier": "local", "channel": "visit"},
    "sessions": {"kind": "brief", "subject": "established", "themes": ["export"]},
    "hours": {"kind": "full", "tier": "local"},
    "hours_cost": {"kind": "full", "tier": "local"},
    "referrals": {"target": "adviser", "after_screening": False, "subject": "company"},
    "referrals_in_deadline_share": {},
    "projects": {"funding": "lag", "application_help": True, "distinct_companies": True},
    "amounts_granted": {"funding": "lag"},
    "networks": {"min_members": 1},
    "enrolments": {"growth_level": "A", "subject": "entrepreneur"},
}


@pytest.fixture
def mixed(world):
    """A running contract of Viborg's local service and the hub, and records of both and of
    a focused service that is not a party, some inside and some outside each goal's
    parameters."""
    records = Records(world)
    arsenalet = operator_in("Arsenalet", Operator.Kind.FOCUSED, [world.home])
    contract = Contract.objects.create(
        kind="cooperation",
        title="Samarbejdsaftale",
        starts_on=TODAY - datetime.timedelta(days=300),
        ends_on=TODAY + datetime.timedelta(days=60),
        status="active",
        hourly_rate=500,
    )
    contract.parties.set([world.local, world.hub])
    contract.municipalities.set([world.home])
    day = TODAY - datetime.timedelta(days=20)
    old = records.company(
        world.home, segment="growth", employees=5, rural=True, started_on=D(2000, 1, 1)
    )
    young = records.company(world.home, segment="operations", employees=50, started_on=day)
    undated = records.company(world.home, employees=3)
    founder = records.founder(world.home)
    for operator, subject, fields in [
        (world.local, old, {"themes": ["export"]}),
        (world.local, old, {"themes": ["green"], "kind": "brief", "channel": "phone"}),
        (world.local, young, {"themes": ["export", "green"], "hours_during": Decimal("1.5")}),
        (world.local, undated, {"themes": ["export"], "kind": "brief"}),
        (world.local, undated, {"tier": "specialised"}),
        (world.local, founder, {}),
        (world.hub, old, {"tier": "specialised", "themes": ["export"]}),
        (arsenalet, young, {"themes": ["export"]}),
        (arsenalet, old, {"themes": ["export"], "kind": "brief"}),
    ]:
        records.session(operator, subject, day, **fields)
    sent = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    for operator, subject, fields in [
        (world.local, old, {"target_adviser": records.private}),
        (world.local, young, {"target_adviser": records.private, "after_screening": True}),
        (world.local, founder, {"target_adviser": records.private}),
        (world.local, undated, {"target_adviser": records.private, "state": "withdrawn"}),
        (world.local, old, {"target_operator": world.hub, "contacted_at": sent}),
        (
            world.local,
            undated,
            {"target_operator": world.hub, "contacted_at": sent + datetime.timedelta(days=9)},
        ),
        (arsenalet, old, {"target_adviser": records.private}),
        (arsenalet, young, {"target_operator": world.hub, "contacted_at": sent}),
    ]:
        records.referral(operator, subject, day, **fields)
    for operator, company, fields in [
        (world.local, old, {"funding": "lag", "application_help": True, "amount_granted": 900}),
        (world.local, old, {"funding": "lag", "application_help": True}),
        (world.local, young, {"funding": "lag", "amount_granted": 50}),
        (world.local, undated, {"funding": "other", "application_help": True}),
        (arsenalet, old, {"funding": "lag", "application_help": True, "amount_granted": 7}),
    ]:
        records.project(operator, company, day, **fields)
    records.network(world.local, world.home, day).members.set([old])
    records.network(world.local, world.home, day)
    records.network(arsenalet, world.home, day).members.set([young])
    for operator, subject in [
        (world.local, founder),
        (world.local, old),
        (world.hub, young),
        (arsenalet, founder),
    ]:
        records.enrolment(operator, subject, day, "A")
    user = make_member(world.local, Membership.Role.CONSULTANT)
    do_add_membership(user, world.hub, Membership.Role.CONSULTANT)
    return contract, user


@pytest.mark.parametrize("indicator", sorted(EVERY_LINK))
def test_every_linkable_indicator_lists_the_rows_it_counts(world, mixed, indicator):
    contract, user = mixed
    measures = "hub" if indicator == "referrals_in_deadline_share" else "local"
    Goal.objects.create(
        contract=contract,
        number="1",
        title=indicator,
        indicator=indicator,
        params=EVERY_LINK[indicator],
        measures=measures,
        target=1,
    )
    compute_attainment(contract, TODAY)
    client = world.client_for(user)

    tile = client.get(reverse("contract-dashboard", args=[contract.pk])).context["tiles"][0]

    assert counted(tile["total"]) > 0
    assert tile["url"], indicator
    assert the_number(client, tile["url"]) == counted(tile["total"])


def test_every_linkable_indicator_is_tried():
    assert set(EVERY_LINK) == set(ROW_LINKS)


# --- The rows pages --------------------------------------------------------------------------


def test_the_rows_page_names_its_filters_in_words(world, company):
    from crm import services

    services.do_log_session(
        world.consultant, company, operator=world.local, date=TODAY, tier="local", channel="visit"
    )
    url = reverse("goal-rows", args=["vejledninger"])
    query = {"operators": world.local.pk, "municipalities": world.home.code, "tier": "local"}

    response = world.client_for(world.consultant).get(url, {**query, "count": "companies"})

    assert response.status_code == 200
    assert ("Registreret af en af disse operatører", "Viborgegnens Erhvervsråd") in [
        (label.split(" (")[0], value) for label, value in response.context["described"]
    ]
    assert "Viborg" in response.text and "Lokal" in response.text
    assert company.name in response.text


def test_an_invalid_filter_lists_nothing(world, company):
    from crm import services

    services.do_log_session(
        world.consultant, company, operator=world.local, date=TODAY, tier="local", channel="visit"
    )
    url = reverse("goal-rows", args=["vejledninger"])

    response = world.client_for(world.consultant).get(url, {"subject": "everybody"})

    assert not response.context["valid"] and len(response.context["page"].object_list) == 0
    assert "Filteret er ikke gyldigt" in response.text


def test_the_rows_pages_for_the_four_users(world, company):
    from crm import services

    services.do_log_session(
        world.consultant, company, operator=world.local, date=TODAY, tier="local", channel="visit"
    )
    for kind in ("vejledninger", "henvisninger", "netvaerk", "projekter", "vaekstforloeb"):
        url = reverse("goal-rows", args=[kind])
        assert world.client_for(world.consultant).get(url).status_code == 200
        assert world.client_for(world.viewer).get(url).status_code == 403
        assert Client().get(url)["Location"].startswith("/login/")
    # No municipality in the URL: another municipality's consultant sees none of Viborg's.
    outsider = world.client_for(world.outsider).get(reverse("goal-rows", args=["vejledninger"]))
    assert outsider.status_code == 200 and len(outsider.context["page"].object_list) == 0
    assert world.client_for(world.consultant).get("/rapporter/raekker/x/").status_code == 404


def add_rows(world, kind: str):
    records = Records(world)

    def add(n: int):
        for _ in range(n):
            company = records.company(world.home)
            if kind == "vejledninger":
                records.session(world.local, company, TODAY)
            elif kind == "henvisninger":
                records.referral(world.local, company, TODAY, target_adviser=records.private)
            elif kind == "netvaerk":
                records.network(world.local, world.home, TODAY, spans=[world.other])
            elif kind == "projekter":
                records.project(world.local, company, TODAY, funding="lag")
            else:
                records.enrolment(world.local, company, TODAY, "A")

    return add


@pytest.mark.parametrize(
    "kind", ["vejledninger", "henvisninger", "netvaerk", "projekter", "vaekstforloeb"]
)
def test_the_rows_pages_do_not_query_per_row(world, kind):
    Adviser.objects.all().delete()
    assert_queries_do_not_grow(
        world.client_for(world.consultant),
        reverse("goal-rows", args=[kind]),
        add_rows(world, kind),
        page_rows("page"),
        params={"operators": str(world.local.pk), "municipalities": world.home.code}
        if kind != "henvisninger"
        else {"sender_operators": str(world.local.pk)},
    )


# --- What the tiles say ----------------------------------------------------------------------


def dashboard(world, contract, user=None):
    url = reverse("contract-dashboard", args=[contract.pk])
    return world.client_for(user or world.viewer).get(url)


def test_a_finished_contract_shows_each_goals_final_result(world, seeds):
    built, _everybody = seeds
    cooperation = built[1][0]

    response = dashboard(world, cooperation)

    tiles = {tile["goal"].number: tile for tile in response.context["tiles"]}
    assert tiles["1a"]["final"] and tiles["1a"]["total"].status == "not_met"
    assert "Slutresultat" in response.text and "Ikke opfyldt" in response.text
    assert "Prognose ved periodens slut" not in response.text


def test_a_running_goal_shows_its_forecast_beside_its_pace(world, contract):
    response = dashboard(world, contract)

    tile = response.context["tiles"][0]
    assert not tile["final"] and tile["total"].forecast is not None
    assert "Prognose ved periodens slut" in response.text
    assert response.text.count('class="forecast"') == 2  # the tile and the pace card


def test_a_goal_without_a_target_shows_its_value(world, contract):
    Goal.objects.filter(contract=contract, number="1").update(target=None)
    compute_attainment(contract, TODAY)

    response = dashboard(world, contract)

    tile = response.context["tiles"][0]
    assert tile["total"].status == "tracked" and tile["total"].value == 1
    assert "Følges (intet mål)" in response.text and "Ingen data" not in response.text


def test_an_external_goal_shows_its_target_beside_its_reported_value(world, contract):
    Goal.objects.create(
        contract=contract,
        number="10",
        title="Kendskab",
        target_kind="share",
        target=73,
        external_value=54,
        external_source="Måling",
    )

    text = dashboard(world, contract).text
    detail = world.client_for(world.viewer).get(reverse("contract-detail", args=[contract.pk]))

    assert "54 % <small>/ mindst 73 %</small>" in text
    assert "mindst 73 %" in detail.text and "54 %" in detail.text


def test_demo_survey_answers_are_announced(world, contract):
    assert 'id="demo-answers"' not in dashboard(world, contract).text

    Evaluation.objects.create(
        operator=world.local, municipality=world.home, answered_on=TODAY, is_demo=True
    )

    assert "demo-svar" in dashboard(world, contract).text
