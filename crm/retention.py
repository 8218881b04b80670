"""Retention of personal data: which records have kept their people's data long enough, the
nightly run that anonymises them (``crm.anonymise`` does the SQL), its dry run, and erasure
on request (GDPR art. 17).

The rules (``RetentionRule``, edited by an administrator; the defaults below are in the
README) count years from a record's last contact: the newest of its registration and of the
rows about it that carry a contact date (sessions, referrals, consents, growth programmes,
projects: ``crm.anonymise.SubjectRecords``). A legal hold (``Hold``; the contracts register
theirs: settlement and audit) keeps a founder's data however old it is.
"""

import datetime
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import NamedTuple

import pghistory
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import anonymise
from crm.models import (
    AnonymisationRun,
    Company,
    ContactPerson,
    ErasureRequest,
    EventParticipant,
    Founder,
    RetentionRule,
)
from crm.permissions import ERASE, has_municipality_perm
from crm.services import DomainError, NotAllowed, check_sees_details

logger = logging.getLogger(__name__)

Kind = RetentionRule.Kind
DEFAULT_YEARS = {
    # Seed 001 follows a founder up to three years; one who never started is not followed on.
    Kind.FOUNDER: 3,
    # A founder who started a company is guided as that company up to three years after.
    Kind.FOUNDER_STARTED: 5,
    Kind.CONTACT_LEFT: 1,
    Kind.CEASED_COMPANY: 5,
    # Bogføringsloven § 10: accounting records are kept five years after the financial year.
    Kind.CONTRACT_AUDIT: 5,
    # A person at an event who never became a company or founder record: not followed on.
    Kind.EVENT_PERSON: 3,
}
COUNTS_FROM = {
    Kind.FOUNDER: gettext_lazy("år efter seneste kontakt"),
    Kind.FOUNDER_STARTED: gettext_lazy("år efter seneste kontakt"),
    Kind.CONTACT_LEFT: gettext_lazy("år efter fratrædelsen"),
    Kind.CEASED_COMPANY: gettext_lazy("år efter seneste kontakt med den ophørte virksomhed"),
    Kind.CONTRACT_AUDIT: gettext_lazy(
        "år efter kontraktperiodens slut holdes iværksættere, kontrakten betaler for, tilbage"
    ),
    Kind.EVENT_PERSON: gettext_lazy("år efter personens seneste arrangement"),
}
ERASURE = "erasure"  # the phase that carries out waiting requests for erasure
PHASES = [
    ERASURE,
    Kind.FOUNDER,
    Kind.FOUNDER_STARTED,
    Kind.CONTACT_LEFT,
    Kind.CEASED_COMPANY,
    Kind.EVENT_PERSON,
]
BATCH_SIZE = 200  # records per transaction (and per regular expression of their values)


def years(kind: str) -> int:
    stored = RetentionRule.objects.filter(kind=kind).values_list("years", flat=True).first()
    return stored or DEFAULT_YEARS[kind]


def years_after(day: datetime.date, count: int) -> datetime.date:
    try:
        return day.replace(year=day.year + count)
    except ValueError:  # 29 February
        return day.replace(year=day.year + count, day=28)


def years_before(day: datetime.date, count: int) -> datetime.date:
    return years_after(day, -count)


def start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# --- Legal holds -----------------------------------------------------------------------------


class Reason(NamedTuple):
    text: str
    until: datetime.date


@dataclass(frozen=True)
class Hold:
    """A reason of another app to keep founders' data: ``held(today)`` is a condition on
    ``Founder`` rows, ``reasons(founder, today)`` what the erasure page shows."""

    held: Callable[[datetime.date], Q]
    reasons: Callable[[Founder, datetime.date], list[Reason]]


HOLDS: list[Hold] = []


def register_hold(hold: Hold) -> None:
    if hold not in HOLDS:
        HOLDS.append(hold)


def held(today: datetime.date) -> Q:
    return reduce(or_, (hold.held(today) for hold in HOLDS), Q(pk__in=[]))


def holds_on(person, today: datetime.date | None = None) -> list[Reason]:
    """Why ``person``'s data must stay for now (contact persons are never held)."""
    if not isinstance(person, Founder):
        return []
    today = today or timezone.localdate()
    return [reason for hold in HOLDS for reason in hold.reasons(person, today)]


# --- What has expired ------------------------------------------------------------------------


def contacted_since(side: str, day: datetime.date) -> Q:
    """A row about the subject (``side``: "company" or "founder") dated ``day`` or later."""
    recent = []
    for records in anonymise.RECORDS:
        if not (records.dated and getattr(records, side)):
            continue
        dated = records.model._meta.get_field(records.dated)
        since = start_of(day) if isinstance(dated, models.DateTimeField) else day
        rows = records.model._default_manager.filter(
            **{getattr(records, side): OuterRef("pk"), f"{records.dated}__gte": since}
        )
        recent.append(Exists(rows))
    return reduce(or_, recent, Q(pk__in=[]))


