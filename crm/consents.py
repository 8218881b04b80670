"""Consent as evidence (seed 002: sharing company information needs the company's consent).

A consent is the subject's word, so the party that profits from it cannot make it alone:

- It names who gave it (a contact person of the company, or the founder), how (a signed form,
  uploaded; an e-mail confirmation; said in a meeting, which is a guidance session logged by
  the recording operator that day), to whom (the recording operator and consultant) and when.
  Its date is never after the day it is recorded, nor more than ``BACKDATE_DAYS`` before it;
  a correction is a new consent that names the one it replaces, with the reason, dated within
  the same window of the original's recording day.
- Recorded by an operator that has guided the subject (logged a guidance session of it), it
  is in force at once. Recorded by any other operator, it opens other operators' records only
  once the subject confirms it through a one-time link e-mailed to its registered address
  (the contact person's or the founder's e-mail, unless the recording operator's own staff
  typed that address in), or once an operator holding records of the subject accepts it (for
  that operator's records and the subject's shared data).
- Every read of another operator's records on the strength of a consent is logged
  (``do_log_consent_reads``); the holders' managers read the log.
- Withdrawing it takes effect on the next request: every read filters on
  ``Consent.objects.in_force()``.
"""

import datetime
import secrets
from collections import defaultdict

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.aggregates import ArrayAgg
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm.models import (
    Company,
    Consent,
    ConsentAcceptance,
    ConsentAccess,
    ContactPerson,
    Founder,
    GuidanceSession,
    Membership,
    Operator,
)
from crm.models.subjects import works_with
from crm.notifications import Message, do_notify
from crm.services import (
    DomainError,
    NotAllowed,
    acting_operator,
    check_can_change,
    operators_of,
    subject_fields,
)

BACKDATE_DAYS = 14  # a consent is recorded at most two weeks after it was given
LINK_DAYS = 7  # the subject's confirmation link works once, for a week
LINK_SALT = "crm.consent-link"
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


class LinkRefused(DomainError):
    """The confirmation link is expired or used (``status`` 410), or no link at all (404);
    the message says which."""

    def __init__(self, message: str, status: int = 410):
        super().__init__(message)
        self.status = status


# --- Recording -----------------------------------------------------------------------------


def guided_by(operator: Operator | None, subject) -> bool:
    """``operator`` has logged guidance (a brief contact or a full session) of ``subject``."""
    return (
        operator is not None
        and GuidanceSession.objects.filter(
            **subject_fields(subject), operator=operator, date__lte=timezone.localdate()
        ).exists()
    )


def recording_operator(user, subject) -> Operator | None:
    """The user's operator the consent is given to: one that guided the subject if any, else
    the one that works in the subject's municipality."""
    guiding = operators_of(user).filter(
        sessions__in=GuidanceSession.objects.filter(**subject_fields(subject))
    )
    return guiding.order_by("kind", "pk").first() or acting_operator(user, subject.municipality)


def check_consent_date(given_on: datetime.date, recorded_on: datetime.date) -> None:
    if given_on > recorded_on:
        raise DomainError(_("Et samtykke kan ikke dateres senere end den dag, det registreres."))
    if given_on < recorded_on - datetime.timedelta(days=BACKDATE_DAYS):
        raise DomainError(
            _(
                "Et samtykke skal registreres senest %(days)s dage efter, det blev givet. "
                "Er det ældre, så bed om det igen."
            )
            % {"days": BACKDATE_DAYS}
        )


def check_consent_giver(subject, given_by: ContactPerson | None) -> None:
    """A company's consent is given by one of its contact persons; a founder's by the founder."""
    if isinstance(subject, Founder):
        if given_by is not None:
            raise DomainError(_("En iværksætters samtykke gives af iværksætteren selv."))
    elif given_by is None or given_by.company_id != subject.pk:
        raise DomainError(
            _("Vælg den kontaktperson hos %(name)s, der gav samtykket.") % {"name": subject.name}
        )


