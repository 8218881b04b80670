"""Reports and exports: a PDF is asked for on a page, rendered in Celery and stored."""

import csv
import io
import time

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import services as contract_services
from reporting import pdf, queries
from reporting.charts import sparkline
from reporting.models import ExportLog, Report


def request_report(user, *, kind: str, contract=None, company=None, start=None, end=None) -> Report:
    """Store the request and render it after commit in Celery (the page polls the row)."""
    from reporting.tasks import render_report

    report = Report.objects.create(
        kind=kind,
        contract=contract,
        company=company,
        period_start=start,
        period_end=end,
        created_by=user,
    )
    transaction.on_commit(lambda: render_report.delay(report.pk))
    return report


def annual_context(report: Report) -> dict:
    contract = report.contract
    municipalities, rows = queries.goal_matrix(contract)
    history = queries.goal_history(contract)
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
    others = [goal for goal in contract.goals.all() if not goal.is_computed]
    return {
        "contract": contract,
        "municipalities": municipalities,
        "goals": goals,
        "others": others,
        "report": report,
    }


def settlement_context(report: Report) -> dict:
    lines, total = contract_services.settlement(
        report.contract, report.period_start, report.period_end
    )
    return {"contract": report.contract, "lines": lines, "total": total, "report": report}


def company_context(report: Report) -> dict:
    company = report.company
    return {
        "company": company,
        "report": report,
        "sessions": company.sessions.select_related("operator").order_by("date"),
        "consents": company.consents.all(),
        "contacts": company.contacts.all(),
        "referrals": company.referrals.select_related("target_operator", "target_adviser"),
        "projects": company.projects.all(),
        "programmes": company.programmes.all(),
    }


RENDERERS = {
    Report.Kind.ANNUAL: ("reporting/pdf/annual.html", annual_context),
    Report.Kind.HALF_YEAR: ("reporting/pdf/annual.html", annual_context),
    Report.Kind.SETTLEMENT: ("reporting/pdf/settlement.html", settlement_context),
    Report.Kind.COMPANY: ("reporting/pdf/company.html", company_context),
}


def render(report: Report) -> Report:
    """Render and store the PDF (the Celery task calls this)."""
    template, make_context = RENDERERS[report.kind]
    started = time.monotonic()
    data = pdf.render_pdf(template, make_context(report))
    name = f"{report.get_kind_display()}-{report.pk}.pdf".replace(" ", "-").lower()
    report.file.save(name, ContentFile(data), save=False)
    report.state, report.finished_at = Report.State.DONE, timezone.now()
    report.seconds = time.monotonic() - started
    report.save()
    return report


# --- Exports -------------------------------------------------------------------------------


def table_csv(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads it as UTF-8


def table_xlsx(header: list[str], rows: list[list], title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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
