"""The agreements of the source documents as demo contracts (seeds 000, 001, 002, 004), and
the demo activity they are measured on (see ``contracts.demo.activity``).

Goals that the CRM cannot compute (awareness surveys, control-group growth, jobs) are
milestones or externally reported values with their source, and the page says so.
"""

import datetime
import random
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from contracts.demo.activity import (
    SYD_HUB,
    Activity,
    ActivitySizes,
    hub_staff,
    mark_demo_rural,
    syd_companies,
    syd_referrals,
    syd_sessions,
)
from contracts.demo.agreements import (
    RURAL_PROGRAMME,
    current_contracts,
    programme_2010,
    syddanmark_2022,
    viborg_2014,
)
from contracts.demo.eu_programme import eu_programme_2015
from contracts.demo.evaluations import seed_midtjylland_evaluations, syd_evaluations
from crm.demo.identifiers import demo_cvrs
from crm.models import Company, Membership, Municipality, Operator
from crm.services import do_add_membership

__all__ = ["ActivitySizes", "seed_contracts"]

D = datetime.date


def seed_syddanmark_activity(sizes: ActivitySizes) -> dict[str, int]:
    """Erhvervshus Sydjylland's companies, specialised guidance in 2021-2022, evaluation
    answers and referrals to advisers in 2022 - once (skipped when its first demo companies
    are registered)."""
    cvrs = demo_cvrs(sizes.companies, sizes.seed)
    if Company.objects.filter(cvr__in=cvrs[:20]).exists():
        return {}
    hub = Operator.objects.get(name=SYD_HUB)
    municipalities = list(hub.municipalities.order_by("code"))
    mark_demo_rural(municipalities)
    activity = Activity(random.Random(sizes.seed), hub, hub_staff(hub), sizes)
    taken = set(Company.objects.filter(cvr__in=cvrs).values_list("cvr", flat=True))
    companies = syd_companies(activity, [c for c in cvrs if c not in taken], municipalities)
    sessions = syd_sessions(activity, companies)
    guided_2022 = [s for s in sessions if s.date.year == 2022 and s.kind == "full"]
    syd_evaluations(activity, guided_2022, D(2022, 12, 31))
    syd_referrals(activity, guided_2022)
    return activity.created


@transaction.atomic
def seed_contracts(activity: ActivitySizes | None = None) -> list[tuple[str, str, str]]:
    """Create the three demo contracts of the seeds, two current ones over the demo's year,
    the activity they are measured on (all idempotent) and a KKR Syddanmark reader; returns
    the new login (user name, password, operator)."""
    midt = Municipality.objects.filter(name__in=RURAL_PROGRAMME)
    programme_2010(midt)
    viborg_2014(Municipality.objects.get(name="Viborg"))
    eu_programme_2015()
    syd = syddanmark_2022()
    seed_syddanmark_activity(activity or ActivitySizes())
    current_contracts(timezone.localdate())
    seed_midtjylland_evaluations()
    user, _ = get_user_model().objects.get_or_create(
        username="kkrsyd",
        defaults={"first_name": "Sofie", "last_name": "Syd", "email": "kkrsyd@demo.knudepunkt.dk"},
    )
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.save()
    do_add_membership(user, syd.oversight, Membership.Role.VIEWER)
    return [("kkrsyd", password, syd.oversight.name)]
