"""Reports and exports: a PDF is asked for on a page, rendered in Celery and stored."""

import datetime
import logging
import math
import time

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from contracts import services as contract_services
from contracts.definitions import goal_definitions
from contracts.indicators import EXCLUDED_ALWAYS
from crm import queries as crm_queries
from crm.concurrency import Conflict, guarded_update, lock
from crm.consents import do_log_consent_reads
from crm.models import ConsentAccess
from crm.permissions import AUDIT, has_municipality_perm
from crm.services import DomainError, NotAllowed
from reporting import access_requests, pdf, profile, queries
from reporting.charts import sparkline
from reporting.models import ExportLog, Report, ReportComment

# Reports only a manager of the contract's parties asks for: the annual report is a draft
# until a manager publishes it, and the settlement lists registrations.
MANAGED_KINDS = (Report.Kind.ANNUAL, Report.Kind.SETTLEMENT)
logger = logging.getLogger(__name__)


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


def request_report(
    user, *, kind: str, contract=None, company=None, start=None, end=None, person=None
) -> Report:
    """Store the request and render it after commit in Celery (the page polls the row).
    A half-year follow-up covers ``start``-``end`` (checked, or derived when both are left
    out); the other contract reports the contract's period until today. An access request
    about ``person`` (a founder or a contact person) is logged in the export log. Raises
    NotAllowed or DomainError before anything is stored."""
    today = timezone.localdate()
    if contract is not None:
        check_can_request(user, kind, contract)
        if kind == Report.Kind.HALF_YEAR:
            start, end = check_period(contract, start, end, today)
        else:
            start, end = contract.starts_on, min(today, contract.ends_on)
    if person is not None:
        check_can_answer_access(user, person)
    report = Report.objects.create(
        kind=kind,
        contract=contract,
        company=company,
        **({"founder": person} if kind == Report.Kind.FOUNDER else {}),
        **({"contact": person} if kind == Report.Kind.CONTACT else {}),
        period_start=start,
        period_end=end,
        created_by=user,
        language=get_language() or "",
    )
    if person is not None:
        ExportLog.objects.create(user=user, kind=f"access:{kind}:{person.pk}", rows=1)
    render_after_commit(report)
    return report


def check_can_answer_access(user, person) -> None:
    """A person's access request is answered by a manager of the person's municipality."""
    municipality = getattr(person, "municipality", None) or person.company.municipality
    if not has_municipality_perm(user, AUDIT, municipality):
        raise NotAllowed(_("Kun ledere kan besvare en anmodning om indsigt."))


def render_after_commit(report: Report) -> None:
    from reporting.tasks import render_report

    transaction.on_commit(lambda: render_report.delay(report.pk))


def check_draft(user, report: Report) -> None:
    """Only a manager changes an annual report, and only while it is a draft."""
    check_can_request(user, report.kind, report.contract)
    if not report.needs_publishing:
        raise DomainError(_("Kun årsrapporten har kommentarer og offentliggøres."))
    if report.published_at is not None:  # somebody published it first: a conflict (409)
        raise Conflict(_("Rapporten er offentliggjort og kan ikke længere ændres."))


@transaction.atomic
def do_comment_report(user, report: Report, comments: dict[int, str]) -> Report:
    """Store the manager's comment per goal (a blank comment removes it) and render the
    draft again for preview. ``comments`` maps goal ids of the report's contract to text."""
    lock(report)
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
    draft mark. Under a row lock and a guarded update: of two managers publishing at once,
    one publishes and the other is refused (409)."""
    lock(report)
    check_draft(user, report)
    if report.state != Report.State.DONE:
        raise DomainError(_("Se forhåndsvisningen, før rapporten offentliggøres."))
    guarded_update(
        report,
        {"published_at__isnull": True},
        published_at=timezone.now(),
        published_by=user,
        state=Report.State.PENDING,
    )
    render_after_commit(report)
    return report


def check_goals_computable(contract) -> None:
    """Refuse, with the goal named, a goal whose indicator or parameters the catalogue does
    not know (stored by other means than the goal form, or from an older catalogue): the
    report cannot count it, and a manager can mend it on the contract's page."""
    for goal in contract.goals.all():
        if not goal.is_computed:
            continue
        try:
            contract_services.check_goal_indicator(goal.indicator, goal.params)
        except DomainError as error:
            raise DomainError(
                _("Mål %(number)s (%(title)s) kan ikke beregnes: %(reason)s")
                % {"number": goal.number, "title": goal.title, "reason": error}
            ) from error


