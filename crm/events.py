"""Use cases of events and group activities: create and correct an event, register its
participants before it, mark who came after it, and make a participant without CVR or CPR a
founder or a company record without typing it again.

An event is run by its organiser (an operator of the user) and its partners; only their staff,
with ``change_records`` in the event's municipality, change it or its participants.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import concurrency, cpr, services
from crm.models import Company, Event, EventParticipant, Founder
from crm.models.subjects import operator_ids_of
from crm.services import DomainError, NotAllowed, check_can_change, check_fixed, operators_of


def runs_event(user, event: Event) -> bool:
    """One of the user's operators is the event's organiser or one of its partners."""
    ids = operator_ids_of(user)
    return event.operator_id in ids or event.partners.filter(pk__in=ids).exists()


def check_can_run_event(user, event: Event) -> None:
    """Changing an event or its participants: ``change_records`` in its municipality, and
    staff of its organiser or partners (others answer 403)."""
    check_can_change(user, event.municipality)
    if not runs_event(user, event):
        raise NotAllowed(
            _("Kun %(operator)s og medarrangørerne kan rette arrangementet og dets deltagere.")
            % {"operator": event.operator}
        )


def check_own_operator(user, operator) -> None:
    if not operators_of(user).filter(pk=operator.pk).exists():
        raise DomainError(_("Du kan kun oprette arrangementer for din egen operatør."))


@transaction.atomic
def do_create_event(user, *, operator, partners=(), **fields) -> Event:
    """Register an event run by ``operator`` (one of the user's) in a municipality where the
    user may register, with the other operators that run it with it (``partners``)."""
    check_can_change(user, fields["municipality"])
    check_own_operator(user, operator)
    event = Event(operator=operator, created_by=user, **fields)
    event.full_clean()
    event.save()
    event.partners.set([p for p in partners if p.pk != operator.pk])
    return event


@transaction.atomic
def do_update_event(user, event: Event, *, partners=None, version: str = "", **fields) -> Event:
    """Correct an event; its organiser and municipality stay (its participants are scoped by
    it). Under a row lock; a change based on another ``version`` is refused (StaleRecord)."""
    concurrency.lock(event)
    check_can_run_event(user, event)
    concurrency.check_version(event, version)
    check_fixed(event, fields, ["operator", "municipality"])
    for name, value in fields.items():
        setattr(event, name, value)
    event.full_clean()
    event.save(update_fields=list(fields))
    if partners is not None:
        event.partners.set([p for p in partners if p.pk != event.operator_id])
    return event


def already_registered(event: Event, *, company=None, founder=None, email="") -> bool:
    rows = event.participants.all()
    if company is not None:
        return rows.filter(company=company).exists()
    if founder is not None:
        return rows.filter(founder=founder).exists()
    return bool(email) and rows.filter(email__iexact=email).exists()


@transaction.atomic
def do_register_participant(
    user,
    event: Event,
    *,
    company=None,
    founder=None,
    name="",
    email="",
    municipality=None,
    sex="",
    age_band="",
    born_abroad=None,
) -> EventParticipant:
    """Register a company, a founder or a person with neither (a name, an e-mail if given and
    a municipality; sex, age band and born abroad if the person gives them, for a programme's
    breakdowns) for the event. A company or founder takes part from its own municipality.
    Refuses one registered already (the event's row is locked, so two registrations of the
    same participant at once queue and the second is refused)."""
    concurrency.lock(event)
    check_can_run_event(user, event)
    if company is not None and founder is not None:
        raise DomainError(_("En deltager er en virksomhed eller en iværksætter, ikke begge."))
    subject = company or founder
    if subject is not None:  # its record holds who it is
        name, email, municipality = "", "", subject.municipality
        sex, age_band, born_abroad = "", "", None
    if already_registered(event, company=company, founder=founder, email=email):
        shown = subject.name if subject else name
        raise DomainError(_("%(name)s er allerede tilmeldt arrangementet.") % {"name": shown})
    participant = EventParticipant(
        event=event,
        company=company,
        founder=founder,
        name=name.strip(),
        email=email,
        municipality=municipality,
        sex=sex,
        age_band=age_band,
        born_abroad=born_abroad,
        registered_by=user,
    )
    participant.full_clean()
    participant.save()
    return participant


@transaction.atomic
def do_mark_attendance(user, event: Event, *, present) -> int:
    """Mark who came: the participants in ``present`` present, the event's other
    participants absent. From the event's day on. Returns how many rows changed."""
    concurrency.lock(event)
    check_can_run_event(user, event)
    if event.date > timezone.localdate():
        raise DomainError(_("Fremmøde kan først registreres på arrangementets dato."))
    ids = {participant.pk for participant in present}
    rows = event.participants.all()
    if rows.filter(pk__in=ids).count() != len(ids):
        raise DomainError(_("Kun arrangementets egne deltagere kan markeres som mødt."))
    came = rows.filter(pk__in=ids).exclude(attended=True).update(attended=True)
    away = rows.exclude(pk__in=ids).exclude(attended=False).update(attended=False)
    return came + away


def check_is_person(user, participant: EventParticipant) -> None:
    check_can_run_event(user, participant.event)
    if participant.kind != EventParticipant.Kind.PERSON:
        raise DomainError(
            _("Deltageren er allerede knyttet til %(name)s.") % {"name": participant.subject.name}
        )


def link_participant(participant: EventParticipant, subject) -> None:
    """The participation is the record's from now on; the typed name and e-mail go (the
    record holds them), the municipality becomes the record's. Sex and age band follow from a
    founder's CPR number from now on; born abroad moves to the founder unless it holds its
    own."""
    participant.company = subject if isinstance(subject, Company) else None
    participant.founder = subject if isinstance(subject, Founder) else None
    participant.name, participant.email = "", ""
    participant.municipality = subject.municipality
    if isinstance(subject, Founder) and subject.born_abroad is None:  # what the person gave
        Founder.objects.filter(pk=subject.pk).update(born_abroad=participant.born_abroad)
    participant.sex, participant.age_band, participant.born_abroad = "", "", None
    fields = ["company", "founder", "name", "email", "municipality", "sex", "age_band"]
    participant.save(update_fields=[*fields, "born_abroad"])


def changeable(user, model, **lookup):
    """The record matching ``lookup`` if the user may change it, else None."""
    return model.objects.visible_to(user, "change_records").filter(**lookup).first()


@transaction.atomic
def do_make_founder_from_participant(
    user, participant: EventParticipant, *, cpr_number: str, **fields
) -> tuple[Founder, bool]:
    """A person who took part becomes a founder record (``services.do_create_founder``: the
    CPR number encrypted, hashed and masked) and the participation is linked to it. A founder
    already registered with that CPR number in the user's municipalities is linked instead
    (the second value is False then). Refuses a participant that is a record already."""
    concurrency.lock(participant)
    check_is_person(user, participant)
    lookup = cpr.lookup_hash(cpr.clean_cpr(cpr_number))
    founder = changeable(user, Founder, cpr_hash=lookup)
    created = founder is None
    if created:
        founder = services.do_create_founder(user, cpr_number=cpr_number, **fields)
    link_participant(participant, founder)
    return founder, created


@transaction.atomic
def do_make_company_from_participant(
    user, participant: EventParticipant, **fields
) -> tuple[Company, bool]:
    """A person who took part becomes a company record (``services.do_create_company``) and
    the participation is linked to it; a company already registered with that CVR number in
    the user's municipalities is linked instead (the second value is False then)."""
    concurrency.lock(participant)
    check_is_person(user, participant)
    company = changeable(user, Company, cvr=fields.get("cvr", ""))
    created = company is None
    if created:
        company = services.do_create_company(user, **fields)
    link_participant(participant, company)
    return company, created