def check_consent_evidence(operator, subject, *, method: str, given_on, document) -> None:
    """A signed form is uploaded; a consent said in a meeting belongs to a guidance session
    the recording operator logged with the subject that day."""
    if method == Consent.Method.FORM and not document:
        raise DomainError(_("Upload den underskrevne samtykkeblanket."))
    if document and document.size > MAX_DOCUMENT_BYTES:
        raise DomainError(_("Blanketten må højst fylde 10 MB."))
    met = GuidanceSession.objects.filter(
        **subject_fields(subject), operator=operator, date=given_on
    )
    if method == Consent.Method.MEETING and not met.exists():
        raise DomainError(
            _(
                "Et samtykke givet på et møde hører til en vejledning, som %(operator)s har "
                "registreret den %(date)s. Registrér vejledningen først."
            )
            % {"operator": operator, "date": date_format(given_on, "SHORT_DATE_FORMAT")}
        )


def check_can_correct(user, consent: Consent, subject) -> None:
    """Only the operator that recorded a live consent corrects it, on the same subject."""
    if consent.subject != subject:
        raise DomainError(_("Rettelsen skal gælde samme virksomhed eller iværksætter."))
    own = operators_of(user).filter(pk=consent.operator_id).exists()
    if not (own or (consent.operator_id is None and consent.recorded_by_id == user.pk)):
        raise NotAllowed(_("Kun den operatør, der registrerede samtykket, kan rette det."))
    if not Consent.objects.live().filter(pk=consent.pk).exists():
        raise DomainError(_("Samtykket er tilbagekaldt, afvist eller allerede rettet."))


def first_recorded_on(consent: Consent) -> datetime.date:
    """The day the consent that a chain of corrections started from was recorded."""
    while consent.corrects_id:
        consent = consent.corrects
    return timezone.localdate(consent.recorded_at)


@transaction.atomic
def do_record_consent(
    user,
    subject,
    *,
    given_on: datetime.date,
    scope: str,
    method: str,
    given_by: ContactPerson | None = None,
    operators=(),
    document=None,
    corrects: Consent | None = None,
    correction_reason: str = "",
) -> Consent:
    """Record a consent of a company or founder (or a correction of one: ``corrects`` and
    ``correction_reason``). Dated no later than the day it is recorded and at most
    ``BACKDATE_DAYS`` earlier (a correction: of the original's recording day).

    Side effects: recorded by an operator that guided the subject, it is in force at once;
    otherwise a one-time link goes to the subject's registered e-mail after commit (when the
    recording operator's staff did not type that address in) and the operators holding
    records of the subject are notified that it awaits their acceptance. A correction
    replaces the consent it corrects at once."""
    check_can_change(user, subject.municipality)
    if scope == Consent.Scope.NAMED and not operators:
        raise DomainError(_("Vælg de operatører, samtykket gives til."))
    if corrects is not None:
        check_can_correct(user, corrects, subject)
        if not correction_reason.strip():
            raise DomainError(_("Skriv, hvorfor samtykket rettes."))
        if not document and method == Consent.Method.FORM:
            document = corrects.document or None  # the form uploaded with the original
    today = timezone.localdate()
    check_consent_date(given_on, first_recorded_on(corrects) if corrects else today)
    check_consent_giver(subject, given_by)
    operator = recording_operator(user, subject)
    check_consent_evidence(operator, subject, method=method, given_on=given_on, document=document)
    consent = Consent(
        **subject_fields(subject),
        given_on=given_on,
        given_by=given_by,
        method=method,
        scope=scope,
        recorded_by=user,
        operator=operator,
        corrects=corrects,
        correction_reason=correction_reason.strip(),
    )
    if document:
        consent.document = document
    if guided_by(operator, subject):
        consent.confirmed_at, consent.confirmation = timezone.now(), Consent.Confirmation.GUIDED
    consent.full_clean()
    consent.save()
    if scope == Consent.Scope.NAMED:
        consent.operators.set(operators)
    if consent.confirmed_at is None:
        ask_subject(consent)
        ask_holders(consent)
    return consent


