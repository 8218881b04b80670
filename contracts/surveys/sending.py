"""The survey job (``contracts.tasks.send_surveys``, beat hourly): create the invitations that
are due, e-mail them, remind once, and forget the addresses of expired invitations.

Safe to run twice at once and to rerun after a crash: invitations are created under one
advisory lock and a unique session/referral key (``ON CONFLICT DO NOTHING``), and every e-mail
is claimed first by an UPDATE that only an unsent (unreminded) row passes, so a session is
surveyed at most once and a reminder goes at most once. A crash between the claim and the
e-mail loses that e-mail rather than sending it twice.
"""

import calendar
import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contracts.surveys.models import SurveyInvitation, SurveySettings
from contracts.surveys.services import new_token
from crm.models import ContactPerson, GuidanceSession
from referrals.models import Referral, ReferralEvent

logger = logging.getLogger(__name__)

# A session (or completed referral) older than the delay by more than this is never surveyed,
# so turning the survey on does not mail the operator's whole history.
WINDOW_DAYS = 30
DEFAULTS = SurveySettings()


@dataclass(frozen=True)
class Counts:
    created: int
    sent: int
    reminded: int
    expired: int


def run(now: datetime.datetime | None = None) -> Counts:
    now = now or timezone.now()
    counts = Counts(
        created=create_invitations(timezone.localdate(now)),
        sent=send_invitations(now),
        reminded=send_reminders(now),
        expired=forget_expired(now),
    )
    logger.info(
        "Survey: %s invitations created, %s sent, %s reminded, %s expired",
        counts.created,
        counts.sent,
        counts.reminded,
        counts.expired,
    )
    return counts


# --- Who is due -------------------------------------------------------------------------------


def months_before(day: datetime.date, months: int) -> datetime.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def operator_rules(operator_field: str, *, referrals: bool = False) -> list[tuple]:
    """The operators surveyed, grouped by their settings: (condition on ``operator_field``,
    settings) pairs. Operators without saved settings follow the defaults (enabled)."""
    saved = list(SurveySettings.objects.all())
    groups: dict[tuple, list[int]] = {}
    for row in saved:
        if row.enabled and (row.after_referrals or not referrals):
            groups.setdefault((row.delay_days, row.interval_months), []).append(row.operator_id)
    rules = [
        (Q(**{f"{operator_field}__in": ids}), SurveySettings(delay_days=d, interval_months=i))
        for (d, i), ids in groups.items()
    ]
    if DEFAULTS.enabled and (DEFAULTS.after_referrals or not referrals):
        unsaved = ~Q(**{f"{operator_field}__in": [row.operator_id for row in saved]})
        rules.append((unsaved, DEFAULTS))
    return rules


def due(rows, operator_field: str, date_field: str, today: datetime.date, *, referrals=False):
    """``rows`` of the surveyed operators dated within the window after their delay, whose
    subject was not invited within their interval (by any operator: one survey per subject
    per N months); or None when no operator is surveyed."""
    conditions = []
    for operators, rule in operator_rules(operator_field, referrals=referrals):
        last = today - datetime.timedelta(days=rule.delay_days)
        recent = SurveyInvitation.objects.filter(
            Q(company=OuterRef("company")) | Q(founder=OuterRef("founder")),
            created_at__gte=start_of(months_before(today, rule.interval_months)),
        )
        conditions.append(
            operators
            & Q(**{f"{date_field}__range": (last - datetime.timedelta(days=WINDOW_DAYS), last)})
            & ~Exists(recent)
        )
    if not conditions:
        return None
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    return rows.filter(condition)


def with_recipient(rows, today: datetime.date):
    """``rows`` (sessions or referrals) whose subject has someone to ask: a founder who
    consented, with an e-mail; for a company the first (by id) contact person who consented,
    with an e-mail, has not left and is not anonymised."""
    contacts = (
        ContactPerson.objects.filter(
            company=OuterRef("company"), survey_consent=True, anonymised_at__isnull=True
        )
        .exclude(email="")
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=today))
        .order_by("pk")
    )
    founder_asked = Q(
        founder__isnull=False, founder__survey_consent=True, founder__anonymised_at__isnull=True
    ) & ~Q(founder__email="")
    return rows.annotate(
        contact_id=Subquery(contacts.values("pk")[:1]),
        contact_email=Subquery(contacts.values("email")[:1]),
    ).filter(founder_asked | Q(company__isnull=False, contact_id__isnull=False))


