"""Referral use cases: send, accept, decline, withdraw, mark contacted, complete, assign,
record uptake, and the deadline scan. Each state change is one ReferralEvent; notifications
are inbox rows now and e-mails after commit (crm.notifications).

The changes of state and who makes them are the state table (referrals.models). A change
reads the referral again under a row lock and writes the new state only over the state it
leaves: of two people clicking "accept" at once, one accepts, the other is told (Conflict)."""

import datetime

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.concurrency import Conflict, guarded_update, lock
from crm.models import Membership, Operator
from crm.notifications import Message, do_notify
from crm.services import (
    DomainError,
    NotAllowed,
    check_can_change,
    has_consent,
    subject_fields,
)
from referrals import calendar
from referrals.models import OPEN_STATES, Adviser, Referral, ReferralEvent
from referrals.permissions import can_act_as_sender, can_triage, is_member, may_make

State = Referral.State


def referral_url(referral: Referral) -> str:
    return reverse("referral-detail", args=[referral.pk])


def members(operator: Operator, *roles: str):
    return (
        get_user_model()
        .objects.filter(memberships__operator=operator, memberships__role__in=roles, is_active=True)
        .distinct()
    )


def transition(user, referral: Referral, to_state: str, *, note: str = "") -> Referral:
    """Move ``referral`` to ``to_state`` if the state table and the user's party allow it,
    under a row lock (call it inside a transaction); one ReferralEvent. A user who could
    never make this kind of change is refused (NotAllowed) before the state is judged; a
    state the change cannot leave is a Conflict: somebody else moved the referral first, or
    the page was old. Side effect: ``referral`` holds its row as stored now."""
    kinds = [c for c in referral.changes if c.target == to_state]
    if not any(may_make(user, referral, change) for change in kinds):
        raise NotAllowed(_("Du kan ikke ændre denne henvisning."))
    seen = referral.state
    lock(referral)
    change = referral.change_to(to_state)
    if change is None:
        raise Conflict(refusal(referral, seen, to_state))
    if not may_make(user, referral, change):
        raise NotAllowed(_("Du kan ikke ændre denne henvisning."))
    from_state = referral.state
    guarded_update(referral, {"state": from_state}, state=to_state)
    ReferralEvent.objects.create(
        referral=referral, from_state=from_state, to_state=to_state, by=user, note=note
    )
    return referral


def refusal(referral: Referral, seen: str, to_state: str) -> str:
    names = {"from": State(referral.state).label, "to": State(to_state).label}
    message = _("En henvisning kan ikke gå fra “%(from)s” til “%(to)s”.") % names
    if referral.state == seen:
        return message
    meanwhile = _("En anden har ændret henvisningen til “%(from)s” i mellemtiden.") % names
    return f"{meanwhile} {message}"


@transaction.atomic
def send_referral(
    user,
    subject,
    *,
    sender_operator: Operator,
    target_operator=None,
    target_adviser: Adviser | None = None,
    reason: str,
    themes=(),
    after_screening: bool = False,
) -> Referral:
    """Refer a company or founder. Sharing with another operator needs the subject's consent.
    Side effects: a hub's deadline (two working days); the receiver's triage staff notified."""
    check_can_change(user, subject.municipality)
    if not is_member(user, sender_operator):
        raise DomainError(_("Du kan kun henvise fra din egen operatør."))
    if (target_operator is None) == (target_adviser is None):
        raise DomainError(_("Vælg enten en operatør eller en ekstern rådgiver."))
    if target_operator is not None:
        check_target_operator(subject, sender_operator, target_operator)
    if target_adviser is not None and not target_adviser.active:
        raise DomainError(_("Rådgiveren er ikke længere aktiv i registret."))
    now = timezone.now()
    is_hub = target_operator is not None and target_operator.kind == Operator.Kind.HUB
    referral = Referral.objects.create(
        **subject_fields(subject),
        municipality=subject.municipality,
        sender_operator=sender_operator,
        sent_by=user,
        target_operator=target_operator,
        target_adviser=target_adviser,
        reason=reason,
        themes=list(themes),
        after_screening=after_screening,
        sent_at=now,
        due_on=calendar.due_date(timezone.localdate(now)) if is_hub else None,
    )
    ReferralEvent.objects.create(referral=referral, to_state=State.SENT, by=user)
    if target_operator is not None:
        do_notify(
            members(target_operator, Membership.Role.TRIAGE),
            Message(
                "referral_new",
                f"referral-new:{referral.pk}",
                _("Ny henvisning fra %(sender)s") % {"sender": sender_operator},
                referral.reason,
                referral_url(referral),
            ),
        )
    return referral


