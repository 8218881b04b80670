from django.db.models import QuerySet

from crm.models import Municipality
from crm.services import operators_of
from referrals.models import OPEN_STATES, Referral


def referrals_visible_to(user) -> QuerySet:
    return Referral.objects.visible_to(user).select_related(
        "company",
        "founder",
        "municipality",
        "sender_operator",
        "target_operator",
        "target_adviser",
        "assignee",
        "sent_by",
    )


def triage_queue(user, *, municipality=None, theme=None, states=None) -> QuerySet:
    """Referrals to the user's operators in municipalities where the user triages, oldest
    deadline first; by default those still waiting to be contacted."""
    triaged = Municipality.objects.for_user(user, "triage_referrals").values("pk")
    queue = referrals_visible_to(user).filter(
        target_operator__in=operators_of(user).values("pk"),
        municipality__in=triaged,
        state__in=states or OPEN_STATES,
    )
    if municipality:
        queue = queue.filter(municipality=municipality)
    if theme:
        queue = queue.filter(themes__contains=[theme])
    return queue.order_by("due_on", "sent_at", "pk")


def sent_by_operators_of(user) -> QuerySet:
    return (
        referrals_visible_to(user)
        .filter(sender_operator__in=operators_of(user).values("pk"))
        .order_by("-sent_at")
    )
