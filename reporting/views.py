"""Dashboards, PDF reports and exports. Officials see aggregates only."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts.models import Contract
from contracts.views import access_contract, can_manage
from crm import queries as crm_queries
from crm.models import Municipality
from crm.views.records import access_subject, require_any
from referrals.queries import referrals_visible_to
from reporting import charts, queries, services
from reporting.models import Report


@login_required
def contract_dashboard(request, pk: int):
    contract = access_contract(request.user, pk)
    municipalities, rows = queries.goal_matrix(contract)
    history = queries.goal_history(contract)
    tiles = []
    for goal, total, _cells in rows:
        points = history.get(goal.pk, [])
        tile = {
            "goal": goal,
            "total": total,
            "sparkline": charts.sparkline([v for _, v in points], title=str(goal)),
        }
        if goal.target_kind == "count" and goal.target:
            target = total.target if total else goal.target
            start, end = goal.period
            tile["pace"] = charts.pace_chart(
                points,
                target=target,
                start=start,
                end=end,
                title=_("Tempo mod målet: %(goal)s") % {"goal": goal},
            )
        tiles.append(tile)
    return render(
        request,
        "reporting/contract_dashboard.html",
        {
            "contract": contract,
            "tiles": tiles,
            "municipalities": municipalities,
            "rows": rows,
            "reports": contract.reports.filter(kind__in=["annual", "half_year"])[:10],
            "can_manage": can_manage(request.user, contract),
        },
    )


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
    months = {}
    for row in data["per_consultant"]:
        name = row["consultants__first_name"] or row["consultants__username"] or "–"
        months.setdefault(name, 0)
        months[name] += row["n"]
    hours = data["hours"]
    planned = (hours["sessions"] or 0) * 8
    done = sum(float(hours[k] or 0) for k in ("before", "during", "after"))
    context = {
        "start": start,
        "end": end,
        "data": data,
        "consultant_chart": charts.bar_chart(
            sorted(months.items()), title=_("Vejledninger pr. konsulent")
        ),
        "hours_chart": charts.bar_chart(
            [(_("Planlagt (2+4+2)"), planned), (_("Registreret"), done)],
            title=_("Timer mod 2+4+2-planen"),
            unit=" t",
        ),
        "state_chart": charts.bar_chart(
            [(k, v) for k, v in sorted(data["by_state"].items())],
            title=_("Henvisninger efter status"),
        ),
        "municipalities": Municipality.objects.for_user(request.user, "view_records"),
        "contracts": Contract.objects.visible_to(request.user, "manage_contracts"),
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
        Q(assignee=request.user) | Q(sent_by=request.user), state__in=["sent", "accepted"]
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
    """Ask for a PDF of a contract; officials may ask for the result reports, managers for
    the honorarium settlement too (it lists registrations)."""
    if kind not in (Report.Kind.ANNUAL, Report.Kind.HALF_YEAR, Report.Kind.SETTLEMENT):
        raise Http404
    contract = access_contract(request.user, pk, manage=(kind == Report.Kind.SETTLEMENT))
    today = timezone.localdate()
    start = contract.starts_on
    end = min(today, contract.ends_on)
    report = services.request_report(
        request.user, kind=kind, contract=contract, start=start, end=end
    )
    return redirect("report-detail", report.pk)


@login_required
@require_POST
def company_report(request, pk: int):
    company = access_subject(request.user, "company", pk, "view_records")
    report = services.request_report(request.user, kind=Report.Kind.COMPANY, company=company)
    return redirect("report-detail", report.pk)


def access_report(user, pk: int) -> Report:
    report = (
        Report.objects.select_related("contract", "company", "created_by").filter(pk=pk).first()
    )
    if report is None:
        raise Http404
    if report.company_id:
        access_subject(user, "company", report.company_id, "view_records")
    else:
        access_contract(user, report.contract_id, manage=report.kind == Report.Kind.SETTLEMENT)
    return report


@login_required
def report_detail(request, pk: int):
    """The report's state; the page polls while it renders."""
    report = access_report(request.user, pk)
    template = "reporting/report.html#state" if request.htmx else "reporting/report.html"
    return render(request, template, {"report": report})


@login_required
def report_file(request, pk: int):
    report = access_report(request.user, pk)
    if report.state != Report.State.DONE:
        raise Http404
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

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_response(header, rows, *, name: str, fmt: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    data = (
        services.table_csv(header, rows)
        if fmt == "csv"
        else services.table_xlsx(header, rows, name)
    )
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
def export_goals(request, pk: int, fmt: str):
    contract = access_contract(request.user, pk)
    header, rows = services.goal_table(contract)
    return export_response(header, rows, name=f"maal-{contract.pk}", fmt=fmt)


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
            r.sent_at.strftime("%d.%m.%Y"),
            r.municipality.name,
            r.sender_operator.name,
            str(r.target),
            r.get_state_display(),
            r.due_on.strftime("%d.%m.%Y") if r.due_on else "",
            r.contacted_at.strftime("%d.%m.%Y") if r.contacted_at else "",
            r.subject.name,
        ]
        for r in referrals
    ]
    return export_response(header, rows, name="henvisninger", fmt=fmt)


@login_required
def export_participants(request, fmt: str):
    require_any(request.user, "view_records")
    programme = request.GET.get("programme", "")
    if not programme:
        raise PermissionDenied(_("Vælg et vækstprogram."))
    header, rows = services.participants(request.user, programme)
    return export_response(header, rows, name="deltagere", fmt=fmt)
