"""Reports and exports: a PDF is asked for on a page, rendered in Celery and stored."""

import datetime
import time

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from contracts import services as contract_services
from crm.services import DomainError, NotAllowed
from reporting import pdf, queries
from reporting.charts import sparkline
from reporting.models import ExportLog, Report, ReportComment

# Reports only a manager of the contract's parties asks for: the annual report is a draft
# until a manager publishes it, and the settlement lists registrations.
MANAGED_KINDS = (Report.Kind.ANNUAL, Report.Kind.SETTLEMENT)


def check_can_request(user, kind: str, contract) -> None:
    if kind not in MANAGED_KINDS:
        return
    try:
        contract_services.check_can_manage(user, contract)
    except NotAllowed as error:
        raise NotAllowed(
            _("Kun ledere hos kontraktens parter kan danne årsrapporten og honorarafregningen.")
        ) from error


def half_year_of(contract, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The calendar half-year (1.1.-30.6. or 1.7.-31.12.) that holds the last day measured
    so far, within the contract's period and never beyond today (seed 001 §3)."""
    day = max(contract.starts_on, min(today, contract.ends_on))
    first = datetime.date(day.year, 1 if day.month <= 6 else 7, 1)
    last = datetime.date(day.year, 6, 30) if day.month <= 6 else datetime.date(day.year, 12, 31)
    return max(first, contract.starts_on), min(last, contract.ends_on, day)


def check_period(contract, start, end, today: datetime.date):
    """A follow-up period chosen on the page or in the API: within the contract, not after
    today, from before to. Both left out: the half-year derived by ``half_year_of``."""
    if start is None and end is None:
        return half_year_of(contract, today)
    if start is None or end is None:
        raise DomainError(_("Angiv både fra- og til-dato, eller ingen af dem."))
    if start > end:
        raise DomainError(_("Periodens fra-dato ligger efter til-datoen."))
    if start < contract.starts_on or end > contract.ends_on:
        raise DomainError(
            _("Perioden skal ligge inden for kontraktens periode %(start)s – %(end)s.")
            % {"start": f"{contract.starts_on:%d.%m.%Y}", "end": f"{contract.ends_on:%d.%m.%Y}"}
        )
    if end > today:
        raise DomainError(_("Perioden kan ikke slutte efter i dag."))
    return start, end


def request_report(user, *, kind: str, contract=None, company=None, start=None, end=None) -> Report:
    """Store the request and render it after commit in Celery (the page polls the row).
    A half-year follow-up covers ``start``-``end`` (checked, or derived when both are left
    out); the other contract reports the contract's period until today. Raises NotAllowed
    or DomainError before anything is stored."""
    today = timezone.localdate()
    if contract is not None:
        check_can_request(user, kind, contract)
        if kind == Report.Kind.HALF_YEAR:
            start, end = check_period(contract, start, end, today)
        else:
            start, end = contract.starts_on, min(today, contract.ends_on)
    report = Report.objects.create(
        kind=kind,
        contract=contract,
        company=company,
        period_start=start,
        period_end=end,
        created_by=user,
        language=get_language() or "",
    )
    render_after_commit(report)
    return report


def render_after_commit(report: Report) -> None:
    from reporting.tasks import render_report

    transaction.on_commit(lambda: render_report.delay(report.pk))


def check_draft(user, report: Report) -> None:
    """Only a manager changes an annual report, and only while it is a draft."""
    check_can_request(user, report.kind, report.contract)
    if not report.needs_publishing:
        raise DomainError(_("Kun årsrapporten har kommentarer og offentliggøres."))
    if report.published_at is not None:
        raise DomainError(_("Rapporten er offentliggjort og kan ikke længere ændres."))


@transaction.atomic
def do_comment_report(user, report: Report, comments: dict[int, str]) -> Report:
    """Store the manager's comment per goal (a blank comment removes it) and render the
    draft again for preview. ``comments`` maps goal ids of the report's contract to text."""
    check_draft(user, report)
    goals = set(report.contract.goals.values_list("pk", flat=True))
    unknown = set(comments) - goals
    if unknown:
        raise DomainError(_("Kommentarer kan kun gives til kontraktens egne mål."))
    texts = {goal: text.strip() for goal, text in comments.items()}
    report.comments.filter(goal_id__in=[g for g, text in texts.items() if not text]).delete()
    ReportComment.objects.bulk_create(
        [ReportComment(report=report, goal_id=g, text=text) for g, text in texts.items() if text],
        update_conflicts=True,
        unique_fields=["report", "goal"],
        update_fields=["text"],
    )
    Report.objects.filter(pk=report.pk).update(state=Report.State.PENDING)
    report.state = Report.State.PENDING
    render_after_commit(report)
    return report


@transaction.atomic
def do_publish_report(user, report: Report) -> Report:
    """Publish a previewed draft: officials see it from now on; rendered again without the
    draft mark."""
    check_draft(user, report)
    if report.state != Report.State.DONE:
        raise DomainError(_("Se forhåndsvisningen, før rapporten offentliggøres."))
    report.published_at, report.published_by = timezone.now(), user
    report.state = Report.State.PENDING
    report.save(update_fields=["published_at", "published_by", "state"])
    render_after_commit(report)
    return report


def annual_context(report: Report) -> dict:
    """The snapshots as of the report's period end: a later attainment run does not change
    the numbers between the previewed draft and the published report."""
    contract = report.contract
    municipalities, rows = queries.goal_matrix(contract, report.period_end)
    history = queries.goal_history(contract, end=report.period_end)
    goals = []
    for goal, total, cells in rows:
        values = [value for _, value in history.get(goal.pk, [])]
        goals.append(
            {
                "goal": goal,
                "total": total,
                "cells": cells,
                "sparkline": sparkline(values, title=str(goal)),
            }
        )
    comments = dict(report.comments.values_list("goal_id", "text"))
    for row in goals:
        row["comment"] = comments.get(row["goal"].pk, "")
    others = [
        {"goal": goal, "comment": comments.get(goal.pk, "")}
        for goal in contract.goals.all()
        if not goal.is_computed
    ]
    return {
        "contract": contract,
        "municipalities": municipalities,
        "goals": goals,
        "others": others,
        "report": report,
    }


def half_year_context(report: Report) -> dict:
    """Seed 001 §3: the activity table of the half-year and every goal's status as of the
    half-year's end, computed by the function the attainment runs store (so the numbers are
    those of a snapshot of that date), without storing anything."""
    contract, start, end = report.contract, report.period_start, report.period_end
    municipality_ids = list(contract.municipalities.values_list("pk", flat=True))
    goals = []
    for goal in contract.goals.all():
        if goal.is_computed:
            total, *_cells = contract_services.goal_snapshots(goal, municipality_ids, end)
            goals.append({"goal": goal, "total": total})
    return {
        "contract": contract,
        "report": report,
        "activity": queries.activity_table(contract, start, end),
        "goals": goals,
        "others": [goal for goal in contract.goals.all() if not goal.is_computed],
    }


def settlement_context(report: Report) -> dict:
    lines, total = contract_services.settlement(
        report.contract, report.period_start, report.period_end, user=report.created_by
    )
    return {"contract": report.contract, "lines": lines, "total": total, "report": report}


def company_context(report: Report) -> dict:
    """What the requester may see of the company, by the rules of its page: another
    operator's summary holds the registry facts and what the company consented to share with
    it, never other operators' sessions, notes or contact persons."""
    company, user = report.company, report.created_by
    return {
        "company": company,
        "report": report,
        "sessions": company.sessions.visible_to(user).select_related("operator").order_by("date"),
        "consents": company.consents.visible_to(user),
        "contacts": company.contacts.visible_to(user),
        "referrals": company.referrals.visible_to(user).select_related(
            "target_operator", "target_adviser"
        ),
        "projects": company.projects.visible_to(user),
        "programmes": company.programmes.visible_to(user),
    }


RENDERERS = {
    Report.Kind.ANNUAL: ("reporting/pdf/annual.html", annual_context),
    Report.Kind.HALF_YEAR: ("reporting/pdf/half_year.html", half_year_context),
    Report.Kind.SETTLEMENT: ("reporting/pdf/settlement.html", settlement_context),
    Report.Kind.COMPANY: ("reporting/pdf/company.html", company_context),
}


def render(report: Report) -> Report:
    """Render and store the PDF (the Celery task calls this)."""
    template, make_context = RENDERERS[report.kind]
    started = time.monotonic()
    with override(report.language or None):
        data = pdf.render_pdf(template, make_context(report))
    name = f"{report.get_kind_display()}-{report.pk}.pdf".replace(" ", "-").lower()
    report.file.save(name, ContentFile(data), save=False)
    report.state, report.finished_at = Report.State.DONE, timezone.now()
    report.seconds = time.monotonic() - started
    report.save()
    return report


# --- Exports -------------------------------------------------------------------------------


def goal_table(contract) -> tuple[list[str], list[list]]:
    municipalities, rows = queries.goal_matrix(contract)
    header = [_("Mål"), _("Titel"), _("Mål (værdi)"), _("Resultat"), _("Status")]
    header += [m.name for m in municipalities]
    table = [
        [
            goal.number,
            goal.title,
            goal.target,
            total.value if total else None,
            total.get_status_display() if total else "",
        ]
        + [cell.value if cell else None for cell in cells]
        for goal, total, cells in rows
    ]
    return header, table


def participants(user, programme: str) -> tuple[list[str], list[list]]:
    """A programme's participants with CVR numbers, or masked CPR for founders (seed 004:
    the list EU-funded projects attach to payment requests). Logged as a person export."""
    from crm.models import ProgrammeEnrolment

    enrolments = (
        ProgrammeEnrolment.objects.visible_to(user)
        .filter(programme=programme)
        .select_related("company", "founder", "municipality")
    )
    header = [_("Deltager"), _("CVR-nummer / CPR"), _("Kommune"), _("Niveau"), _("Startet")]
    rows = [
        [
            e.company.name if e.company else e.founder.name,
            e.company.cvr if e.company else e.founder.masked_cpr,
            e.municipality.name,
            e.growth_level,
            e.started_on.strftime("%d.%m.%Y"),
        ]
        for e in enrolments
    ]
    ExportLog.objects.create(user=user, kind=f"participants:{programme}"[:50], rows=len(rows))
    return header, rows


def snapshot_table(contract) -> tuple[list[str], list[list]]:
    """Snapshots over time: per goal and municipality (the total first), each snapshot
    date's value, target, attainment and status."""
    header = [
        _("Mål"),
        _("Titel"),
        _("Kommune"),
        _("Dato"),
        _("Resultat"),
        _("Mål (værdi)"),
        _("Målopfyldelse (%)"),
        _("Status"),
    ]
    rows = [
        [
            snap.goal.number,
            snap.goal.title,
            snap.municipality.name if snap.municipality else _("I alt"),
            snap.as_of.strftime("%d.%m.%Y"),
            snap.value,
            snap.target,
            snap.attainment,
            snap.get_status_display(),
        ]
        for snap in queries.snapshot_rows(contract)
    ]
    return header, rows