def session_invitations(today: datetime.date) -> list[SurveyInvitation]:
    sessions = due(
        GuidanceSession.objects.filter(kind=GuidanceSession.Kind.FULL).exclude(
            Exists(SurveyInvitation.objects.filter(session=OuterRef("pk")))
        ),
        "operator",
        "date",
        today,
    )
    if sessions is None:
        return []
    rows = with_recipient(sessions, today).order_by("-date", "-pk")
    return [
        invitation(row, session_id=row["pk"], operator_id=row["operator_id"])
        for row in rows.values(*COLUMNS, "operator_id")
    ]


def referral_invitations(today: datetime.date) -> list[SurveyInvitation]:
    """Completed referrals to an operator that surveys after referrals (the receiver's
    guidance is evaluated), dated by their completion."""
    completed = (
        ReferralEvent.objects.filter(referral=OuterRef("pk"), to_state=Referral.State.COMPLETED)
        .order_by("-at")
        .values("at__date")[:1]
    )
    referrals = (
        Referral.objects.filter(state=Referral.State.COMPLETED, target_operator__isnull=False)
        .exclude(Exists(SurveyInvitation.objects.filter(referral=OuterRef("pk"))))
        .annotate(completed_on=Subquery(completed))
    )
    referrals = due(referrals, "target_operator", "completed_on", today, referrals=True)
    if referrals is None:
        return []
    rows = with_recipient(referrals, today).order_by("-completed_on", "-pk")
    return [
        invitation(row, referral_id=row["pk"], operator_id=row["target_operator_id"])
        for row in rows.values(*COLUMNS, "target_operator_id")
    ]


COLUMNS = (
    "pk",
    "company_id",
    "founder_id",
    "municipality_id",
    "founder__email",
    "contact_id",
    "contact_email",
)


def invitation(row: dict, **keys) -> SurveyInvitation:
    _token, hashed = new_token()  # a placeholder: the e-mail's token is made when it is sent
    founder = row["founder_id"]
    return SurveyInvitation(
        **keys,
        company_id=row["company_id"],
        founder_id=founder,
        contact_id=None if founder else row["contact_id"],
        municipality_id=row["municipality_id"],
        recipient_email=row["founder__email"] if founder else row["contact_email"],
        token_hash=hashed,
    )


def one_per_subject(invitations: list[SurveyInvitation]) -> list[SurveyInvitation]:
    """The first (newest) invitation of each subject."""
    seen, kept = set(), []
    for item in invitations:
        subject = (item.company_id, item.founder_id)
        if subject not in seen:
            seen.add(subject)
            kept.append(item)
    return kept


def create_invitations(today: datetime.date) -> int:
    """The invitations due today: sessions first, then (where an operator asks for it)
    completed referrals of subjects not just invited. Two runs at once take turns on an
    advisory lock; the unique keys keep a session or referral to one invitation anyway."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('contracts.surveys'))")
        rows = SurveyInvitation.objects.bulk_create(
            one_per_subject(session_invitations(today)), ignore_conflicts=True
        )
        rows += SurveyInvitation.objects.bulk_create(
            one_per_subject(referral_invitations(today)), ignore_conflicts=True
        )
    return len(rows)


# --- E-mails -----------------------------------------------------------------------------------


def settings_by_operator(operator_ids) -> dict[int, SurveySettings]:
    saved = {s.operator_id: s for s in SurveySettings.objects.filter(operator__in=operator_ids)}
    return {pk: saved.get(pk, DEFAULTS) for pk in operator_ids}


CLAIM_SENT = """
    UPDATE contracts_surveyinvitation AS i
    SET token_hash = v.hash, sent_at = %s, expires_at = v.expires
    FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[]) AS v(id, hash, expires)
    WHERE i.id = v.id AND i.sent_at IS NULL AND i.recipient_email <> ''
    RETURNING i.id
"""
CLAIM_REMINDED = """
    UPDATE contracts_surveyinvitation AS i
    SET previous_token_hash = i.token_hash, token_hash = v.hash, reminded_at = %s
    FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[]) AS v(id, hash, expires)
    WHERE i.id = v.id AND i.reminded_at IS NULL AND i.answered_at IS NULL
      AND i.declined_at IS NULL AND i.expires_at > %s AND i.recipient_email <> ''
    RETURNING i.id