def entered_by(record, field: str = "email") -> int | None:
    """The user who typed in the current value of ``record.field``, from its change history
    (None: unknown, e.g. written outside a request)."""
    events = (
        apps.get_model("crm", f"{type(record).__name__}Event")
        .objects.filter(pgh_obj_id=record.pk)
        .order_by("-pgh_id")
        .values_list(field, "pgh_context__metadata")
    )
    user = None
    for value, context in events:
        if value != getattr(record, field):
            break
        user = (context or {}).get("user")
    return user


def link_address(consent: Consent) -> str:
    """The subject's registered e-mail, unless the recording operator's staff typed it in
    (then a link there would prove nothing)."""
    record = consent.given_by or consent.founder
    if record is None or not record.email:
        return ""
    typist = entered_by(record)
    staff = Membership.objects.filter(user_id=typist, operator_id=consent.operator_id)
    if typist is not None and (typist == consent.recorded_by_id or staff.exists()):
        return ""
    return record.email


def ask_subject(consent: Consent) -> None:
    """Send the subject a one-time link to confirm the consent (after commit), if there is
    an address to send it to."""
    address = link_address(consent)
    if not address:
        return
    consent.link_nonce = secrets.token_hex(16)
    consent.link_expires_at = timezone.now() + datetime.timedelta(days=LINK_DAYS)
    consent.link_sent_to = address
    consent.save(update_fields=["link_nonce", "link_expires_at", "link_sent_to"])
    from crm.tasks import send_consent_link

    transaction.on_commit(lambda: send_consent_link.delay(consent.pk))


def holding_operators(subject):
    """The active operators that work with the subject (``works_with``): those that logged
    guidance of it and the local business services of its municipality."""
    logged = GuidanceSession.objects.filter(**subject_fields(subject)).values("operator")
    return Operator.objects.filter(
        Q(pk__in=logged) | Q(kind=Operator.Kind.LOCAL, municipalities=subject.municipality),
        active=True,
    ).distinct()


def ask_holders(consent: Consent) -> None:
    """Tell the operators holding records of the subject that a consent awaits them."""
    holders = holding_operators(consent.subject).exclude(pk=consent.operator_id)
    recipients = get_user_model().objects.filter(
        memberships__operator__in=holders,
        memberships__role__in=[Membership.Role.CONSULTANT, Membership.Role.MANAGER],
    )
    facts = {"operator": consent.operator, "name": consent.subject.name}
    do_notify(
        recipients,
        Message(
            "consent_pending",
            f"consent-pending:{consent.pk}",
            _("%(operator)s har registreret et samtykke fra %(name)s") % facts,
            _(
                "%(operator)s har ikke vejledt %(name)s. Samtykket åbner ikke for jeres "
                "oplysninger, før den registrerede bekræfter det, eller I accepterer det."
            )
            % facts,
            subject_url(consent.subject),
        ),
    )


def subject_url(subject) -> str:
    kind = "company" if isinstance(subject, Company) else "founder"
    return reverse(f"{kind}-detail", args=[subject.pk])


# --- Withdrawal and acceptance -------------------------------------------------------------


@transaction.atomic
def do_withdraw_consent(user, consent: Consent, *, on: datetime.date) -> Consent:
    """Withdraw the consent (dated ``on``: not in the future, not before it was given). It
    stops opening anything on the next request; an unused confirmation link dies with it."""
    check_can_change(user, consent.municipality)
    if consent.withdrawn_on:
        raise DomainError(_("Samtykket er allerede tilbagekaldt."))
    if on > timezone.localdate() or on < consent.given_on:
        raise DomainError(
            _("Tilbagekaldelsen dateres mellem den dag, samtykket blev givet, og i dag.")
        )
    consent.withdrawn_on, consent.link_nonce = on, ""
    consent.save(update_fields=["withdrawn_on", "link_nonce"])
    return consent


