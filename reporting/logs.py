"""The access logs for managers (and an administrator across operators): CPR reveals, reads on
the strength of a consent, exports of person data, failed logins and lockouts; filtered by
user, subject and period, and exported (an export is itself logged). The rows and scopes are
``crm.audit``'s, but for the export log, which is reporting's."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import audit
from crm.pagination import paginate
from crm.permissions import AUDIT, access_municipality
from crm.spreadsheets import table_response
from reporting.forms import AccessLogFilter
from reporting.models import ExportLog, Report

# Rows an export holds at most, newest first (narrow the period for older ones).
EXPORT_LIMIT = 50_000


def exports(user, municipality) -> QuerySet:
    """Exports of person data by the reader's operators' staff (every export, for the
    administrator)."""
    rows = ExportLog.objects.select_related("user").order_by("-at", "-pk")
    if municipality is None:
        return rows
    return rows.filter(user__in=audit.staff_of(user, municipality))


def export_label(kind: str) -> str:
    """What an ``ExportLog.kind`` names, in words."""
    what, _sep, detail = kind.partition(":")
    if what == "referrals":
        return _("Henvisninger")
    if what == "participants":
        return _("Deltagere i vækstprogrammet %(programme)s") % {"programme": detail}
    if what == "log" and detail in LOGS:
        return _("Adgangslog: %(log)s") % {"log": LOGS[detail].title}
    kind, _sep, pk = detail.partition(":")
    if what == "access" and kind in Report.Kind.values:
        return f"{Report.Kind(kind).label} (nr. {pk})"
    return kind


EXPORT_LOG = audit.AccessLog(
    slug="eksporter",
    title=gettext_lazy("Eksporter af personoplysninger"),
    perm=AUDIT,
    scope=exports,
    user_path="user",
    subject=lambda text: Q(kind__icontains=text.strip()),
    subject_label=gettext_lazy("Eksport"),
    at="at",
    header=(
        gettext_lazy("Tidspunkt"),
        gettext_lazy("Eksporteret af"),
        gettext_lazy("Eksport"),
        gettext_lazy("Rækker"),
    ),
    line=lambda row: [row.at, audit.person_name(row.user), export_label(row.kind), row.rows],
)
LOGS = {**audit.ACCESS_LOGS, EXPORT_LOG.slug: EXPORT_LOG}


def access_log_of(user, slug: str, code: str | None):
    """The log and the municipality it is read for: a municipality's log needs its right there
    (404 outside the user's municipalities, 403 without it); every operator's log is for an
    administrator only."""
    log = LOGS.get(slug)
    if log is None:
        raise Http404
    if code is None:
        if not user.is_superuser:
            raise PermissionDenied
        return log, None
    return log, access_municipality(user, log.perm, code=code)


def rows_of(request, log, municipality) -> tuple[AccessLogFilter, QuerySet]:
    form = AccessLogFilter(request.GET or None, log=log)
    rows = log.scope(request.user, municipality)
    if form.is_valid():
        rows = audit.filtered(log, rows, **form.cleaned_data)
    return form, rows


def shown(value) -> str:
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return "–" if value in (None, "") else str(value)


@login_required
def access_log(request, log: str, code: str | None = None):
    log, municipality = access_log_of(request.user, log, code)
    form, rows = rows_of(request, log, municipality)
    page = paginate(request, rows)
    context = {
        "log": log,
        "logs": [other for other in LOGS.values() if other.perm == AUDIT or code is None],
        "municipality": municipality,
        "form": form,
        "page": page,
        "header": log.header,
        "lines": [[shown(value) for value in log.line(row)] for row in page],
    }
    return render(request, "reporting/logs/log.html", context)


@login_required
def access_log_export(request, log: str, fmt: str, code: str | None = None):
    """The log as filtered on its page, as CSV or XLSX; the export is logged."""
    log, municipality = access_log_of(request.user, log, code)
    _form, rows = rows_of(request, log, municipality)
    table = [log.line(row) for row in rows[:EXPORT_LIMIT]]
    header = [str(title) for title in log.header]
    response = table_response(header, table, name=f"adgangslog-{log.slug}", fmt=fmt)
    ExportLog.objects.create(user=request.user, kind=f"log:{log.slug}", rows=len(table))
    return response