TARGET_KINDS = [Operator.Kind.HUB, Operator.Kind.FOCUSED]


def check_target_operator(subject, sender_operator: Operator, target: Operator) -> None:
    if not target.active or target.pk == sender_operator.pk or target.kind not in TARGET_KINDS:
        raise DomainError(_("Henvis til et aktivt erhvervshus eller en fokuseret erhvervsservice."))
    if not target.municipalities.filter(pk=subject.municipality_id).exists():
        raise DomainError(
            _("%(target)s dækker ikke %(municipality)s.")
            % {"target": target, "municipality": subject.municipality}
        )
    if not has_consent(subject, target):
        raise DomainError(
            _(
                "%(name)s har ikke givet samtykke til at dele sine oplysninger med %(target)s. "
                "Registrér samtykket på siden for %(name)s (“Registrér samtykke”) og henvis "
                "derefter igen."
            )
            % {"name": subject.name, "target": target}
        )


@transaction.atomic
def accept_referral(user, referral: Referral, *, assignee=None) -> Referral:
    """Accept and assign (to ``user`` unless a colleague is named). Notifies the sender."""
    transition(user, referral, State.ACCEPTED)
    assignee = assignee or user
    if not is_member(assignee, referral.target_operator):
        raise DomainError(
            _("Den ansvarlige skal være ansat hos %(operator)s.")
            % {"operator": referral.target_operator}
        )
    referral.assignee = assignee
    referral.save(update_fields=["assignee"])
    do_notify(
        [referral.sent_by],
        Message(
            "referral_accepted",
            f"referral-accepted:{referral.pk}",
            _("%(target)s har accepteret henvisningen af %(name)s")
            % {"target": referral.target_operator, "name": referral.subject.name},
            url=referral_url(referral),
        ),
    )
    return referral


@transaction.atomic
def decline_referral(user, referral: Referral, *, reason: str) -> Referral:
    """Decline with a reason, back to the sender (notified)."""
    if not reason.strip():
        raise DomainError(_("Skriv hvorfor henvisningen afvises."))
    transition(user, referral, State.DECLINED, note=reason)
    referral.decline_reason = reason
    referral.save(update_fields=["decline_reason"])
    do_notify(
        [referral.sent_by],
        Message(
            "referral_declined",
            f"referral-declined:{referral.pk}",
            _("%(target)s har afvist henvisningen af %(name)s")
            % {"target": referral.target, "name": referral.subject.name},
            reason,
            referral_url(referral),
        ),
    )
    return referral


@transaction.atomic
def assign_referral(user, referral: Referral, *, assignee) -> Referral:
    if not can_triage(user, referral):
        raise NotAllowed(_("Kun visitatorer kan fordele henvisninger."))
    lock(referral)
    if referral.is_finished:
        raise Conflict(_("En afsluttet henvisning kan ikke fordeles."))
    if not is_member(assignee, referral.target_operator):
        raise DomainError(
            _("Den ansvarlige skal være ansat hos %(operator)s.")
            % {"operator": referral.target_operator}
        )
    referral.assignee = assignee
    referral.save(update_fields=["assignee"])
    ReferralEvent.objects.create(
        referral=referral,
        from_state=referral.state,
        to_state=referral.state,
        by=user,
        note=_("Fordelt til %(name)s") % {"name": assignee},
    )
    return referral


