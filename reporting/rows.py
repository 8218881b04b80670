"""The rows behind a goal's number: a dashboard number links to a list of exactly the rows it
counts, built from the indicator's own definition.

Each linkable indicator has a ``RowLink``: the rows page (one of ``ROW_LISTS``), the filters
the indicator always applies, and the goal parameters passed on as filters of the same name.
The rows pages filter with the django-filter classes of the records API (``crm.filters``,
``referrals.filters``), whose filters apply the indicators' own rules (``subject_filter``,
``REFERRAL_TARGETS``). An indicator whose rows cannot be listed exactly (survey answers, the
latest uptake answer per company, shares of distinct companies or founders, founders who
started a company) has no ``RowLink``: no link rather than a wrong one.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, F, QuerySet, Sum, prefetch_related_objects
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.indicators import HOURS, subject_key
from crm import queries as crm_queries
from crm.filters import (
    DevelopmentProjectFilter,
    GuidanceSessionFilter,
    NetworkFilter,
    ProgrammeEnrolmentFilter,
)
from crm.models import DevelopmentProject, Municipality, Network, Operator, ProgrammeEnrolment
from crm.models.subjects import operator_ids_of
from referrals.filters import ReferralFilter
from referrals.queries import referrals_visible_to

# --- The rows pages ------------------------------------------------------------------------


def session_summary(rows: QuerySet, data: dict) -> dict:
    return rows.aggregate(
        rows=Count("pk"),
        companies=Count("company", distinct=True),
        founders=Count("founder", distinct=True),
        # A founder and the company it started are one iværksætter, as the indicators count.
        subjects=Count(subject_key(), distinct=True),
        hours=Sum(HOURS),
    )


def subject_summary(rows: QuerySet, data: dict) -> dict:
    return rows.aggregate(
        rows=Count("pk"),
        companies=Count("company", distinct=True),
        founders=Count("founder", distinct=True),
    )


def project_summary(rows: QuerySet, data: dict) -> dict:
    return rows.aggregate(
        rows=Count("pk"), companies=Count("company", distinct=True), granted=Sum("amount_granted")
    )


def network_summary(rows: QuerySet, data: dict) -> dict:
    """The networks, and the networks counted once in each municipality they span (run from
    or spanning), among those of ``spans`` when given: as the networks indicator counts."""
    codes = data.get("spans")
    home, spanned = rows, Network.municipalities.through.objects.filter(network__in=rows)
    if codes:
        home = rows.filter(municipality__code__in=codes)
        spanned = spanned.filter(municipality__code__in=codes)
    spanned = spanned.exclude(municipality=F("network__municipality"))
    return {"rows": rows.count(), "spans": home.count() + spanned.count()}


def visible_sessions(user):
    return crm_queries.sessions_visible_to(user).annotate(spent=HOURS)


def visible_networks(user):
    return (
        Network.objects.visible_to(user)
        .select_related("municipality", "operator")
        .prefetch_related("municipalities")
    )


def visible_projects(user):
    return DevelopmentProject.objects.visible_to(user).select_related(
        "company", "municipality", "operator"
    )


def visible_enrolments(user):
    return ProgrammeEnrolment.objects.visible_to(user).select_related(
        "company", "founder", "municipality", "operator"
    )


@dataclass(frozen=True)
class RowList:
    """One rows page: what the user may see of a kind of record, narrowed by that record's
    API filter class, and summed up the ways the indicators count it."""

    title: str
    visible: Callable
    filterset: type
    order: tuple
    summary: Callable
    figures: dict  # summary key -> what it counts, in words


SUBJECT_FIGURES = {
    "companies": gettext_lazy("forskellige virksomheder"),
    "founders": gettext_lazy("forskellige iværksættere"),
}
ROW_LISTS = {
    "vejledninger": RowList(
        gettext_lazy("Vejledninger"),
        visible_sessions,
        GuidanceSessionFilter,
        ("-date", "-pk"),
        session_summary,
        {
            "rows": gettext_lazy("vejledninger og korte kontakter"),
            **SUBJECT_FIGURES,
            "subjects": gettext_lazy("forskellige iværksættere og virksomheder"),
            "hours": gettext_lazy("timer"),
        },
    ),
    "henvisninger": RowList(
        gettext_lazy("Henvisninger"),
        referrals_visible_to,
        ReferralFilter,
        ("-sent_at", "-pk"),
        subject_summary,
        {"rows": gettext_lazy("henvisninger"), **SUBJECT_FIGURES},
    ),
    "netvaerk": RowList(
        gettext_lazy("Netværk"),
        visible_networks,
        NetworkFilter,
        ("name", "pk"),
        network_summary,
        {
            "rows": gettext_lazy("netværk"),
            "spans": gettext_lazy("netværk talt i hver kommune, de dækker"),
        },
    ),
    "projekter": RowList(
        gettext_lazy("Udviklingsprojekter"),
        visible_projects,
        DevelopmentProjectFilter,
        ("-identified_on", "-pk"),
        project_summary,
        {
            "rows": gettext_lazy("projekter"),
            "companies": SUBJECT_FIGURES["companies"],
            "granted": gettext_lazy("kr. bevilget"),
        },
    ),
    "vaekstforloeb": RowList(
        gettext_lazy("Vækstforløb"),
        visible_enrolments,
        ProgrammeEnrolmentFilter,
        ("-started_on", "-pk"),
        subject_summary,
        {"rows": gettext_lazy("vækstforløb"), **SUBJECT_FIGURES},
    ),
}

OPERATOR_FILTERS = {"operators", "sender_operators", "target_operators"}
MUNICIPALITY_FILTERS = {"municipalities", "spans", "municipality"}


def in_words(form_field, value) -> str:
    if isinstance(value, bool):
        return _("ja") if value else _("nej")
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    labels = {str(code): label for code, label in getattr(form_field, "choices", ())}
    values = value if isinstance(value, list | tuple) else [value]
    return ", ".join(str(labels.get(str(v), v)) for v in values)


def described_filters(filterset) -> list[tuple[str, str]]:
    """The filters in use as (label, value in words): operators and municipalities by
    name, choices by label, dates as dd.mm.yyyy."""
    data = {k: v for k, v in filterset.form.cleaned_data.items() if v not in (None, "", [])}
    ids = [pk for name in OPERATOR_FILTERS & set(data) for pk in data[name]]
    operators = dict(Operator.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    codes = [c for name in MUNICIPALITY_FILTERS & set(data) for c in as_list(data[name])]
    names = dict(Municipality.objects.filter(code__in=codes).values_list("code", "name"))
    described = []
    for name, value in data.items():
        form_field = filterset.form.fields[name]
        if name in OPERATOR_FILTERS:
            text = ", ".join(operators.get(int(pk), str(pk)) for pk in value)
        elif name in MUNICIPALITY_FILTERS:
            text = ", ".join(names.get(code, code) for code in as_list(value))
        else:
            text = in_words(form_field, value)
        described.append((str(form_field.label or name), text))
    return described


def as_list(value) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


# --- Links from the dashboard --------------------------------------------------------------


@dataclass(frozen=True)
class RowLink:
    """How an indicator's rows are listed: the rows page, the summary figure that equals
    the number (``count``; ``switches`` change it when a goal parameter is set, e.g. to
    count companies instead of projects), the goal parameters passed on as filters of the
    same name, the filters the indicator always applies, and the names of the filters for
    the measured operators, the dates and the municipalities. A goal with a parameter the
    link does not pass on gets no link."""

    rows: str
    count: str
    params: frozenset = frozenset()
    fixed: tuple = ()
    switches: tuple = ()
    operators: str = "operators"
    dates: tuple = ("date_from", "date_to")
    municipalities: str = "municipalities"
    # Networks count in each municipality they span, but are seen from the one that runs
    # them: only a user who sees all the contract's municipalities sees all of them.
    everywhere: bool = False

    def takes(self, params: dict) -> bool:
        return set(params) <= self.params | {name for name, _count in self.switches}

    def counts(self, params: dict) -> str:
        return next((count for name, count in self.switches if params.get(name)), self.count)

    def query(self, goal, as_of: datetime.date, operators, codes) -> dict:
        start, end = goal.period
        passed = {name: value for name, value in goal.params.items() if name in self.params}
        query = {
            self.operators: ",".join(str(operator.pk) for operator in operators),
            self.municipalities: ",".join(codes),
            self.dates[0]: start.isoformat(),
            self.dates[1]: min(end, as_of).isoformat(),
            **dict(self.fixed),
            **passed,
            "count": self.counts(goal.params),
        }
        return {name: as_query_value(value) for name, value in query.items()}

    def url(self, goal, as_of, operators, codes) -> str:
        query = urlencode(self.query(goal, as_of, operators, codes), doseq=True)
        return f"{reverse('goal-rows', args=[self.rows])}?{query}"


def as_query_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return [as_query_value(v) for v in value]
    return str(value)


REFERRAL = {"rows": "henvisninger", "dates": ("sent_from", "sent_to")}
FULL = ("kind", "full")
ROW_LINKS = {
    "companies_guided": RowLink(
        "vejledninger",
        "companies",
        frozenset({"tier", "themes", "segment", "channel"}),
        fixed=(FULL, ("subject", "company")),
    ),
    "subjects_guided": RowLink(
        "vejledninger",
        "subjects",
        frozenset({"subject", "tier", "themes", "segment", "channel"}),
        fixed=(FULL,),
    ),
    "companies_contacted": RowLink(
        "vejledninger",
        "companies",
        frozenset({"micro", "rural", "tier", "themes"}),
        fixed=(("subject", "company"),),
    ),
    "founders_guided": RowLink(
        "vejledninger",
        "founders",
        frozenset({"tier", "themes", "channel"}),
        fixed=(FULL, ("subject", "founder")),
    ),
    "sessions": RowLink(
        "vejledninger", "rows", frozenset({"kind", "tier", "themes", "subject", "channel"})
    ),
    "hours": RowLink("vejledninger", "hours", frozenset({"kind", "tier"})),
    # The number is hours x the hourly rate; the rows add up to its hours (the numerator).
    "hours_cost": RowLink("vejledninger", "hours", frozenset({"kind", "tier"})),
    "referrals": RowLink(
        count="rows",
        params=frozenset({"target", "after_screening", "subject"}),
        fixed=(("withdrawn", False),),
        operators="sender_operators",
        **REFERRAL,
    ),
    # The share's numerator: referrals to the measured hubs contacted by their deadline.
    "referrals_in_deadline_share": RowLink(
        count="rows",
        fixed=(("withdrawn", False), ("contacted_in_time", True)),
        operators="target_operators",
        **REFERRAL,
    ),
    "projects": RowLink(
        "projekter",
        "rows",
        frozenset({"funding", "application_help"}),
        switches=(("distinct_companies", "companies"),),
        dates=("identified_from", "identified_to"),
    ),
    "amounts_granted": RowLink(
        "projekter",
        "granted",
        frozenset({"funding", "application_help"}),
        fixed=(("granted", True),),
        dates=("identified_from", "identified_to"),
    ),
    "networks": RowLink(
        "netvaerk",
        "spans",
        frozenset({"min_members"}),
        dates=("started_from", "started_to"),
        municipalities="spans",
        everywhere=True,
    ),
    "enrolments": RowLink(
        "vaekstforloeb",
        "rows",
        frozenset({"growth_level", "subject"}),
        dates=("started_from", "started_to"),
    ),
}


@dataclass
class RowLinks:
    """Links from a contract's numbers to the rows behind them, for a user who sees every
    row a number counts: the user may see records in the number's municipality (for a
    total, in all the contract's) and works for every measured operator that works there,
    since a rows page lists what its user may see. Officials see no records: no links."""

    user: object
    contract: object
    codes: dict = field(init=False)
    allowed: set = field(init=False)
    own: set = field(init=False)

    def __post_init__(self):
        # The goals' measured operators come from the contract's parties (read once).
        prefetch_related_objects([self.contract], "parties__municipalities")
        self.codes = dict(self.contract.municipalities.values_list("pk", "code"))
        self.allowed = set(
            Municipality.objects.for_user(self.user, "view_records")
            .filter(pk__in=self.codes)
            .values_list("pk", flat=True)
        )
        self.own = set(operator_ids_of(self.user)) if self.allowed else set()

    def sees(self, operators, scope: set) -> bool:
        working = [o for o in operators if {m.pk for m in o.municipalities.all()} & scope]
        return scope <= self.allowed and all(o.pk in self.own for o in working)

    def url(self, goal, snap) -> str | None:
        link = ROW_LINKS.get(goal.indicator)
        if snap is None or link is None or not self.allowed or not link.takes(goal.params):
            return None
        operators = goal.measured_operators()
        where = {snap.municipality_id} if snap.municipality_id else set(self.codes)
        scope = set(self.codes) if link.everywhere else where
        if not operators or not self.sees(operators, scope):
            return None
        return link.url(goal, snap.as_of, operators, sorted(self.codes[m] for m in where))