"""


def claim(sql: str, rows: list[tuple[int, str, datetime.datetime | None]], now, *extra) -> set:
    """Mark ``rows`` (id, new token digest, expiry) sent or reminded in one UPDATE; returns
    the ids this run won (a row another run claimed first is not returned)."""
    if not rows:
        return set()
    ids, hashes, expiries = (list(column) for column in zip(*rows, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, ids, hashes, expiries, *extra])
        return {row[0] for row in cursor.fetchall()}


def send_invitations(now: datetime.datetime) -> int:
    pending = list(
        SurveyInvitation.objects.filter(sent_at__isnull=True, declined_at__isnull=True)
        .exclude(recipient_email="")
        .values_list("pk", "operator_id")
    )
    rules = settings_by_operator({operator for _pk, operator in pending})
    tokens, rows = {}, []
    for pk, operator in pending:
        token, hashed = new_token()
        tokens[pk] = token
        expires = now + datetime.timedelta(days=rules[operator].valid_days)
        rows.append((pk, hashed, expires))
    won = claim(CLAIM_SENT, rows, now)
    return deliver(won, tokens, reminder=False)


def send_reminders(now: datetime.datetime) -> int:
    """One reminder, with a new token (the first e-mail's link keeps working), to the
    invitations sent at least ``reminder_after_days`` ago and neither answered, declined,
    expired nor reminded, whose recipient still agrees to surveys."""
    still_agrees = Q(contact__survey_consent=True) | Q(
        contact__isnull=True, founder__survey_consent=True
    )
    open_ = SurveyInvitation.objects.filter(
        still_agrees,
        sent_at__isnull=False,
        reminded_at__isnull=True,
        answered_at__isnull=True,
        declined_at__isnull=True,
        expires_at__gt=now,
    ).exclude(recipient_email="")
    candidates = list(open_.values_list("pk", "operator_id", "sent_at"))
    rules = settings_by_operator({operator for _pk, operator, _sent in candidates})
    tokens, rows = {}, []
    for pk, operator, sent_at in candidates:
        if sent_at <= now - datetime.timedelta(days=rules[operator].reminder_after_days):
            token, hashed = new_token()
            tokens[pk] = token
            rows.append((pk, hashed, None))
    won = claim(CLAIM_REMINDED, rows, now, now)
    return deliver(won, tokens, reminder=True)


def deliver(ids: set, tokens: dict[int, str], *, reminder: bool) -> int:
    """E-mail the invitations ``ids`` (just claimed) their links, in one connection."""
    if not ids:
        return 0
    invitations = SurveyInvitation.objects.filter(pk__in=ids).select_related("operator")
    sent = 0
    with mail.get_connection() as outbox:
        for item in invitations:
            try:
                sent += outbox.send_messages([message(item, tokens[item.pk], reminder=reminder)])
            except Exception as error:  # noqa: BLE001 - one bad address must not stop the rest
                # The error names no address (it may be personal data): the id and kind only.
                logger.warning("Survey e-mail %s not sent: %s", item.pk, type(error).__name__)
    return sent


def in_the_other_language(url: str, language: str) -> dict:
    """The questionnaire in the language the e-mail is not written in ("English on request"):
    its link and a label in that language, so a reader of that language can find it."""
    other = "en" if language == "da" else "da"
    with translation.override(other):
        # Translators: "in this catalogue's language" (English: "Read and answer in English").
        return {"code": other, "url": f"{url}?lang={other}", "label": _("Læs og svar på dansk")}


def message(invitation: SurveyInvitation, token: str, *, reminder: bool):
    url = settings.SITE_URL + reverse("survey-answer", args=[token])
    with translation.override(invitation.language):
        context = {
            "operator": invitation.operator.name,
            "url": url,
            "other_language": in_the_other_language(url, invitation.language),
            "unsubscribe": settings.SITE_URL + reverse("survey-unsubscribe", args=[token]),
            "expires": timezone.localtime(invitation.expires_at),
            "reminder": reminder,
        }
        subject = (
            _("Påmindelse: Hvordan var vejledningen hos %(operator)s?")
            if reminder
            else _("Hvordan var vejledningen hos %(operator)s?")
        ) % context
        text = render_to_string("contracts/surveys/email.txt", context)
        html = render_to_string("contracts/surveys/email.html", context)
    email = mail.EmailMultiAlternatives(subject, text, None, [invitation.recipient_email])
    email.attach_alternative(html, "text/html")
    return email


def forget_expired(now: datetime.datetime) -> int:
    """Expired, unanswered invitations lose the recipient's address (personal data)."""
    return (
        SurveyInvitation.objects.filter(expires_at__lte=now)
        .exclude(recipient_email="")
        .update(recipient_email="")
    )