def due(kind: str, today: datetime.date) -> models.QuerySet:
    """The records whose people's data the rule ``kind`` has kept long enough (holds aside);
    for ``ERASURE`` the requests that wait."""
    if kind == ERASURE:
        return ErasureRequest.objects.waiting()
    since = years_before(today, years(kind))
    if kind in (Kind.FOUNDER, Kind.FOUNDER_STARTED):
        return Founder.objects.filter(
            anonymised_at__isnull=True,
            company__isnull=kind == Kind.FOUNDER,
            created_at__lt=start_of(since),
        ).exclude(contacted_since("founder", since))
    if kind == Kind.CONTACT_LEFT:
        return ContactPerson.objects.filter(anonymised_at__isnull=True, left_on__lt=since)
    if kind == Kind.EVENT_PERSON:
        return event_people_due(since)
    return (
        Company.objects.filter(anonymised_at__isnull=True, created_at__lt=start_of(since))
        .exclude(status=Company.Status.ACTIVE)
        .exclude(contacted_since("company", since))
    )


def event_people_due(since: datetime.date) -> models.QuerySet:
    """Registrations of people without CVR/CPR (not yet anonymised) whose person, known by
    the e-mail given, was at no event on or after ``since``."""
    people = EventParticipant.objects.filter(company__isnull=True, founder__isnull=True).exclude(
        name=anonymise.ANONYMISED
    )
    recent = people.filter(event__date__gte=since, email__iexact=OuterRef("email"))
    return people.filter(event__date__lt=since).exclude(~Q(email="") & Exists(recent))


def candidates(kind: str, today: datetime.date) -> models.QuerySet:
    """What the next run anonymises: the due records no legal hold keeps."""
    rows = due(kind, today)
    if kind == ERASURE:
        return rows.exclude(
            Q(founder__isnull=False) & Q(founder__in=Founder.objects.filter(held(today)))
        )
    if kind in (Kind.FOUNDER, Kind.FOUNDER_STARTED):
        return rows.exclude(held(today))
    return rows


def anonymise_requests(ids) -> int:
    """Carry out waiting requests: anonymise their people (``crm.anonymise`` marks them done)."""
    requests = ErasureRequest.objects.filter(pk__in=ids)
    anonymise.founders(requests.filter(founder__isnull=False).values_list("founder", flat=True))
    anonymise.contacts(requests.filter(contact__isnull=False).values_list("contact", flat=True))
    return requests.filter(done_at__isnull=False).count()


ANONYMISE = {
    ERASURE: anonymise_requests,
    Kind.FOUNDER: anonymise.founders,
    Kind.FOUNDER_STARTED: anonymise.founders,
    Kind.CONTACT_LEFT: anonymise.contacts,
    Kind.CEASED_COMPANY: anonymise.companies,
    Kind.EVENT_PERSON: anonymise.participants,
}


# --- The nightly run -------------------------------------------------------------------------


def lock() -> None:
    """One batch at a time, across processes (beat may send the task twice, a redelivered task
    may meet the first): the rows a batch picks are re-read after the lock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('crm.retention'))")


def current_run() -> AnonymisationRun:
    """The run that stopped halfway, to be resumed, or a new one."""
    with transaction.atomic():
        lock()
        run = AnonymisationRun.objects.filter(finished_at__isnull=True).order_by("pk").first()
        return run or AnonymisationRun.objects.create(phase=PHASES[0])


def do_run_batch(run_id: int, today: datetime.date, size: int) -> AnonymisationRun:
    """Anonymise the next ``size`` candidates of the run's phase, after the last id done, and
    remember how far it got, in one transaction: a worker that dies loses one batch at most,
    and the next run goes on from the last one committed."""
    with transaction.atomic(), pghistory.context(source="retention", run=run_id):
        lock()
        run = AnonymisationRun.objects.select_for_update().get(pk=run_id)
        if run.finished_at:
            return run
        rows = candidates(run.phase, today).filter(pk__gt=run.after_id).order_by("pk")
        ids = list(rows.values_list("pk", flat=True)[:size])
        done = ANONYMISE[run.phase](ids) if ids else 0
        run.counts[run.phase] = run.counts.get(run.phase, 0) + done
        if len(ids) == size:
            run.after_id = ids[-1]
        else:
            following = PHASES[PHASES.index(run.phase) + 1 :]
            run.phase, run.after_id = (following[0] if following else ""), 0
            run.finished_at = None if following else timezone.now()
        run.save()
        return run


def do_run_retention(
    *, today: datetime.date | None = None, size: int = BATCH_SIZE, max_batches: int | None = None
) -> AnonymisationRun:
    """The nightly run: every phase in turn, in batches of ``size`` in id order (resumable,
    see ``do_run_batch``; ``max_batches`` stops early, as a dying worker would). Idempotent:
    anonymised records are no longer candidates, so a second run writes nothing. Logs the
    counts, never a person's data."""
    today = today or timezone.localdate()
    run = current_run()
    batches = 0
    while not run.finished_at:
        if max_batches is not None and batches >= max_batches:
            return run
        run = do_run_batch(run.pk, today, size)
        batches += 1
    logger.info("Anonymisation run %s finished: %s", run.pk, run.counts)
    return run


