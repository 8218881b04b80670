"""Reads for dashboards and reports: aggregates, set-based, scoped by the caller."""

from collections import defaultdict

from django.db.models import Count, F, Func, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from contracts.indicators import Period, guided_in
from contracts.models import Contract, Snapshot
from contracts.services import latest_snapshots, managed_contracts
from crm.models import GuidanceSession, ProgrammeEnrolment
from crm.permissions import MEMBER
from crm.services import operators_of
from referrals.models import Referral


def goal_history(contract: Contract, *, municipality=None, start=None, end=None) -> dict:
    """Per goal, its value at every snapshot date in ``start``-``end`` (oldest first): the
    total, or one municipality's."""
    history = defaultdict(list)
    rows = Snapshot.objects.filter(goal__contract=contract, municipality=municipality)
    if start:
        rows = rows.filter(as_of__gte=start)
    if end:
        rows = rows.filter(as_of__lte=end)
    for goal_id, as_of, value in rows.order_by("as_of").values_list("goal_id", "as_of", "value"):
        history[goal_id].append((as_of, value))
    return history


def goal_matrix(contract: Contract, end=None):
    """Goals (rows) by municipality (columns) from the newest snapshots until ``end``."""
    municipalities = list(contract.municipalities.order_by("name"))
    cells = defaultdict(dict)
    totals = {}
    for snap in latest_snapshots(contract, end):
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


def snapshot_rows(contract: Contract):
    """Every snapshot of the contract: per goal, the total then each municipality, oldest
    date first (one query)."""
    return (
        Snapshot.objects.filter(goal__contract=contract)
        .select_related("goal", "municipality")
        .order_by("goal__pk", F("municipality__name").asc(nulls_first=True), "as_of")
    )


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
    for; a settlement (it lists registrations) only to whoever asked for it; an annual report
    that is not published yet only to the contract's managers (``check_can_manage``)."""
    from reporting.models import Report

    visible = Contract.objects.visible_to(user, MEMBER).values("pk")
    managed = managed_contracts(user).values("pk")
    draft = Q(kind=Report.Kind.ANNUAL, published_at__isnull=True)
    return (
        Report.objects.filter(
            Q(contract__in=visible) | Q(company__isnull=False, created_by_id=user.pk)
        )
        .exclude(Q(kind=Report.Kind.SETTLEMENT) & ~Q(created_by_id=user.pk))
        .exclude(draft & ~Q(contract__in=managed))
        .select_related("contract", "company", "created_by", "published_by")
    )


# Seed 001 §1: the cooperation agreement's activity table. Each row counts founders and
# companies the way the contract's indicators do (contracts.indicators): founders and
# companies guided (``guided_in``: full guidance, no brief contacts), growth programme
# enrolments started; a target is the target of the contract's goal with the same indicator
# and parameters.
GUIDANCE_ROWS = [
    (_("Vejledte i lokal erhvervsservice"), "local"),
    (_("Vejledte i specialiseret erhvervsservice"), "specialised"),
    (_("Fokuserede erhvervsservicetiltag"), "focused"),
]
GROWTH_LEVELS = ["A", "B", "C"]


def activity_counts(municipality_ids, operator_ids, start, end) -> dict:
    """Every number of the activity table in two grouped scans (sessions, enrolments)."""
    sessions = guided_in(Period(start, end), municipality_ids, operator_ids)
    counters = {}
    for _label, tier in GUIDANCE_ROWS:
        counters[f"founders_{tier}"] = Count("founder", distinct=True, filter=Q(tier=tier))
        counters[f"companies_{tier}"] = Count("company", distinct=True, filter=Q(tier=tier))
    counters["founders_total"] = Count("founder", distinct=True)
    counters["companies_total"] = Count("company", distinct=True)
    counts = sessions.aggregate(**counters)
    enrolments = ProgrammeEnrolment.objects.filter(
        municipality__in=municipality_ids,
        operator__in=operator_ids,
        started_on__range=(start, end),
    )
    counters = {}
    for subject in ("founder", "company"):
        is_subject = Q(**{f"{subject}__isnull": False})
        counters[f"{subject}_programmes"] = Count("pk", filter=is_subject)
        for level in GROWTH_LEVELS:
            counters[f"{subject}_{level}"] = Count("pk", filter=is_subject & Q(growth_level=level))
    counts.update(enrolments.aggregate(**counters))
    return counts


def activity_table(contract: Contract, start, end) -> list[dict]:
    """The rows of the activity table for ``start``-``end``: label, founders and companies
    (each a count and the matching goal's target, or None)."""
    municipality_ids = list(contract.municipalities.values_list("pk", flat=True))
    operator_ids = list(contract.parties.values_list("pk", flat=True))
    counts = activity_counts(municipality_ids, operator_ids, start, end)
    targets = {
        (goal.indicator, tuple(sorted(goal.params.items()))): goal.target
        for goal in contract.goals.all()
        if goal.is_computed
    }

    def target(indicator: str, **params):
        return targets.get((indicator, tuple(sorted(params.items()))))

    rows = [
        {
            "label": label,
            "founders": counts[f"founders_{tier}"],
            "founders_target": target("founders_guided", tier=tier),
            "companies": counts[f"companies_{tier}"],
            "companies_target": target("companies_guided", tier=tier),
        }
        for label, tier in GUIDANCE_ROWS
    ]
    rows.append(
        {
            "label": _("Vejledte i alt"),
            "founders": counts["founders_total"],
            "companies": counts["companies_total"],
            "total": True,
        }
    )
    rows += [
        {
            "label": _("Vækstforløb på %(level)s-niveau") % {"level": level},
            "founders": counts[f"founder_{level}"],
            "founders_target": target("enrolments", growth_level=level, subject="founder"),
            "companies": counts[f"company_{level}"],
            "companies_target": target("enrolments", growth_level=level, subject="company"),
        }
        for level in GROWTH_LEVELS
    ]
    rows.append(
        {
            "label": _("Regionale programmer i alt"),
            "founders": counts["founder_programmes"],
            "companies": counts["company_programmes"],
            "total": True,
        }
    )
    return rows
