"""What each role's start page shows, read set-based: a few queries per page whatever the
number of follow-ups, referrals, contracts and goals."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from contracts.indicators import Period
from contracts.models import Contract, Goal, Snapshot
from contracts.services import managed_contracts, managed_operators, pace
from crm.models import GuidanceSession
from crm.queries import follow_ups_due
from referrals.calendar import add_working_days
from referrals.models import OPEN_STATES
from referrals.queries import referrals_visible_to, triage_queue
from reporting import surveys
from reporting.queries import READING_FIELDS, STATUS_LABELS, Reading

LISTED = 10  # rows of a start page's table; the whole list is one link away


def consultant_start(user, today: datetime.date) -> dict:
    """Today's follow-ups (the overdue ones flagged) and the referrals the user sent that
    still wait for the receiver, with their counts."""
    due = follow_ups_due(user, today)
    waiting = referrals_visible_to(user).filter(sent_by=user, state__in=OPEN_STATES)
    return {
        "follow_ups": list(due[:LISTED]),
        "follow_up_counts": due.aggregate(
            total=Count("pk"), overdue=Count("pk", filter=Q(follow_up_on__lt=today))
        ),
        "waiting": list(waiting.order_by("due_on", "sent_at", "pk")[:LISTED]),
        "waiting_counts": waiting.aggregate(
            total=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today))
        ),
    }


def triage_start(user, today: datetime.date) -> dict:
    """The queue's counts by deadline in one query, and its first rows."""
    queue = triage_queue(user)
    next_day = add_working_days(today, 1)
    counts = queue.order_by().aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        today=Count("pk", filter=Q(due_on=today)),
        next_day=Count("pk", filter=Q(due_on=next_day)),
    )
    return {
        "queue_counts": counts,
        "next_day": next_day,
        "next_day_is_tomorrow": next_day == today + datetime.timedelta(days=1),
        "queue": list(queue[:LISTED]),
    }


def manager_start(user, today: datetime.date) -> dict:
    """The team's month so far (sessions and hours per consultant of the operators the user
    manages), the managed contracts' goals against their plan, and each operator's response
    rate to its own user survey this month."""
    month = today.replace(day=1)
    operators = list(managed_operators(user).order_by("name"))
    sessions = GuidanceSession.objects.filter(operator__in=operators, date__range=(month, today))
    per_consultant = (
        sessions.values(
            "consultants__first_name", "consultants__last_name", "consultants__username"
        )
        .annotate(n=Count("pk", distinct=True))
        .order_by("-n", "consultants__username")
    )
    hours = Sum("hours_before") + Sum("hours_during") + Sum("hours_after")
    return {
        "month": month,
        "team": list(per_consultant),
        "team_total": sessions.aggregate(sessions=Count("pk"), hours=hours),
        "contracts": contract_goals(managed_contracts(user), today),
        "surveys": surveys.this_month(operators, today),
    }


def viewer_start(user, today: datetime.date) -> dict:
    """The contracts covering the official's municipalities, each goal's newest total."""
    return {"contracts": contract_goals(Contract.objects.visible_to(user), today)}


@dataclass
class GoalLine:
    goal: Goal
    reading: Reading | None
    expected: object = None  # where a running count should be now (its straight-line plan)


@dataclass
class ContractGoals:
    contract: Contract
    lines: list[GoalLine] = field(default_factory=list)
    by_status: dict = field(default_factory=dict)  # status -> number of goals

    def statuses(self) -> list[tuple[str, str, int]]:
        """(status, its label, number of goals), in the order of ``Snapshot.Status``."""
        return [
            (s, STATUS_LABELS[s], self.by_status[s]) for s in STATUS_LABELS if s in self.by_status
        ]


def contract_goals(contracts, today: datetime.date) -> list[ContractGoals]:
    """Per contract (not closed), its goals with the newest total snapshot of each: three
    queries (contracts, goals, snapshots) whatever their number."""
    found = {
        c.pk: ContractGoals(c)
        for c in contracts.exclude(status=Contract.Status.CLOSED).order_by("-starts_on", "title")
    }
    goals = list(Goal.objects.filter(contract__in=list(found)).order_by("contract", "pk"))
    totals = newest_totals([goal.pk for goal in goals])
    for goal in goals:
        entry = found[goal.contract_id]
        goal.contract = entry.contract  # for goal.period, without a query per goal
        reading = totals.get(goal.pk)
        entry.lines.append(GoalLine(goal, reading, expected_now(goal, reading, today)))
        if reading:
            entry.by_status[reading.status] = entry.by_status.get(reading.status, 0) + 1
    return list(found.values())


def newest_totals(goal_ids: list[int]) -> dict:
    """Goal id -> its newest total snapshot as a Reading (DISTINCT ON the unique index)."""
    rows = (
        Snapshot.objects.filter(goal_id__in=goal_ids, municipality=None)
        .order_by("goal_id", "-as_of")
        .distinct("goal_id")
        .values_list(*READING_FIELDS)
    )
    return {row[0]: Reading(*row) for row in rows}


def expected_now(goal: Goal, reading: Reading | None, today: datetime.date):
    """The straight-line plan of a count goal with a target: the share of its period passed
    times the target (``contracts.services.judge`` measures "on track" against it)."""
    if reading is None or reading.target is None or goal.target_kind != Goal.TargetKind.COUNT:
        return None
    start, end = goal.period
    if today >= end:
        return reading.target
    return (reading.target * pace(Period(start, end), today)).quantize(1)