def accepting_operator(user, consent: Consent) -> Operator | None:
    """The user's operator that holds records of the subject and has yet to accept the
    consent: never the operator that recorded it."""
    holders = holding_operators(consent.subject).exclude(pk=consent.operator_id)
    return (
        operators_of(user)
        .filter(pk__in=holders.values("pk"))
        .exclude(pk__in=consent.acceptances.values("operator"))
        .order_by("kind", "pk")
        .first()
    )


def acceptable_by(user, subject, shown) -> set[int]:
    """Of the consents ``shown`` on the subject's page, those ``user`` may accept (one
    query, whatever their number)."""
    mine = set(
        operators_of(user)
        .filter(pk__in=holding_operators(subject).values("pk"))
        .values_list("pk", flat=True)
    )
    waiting = (Consent.State.AWAITING, Consent.State.ACCEPTED)
    return {
        consent.pk
        for consent in shown
        if consent.state in waiting
        and consent.recorded_by_id != user.pk
        and mine - {consent.operator_id} - {a.operator_id for a in consent.acceptances.all()}
    }


@transaction.atomic
def do_accept_consent(user, consent: Consent) -> ConsentAcceptance:
    """An operator holding records of the subject accepts a consent recorded by an operator
    that had not guided it: it opens the accepting operator's records and the subject's
    shared data to the operators the consent names."""
    check_can_change(user, consent.municipality)
    operator = accepting_operator(user, consent)
    if (
        consent.recorded_by_id == user.pk
        or not holding_operators(consent.subject)
        .filter(pk__in=operators_of(user).exclude(pk=consent.operator_id).values("pk"))
        .exists()
    ):
        raise NotAllowed(
            _("Kun en anden operatør, der vejleder %(name)s, kan acceptere samtykket.")
            % {"name": consent.subject.name}
        )
    if operator is None:
        raise DomainError(_("Samtykket gælder allerede for jeres oplysninger."))
    if not Consent.objects.live().filter(pk=consent.pk).exists():
        raise DomainError(_("Samtykket er tilbagekaldt, afvist eller rettet."))
    if consent.confirmed_at:
        raise DomainError(_("Samtykket gælder allerede for jeres oplysninger."))
    return ConsentAcceptance.objects.create(consent=consent, operator=operator, accepted_by=user)


# --- The subject's link --------------------------------------------------------------------


def link_token(consent: Consent) -> str:
    """The signed token of the link: the consent's id and a random nonce, nothing personal."""
    return signing.dumps([consent.pk, consent.link_nonce], salt=LINK_SALT)


def consent_for_link(token: str, *, lock: bool = False) -> Consent:
    """The consent a link confirms; refuses an invalid, expired, used or dead link."""
    try:
        pk, nonce = signing.loads(token, salt=LINK_SALT, max_age=datetime.timedelta(days=LINK_DAYS))
    except signing.SignatureExpired:
        raise LinkRefused(_("Linket er udløbet.")) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkRefused(_("Linket er ugyldigt."), status=404) from None
    rows = Consent.objects.select_for_update() if lock else Consent.objects.all()
    consent = rows.filter(pk=pk).first()
    if consent is None or not consent.link_nonce:
        raise LinkRefused(_("Linket er allerede brugt eller gælder ikke længere."))
    if not constant_time_compare(consent.link_nonce, str(nonce)):
        raise LinkRefused(_("Linket er allerede brugt eller gælder ikke længere."))
    if consent.link_expires_at is None or consent.link_expires_at <= timezone.now():
        raise LinkRefused(_("Linket er udløbet."))
    return consent


def check_not_recorder(user, consent: Consent) -> None:
    """The recording operator's own staff cannot answer for the subject."""
    if user is not None and operators_of(user).filter(pk=consent.operator_id).exists():
        raise NotAllowed(
            _("Samtykket skal bekræftes af den registrerede selv, ikke af %(operator)s.")
            % {"operator": consent.operator}
        )


