from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.models import Municipality, Operator
from crm.services import operators_of
from referrals.models import OPEN_STATES, Adviser, Referral

# Whom a referral went to, as referral goals count it (contracts.indicators, the rows pages).
REFERRAL_TARGET_LABELS = (
    ("hub", _("et erhvervshus")),
    ("home_hub", _("kommunens eget erhvervshus (væksthus)")),
    ("operator", _("en anden operatør")),
    ("adviser", _("ekstern viden (rådgivere, videninstitutioner m.fl.)")),
    ("design", _("designøkosystemet")),
    ("funding", _("finansiering (fx LAG)")),
)
REFERRAL_TARGETS = {
    "hub": Q(target_operator__kind=Operator.Kind.HUB),
    # Seed 000: "til Væksthus Midtjylland": the hub of the subject's municipality, not another.
    "home_hub": Q(target_operator=F("municipality__hub")),
    "operator": Q(target_operator__isnull=False),
    "adviser": Q(target_adviser__isnull=False),
    "design": Q(target_adviser__kind=Adviser.Kind.DESIGN),
    "funding": Q(target_adviser__kind=Adviser.Kind.FUNDING),
}


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


def history_rows(field: str, pk: int, reader) -> Q:
    """The events of the subject's referrals (``crm.audit.history``) that the reader's
    operators sent or received: their staff see the referral, as ``visible_to``."""
    ids = reader.operator_ids
    parties = Q(sender_operator_id__in=ids) | Q(target_operator_id__in=ids)
    return Q(**{f"{field}_id": pk}) & parties


def history_name(referral: Referral) -> str:
    """A referral in its subject's history is named by its receiver (the subject is the
    page's own)."""
    return str(referral.target)


def triage_queue(user, *, municipality=None, theme=None, states=None) -> QuerySet:
    """Referrals to the user's operators in municipalities where the user triages, oldest
    deadline first; by default those still waiting to be contacted."""
    triaged = Municipality.objects.ids_for(user, "triage_referrals")
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
        .order_by("-sent_at", "-pk")
    )
