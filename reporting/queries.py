"""Reads for dashboards and reports: aggregates, set-based, scoped by the caller."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Func, Q, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from contracts.indicators import Period, enrolments_in, guided_in, subject_key
from contracts.models import Contract, Snapshot
from contracts.services import (
    computed_goals,
    goal_snapshots,
    latest_snapshots,
    managed_contracts,
    snapshot_history,
)
from crm.models import GuidanceSession, ProgrammeEnrolment
from crm.permissions import MEMBER
from crm.services import operators_of
from crm.subjects import subject_filter
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


@dataclass(slots=True)
class Reading:
    """A snapshot as a dashboard shows it, read as plain values: the fields the page uses of
    ``Snapshot`` (a model instance per cell, with its goal and municipality joined, cost more
    than the rest of the page)."""

    goal_id: int
    municipality_id: int | None
    as_of: datetime.date
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    target: Decimal | None
    attainment: Decimal | None
    forecast: Decimal | None
    status: str
    municipality: object = None

    def get_status_display(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))


STATUS_LABELS = dict(Snapshot.Status.choices)
READING_FIELDS = [
    "goal_id", "municipality_id", "as_of", "value", "numerator", "denominator", "target",
    "attainment", "forecast", "status",
]  # fmt: skip


@dataclass
class DashboardReadings:
    """What a dashboard shows of its goals' snapshots: ``latest`` (goal id -> municipality id,
    None for the total -> Reading) of the newest date, and ``history`` (goal id -> [(date,
    value)], oldest first) of the total or of one municipality."""

    latest: dict
    history: dict


def dashboard_readings(goals, municipalities, *, municipality=None, start=None, end=None):
    """The snapshots of ``goals`` (a contract's) a dashboard shows, in one query on the
    snapshots' unique index (goal, date): every row of the newest date on or before ``end``,
    as ``latest_snapshots`` reads them, and the values of the total (or of ``municipality``)
    from ``start`` to ``end``. ``municipalities`` (the contract's) are set on the readings."""
    rows = Snapshot.objects.filter(goal_id__in=[goal.pk for goal in goals])
    if end:
        rows = rows.filter(as_of__lte=end)
    # Every attainment run stores a total per goal: the newest total is the newest date, found
    # on the index (goal, date, municipality) without reading the municipalities' rows.
    newest = rows.filter(municipality=None).order_by("-as_of").values("as_of")[:1]
    history = Q(municipality=municipality) & (Q(as_of__gte=start) if start else Q())
    rows = rows.filter(history | Q(as_of=Subquery(newest))).order_by("as_of")
    return readings(rows.values_list(*READING_FIELDS), municipalities, municipality, start)


def readings(rows, municipalities, municipality, start) -> DashboardReadings:
    """Split the rows of ``dashboard_readings``: those of the newest date are the cells; those
    of the history's place and period (the newest date's among them) the history."""
    rows = list(rows)
    newest = rows[-1][2] if rows else None
    by_pk = {m.pk: m for m in municipalities}
    wanted = municipality.pk if municipality else None
    latest, history = defaultdict(dict), defaultdict(list)
    for row in rows:
        goal_id, municipality_id, as_of, value = row[:4]
        if municipality_id == wanted and (start is None or as_of >= start):
            history[goal_id].append((as_of, value))
        if as_of == newest:
            latest[goal_id][municipality_id] = Reading(*row, by_pk.get(municipality_id))
    return DashboardReadings(latest, history)


def goal_matrix(contract: Contract, end=None):
    """Goals (rows) by municipality (columns) from the newest snapshots until ``end``."""
    goals = [goal for goal in contract.goals.all() if goal.is_computed]
    return matrix(contract, goals, latest_snapshots(contract, end))


def report_matrix(contract: Contract, as_of):
    """Goals by municipality as of ``as_of`` itself, for a report: the snapshots stored for
    that date, and for each goal without any, its snapshots computed now by the function the
    attainment runs store (``goal_snapshots``), not stored. A report thus says how the
    contract stood on its date even when no run was made that day (a finished contract's
    last day: its final result)."""
    goals = [goal for goal in computed_goals(contract) if goal.is_computed]
    snapshots = list(Snapshot.objects.filter(goal__in=goals, as_of=as_of))
    by_pk = {goal.pk: goal for goal in goals}
    for snap in snapshots:
        snap.goal = by_pk[snap.goal_id]  # the goal read once, with what computing it reads
    stored = {snap.goal_id for snap in snapshots}
    missing = [goal for goal in goals if goal.pk not in stored]
    if missing:
        municipality_ids = list(contract.municipalities.values_list("pk", flat=True))
        history = snapshot_history(missing, as_of)
        for goal in missing:
            snapshots += goal_snapshots(goal, municipality_ids, as_of, history.get(goal.pk))
    return matrix(contract, goals, snapshots)


def matrix(contract: Contract, goals, snapshots):
    """(municipalities by name, [(goal, total, [each municipality's snapshot or None])])."""
    municipalities = list(contract.municipalities.order_by("name"))
    cells = defaultdict(dict)
    totals = {}
    for snap in snapshots:
        if snap.municipality_id is None:
            totals[snap.goal_id] = snap
        else:
            cells[snap.goal_id][snap.municipality_id] = snap
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


def programmes_visible_to(user) -> list[str]:
    """The growth programmes of the enrolments the user may see: the choices of the
    participant export."""
    enrolments = ProgrammeEnrolment.objects.visible_to(user).order_by("programme")
    return list(enrolments.values_list("programme", flat=True).distinct())


def reports_visible_to(user):
    """The reports of the contracts the user can see and the company summaries and access
    requests the user asked for; a settlement (it lists registrations) only to whoever asked
    for it; an annual report that is not published yet only to the contract's managers
    (``check_can_manage``)."""
    from reporting.models import Report

    visible = Contract.objects.visible_to(user, MEMBER).values("pk")
    managed = managed_contracts(user).values("pk")
    draft = Q(kind=Report.Kind.ANNUAL, published_at__isnull=True)
    return (
        Report.objects.filter(
            Q(contract__in=visible) | Q(contract__isnull=True, created_by_id=user.pk)
        )
        .exclude(Q(kind=Report.Kind.SETTLEMENT) & ~Q(created_by_id=user.pk))
        .exclude(draft & ~Q(contract__in=managed))
        .select_related("contract", "company", "founder", "contact", "created_by", "published_by")
    )


# Seed 001 §1: the cooperation agreement's activity table. Its two columns are seed 001's
# "iværksættere (før start – indtil tre år)" and "virksomheder" (``subject_filter``:
# entrepreneur, established); its rows count as the contract's goals do: distinct subjects
# guided (``guided_in``: full guidance, no brief contacts) per tier, and growth programmes
# started per level. A cell counts the records of the operators its goal measures (the goal
# with the same indicator and parameters, whose target it shows), else of all the parties.
COLUMNS = ("entrepreneur", "established")
GUIDANCE_ROWS = [
    (_("Vejledte i lokal erhvervsservice"), "local"),
    (_("Vejledte i specialiseret erhvervsservice"), "specialised"),
    (_("Vejledte i fokuseret erhvervsservice"), "focused"),
]
GROWTH_LEVELS = ["A", "B", "C"]


@dataclass(frozen=True)
class Cell:
    """One number of the activity table: what it counts (the goal's indicator and
    parameters) and where (a filter on the rows of that indicator)."""

    indicator: str
    params: dict
    condition: Q


def activity_layout() -> list[tuple[str, bool, list[Cell]]]:
    """(label, is a total, one cell per column) for every row of the table."""
    rows = []
    for label, tier in GUIDANCE_ROWS:
        rows.append((label, False, [guided_cell(subject, tier=tier) for subject in COLUMNS]))
    rows.append((_("Vejledte i alt"), True, [guided_cell(subject) for subject in COLUMNS]))
    for level in GROWTH_LEVELS:
        label = _("Vækstforløb på %(level)s-niveau") % {"level": level}
        rows.append((label, False, [enrolled_cell(s, growth_level=level) for s in COLUMNS]))
    total = _("Regionale programmer i alt")
    rows.append((total, True, [enrolled_cell(subject) for subject in COLUMNS]))
    return rows


def guided_cell(subject: str, **params) -> Cell:
    condition = subject_filter(subject, "date") & Q(**params)
    return Cell("subjects_guided", {"subject": subject, **params}, condition)


def enrolled_cell(subject: str, **params) -> Cell:
    condition = subject_filter(subject, "started_on") & Q(**params)
    return Cell("enrolments", {"subject": subject, **params}, condition)


def matching_goal(goals, cell: Cell):
    """The contract's goal that counts what ``cell`` counts: the same indicator and
    parameters (compared as dicts, as parameters may hold lists)."""
    return next(
        (g for g in goals if g.indicator == cell.indicator and g.params == cell.params), None
    )


def cell_counters(key: str, cell: Cell, operator_ids) -> dict:
    """A cell's aggregate, named ``key``: the guided subjects as ``subjects_guided`` counts
    them (a founder and the company it started once), enrolments for programmes."""
    condition = cell.condition & Q(operator__in=operator_ids)
    if cell.indicator == "subjects_guided":
        return {key: Count(subject_key(), distinct=True, filter=condition)}
    return {key: Count("pk", filter=condition)}


def activity_table(contract: Contract, start, end) -> list[dict]:
    """The rows of the activity table for ``start``-``end``: label, whether it is a total,
    and per column (entrepreneurs, established companies) the count and the matching goal's
    target (or None). Two grouped queries, sessions and enrolments, whatever the rows."""
    municipality_ids = list(contract.municipalities.values_list("pk", flat=True))
    goals = [goal for goal in computed_goals(contract) if goal.is_computed]
    parties = [party.pk for party in contract.parties.all()]
    counters = {"subjects_guided": {}, "enrolments": {}}
    rows = []
    for number, (label, total, cells) in enumerate(activity_layout()):
        row = {"label": label, "total": total, "cells": []}
        for column, cell in enumerate(cells):
            goal = matching_goal(goals, cell)
            operators = [op.pk for op in goal.measured_operators()] if goal else parties
            found = cell_counters(f"c{number}_{column}", cell, operators)
            counters[cell.indicator] |= found
            row["cells"].append({"keys": list(found), "target": goal.target if goal else None})
        rows.append(row)
    counts = guided_in(Period(start, end), municipality_ids, parties).aggregate(
        **counters["subjects_guided"]
    )
    enrolments = enrolments_in(Period(start, end), municipality_ids, parties)
    counts |= enrolments.aggregate(**counters["enrolments"])
    for row in rows:
        for cell in row["cells"]:
            cell["count"] = sum(counts[key] or 0 for key in cell.pop("keys"))
    return rows