@transaction.atomic
def do_confirm_consent(token: str, *, user=None) -> Consent:
    """The subject confirms through the link: the consent is in force from now on; the link
    is used up."""
    consent = consent_for_link(token, lock=True)
    check_not_recorder(user, consent)
    consent.confirmed_at, consent.confirmation = timezone.now(), Consent.Confirmation.SUBJECT
    consent.link_nonce = ""
    consent.save(update_fields=["confirmed_at", "confirmation", "link_nonce"])
    return consent


@transaction.atomic
def do_decline_consent(token: str, *, user=None) -> Consent:
    """The subject says it gave no such consent: it never takes effect; the link is used up."""
    consent = consent_for_link(token, lock=True)
    check_not_recorder(user, consent)
    consent.declined_at, consent.link_nonce = timezone.now(), ""
    consent.save(update_fields=["declined_at", "link_nonce"])
    return consent


def send_link(consent_id: int) -> bool:
    """E-mail the link (the Celery task calls this with the id only). Nothing is sent once
    the link is used, dead or expired."""
    consent = (
        Consent.objects.select_related("operator", "company", "founder")
        .filter(pk=consent_id, link_expires_at__gt=timezone.now())
        .exclude(link_nonce="")
        .first()
    )
    if consent is None:
        return False
    url = settings.SITE_URL + reverse("consent-confirm", args=[link_token(consent)])
    with translation.override(settings.LANGUAGE_CODE):
        facts = {
            "operator": consent.operator,
            "name": consent.subject.name,
            "date": date_format(consent.given_on, "SHORT_DATE_FORMAT"),
            "scope": consent.get_scope_display().lower(),
            "expires": date_format(
                timezone.localtime(consent.link_expires_at), "SHORT_DATE_FORMAT"
            ),
            "url": url,
        }
        body = (
            _(
                "%(operator)s har registreret, at %(name)s den %(date)s gav samtykke til, at "
                "oplysninger fra erhvervsfremmesystemet må deles med: %(scope)s.\n\n"
                "Bekræft eller afvis samtykket her (linket virker én gang, til og med "
                "%(expires)s):\n%(url)s\n\nHar I ikke givet samtykket, så vælg “Afvis”."
            )
            % facts
        )
        send_mail(
            _("Bekræft samtykke til deling af oplysninger"), body, None, [consent.link_sent_to]
        )
    return True


# --- Reads on the strength of a consent ---------------------------------------------------

# For each kind of record: the subject field(s) of a row and the field naming its holder.
READ_KINDS = {
    ConsentAccess.Record.SESSION: (("company", "founder"), "operator"),
    ConsentAccess.Record.CONTACT: (("company",), None),
    ConsentAccess.Record.PROJECT: (("company",), "operator"),
    ConsentAccess.Record.PROGRAMME: (("company", "founder"), "operator"),
    ConsentAccess.Record.FOUNDER: ((), None),  # the rows are the founders themselves
    ConsentAccess.Record.EVENT: (("company", "founder"), "holder"),  # the event's organiser
}
# Records seen on a consent whenever their holder is not the reader's operator, even of a
# subject the reader works with (the other kinds are the subject's shared data).
HELD_RECORDS = {ConsentAccess.Record.SESSION, ConsentAccess.Record.EVENT}


def subject_of(kind: str, row) -> tuple[str, int]:
    fields, _holder = READ_KINDS[kind]
    if not fields:
        return "founder", row.pk
    return next(
        (field, getattr(row, f"{field}_id")) for field in fields if getattr(row, f"{field}_id")
    )


def worked_with(operator_ids, subjects) -> set[tuple[str, int]]:
    """Of ``subjects`` ((field, id) pairs), those one of ``operator_ids`` works with."""
    found = set()
    for field, model in (("company", Company), ("founder", Founder)):
        ids = {pk for f, pk in subjects if f == field}
        if ids:
            rows = model.objects.filter(pk__in=ids).filter(
                works_with(operator_ids, field, own=True)
            )
            found |= {(field, pk) for pk in rows.values_list("pk", flat=True)}
    return found


