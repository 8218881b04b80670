"""Demo referrals for Region Midtjylland (make run, after ``seed_demo``): a year of referrals
from the local business services to Erhvervshus Midtjylland and to a small register of
external advisers, in every state, with the events, deadlines and uptake answers that the
services in ``referrals.services`` would have recorded.

Each referral follows a full local guidance session of the crm demo: the consultant who logged
it sends it a day or two later. Sharing with the hub needs the subject's consent, so where no
consent covers the hub on the day, one is recorded first (as the refusal message asks the
consultant to). A few referrals to the hub are left open around their deadline - due today or
overdue - so the demo triage user "visitator" has something urgent in the queue.

Rows are bulk-inserted and drawn from one seed. A second run finds the demo staff's referrals
and creates nothing (the adviser register is completed either way).
"""

import datetime
import random

import pghistory
from django.db import transaction
from django.utils import timezone

from crm.demo import HUB_NAME, REGION_CODE, local_service_name
from crm.models import GuidanceSession, Membership, Municipality, Operator
from referrals.demo.advisers import adviser_drafts, seed_advisers
from referrals.demo.consents import seed_hub_consents
from referrals.demo.drafts import Setting, insert
from referrals.demo.hub import hub_drafts
from referrals.models import Referral

__all__ = ["seed_referrals"]

DEMO_STAFF_PREFIX = "demo-"  # crm.demo's generated colleagues: they only act through seeding


@transaction.atomic
def seed_referrals(*, rng_seed: int = 1082, hub: int = 650, advisers: int = 500) -> dict:
    """About ``hub`` referrals to Erhvervshus Midtjylland and ``advisers`` to external advisers
    over the last year, unless the demo's referrals exist. Returns how many rows of each kind
    were created (empty when skipped or when the crm demo is missing)."""
    register = seed_advisers()
    local = Operator.objects.filter(
        name__in=[
            local_service_name(m) for m in Municipality.objects.filter(region__code=REGION_CODE)
        ]
    )
    already = Referral.objects.filter(
        sender_operator__in=local, sent_by__username__startswith=DEMO_STAFF_PREFIX
    )
    setting = build_setting(random.Random(rng_seed))
    sessions = local_sessions(local, setting.today) if setting else []
    if already.exists() or not sessions:
        return {}
    with pghistory.context(source="seed_referrals"):
        drafts = hub_drafts(setting, sessions, hub) + adviser_drafts(
            setting, sessions, advisers, register
        )
        consents = seed_hub_consents(setting, [d for d in drafts if d.referral.target_operator_id])
        events = insert(drafts)
    return {"referrals": len(drafts), "events": events, "consents": consents}


def build_setting(rng: random.Random) -> Setting | None:
    hub = Operator.objects.get(name=HUB_NAME)
    staff = list(
        Membership.objects.filter(operator=hub, user__is_active=True)
        .order_by("user__username")
        .values_list("user_id", "user__username", "role")
    )
    names = {uid: name for uid, name, _ in staff}
    triage = [uid for uid, _, role in staff if role == Membership.Role.TRIAGE]
    triage.sort(key=lambda uid: names[uid] != "visitator")  # she takes the demo's calls
    workers = list(names)
    if not triage:
        return None
    now = timezone.now()
    return Setting(
        rng=rng,
        now=now,
        today=timezone.localdate(now),
        hub=hub,
        triage=triage,
        workers=workers,
        worker_weights=[40 if names[uid] == "hubkonsulent" else 20 for uid in workers],
    )


def local_sessions(local, today: datetime.date) -> list[dict]:
    """The full local guidance sessions of the crm demo before today, oldest first."""
    return list(
        GuidanceSession.objects.filter(
            operator__in=local, kind=GuidanceSession.Kind.FULL, date__lt=today
        )
        .order_by("date", "pk")
        .values(
            "company_id",
            "founder_id",
            "municipality_id",
            "municipality__code",
            "operator_id",
            "created_by_id",
            "date",
            "themes",
            "screening_done",
            "content",
            "company__growth_potential",
        )
    )