@transaction.atomic
def mark_contacted(user, referral: Referral) -> Referral:
    """The receiver has contacted the company: this stops the deadline clock."""
    transition(user, referral, State.CONTACTED)
    referral.contacted_at = timezone.now()
    if referral.target_operator_id and referral.assignee_id is None:
        referral.assignee = user
    referral.save(update_fields=["contacted_at", "assignee"])
    return referral


@transaction.atomic
def complete_referral(user, referral: Referral) -> Referral:
    return transition(user, referral, State.COMPLETED)


@transaction.atomic
def withdraw_referral(user, referral: Referral) -> Referral:
    return transition(user, referral, State.WITHDRAWN)


@transaction.atomic
def record_uptake(
    user, referral: Referral, *, uptake: str, source: str = Referral.UptakeSource.CONSULTANT
) -> Referral:
    """The national evaluation's question: did the company use the external advice?"""
    if referral.target_adviser_id is None:
        raise DomainError(
            _("Brug af rådgivning registreres kun for henvisninger til eksterne rådgivere.")
        )
    if source == Referral.UptakeSource.CONSULTANT and not can_act_as_sender(user, referral):
        raise NotAllowed(_("Kun afsenderen kan registrere brugen af rådgivningen."))
    lock(referral)
    if referral.state == State.WITHDRAWN:
        raise Conflict(_("Henvisningen er trukket tilbage."))
    referral.uptake, referral.uptake_source = uptake, source
    referral.uptake_recorded_at = timezone.now()
    referral.save(update_fields=["uptake", "uptake_source", "uptake_recorded_at"])
    return referral


def do_record_uptakes(uptakes: dict[int, str], *, source: str) -> int:
    """``record_uptake`` for many referrals in one UPDATE (the evaluation import): referral
    id -> uptake. Writes what ``record_uptake`` writes (uptake, source, when; the history
    trigger records each row) but refuses nothing: a referral that is not to an external
    adviser, is withdrawn or already has an uptake (also one given while the import ran) is
    skipped. The caller checks who may record. Returns how many referrals were recorded."""
    if not uptakes:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE referrals_referral AS r"
            " SET uptake = v.uptake, uptake_source = %s, uptake_recorded_at = %s"
            " FROM unnest(%s::bigint[], %s::text[]) AS v(id, uptake)"
            " WHERE r.id = v.id AND r.target_adviser_id IS NOT NULL AND r.uptake = ''"
            " AND r.state <> %s",
            [source, timezone.now(), list(uptakes), list(uptakes.values()), State.WITHDRAWN],
        )
        return cursor.rowcount


def deadline_recipients(referral: Referral):
    managers = list(members(referral.target_operator, Membership.Role.MANAGER))
    first = (
        [referral.assignee]
        if referral.assignee
        else list(members(referral.target_operator, Membership.Role.TRIAGE))
    )
    return first + managers


def scan_deadlines(today: datetime.date) -> int:
    """Notify about hub referrals due today and those past their deadline, once each.
    Running it again the same day (or after a retry) changes nothing."""
    notified = 0
    open_referrals = Referral.objects.filter(
        state__in=OPEN_STATES, due_on__isnull=False, due_on__lte=today
    ).select_related("target_operator", "assignee", "company", "founder")
    for referral in open_referrals:
        missed = referral.due_on < today
        kind = "deadline_missed" if missed else "deadline_soon"
        title = (
            _("Fristen for henvisningen af %(name)s er overskredet")
            if missed
            else _("Fristen for henvisningen af %(name)s udløber i dag")
        )
        with transaction.atomic():
            notified += len(
                do_notify(
                    deadline_recipients(referral),
                    Message(
                        kind,
                        f"{kind}:{referral.pk}",
                        title % {"name": referral.subject.name},
                        url=referral_url(referral),
                    ),
                )
            )
    return notified
