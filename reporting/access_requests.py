"""A person's access request (GDPR art. 15), for a founder and for a contact person as the
company summary is for a company: a PDF of everything the requesting manager's operator holds
about them, by the rules of the pages (what it sees on a consent is logged as read), who has
seen their CPR number and when, and the earlier values of their record in the change history.
It is asked for by a manager (``reporting.services.request_report``), logged in the export
log, readable by the requester only, and deleted after ACCESS_REQUEST_DAYS."""

import datetime
import logging

from django.conf import settings
from django.utils import timezone

from crm import audit, cpr, queries
from crm.consents import do_log_consent_reads
from crm.models import ConsentAccess, CprReveal
from crm.permissions import has_municipality_perm
from reporting.models import Report

logger = logging.getLogger(__name__)


def full_cpr(user, founder) -> str:
    """The founder's own CPR number in full when the requester may reveal it (logged as a
    reveal, so the answer lists it too); masked otherwise."""
    if not has_municipality_perm(user, "reveal_cpr", founder.municipality):
        return founder.masked_cpr
    CprReveal.objects.create(user=user, founder=founder)
    number = cpr.decrypt(founder.cpr_encrypted)
    return f"{number[:6]}-{number[6:]}"


def founder_context(report: Report) -> dict:
    founder, user = report.founder, report.created_by
    details = queries.details_shared_with(user, founder)
    context = {
        "report": report,
        "founder": founder,
        "cpr": full_cpr(user, founder),
        "details": details,
        "sessions": founder.sessions.visible_to(user)
        .select_related("operator")
        .prefetch_related("consultants")
        .order_by("date", "pk"),
        "consents": founder.consents.visible_to(user).prefetch_related("operators"),
        "referrals": founder.referrals.visible_to(user).select_related(
            "sender_operator", "target_operator", "target_adviser"
        ),
        "programmes": founder.programmes.visible_to(user).select_related("operator"),
        "events": founder.event_participations.visible_to(user).select_related("event"),
        "reveals": founder.reveals.select_related("user").order_by("revealed_at", "pk"),
        # Earlier addresses, phone numbers and the like: only where the details are shared.
        "history": audit.record_history(founder) if details else [],
    }
    reads = {kind: list(context[key]) for key, kind in FOUNDER_READS.items()}
    reads[ConsentAccess.Record.FOUNDER] = [founder] if details else []
    do_log_consent_reads(user, reads, source=report.consent_source)
    return context | {key: reads[kind] for key, kind in FOUNDER_READS.items()}


FOUNDER_READS = {
    "sessions": ConsentAccess.Record.SESSION,
    "programmes": ConsentAccess.Record.PROGRAMME,
    "events": ConsentAccess.Record.EVENT,
}


def contact_context(report: Report) -> dict:
    """A contact person: the record, the consents given in the company's name, and the
    earlier values of the record. Nothing of the company's other people."""
    contact, user = report.contact, report.created_by
    context = {
        "report": report,
        "contact": contact,
        "company": contact.company,
        "consents": contact.consents_given.visible_to(user).prefetch_related("operators"),
        "history": audit.record_history(contact),
    }
    do_log_consent_reads(
        user, {ConsentAccess.Record.CONTACT: [contact]}, source=report.consent_source
    )
    return context


RENDERERS = {
    Report.Kind.FOUNDER: ("reporting/pdf/access_founder.html", founder_context),
    Report.Kind.CONTACT: ("reporting/pdf/access_contact.html", contact_context),
}


def do_purge_access_requests(now: datetime.datetime | None = None) -> int:
    """Delete the access requests older than ACCESS_REQUEST_DAYS, their PDFs first: they were
    for handing to the person, not for keeping. Side effect: logged with the count."""
    limit = (now or timezone.now()) - datetime.timedelta(days=settings.ACCESS_REQUEST_DAYS)
    old = Report.objects.filter(kind__in=RENDERERS, created_at__lt=limit)
    for report in old.exclude(file=""):
        report.file.delete(save=False)
    purged = old.delete()[0]
    logger.info("Access requests purged: %s", purged)
    return purged