def contract_context(report: Report, as_of: datetime.date) -> dict:
    """What every contract report shows: each computed goal and each municipality as of
    ``as_of`` (``report_matrix``), the other goals, and whether demo survey answers count."""
    contract = report.contract
    check_goals_computable(contract)
    municipalities, rows = queries.report_matrix(contract, as_of)
    return {
        "contract": contract,
        "report": report,
        "as_of": as_of,
        "running": as_of < contract.ends_on,
        "municipalities": municipalities,
        "rows": rows,
        "others": [
            {"goal": goal, "comment": ""} for goal in contract.goals.all() if not goal.is_computed
        ],
        "demo_answers": contract.counts_demo_answers(),
    }


GOALS_PER_TABLE = 8  # goal columns beside the municipality's name: fits A4 upright at 8 pt


def municipality_tables(municipalities, rows, size: int = GOALS_PER_TABLE) -> list[dict]:
    """The results per municipality as tables that fit the page however many municipalities
    a contract has: a municipality per row, at most ``size`` goals per table, the goals
    spread evenly over the tables."""
    size = math.ceil(len(rows) / math.ceil(len(rows) / size)) if rows else size
    tables = []
    for first in range(0, len(rows), size):
        chunk = rows[first : first + size]
        tables.append(
            {
                "goals": [goal for goal, _total, _cells in chunk],
                "rows": [
                    (municipality, [cells[index] for _goal, _total, cells in chunk])
                    for index, municipality in enumerate(municipalities)
                ],
                "totals": [total for _goal, total, _cells in chunk],
            }
        )
    return tables


def annual_context(report: Report) -> dict:
    """The annual report as of its period end (``report_matrix``: the snapshots of that
    date, so a later attainment run does not change the numbers between the previewed draft
    and the published report), with the manager's comments and the goals' published
    definitions as an appendix."""
    context = contract_context(report, report.period_end)
    contract, rows = report.contract, context["rows"]
    history = queries.goal_history(contract, end=report.period_end)
    comments = dict(report.comments.values_list("goal_id", "text"))
    totals = {goal.pk: total for goal, total, _cells in rows}
    context["goals"] = [
        {
            "goal": goal,
            "total": total,
            "sparkline": sparkline([v for _d, v in history.get(goal.pk, [])], title=str(goal)),
            "comment": comments.get(goal.pk, ""),
        }
        for goal, total, _cells in rows
    ]
    for row in context["others"]:
        row["comment"] = comments.get(row["goal"].pk, "")
    context["tables"] = municipality_tables(context["municipalities"], rows)
    context["definitions"] = [
        (definition, totals.get(definition.goal.pk))
        for definition in goal_definitions(contract, report.period_end)
    ]
    context["excluded_always"] = str(EXCLUDED_ALWAYS)  # said once, before the goals
    return context