# --- The dry run -----------------------------------------------------------------------------

MUNICIPALITY = {
    ERASURE: "municipality",
    Kind.FOUNDER: "municipality",
    Kind.FOUNDER_STARTED: "municipality",
    Kind.CONTACT_LEFT: "company__municipality",
    Kind.CEASED_COMPANY: "municipality",
    Kind.EVENT_PERSON: "event__municipality",
}
LABELS = {ERASURE: gettext_lazy("Anmodninger om sletning, der venter"), **dict(Kind.choices)}


@dataclass
class Step:
    kind: str
    label: str
    years: int | None
    counts_from: str
    due: int
    held: int
    examples: list = field(default_factory=list)


def plan(
    today: datetime.date | None = None, *, municipalities=None, user=None, examples: int = 0
) -> list[Step]:
    """What the next run would do (nothing is written): per phase the records it anonymises
    and those a legal hold keeps, in ``municipalities`` (ids) if given, with up to
    ``examples`` of them that ``user`` may see."""
    today = today or timezone.localdate()
    steps = []
    for kind in PHASES:
        rows, place = candidates(kind, today), MUNICIPALITY[kind]
        waiting = due(kind, today).exclude(pk__in=rows.values("pk"))
        if municipalities is not None:
            rows = rows.filter(**{f"{place}__in": municipalities})
            waiting = waiting.filter(**{f"{place}__in": municipalities})
        shown = []
        if examples and user is not None:
            shown = list((rows & rows.model.objects.visible_to(user)).order_by("pk")[:examples])
        steps.append(
            Step(
                kind,
                LABELS[kind],
                None if kind == ERASURE else years(kind),
                COUNTS_FROM.get(kind, ""),
                rows.count(),
                waiting.count(),
                shown,
            )
        )
    return steps


# --- Erasure on request ----------------------------------------------------------------------


def check_can_erase(user, person) -> None:
    municipality = (
        person.municipality if isinstance(person, Founder) else person.company.municipality
    )
    if not has_municipality_perm(user, ERASE, municipality):
        raise NotAllowed(_("Kun ledere kan slette personoplysninger."))
    if isinstance(person, Founder):
        check_sees_details(user, person)
    if person.anonymised_at:
        raise DomainError(_("Personoplysningerne er allerede anonymiseret."))
    if person.erasure_requests.waiting().exists():
        raise DomainError(_("Der er allerede en anmodning om sletning, som venter."))


def check_reason(reason: str) -> None:
    """A reason is kept as the log of the request: why and how it came, not who (the name is
    replaced when the person is anonymised; a CPR number is refused)."""
    if not reason.strip():
        raise DomainError(
            _("Skriv hvorfor oplysningerne slettes, fx hvornår og hvordan personen bad om det.")
        )
    if re.search(r"\d{6}-?\d{4}", reason):
        raise DomainError(_("Skriv ikke et CPR-nummer i begrundelsen."))


@transaction.atomic
def do_request_erasure(user, person, *, reason: str) -> ErasureRequest:
    """Record that ``person`` (a founder or contact person) asked to be erased, and anonymise
    it at once, the same way as the nightly run - unless a legal hold keeps its data: then
    the request waits, and the first nightly run after the hold anonymises it. Side effects:
    ``crm.anonymise`` (uploaded consent forms deleted after commit)."""
    check_can_erase(user, person)
    check_reason(reason)
    founder = isinstance(person, Founder)
    holds = holds_on(person)
    request = ErasureRequest.objects.create(
        **{"founder" if founder else "contact": person},
        municipality=person.municipality if founder else person.company.municipality,
        reason=reason.strip(),
        holds="\n".join(f"{hold.text} ({hold.until:%d.%m.%Y})" for hold in holds),
        requested_by=user,
    )
    if not holds:
        with pghistory.context(source="erasure", erasure=request.pk):
            (anonymise.founders if founder else anonymise.contacts)([person.pk])
        request.refresh_from_db()
    return request
