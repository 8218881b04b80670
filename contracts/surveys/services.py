"""The survey's use cases: the link's token, answering, and unsubscribing.

The link carries a random token and nothing else; only its SHA-256 digest is stored, so the
database alone cannot rebuild a link. The reminder carries a new token (``sending``); the
first e-mail's token stays valid beside it (``previous_token_hash``), so whichever e-mail the
recipient opens works, once.
"""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.evaluations import REFERRAL_WINDOW_DAYS
from contracts.models import Evaluation
from contracts.surveys.models import SurveyInvitation
from crm.models import ContactPerson, Founder
from crm.services import DomainError, NotAllowed, operators_of
from referrals.models import Referral
from referrals.services import do_record_uptakes


class LinkRefused(DomainError):
    """The link was answered, declined or has expired (``status`` 410), or never existed
    (404); the message says which."""

    def __init__(self, message: str, status: int = 410):
        super().__init__(message)
        self.status = status


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A link's token (e-mailed, never stored) and its digest (stored)."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def invitation_for_token(token: str, *, lock: bool = False) -> SurveyInvitation:
    """The invitation a link opens; refuses an unknown, answered, declined or expired one."""
    hashed = digest(token)
    rows = SurveyInvitation.objects.select_related("operator", "session", "referral", "company")
    if lock:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(Q(token_hash=hashed) | Q(previous_token_hash=hashed)).first()
    if invitation is None or invitation.sent_at is None:
        raise LinkRefused(_("Linket findes ikke."), status=404)
    if invitation.answered_at is not None:
        raise LinkRefused(_("Du har allerede svaret. Tak for din hjælp."))
    if invitation.declined_at is not None:
        raise LinkRefused(_("Du har frabedt dig spørgeskemaer om vejledningen."))
    if invitation.expires_at is None or invitation.expires_at <= timezone.now():
        raise LinkRefused(_("Linket er udløbet."))
    return invitation


def uptake_referral(invitation: SurveyInvitation) -> Referral | None:
    """The referral the "referral used" question is about, as the national evaluation's
    import matches it (``contracts.evaluations.record_evaluation_uptake``): the subject's
    newest referral to an external adviser, sent by the evaluated operator at most
    ``REFERRAL_WINDOW_DAYS`` before today, not withdrawn and without a recorded uptake.
    None: the question is not asked."""
    if invitation.founder_id:
        subject = Q(founder=invitation.founder_id)
    elif invitation.company_id:
        subject = Q(company=invitation.company_id)
    else:
        return None
    earliest = timezone.localdate() - datetime.timedelta(days=REFERRAL_WINDOW_DAYS)
    return (
        Referral.objects.filter(
            subject,
            sender_operator=invitation.operator_id,
            target_adviser__isnull=False,
            uptake="",
            sent_at__date__gte=earliest,
        )
        .exclude(state=Referral.State.WITHDRAWN)
        .order_by("-sent_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class Answer:
    satisfaction: str
    nps: int | None
    effect: str
    referral_used: str = ""
    comment: str = ""
    keep_identity: bool = False  # "Mit svar må gemmes sammen med min virksomhed/mit navn"


def check_not_evaluated_staff(user, invitation: SurveyInvitation) -> None:
    """The evaluated operator's own staff cannot answer for the subject."""
    if user is None or not user.is_authenticated:
        return
    if operators_of(user).filter(pk=invitation.operator_id).exists():
        raise NotAllowed(_("Spørgeskemaet skal besvares af virksomheden eller iværksætteren."))


@transaction.atomic
def do_answer(token: str, answer: Answer, *, user=None) -> Evaluation:
    """Record the answer behind the link, once. Side effects: an ``Evaluation`` of origin
    "own" (with the session, company or founder only when ``keep_identity``, else anonymous:
    operator, municipality, segment and themes); the invitation answered, its e-mail address
    blanked and (only when identified) linked to the answer; a "referral used" answer of an
    identified subject recorded as the referral's uptake, as the national import does. The
    invitation row is locked: two submits at once give one answer, the second is refused."""
    invitation = invitation_for_token(token, lock=True)
    check_not_evaluated_staff(user, invitation)
    referral = uptake_referral(invitation) if answer.referral_used else None
    evaluation = Evaluation.objects.create(
        **identity(invitation, answer.keep_identity),
        operator_id=invitation.operator_id,
        municipality_id=invitation.municipality_id,
        answered_on=timezone.localdate(),
        segment=invitation.company.segment if invitation.company else "",
        themes=themes_of(invitation),
        satisfaction=answer.satisfaction,
        nps=answer.nps,
        effect=answer.effect,
        referral_used=answer.referral_used if referral else "",
        comment=answer.comment.strip(),
        origin=Evaluation.Origin.OWN,
        source=_("Egen brugerundersøgelse"),
    )
    if referral is not None and answer.keep_identity:
        do_record_uptakes(
            {referral.pk: answer.referral_used}, source=Referral.UptakeSource.EVALUATION
        )
    invitation.answered_at = timezone.now()
    invitation.recipient_email = ""
    invitation.evaluation = evaluation if answer.keep_identity else None
    invitation.save(update_fields=["answered_at", "recipient_email", "evaluation"])
    return evaluation


def identity(invitation: SurveyInvitation, keep: bool) -> dict:
    """The answer's links to its subject: only where the subject agreed. An anonymous answer
    is not linked to the session either (the session names its subject)."""
    if not keep:
        return {}
    return {
        "company_id": invitation.company_id,
        "founder_id": invitation.founder_id,
        "session_id": invitation.session_id,
    }


def themes_of(invitation: SurveyInvitation) -> list[str]:
    if invitation.session is not None:
        return list(invitation.session.themes)
    return list(invitation.referral.themes) if invitation.referral is not None else []


@transaction.atomic
def do_unsubscribe(token: str) -> SurveyInvitation:
    """The e-mail's "no more surveys" link: the recipient (the contact person, or the
    founder) no longer consents to surveys, and the invitation ends (its address blanked)."""
    invitation = invitation_for_token(token, lock=True)
    if invitation.contact_id:
        ContactPerson.objects.filter(pk=invitation.contact_id).update(survey_consent=False)
    elif invitation.founder_id:
        Founder.objects.filter(pk=invitation.founder_id).update(survey_consent=False)
    invitation.declined_at = timezone.now()
    invitation.recipient_email = ""
    invitation.save(update_fields=["declined_at", "recipient_email"])
    return invitation