def half_year_context(report: Report) -> dict:
    """Seed 001 §3: the activity table of the half-year and every goal's status as of the
    half-year's end (``report_matrix``: the numbers a snapshot of that date holds)."""
    context = contract_context(report, report.period_end)
    context["goals"] = [{"goal": goal, "total": total} for goal, total, _c in context["rows"]]
    if report.contract.report_shape == "eu":  # seed 004: indicators, breakdowns, participants
        from reporting.programme import eu_context

        period = (report.period_start, report.period_end)
        return context | eu_context(report.contract, report.created_by, *period)
    context["activity"] = queries.activity_table(
        report.contract, report.period_start, report.period_end
    )
    return context


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
    context = {
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
    # Reads of other operators' records on a consent are logged; the file is handed out only
    # while those consents stay live (``check_file_available``).
    reads = {kind: list(context[key]) for key, kind in COMPANY_READS.items()}
    do_log_consent_reads(user, reads, source=report_source(report))
    return context | {key: reads[kind] for key, kind in COMPANY_READS.items()}


COMPANY_READS = {
    "sessions": ConsentAccess.Record.SESSION,
    "contacts": ConsentAccess.Record.CONTACT,
    "projects": ConsentAccess.Record.PROJECT,
    "programmes": ConsentAccess.Record.PROGRAMME,
}


def report_source(report: Report) -> str:
    return report.consent_source


def check_file_available(report: Report) -> None:
    """A company summary holds what its requester read on the company's consents; once one
    of them is withdrawn (or declined, or corrected) the file is no longer handed out. A
    summary or access request whose person's data was erased has lost its file."""
    if not report.file:
        raise DomainError(
            _(
                "Filen er slettet, fordi personoplysningerne i den er slettet. Bestil en ny, "
                "hvis der stadig er brug for den."
            )
        )
    if report.contract_id is None and not crm_queries.consent_reads_backed(report_source(report)):
        raise DomainError(
            _(
                "Oversigten bygger på et samtykke, der ikke længere gælder, og kan ikke hentes. "
                "Bestil en ny oversigt."
            )
        )


RENDERERS = {
    Report.Kind.ANNUAL: ("reporting/pdf/annual.html", annual_context),
    Report.Kind.HALF_YEAR: ("reporting/pdf/half_year.html", half_year_context),
    Report.Kind.SETTLEMENT: ("reporting/pdf/settlement.html", settlement_context),
    Report.Kind.COMPANY: ("reporting/pdf/company.html", company_context),
    Report.Kind.PROFILE: ("reporting/pdf/profile.html", profile.profile_context),
    **access_requests.RENDERERS,
}


def render(report: Report) -> Report:
    """Render and store the PDF (the Celery task calls this). A failure is stored on the
    report, with why and what to do in the requester's language (``failure_message``), and
    logged with its cause and the report's id."""
    template, make_context = RENDERERS[report.kind]
    started = time.monotonic()
    with override(report.language or None):
        try:
            with transaction.atomic():  # a database error leaves the report writable
                data = pdf.render_pdf(template, make_context(report))
                name = f"{report.get_kind_display()}-{report.pk}.pdf".replace(" ", "-").lower()
                report.file.save(name, ContentFile(data), save=False)
        except Exception as error:
            logger.exception("Report %s (%s) could not be rendered", report.pk, report.kind)
            return record_failure(report, failure_message(report, error))
    report.state, report.finished_at, report.error = Report.State.DONE, timezone.now(), ""
    report.seconds = time.monotonic() - started
    report.save()
    return report


def failure_message(report: Report, error: Exception) -> str:
    """Why a report failed and what to do: a cause the user can mend (a ``DomainError``)
    is named; anything else is unexpected and the report's number finds it in the log."""
    if isinstance(error, DomainError):
        return _(
            "Rapporten kunne ikke dannes: %(reason)s Ret målet under kontraktens mål, og bestil "
            "rapporten igen. Kontakt administratoren, hvis det ikke hjælper (rapport nr. %(id)s)."
        ) % {"reason": error, "id": report.pk}
    return _(
        "Rapporten kunne ikke dannes: der opstod en uventet fejl. Prøv igen om lidt, eller "
        "kontakt administratoren og oplys rapport nr. %(id)s."
    ) % {"id": report.pk}


def record_failure(report: Report, message: str) -> Report:
    report.state, report.error, report.finished_at = Report.State.FAILED, message, timezone.now()
    Report.objects.filter(pk=report.pk).update(
        state=report.state, error=message, finished_at=report.finished_at
    )
    return report


# --- Exports -------------------------------------------------------------------------------


def do_purge_export_log(now: datetime.datetime | None = None) -> int:
    """Delete the export log's rows older than its retention (EXPORT_LOG_DAYS), in one
    DELETE. Side effect: logged with the count."""
    limit = (now or timezone.now()) - datetime.timedelta(days=settings.EXPORT_LOG_DAYS)
    purged = ExportLog.objects.filter(at__lt=limit).delete()[0]
    logger.info("Export log purged: %s rows", purged)
    return purged


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
            e.started_on,
        ]
        for e in enrolments
    ]
    ExportLog.objects.create(user=user, kind=f"participants:{programme}"[:50], rows=len(rows))
    reads = {ConsentAccess.Record.PROGRAMME: enrolments}
    do_log_consent_reads(user, reads, source=f"export:participants:{programme}")
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
            snap.as_of,
            snap.value,
            snap.target,
            snap.attainment,
            snap.get_status_display(),
        ]
        for snap in queries.snapshot_rows(contract)
    ]
    return header, rows