def consents_in_force(operator_ids, subjects) -> dict[tuple[str, int], list[dict]]:
    """(field, id) -> the subject's live consents covering ``operator_ids``, newest first,
    with their confirmation, acceptances and named operators (one query)."""
    companies = [pk for f, pk in subjects if f == "company"]
    founders = [pk for f, pk in subjects if f == "founder"]
    rows = (
        Consent.objects.filter(Q(company__in=companies) | Q(founder__in=founders))
        .covering(operator_ids)
        .live()
        .annotate(
            accepted=ArrayAgg(
                "acceptances__operator",
                distinct=True,
                filter=Q(acceptances__isnull=False),
                default=[],
            ),
            named=ArrayAgg(
                "operators", distinct=True, filter=Q(operators__isnull=False), default=[]
            ),
        )
        .order_by("-recorded_at", "-pk")
        .values(
            "pk",
            "company_id",
            "founder_id",
            "confirmed_at",
            "accepted",
            "named",
            "company__municipality_id",
            "founder__municipality_id",
        )
    )
    found = defaultdict(list)
    for row in rows:
        key = (
            ("company", row["company_id"]) if row["company_id"] else ("founder", row["founder_id"])
        )
        found[key].append(row)
    return found


def opening_consent(consents: list[dict], holder: int | None) -> dict | None:
    """The newest consent that opens a record of ``holder`` (None: the shared data)."""
    for consent in consents:
        accepted = consent["accepted"]
        if consent["confirmed_at"] or (accepted if holder is None else holder in accepted):
            return consent
    return None


def reader_operator(operators: dict[int, set], consent: dict) -> int | None:
    """The reading user's operator the consent covers in the subject's municipality."""
    municipality = consent["company__municipality_id"] or consent["founder__municipality_id"]
    named = set(consent["named"])
    for pk, municipalities in sorted(operators.items()):
        if municipality in municipalities and (not named or pk in named):
            return pk
    return None


def do_log_consent_reads(user, reads: dict, *, source: str) -> list[ConsentAccess]:
    """Log the rows of ``reads`` (record kind -> the rows shown) that ``user`` sees only on
    the strength of a consent: another operator's sessions, and the contact persons,
    projects, programmes and founder details of a subject the user's operators do not work
    with. One row per consent, holder and kind; a constant number of queries and one insert
    whatever the number of rows."""
    rows = [(kind, row) for kind, shown in reads.items() for row in shown]
    if not rows or not user.is_authenticated:
        return []
    operators = defaultdict(set)
    for pk, municipality in Operator.objects.of(user).values_list("pk", "municipalities"):
        operators[pk].add(municipality)
    candidates = []
    for kind, row in rows:
        holder_field = READ_KINDS[kind][1]
        holder = getattr(row, f"{holder_field}_id") if holder_field else None
        if holder is None or holder not in operators:
            candidates.append((kind, row.pk, subject_of(kind, row), holder))
    own = worked_with(
        list(operators),
        {subject for kind, _pk, subject, _h in candidates if kind not in HELD_RECORDS},
    )
    candidates = [c for c in candidates if c[0] in HELD_RECORDS or c[2] not in own]
    if not candidates:
        return []
    consents = consents_in_force(list(operators), {c[2] for c in candidates})
    grouped = defaultdict(list)
    for kind, pk, subject, holder in candidates:
        consent = opening_consent(consents.get(subject, []), holder)
        if consent is not None:
            grouped[(consent["pk"], holder, kind, subject)].append(pk)
    by_pk = {c["pk"]: c for found in consents.values() for c in found}
    at = timezone.now()
    return ConsentAccess.objects.bulk_create(
        [
            ConsentAccess(
                user=user,
                operator_id=reader_operator(operators, by_pk[consent]),
                consent_id=consent,
                holder_id=holder,
                municipality_id=by_pk[consent]["company__municipality_id"]
                or by_pk[consent]["founder__municipality_id"],
                **{f"{subject[0]}_id": subject[1]},
                record=kind,
                record_ids=sorted(ids),
                source=source[:200],
                at=at,
            )
            for (consent, holder, kind, subject), ids in grouped.items()
        ]
    )
