"""Each role's start page shows what that role needs, from the data as it is, in a number of
queries that does not grow with the rows."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract, Goal, Snapshot
from crm.models import GuidanceSession
from crm.services import subject_fields
from referrals.calendar import add_working_days
from referrals.models import Referral
from tests.counting import assert_queries_do_not_grow
from tests.crm.test_query_counts import Rows
from tests.referrals.test_query_counts import refer

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
EMPTY_QUEUE = "Der er ingen henvisninger i køen."


@pytest.fixture
def rows(world):
    return Rows(world)


def referral_due(rows, i: int, due_on: datetime.date) -> Referral:
    referral = refer(rows, i)
    Referral.objects.filter(pk=referral.pk).update(due_on=due_on)
    return referral


def follow_up(rows, i: int, on: datetime.date) -> GuidanceSession:
    """A subject guided (its consent meeting) by the consultant, to be followed up ``on``."""
    sessions = GuidanceSession.objects.filter(**subject_fields(refer(rows, i).subject))
    sessions.update(follow_up_on=on)
    return sessions.get()


def contract_with_snapshots(world, n_goals: int = 2) -> Contract:
    contract = Contract.objects.create(
        kind="cooperation",
        title=f"Samarbejdsaftale {Contract.objects.count() + 1}",
        starts_on=datetime.date(TODAY.year, 1, 1),
        ends_on=datetime.date(TODAY.year, 12, 31),
        status="active",
    )
    contract.municipalities.set([world.home])
    contract.parties.set([world.local])
    for number in range(1, n_goals + 1):
        goal = Goal.objects.create(
            contract=contract,
            number=str(number),
            title=f"Vejledte virksomheder {number}",
            indicator="companies_contacted",
            target=200,
        )
        for as_of, value, status in (
            (TODAY - datetime.timedelta(days=7), 10, "behind"),  # a week before
            (TODAY, 150, "on_track"),
        ):
            Snapshot.objects.create(
                goal=goal, as_of=as_of, value=value, target=200, forecast=230, status=status
            )
    return contract


def test_triage_start_page_counts_the_queue_by_deadline(world, rows):
    for i, due in enumerate([TODAY - datetime.timedelta(days=3), TODAY, TODAY]):
        referral_due(rows, i, due)
    referral_due(rows, 3, add_working_days(TODAY, 1))
    response = world.client_for(world.triage).get(reverse("home"))
    assert response.context["queue_counts"] == {"total": 4, "overdue": 1, "today": 2, "next_day": 1}
    page = response.content.decode()
    assert EMPTY_QUEUE not in page
    assert 'data-count="overdue">1<' in page and 'data-count="today">2<' in page


def test_consultant_start_page_flags_overdue_follow_ups_and_referrals(world, rows):
    follow_up(rows, 0, TODAY - datetime.timedelta(days=2))
    follow_up(rows, 1, TODAY)
    follow_up(rows, 2, TODAY + datetime.timedelta(days=5))  # not due: not listed
    referral_due(rows, 3, TODAY - datetime.timedelta(days=1))
    response = world.client_for(world.consultant).get(reverse("home"))
    assert response.context["follow_up_counts"] == {"total": 2, "overdue": 1}
    # Every referral made above waits for the hub; the one past its deadline is flagged.
    assert response.context["waiting_counts"] == {"total": 4, "overdue": 1}
    page = response.content.decode()
    assert page.count('class="badge overdue"') == 2


def test_other_consultants_referrals_do_not_wait_on_my_start_page(world, rows):
    refer(rows, 0)
    response = world.client_for(world.outsider).get(reverse("home"))
    assert response.context["waiting_counts"]["total"] == 0


def test_manager_and_official_see_each_goal_with_status_plan_and_forecast(world):
    contract_with_snapshots(world)
    for user in (world.manager, world.viewer):
        response = world.client_for(user).get(reverse("home"))
        [entry] = response.context["contracts"]
        assert [line.reading.status for line in entry.lines] == ["on_track", "on_track"]
        assert entry.statuses() == [("on_track", "På vej", 2)]
        assert all(line.reading.forecast == 230 for line in entry.lines)
        assert "når de er registreret" not in response.content.decode()


def test_an_outsiders_official_does_not_see_the_contract(world):
    contract_with_snapshots(world)
    response = world.client_for(world.outsider).get(reverse("home"))
    assert "contracts" not in response.context or not response.context["contracts"]


def test_consultant_start_page_does_not_query_per_row(world, rows):
    numbers = iter(range(100))
    assert_queries_do_not_grow(
        world.client_for(world.consultant),
        reverse("home"),
        lambda k: [follow_up(rows, next(numbers), TODAY) for _ in range(k)],
        lambda response: len(response.context["follow_ups"]),
        n=3,
    )


def test_triage_start_page_does_not_query_per_row(world, rows):
    numbers = iter(range(100))
    assert_queries_do_not_grow(
        world.client_for(world.triage),
        reverse("home"),
        lambda k: [referral_due(rows, next(numbers), TODAY) for _ in range(k)],
        lambda response: len(response.context["queue"]),
        n=3,
    )


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_contract_start_pages_do_not_query_per_contract_or_goal(world, role):
    assert_queries_do_not_grow(
        world.client_for(getattr(world, role)),
        reverse("home"),
        lambda k: [contract_with_snapshots(world) for _ in range(k)],
        lambda response: len(response.context["contracts"]),
        n=1,
    )
