"""The access logs: CPR reveals, reads of other operators' records on the strength of a
consent and failed logins (with the lockouts they caused), each scoped to what a manager may
read, filtered by user, subject and period, as table rows for the page and the export; and
their nightly purge, each after its own retention. Exports of person data are reporting's log
(``reporting.logs``), which also serves the pages: an export of a log is itself logged.
"""

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_

from axes import models as axes
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import cpr, queries
from crm.models import (
    ConsentAccess,
    CprReveal,
    Membership,
    Operator,
)
from crm.models.subjects import (
    operator_ids_of,
    works_with,
)
from crm.permissions import AUDIT, CONSENT_LOG

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccessLog:
    """One access log: the rows a reader may see (``scope(user, municipality)``; the
    municipality ``None``: every operator's, for an administrator), what its user and subject
    filters match, its time column, and its table for the page and the export."""

    slug: str
    title: str
    perm: str
    scope: Callable
    user_path: str  # the user a row names (for a login: the account name tried)
    subject: Callable[[str], Q]
    subject_label: str
    at: str
    header: tuple
    line: Callable[[object], list]


def staff_of(user, municipality) -> QuerySet:
    """The accounts of the operators ``user`` works for that serve ``municipality``."""
    operators = Operator.objects.of(user).filter(municipalities=municipality).values("pk")
    return get_user_model().objects.filter(memberships__operator__in=operators)


def cpr_reveals(user, municipality) -> QuerySet:
    """Reveals of the CPR numbers of the municipality's founders: by the reader's operators'
    staff, and of the founders those operators work with (whoever revealed them)."""
    rows = CprReveal.objects.select_related("user", "founder").order_by("-revealed_at", "-pk")
    if municipality is None:
        return rows
    ids = operator_ids_of(user)
    staff = Exists(Membership.objects.filter(user=OuterRef("user"), operator__in=ids))
    return rows.filter(founder__municipality=municipality).filter(
        staff | works_with(ids, "founder")
    )


def consent_reads(user, municipality) -> QuerySet:
    """Reads on the strength of a consent of what the reader's operators hold
    (``crm.queries.consent_reads_of``)."""
    if municipality is None:
        return ConsentAccess.objects.select_related(*queries.CONSENT_READ_RELATIONS).order_by(
            "-at", "-pk"
        )
    return queries.consent_reads_of(user, municipality)


def failed_logins(user, municipality) -> QuerySet:
    """Failed logins (and the lockouts they caused) of the reader's operators' staff; the
    administrator also sees those of names that are no account."""
    rows = axes.AccessFailureLog.objects.order_by("-attempt_time", "-pk")
    if municipality is None:
        return rows
    return rows.filter(username__in=staff_of(user, municipality).values("username"))


def person_matches(path: str, text: str) -> Q:
    """Each word of ``text`` in the user name, first or last name or e-mail of ``path``."""
    words = text.split() or [""]
    return reduce(
        and_,
        [
            reduce(
                or_,
                [Q(**{f"{path}__{column}__icontains": word}) for column in USER_COLUMNS],
            )
            for word in words
        ],
    )


USER_COLUMNS = ("username", "first_name", "last_name", "email")


def founder_matches(text: str, path: str = "founder") -> Q:
    """A founder by its whole CPR number (found by the lookup hash) or a part of its name."""
    digits = text.replace("-", "").replace(" ", "")
    if digits.isdigit() and len(digits) == 10:
        try:
            return Q(**{f"{path}__cpr_hash": cpr.lookup_hash(cpr.clean_cpr(digits))})
        except ValidationError:
            return Q(pk__in=[])
    return Q(**{f"{path}__name__icontains": text})


def subject_matches(text: str) -> Q:
    """A company by CVR number or name, or a founder (``founder_matches``)."""
    company = Q(company__cvr=text.strip()) | Q(company__name__icontains=text)
    return company | founder_matches(text)


def person_name(user) -> str:
    if user is None:
        return "–"
    return user.get_full_name() or user.get_username()


