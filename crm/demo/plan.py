"""What the demo records are drawn from (sizes, one seeded random source, the tenancy and its
staff) and the helpers that spread, validate and insert them."""

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from crm.demo.identifiers import ascii_slug
from crm.demo.operators import HUB_NAME, REGION_CODE, local_service_name
from crm.demo.vocabulary import TOWNS, TRADES
from crm.models import IndustryCode, Membership, Municipality, Operator
from crm.reference import read_rows
from crm.services import do_add_membership


@dataclass(frozen=True)
class DemoSizes:
    """How much the demo holds; the defaults are a year of Region Midtjylland."""

    companies: int = 4000
    founders: int = 400
    sessions: int = 9000
    projects: int = 190
    enrolments: int = 150
    seed: int = 1082


DEMO_STAFF_PER_OPERATOR = 2  # generated colleagues beside the named demo users


@dataclass
class Plan:
    """What the records are drawn from: one seeded random source and the demo's tenancy."""

    rng: random.Random
    fake: object  # faker.Faker (a development dependency, imported when the demo is built)
    today: datetime.date
    municipalities: list[Municipality]
    local: dict[int, Operator]  # municipality id -> its local business service
    hub: Operator
    staff: dict[int, list]  # operator id -> consultants, the likelier first
    staff_weights: dict[int, list[int]]
    industries: list[IndustryCode]
    industry_weights: list[int]
    rural: set[int]  # ids of municipalities typed as rural or peripheral

    def date_within(self, days: int, *, after: datetime.date | None = None) -> datetime.date:
        """A weekday in the ``days`` before today (and not before ``after``)."""
        start = max(self.today - datetime.timedelta(days=days), after or datetime.date.min)
        span = max((self.today - start).days, 0)
        day = start + datetime.timedelta(days=self.rng.randint(0, span))
        return day - datetime.timedelta(days=max(day.weekday() - 4, 0))

    def weighted(self, items, weights):
        return self.rng.choices(items, weights)[0]


def build_plan(sizes: DemoSizes) -> Plan:
    from faker import Faker

    fake = Faker("da_DK")
    fake.seed_instance(sizes.seed)
    municipalities = list(Municipality.objects.filter(region__code=REGION_CODE).order_by("code"))
    typology = {row["code"]: row["typology"] for row in read_rows("municipalities.csv")}
    local = {m.pk: Operator.objects.get(name=local_service_name(m)) for m in municipalities}
    hub = Operator.objects.get(name=HUB_NAME)
    industries = list(IndustryCode.objects.filter(system=IndustryCode.System.DB25))
    plan = Plan(
        rng=random.Random(sizes.seed),
        fake=fake,
        today=timezone.localdate(),
        municipalities=municipalities,
        local=local,
        hub=hub,
        staff={},
        staff_weights={},
        industries=industries,
        industry_weights=[8 if c.code[:2] in TRADES else 1 for c in industries],
        rural={
            m.pk for m in municipalities if typology.get(m.code) in ("landkommune", "yderkommune")
        },
    )
    seed_staff(plan)
    return plan


def seed_staff(plan: Plan) -> None:
    """Consultants for every operator: the named demo users first (they log a large share of
    Viborg's and the hub's sessions), then generated colleagues without a password."""
    users = get_user_model().objects
    named = {
        "Viborgegnens Erhvervsråd": [("konsulent", 40), ("leder", 10)],
        HUB_NAME: [("hubkonsulent", 35), ("visitator", 10)],
    }
    for operator in [*plan.local.values(), plan.hub]:
        people = [(users.get(username=u), w) for u, w in named.get(operator.name, [])]
        for i in range(1, DEMO_STAFF_PER_OPERATOR + 1):
            first, last = plan.fake.first_name(), plan.fake.last_name()
            user, _ = users.get_or_create(
                username=f"demo-{ascii_slug(operator.name)}-{i}",
                defaults={"first_name": first, "last_name": last, "password": make_password(None)},
            )
            do_add_membership(user, operator, Membership.Role.CONSULTANT)
            people.append((user, 25))
        plan.staff[operator.pk] = [user for user, _ in people]
        plan.staff_weights[operator.pk] = [weight for _, weight in people]


def bulk(model, rows: list) -> list:
    return model.objects.bulk_create(rows, batch_size=2000)


def validated(record):
    """Run the field validation the services run (``full_clean``) without its database
    look-ups - foreign keys, uniqueness, constraints - which the bulk insert enforces anyway."""
    relations = [f.name for f in record._meta.concrete_fields if f.is_relation]
    record.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)
    return record


def spread(plan: Plan, items: list) -> list[tuple[object, Municipality]]:
    """Pair every item with a municipality, weighted by population; each gets at least one."""
    weights = [TOWNS[m.code][0] for m in plan.municipalities]
    head = list(zip(items, plan.municipalities, strict=False))
    tail = [(item, plan.weighted(plan.municipalities, weights)) for item in items[len(head) :]]
    return head + tail


def town(plan: Plan, municipality: Municipality) -> tuple[str, str]:
    towns = TOWNS[municipality.code][1]
    return towns[0] if plan.rng.random() < 0.5 else plan.rng.choice(towns)
