"""Reads for dashboards and reports: aggregates, set-based, scoped by the caller."""

from collections import defaultdict

from django.db.models import Count, F, Func, Q, Sum
from django.db.models.functions import TruncMonth

from contracts.models import Contract, Snapshot
from crm.models import GuidanceSession
from crm.permissions import MEMBER
from crm.services import operators_of
from referrals.models import Referral


def goal_history(contract: Contract) -> dict[int, list]:
    """Per goal, its total value at every snapshot date (oldest first)."""
    history = defaultdict(list)
    rows = (
        Snapshot.objects.filter(goal__contract=contract, municipality=None)
        .order_by("as_of")
        .values_list("goal_id", "as_of", "value")
    )
    for goal_id, as_of, value in rows:
        history[goal_id].append((as_of, value))
    return history


def goal_matrix(contract: Contract):
    """Goals (rows) by municipality (columns) from the latest snapshots."""
    from contracts.services import latest_snapshots

    municipalities = list(contract.municipalities.order_by("name"))
    cells = defaultdict(dict)
    totals = {}
    for snap in latest_snapshots(contract):
        if snap.municipality_id is None:
            totals[snap.goal_id] = snap
        else:
            cells[snap.goal_id][snap.municipality_id] = snap
    goals = [goal for goal in contract.goals.all() if goal.is_computed]
    rows = [
        (goal, totals.get(goal.pk), [cells[goal.pk].get(m.pk) for m in municipalities])
        for goal in goals
    ]
    return municipalities, rows


def activity(user, start, end, municipality=None):
    """A manager's view of the operators' activity in ``start``-``end``."""
    sessions = GuidanceSession.objects.filter(
        operator__in=operators_of(user), date__range=(start, end)
    )
    referrals = Referral.objects.filter(
        sender_operator__in=operators_of(user), sent_at__date__range=(start, end)
    )
    if municipality:
        sessions = sessions.filter(municipality=municipality)
        referrals = referrals.filter(municipality=municipality)
    per_consultant = (
        sessions.annotate(month=TruncMonth("date"))
        .values("consultants__first_name", "consultants__username", "month")
        .annotate(n=Count("pk", distinct=True))
        .order_by("month", "consultants__username")
    )
    hours = sessions.aggregate(
        sessions=Count("pk"),
        before=Sum("hours_before"),
        during=Sum("hours_during"),
        after=Sum("hours_after"),
    )
    by_state = dict(referrals.values_list("state").annotate(n=Count("pk")).order_by())
    deadline = referrals.filter(due_on__isnull=False).aggregate(
        kept=Count("pk", filter=Q(contacted_at__date__lte=F("due_on"))), with_deadline=Count("pk")
    )
    themes = (
        sessions.annotate(month=TruncMonth("date"), theme=Func(F("themes"), function="unnest"))
        .values("month", "theme")
        .annotate(n=Count("pk"))
        .order_by("month", "theme")
    )
    return {
        "per_consultant": list(per_consultant),
        "hours": hours,
        "by_state": by_state,
        "deadline": deadline,
        "themes": list(themes),
    }


def reports_visible_to(user):
    """The reports of the contracts the user can see and the company summaries the user asked
    for; a settlement (it lists registrations) only to whoever asked for it."""
    from reporting.models import Report

    visible = Contract.objects.visible_to(user, MEMBER).values("pk")
    return (
        Report.objects.filter(
            Q(contract__in=visible) | Q(company__isnull=False, created_by_id=user.pk)
        )
        .exclude(Q(kind=Report.Kind.SETTLEMENT) & ~Q(created_by_id=user.pk))
        .select_related("contract", "company", "created_by")
    )