def consent_read_line(row) -> list:
    subject = row.company.name if row.company_id else row.founder.name
    records = f"{len(row.record_ids)} {row.get_record_display()}"
    if row.holder_id:
        records += " " + _("hos %(holder)s") % {"holder": row.holder.name}
    consent = f"{row.consent.get_scope_display()}, {row.consent.given_on:%d.%m.%Y}"
    reader = person_name(row.user) + (f" ({row.operator.name})" if row.operator_id else "")
    return [row.at, reader, subject, records, consent, row.source]


ACCESS_LOGS = {
    log.slug: log
    for log in [
        AccessLog(
            slug="cpr",
            title=gettext_lazy("Visninger af CPR-numre"),
            perm=AUDIT,
            scope=cpr_reveals,
            user_path="user",
            subject=founder_matches,
            subject_label=gettext_lazy("Iværksætter (navn eller CPR-nummer)"),
            at="revealed_at",
            header=(
                gettext_lazy("Tidspunkt"),
                gettext_lazy("Vist af"),
                gettext_lazy("Iværksætter"),
            ),
            line=lambda row: [row.revealed_at, person_name(row.user), row.founder.name],
        ),
        AccessLog(
            slug="samtykke",
            title=gettext_lazy("Læsninger på grundlag af samtykke"),
            perm=CONSENT_LOG,
            scope=consent_reads,
            user_path="user",
            subject=subject_matches,
            subject_label=gettext_lazy("Virksomhed eller iværksætter"),
            at="at",
            header=(
                gettext_lazy("Tidspunkt"),
                gettext_lazy("Læser"),
                gettext_lazy("Virksomhed / iværksætter"),
                gettext_lazy("Oplysninger"),
                gettext_lazy("Samtykke"),
                gettext_lazy("Hvor"),
            ),
            line=consent_read_line,
        ),
        AccessLog(
            slug="logins",
            title=gettext_lazy("Mislykkede logins og spærringer"),
            perm=AUDIT,
            scope=failed_logins,
            user_path="",
            subject=lambda text: Q(ip_address__icontains=text.strip()),
            subject_label=gettext_lazy("IP-adresse"),
            at="attempt_time",
            header=(
                gettext_lazy("Tidspunkt"),
                gettext_lazy("Brugernavn"),
                gettext_lazy("IP-adresse"),
                gettext_lazy("Spærret"),
            ),
            line=lambda row: [
                row.attempt_time,
                row.username or "–",
                row.ip_address or "–",
                _("ja") if row.locked_out else _("nej"),
            ],
        ),
    ]
}


def filtered(log: AccessLog, rows: QuerySet, *, user="", subject="", start=None, end=None):
    """The rows of ``log`` by a user (name or e-mail), a subject and a period (whole days,
    Danish time)."""
    if user:
        if log.user_path:
            rows = rows.filter(person_matches(log.user_path, user))
        else:  # a failed login names an account (or just a name) in its own column
            rows = rows.filter(username__icontains=user.strip())
    if subject:
        rows = rows.filter(log.subject(subject))
    if start:
        rows = rows.filter(**{f"{log.at}__gte": day_start(start)})
    if end:
        rows = rows.filter(**{f"{log.at}__lt": day_start(end + datetime.timedelta(days=1))})
    return rows


def day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


# --- Retention -------------------------------------------------------------------------------


def do_purge_access_logs(now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete what each access log holds beyond its retention (settings *_LOG_DAYS), one
    DELETE per log. Side effect: logged with the counts. Exports are reporting's
    (``reporting.services.do_purge_export_log``). A company summary read on a consent is
    refused once that consent is dead, as long as its reads are kept."""
    now = now or timezone.now()

    def older(days: int) -> datetime.datetime:
        return now - datetime.timedelta(days=days)

    logins = older(settings.LOGIN_LOG_DAYS)
    purged = {
        "cpr_reveals": CprReveal.objects.filter(
            revealed_at__lt=older(settings.CPR_REVEAL_LOG_DAYS)
        ).delete()[0],
        "consent_reads": ConsentAccess.objects.filter(
            at__lt=older(settings.CONSENT_READ_LOG_DAYS)
        ).delete()[0],
        "failed_logins": axes.AccessFailureLog.objects.filter(attempt_time__lt=logins).delete()[0],
        "logins": axes.AccessLog.objects.filter(attempt_time__lt=logins).delete()[0],
    }
    logger.info("Access logs purged: %s", purged)
    return purged
