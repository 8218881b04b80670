"""Dashboards, PDF reports and exports. Officials see aggregates only."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts.models import Contract, Goal, GoalTarget
from contracts.views import access_contract, can_manage
from crm import consents as crm_consents
from crm import queries as crm_queries
from crm.models import ConsentAccess, ContactPerson, Membership, Municipality, Theme
from crm.pagination import paginate
from crm.permissions import AUDIT, access_scoped, roles_of
from crm.services import DomainError, NotAllowed
from crm.spreadsheets import CONTENT_TYPES, table_response
from crm.views.records import access_subject, require_any
from referrals.models import OPEN_STATES, Referral
from referrals.queries import referrals_visible_to
from reporting import charts, forms, profile, programme, queries, services, start
from reporting.models import ExportLog, Report
from reporting.rows import ROW_LISTS, RowLinks, described_filters

# --- The start page ----------------------------------------------------------------------

# The landing page a role sees first; a user with several roles gets the first in this order.
LANDING_ORDER = [
    Membership.Role.CONSULTANT,
    Membership.Role.TRIAGE,
    Membership.Role.MANAGER,
    Membership.Role.VIEWER,
]


# What each role's start page reads (reporting reads every app).
START_PAGES = {
    Membership.Role.CONSULTANT: start.consultant_start,
    Membership.Role.TRIAGE: start.triage_start,
    Membership.Role.MANAGER: start.manager_start,
    Membership.Role.VIEWER: start.viewer_start,
}


@login_required
def home(request):
    roles = roles_of(request.user)
    role = next((r for r in LANDING_ORDER if r in roles), None)
    memberships = Membership.objects.filter(
        user=request.user, operator__active=True
    ).select_related("operator")
    today = timezone.localdate()
    context = {"role": role, "memberships": memberships, "today": today}
    if role:
        context.update(START_PAGES[role](request.user, today))
    return render(request, "crm/home.html", context)


# --- Contract dashboards -----------------------------------------------------------------------


def other_tile(goal) -> dict:
    """A milestone (judged by a person) or a goal reported from outside the CRM, shown with
    its target."""
    if goal.is_milestone:
        status = MILESTONE_STATUS[goal.milestone_status]
        return {"goal": goal, "status": status, "label": goal.get_milestone_status_display()}
    return {"goal": goal, "status": "no_data", "label": _("Indberettet uden for CRM'et")}


MILESTONE_STATUS = {
    Goal.MilestoneStatus.OPEN: "no_data",
    Goal.MilestoneStatus.PROGRESS: "on_track",
    Goal.MilestoneStatus.MET: "met",
    Goal.MilestoneStatus.NOT_MET: "behind",
}


def dashboard_tiles(goals, found, links, municipality) -> list[dict]:
    """One tile per computed goal: its value linked to its rows, its status (the final
    result once the goal's period is over, met or not met), and while it runs its pace and
    the forecast for the period's end."""
    tiles = []
    for goal in goals:
        snap = found.latest[goal.pk].get(municipality.pk if municipality else None)
        points = found.history.get(goal.pk, [])
        start, end = goal.period
        tile = {
            "goal": goal,
            "total": snap,
            "url": links.url(goal, snap),
            "final": snap is not None and snap.as_of >= end,
            "sparkline": charts.sparkline([v for _, v in points], title=str(goal)),
        }
        if goal.target_kind == "count" and goal.target:
            tile["pace"] = charts.pace_chart(
                points,
                target=snap.target if snap and snap.target else goal.target,
                start=start,
                end=end,
                title=_("Tempo mod målet: %(goal)s") % {"goal": goal},
            )
        tiles.append(tile)
    return tiles


def dashboard_context(request, contract) -> dict:
    """The dashboard as of the filter's end date, in total or for one municipality: built
    from one read of the snapshots (``queries.dashboard_readings``), whatever the number of
    goals, dates and municipalities."""
    filters = forms.DashboardFilter(request.GET or None, contract=contract)
    start, end, municipality = filters.values()
    targets = GoalTarget.objects.select_related("municipality")
    prefetch_related_objects([contract], Prefetch("goals__local_targets", queryset=targets))
    goals = list(contract.goals.all())
    municipalities = list(contract.municipalities.order_by("name"))
    found = queries.dashboard_readings(
        goals, municipalities, municipality=municipality, start=start, end=end
    )
    computed = [goal for goal in goals if goal.is_computed]
    shown = [municipality] if municipality else municipalities
    links = RowLinks(request.user, contract)
    return {
        "contract": contract,
        "filters": filters,
        "tiles": dashboard_tiles(computed, found, links, municipality),
        "others": [other_tile(goal) for goal in goals if not goal.is_computed],
        "demo_answers": contract.counts_demo_answers(),
        "municipalities": shown,
        "rows": [(goal, matrix_row(goal, found, links, shown)) for goal in computed],
        "reports": queries.reports_visible_to(request.user).filter(
            contract=contract, kind__in=[Report.Kind.ANNUAL, Report.Kind.HALF_YEAR]
        )[:10],
        "can_manage": can_manage(request.user, contract),
        "period_form": forms.PeriodForm(prefix="half_year"),
    }


def matrix_row(goal, found, links, municipalities) -> list[dict]:
    """A goal's cells in the table by municipality, each linked to its rows, with the
    number a share is taken of (n); the value's text made here, by the template's own
    filter (a table of 13 municipalities has hundreds of cells: resolved in the template,
    they cost more than the rest of the page)."""
    cells = found.latest[goal.pk]
    share = goal.target_kind == Goal.TargetKind.SHARE
    return [
        {
            "snap": snap,
            "url": links.url(goal, snap),
            "status": snap.status if snap else "no_data",
            "text": value_text(snap, share),
            "n": floatformat(snap.denominator, "-1g")
            if share and snap and snap.denominator
            else "",
        }
        for snap in (cells.get(m.pk) for m in municipalities)
    ]


def value_text(snap, share: bool) -> str:
    if snap is None or snap.value is None:
        return "–"
    return floatformat(snap.value, "-1g") + (" %" if share else "")


@login_required
def contract_dashboard(request, pk: int):
    contract = access_contract(request.user, pk)
    return render(
        request, "reporting/contract_dashboard.html", dashboard_context(request, contract)
    )


@login_required
def goal_rows(request, kind: str):
    """The rows a goal's number counts: the dashboard links here with the indicator's own
    filters (``reporting.rows``); listed as far as the user may see them, with the summary
    figure that equals the number named by ``count``. An invalid filter lists nothing."""
    rows = ROW_LISTS.get(kind)
    if rows is None:
        raise Http404
    require_any(request.user, "view_records")
    filterset = rows.filterset(request.GET, queryset=rows.visible(request.user))
    valid = filterset.is_valid()
    listed = (filterset.qs if valid else filterset.queryset.none()).order_by(*rows.order)
    summary = rows.summary(listed, filterset.form.cleaned_data if valid else {})
    context = {
        "kind": kind,
        "rows": rows,
        "valid": valid,
        "described": described_filters(filterset) if valid else [],
        "figures": [(key, label, summary[key]) for key, label in rows.figures.items()],
        "count": request.GET.get("count"),
        "page": paginate(request, listed),
    }
    if kind in CONSENT_READS:  # other operators' rows shown on a consent are logged
        reads = {CONSENT_READS[kind]: context["page"].object_list}
        crm_consents.do_log_consent_reads(request.user, reads, source=request.path)
    return render(request, "reporting/rows.html", context)


CONSENT_READS = {
    "vejledninger": ConsentAccess.Record.SESSION,
    "projekter": ConsentAccess.Record.PROJECT,
    "vaekstforloeb": ConsentAccess.Record.PROGRAMME,
}


def period_from(request) -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    try:
        start = datetime.date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = today.replace(year=today.year - 1) + datetime.timedelta(days=1)
    try:
        end = datetime.date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        end = today
    return start, end


def month_table(rows: list[dict], label) -> dict:
    """Counts by month (``month``, ``n``) as a compact table: one row per ``label(row)``, one
    cell (count, month's first and last day) per month, and each row's total, the largest
    first."""
    months = sorted({row["month"] for row in rows})
    counts: dict = {}
    for row in rows:
        cells = counts.setdefault(label(row), dict.fromkeys(months, 0))
        cells[row["month"]] += row["n"]
    spans = [(month, month_end(month)) for month in months]
    table = [
        (
            name,
            [(n, *span) for n, span in zip(cells.values(), spans, strict=True)],
            sum(cells.values()),
        )
        for name, cells in counts.items()
    ]
    return {
        "months": spans,
        "rows": sorted(table, key=lambda row: (-row[2], str(row[0]))),
        "totals": [sum(cells[month] for cells in counts.values()) for month in months],
    }


def month_end(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(
        days=1
    )


def consultant_name(row: dict) -> str:
    return row["consultants__first_name"] or row["consultants__username"] or "–"


@login_required
def activity_dashboard(request):
    require_any(request.user, "manage_contracts")
    start, end = period_from(request)
    municipality = (
        Municipality.objects.for_user(request.user, "view_records")
        .filter(code=request.GET.get("municipality"))
        .first()
    )
    data = queries.activity(request.user, start, end, municipality)
    themes = dict(Theme.choices)
    consultants = month_table(data["per_consultant"], consultant_name)
    hours = data["hours"]
    planned = (hours["sessions"] or 0) * 8
    done = sum(float(hours[k] or 0) for k in ("before", "during", "after"))
    context = {
        "start": start,
        "end": end,
        "data": data,
        "consultants": consultants,
        "themes": month_table(data["themes"], lambda row: themes.get(row["theme"], row["theme"])),
        "consultant_chart": charts.bar_chart(
            [(name, total) for name, _cells, total in consultants["rows"]],
            title=_("Vejledninger pr. konsulent"),
        ),
        "hours_chart": charts.bar_chart(
            [(_("Planlagt (2+4+2)"), planned), (_("Registreret"), done)],
            title=_("Timer mod 2+4+2-planen"),
            unit=" t",
        ),
        "state_chart": charts.bar_chart(
            [(Referral.State(k).label, v) for k, v in sorted(data["by_state"].items())],
            title=_("Henvisninger efter status"),
        ),
        "municipalities": Municipality.objects.for_user(request.user, "view_records"),
        "contracts": Contract.objects.visible_to(request.user, "manage_contracts"),
        "programmes": queries.programmes_visible_to(request.user),
    }
    return render(request, "reporting/activity.html", context)


@login_required
def my_month(request):
    require_any(request.user, "view_records")
    today = timezone.localdate()
    first = today.replace(day=1)
    sessions = crm_queries.sessions_visible_to(request.user).filter(
        consultants=request.user, date__range=(first, today)
    )
    waiting = referrals_visible_to(request.user).filter(
        Q(assignee=request.user) | Q(sent_by=request.user), state__in=OPEN_STATES
    )
    return render(
        request,
        "reporting/my_month.html",
        {
            "sessions": sessions,
            "follow_ups": crm_queries.follow_ups_due(request.user, today),
            "waiting": waiting,
            "month": first,
        },
    )


# --- PDF reports ---------------------------------------------------------------------------


@login_required
@require_POST
def contract_report(request, pk: int, kind: str):
    """Ask for a PDF of a contract: members the half-year follow-up (its period chosen or
    derived), managers the annual report (a draft until published) and the settlement."""
    kinds = (Report.Kind.ANNUAL, Report.Kind.HALF_YEAR, Report.Kind.SETTLEMENT, Report.Kind.PROFILE)
    if kind not in kinds:
        raise Http404
    contract = access_contract(request.user, pk)
    period = forms.PeriodForm(request.POST, prefix="half_year")
    try:
        start = end = None
        if kind == Report.Kind.HALF_YEAR:
            if not period.is_valid():
                raise DomainError(period.error_text())
            start, end = period.cleaned_data["start"], period.cleaned_data["end"]
        report = services.request_report(
            request.user, kind=kind, contract=contract, start=start, end=end
        )
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except DomainError as error:
        messages.error(request, str(error))
        context = dashboard_context(request, contract)
        return render(request, "reporting/contract_dashboard.html", context, status=400)
    return redirect("report-detail", report.pk)


@login_required
@require_POST
def company_report(request, pk: int):
    company = access_subject(request.user, "company", pk, "view_records")
    report = services.request_report(request.user, kind=Report.Kind.COMPANY, company=company)
    return redirect("report-detail", report.pk)


@login_required
@require_POST
def founder_access_request(request, pk: int):
    """A manager answers a founder's access request: the PDF of everything held about them."""
    founder = access_subject(request.user, "founder", pk, AUDIT)
    report = services.request_report(request.user, kind=Report.Kind.FOUNDER, person=founder)
    return redirect("report-detail", report.pk)


@login_required
@require_POST
def contact_access_request(request, pk: int):
    """A manager answers a contact person's access request."""
    contact = access_contact(request.user, pk)
    report = services.request_report(request.user, kind=Report.Kind.CONTACT, person=contact)
    return redirect("report-detail", report.pk)


def access_contact(user, pk: int) -> ContactPerson:
    """A contact person of a company the user's operators work with (or have the consent
    of), for a manager of its municipality: 404 otherwise, 403 without the right."""
    return access_scoped(user, ContactPerson.objects.select_related("company"), AUDIT, pk=pk)


def access_report(user, pk: int) -> Report:
    relations = ("contract", "company", "founder", "contact", "created_by")
    report = Report.objects.select_related(*relations).filter(pk=pk).first()
    if report is None:
        raise Http404
    if report.company_id:
        access_subject(user, "company", report.company_id, "view_records")
    elif report.founder_id:  # an access request: for a manager of the person's municipality
        access_subject(user, "founder", report.founder_id, AUDIT)
    elif report.contact_id:
        access_contact(user, report.contact_id)
    else:
        # A settlement and an unpublished annual report: managers only (403 for the rest).
        manage = report.kind == Report.Kind.SETTLEMENT or report.is_draft
        access_contract(user, report.contract_id, manage=manage)
    # A company summary or an access request holds what its requester may see, a settlement
    # the registrations: only the requester reads them (the list's scope); to anyone else
    # they do not exist.
    if not queries.reports_visible_to(user).filter(pk=report.pk).exists():
        raise Http404
    return report


@login_required
def report_detail(request, pk: int):
    """The report's state; the page polls while it renders."""
    report = access_report(request.user, pk)
    template = "reporting/report.html#state" if request.htmx else "reporting/report.html"
    can_edit = report.is_draft and can_manage(request.user, report.contract)
    return render(request, template, {"report": report, "can_edit": can_edit})


@login_required
def report_comments(request, pk: int):
    """The manager writes a comment per goal of a draft annual report; saving renders the
    preview again."""
    report = access_report(request.user, pk)
    if not report.needs_publishing:
        raise Http404
    access_contract(request.user, report.contract_id, manage=True)
    form = forms.CommentsForm(request.POST or None, report=report)
    if form.is_valid():
        try:
            services.do_comment_report(request.user, report, form.comments())
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Kommentarerne er gemt. Forhåndsvisningen dannes igen."))
            return redirect("report-detail", pk)
    status = 400 if form.errors else 200
    context = {"report": report, "form": form}
    return render(request, "reporting/report_comments.html", context, status=status)


@login_required
@require_POST
def report_publish(request, pk: int):
    report = access_report(request.user, pk)
    try:
        services.do_publish_report(request.user, report)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Rapporten er offentliggjort."))
    return redirect("report-detail", pk)


@login_required
def report_file(request, pk: int):
    report = access_report(request.user, pk)
    if report.state != Report.State.DONE:
        raise Http404
    try:
        services.check_file_available(report)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("report-detail", pk)
    return FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=report.file.name.rsplit("/", 1)[-1],
        content_type="application/pdf",
    )


@login_required
def report_list(request):
    reports = queries.reports_visible_to(request.user)[:100]
    return render(request, "reporting/report_list.html", {"reports": reports})


# --- Exports -------------------------------------------------------------------------------


@login_required
def export_goals(request, pk: int, fmt: str):
    contract = access_contract(request.user, pk)
    header, rows = services.goal_table(contract)
    return table_response(header, rows, name=f"maal-{contract.pk}", fmt=fmt)


@login_required
def export_profile(request, pk: int, fmt: str):
    """The annual profile of the guided companies as a table: figures per industry, no
    person data, for every member (as the goals)."""
    contract = access_contract(request.user, pk)
    as_of = min(timezone.localdate(), contract.ends_on)
    header, rows = profile.profile_table(contract, as_of)
    return table_response(header, rows, name=f"profil-{contract.pk}", fmt=fmt)


@login_required
def export_snapshots(request, pk: int, fmt: str):
    contract = access_contract(request.user, pk)
    header, rows = services.snapshot_table(contract)
    return table_response(header, rows, name=f"maalinger-{contract.pk}", fmt=fmt)


@login_required
def export_referrals(request, fmt: str):
    require_any(request.user, "view_records")
    referrals = referrals_visible_to(request.user).order_by("-sent_at")
    header = [
        _("Sendt"),
        _("Kommune"),
        _("Fra"),
        _("Til"),
        _("Status"),
        _("Frist"),
        _("Kontaktet"),
        _("Virksomhed/iværksætter"),
    ]
    rows = [
        [
            timezone.localdate(r.sent_at),
            r.municipality.name,
            r.sender_operator.name,
            str(r.target),
            r.get_state_display(),
            r.due_on,
            timezone.localdate(r.contacted_at) if r.contacted_at else None,
            r.subject.name,
        ]
        for r in referrals
    ]
    response = table_response(header, rows, name="henvisninger", fmt=fmt)
    # It names companies and founders: exporting person data is itself logged.
    ExportLog.objects.create(user=request.user, kind="referrals", rows=len(rows))
    return response


@login_required
def export_participants(request, fmt: str):
    require_any(request.user, "view_records")
    programme = request.GET.get("programme", "")
    if not programme:
        raise PermissionDenied(_("Vælg et vækstprogram."))
    header, rows = services.participants(request.user, programme)
    return table_response(header, rows, name="deltagere", fmt=fmt)


@login_required
def payment_participants(request, pk: int, fmt: str):
    """The participant list an EU programme attaches to a payment request (seed 004), for a
    period (the half-year by default): by name with sex, age band and born abroad for staff
    of the parties, as counts for a viewer (``reporting.programme``)."""
    contract = access_contract(request.user, pk)
    if contract.report_shape != "eu" or fmt not in CONTENT_TYPES:
        raise Http404
    period = forms.PeriodForm(request.GET)
    try:
        if not period.is_valid():
            raise DomainError(period.error_text())
        start, end = services.check_period(
            contract, period.cleaned_data["start"], period.cleaned_data["end"], timezone.localdate()
        )
    except DomainError as error:
        return HttpResponseBadRequest(str(error))
    header, rows = programme.participant_list(request.user, contract, start, end)
    return table_response(header, rows, name=f"deltagerliste-{contract.pk}", fmt=fmt)
