"""Who may act on a referral: the receiving operator's triage staff, its assignee, and the
sending operator's consultants."""

from crm.permissions import has_municipality_perm
from crm.services import operators_of


def is_member(user, operator) -> bool:
    return operator is not None and operators_of(user).filter(pk=operator.pk).exists()


def can_triage(user, referral) -> bool:
    return is_member(user, referral.target_operator) and has_municipality_perm(
        user, "triage_referrals", referral.municipality
    )


def can_work(user, referral) -> bool:
    """Triage staff, or the colleague the referral is assigned to."""
    return can_triage(user, referral) or (
        referral.assignee_id == user.pk and is_member(user, referral.target_operator)
    )


def can_act_as_sender(user, referral) -> bool:
    return is_member(user, referral.sender_operator) and has_municipality_perm(
        user, "change_records", referral.municipality
    )


# The parties of the state table (referrals.models.Change.party).
PARTY_CHECKS = {"target": can_triage, "worker": can_work, "sender": can_act_as_sender}


def parties_of(user, referral) -> set[str]:
    """The parties ``user`` is to ``referral``: what the state table lets it change."""
    return {party for party, check in PARTY_CHECKS.items() if check(user, referral)}


def may_make(user, referral, change) -> bool:
    return PARTY_CHECKS[change.party](user, referral)
