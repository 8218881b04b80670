"""National volume for the attainment job and the annual report (``python -m bench attainment``).

Over the companies that ``bench.load`` put in, this loads with COPY (``bench.load.copy_table``):
founders, guidance sessions, referrals and user-evaluation answers in 2021-2022 across all 98
municipalities, and one 2022 performance contract per hub with the KKR Syddanmark goal set (the
Sydjylland one is ``contracts.demo.agreements.syddanmark_2022`` itself). Each municipality gets
a local business service with staff beside its hub. 2021 is there for goal 1 ("new compared with
the year before").

Bench only: a seeded 40% of the municipalities are marked rural (goal 8d needs a class, which the
reference data leaves empty), the CPR numbers are dummies (nothing decrypts them), and sessions
have no consultant rows (no indicator reads them).
"""

import datetime
import itertools
import random
import time
from dataclasses import asdict, dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Q

from bench.load import STREETS, copy_table
from bench.names import FIRST_NAMES, surname
from contracts.models import Contract, Evaluation, Goal
from crm.demo.vocabulary import COMPANY_THEMES, CONTENT
from crm.models import GuidanceSession, Municipality, Operator
from referrals import calendar
from referrals.demo.advisers import seed_advisers
from referrals.demo.drafts import REASONS
from referrals.models import Referral

D = datetime.date
START, END = D(2021, 1, 1), D(2022, 12, 31)
STAFF_PER_LOCAL, STAFF_PER_HUB = 3, 12
HUB_SHARE = 0.1  # of the company sessions: specialised guidance by the hub
FOUNDER_SHARE = 0.17  # of the sessions
RURAL_SHARE = 0.4


@dataclass(frozen=True)
class NationalSizes:
    founders: int = 150_000
    sessions: int = 3_000_000
    referrals: int = 300_000
    evaluations: int = 200_000
    seed: int = 98


@dataclass
class World:
    """What the generated rows draw from (read before the COPY: the connection is busy while
    it runs)."""

    rng: random.Random
    municipalities: list[int]
    cumulative: list[float]  # cumulative weights by number of companies
    companies: dict[int, list[int]]  # municipality id -> company ids
    founders: dict[int, list[int]]
    local: dict[int, int]  # municipality id -> local operator id
    hub: dict[int, int]  # municipality id -> hub operator id
    staff: dict[int, list[int]]  # operator id -> user ids
    advisers: list[int]
    days: list[datetime.date]  # the weekdays of 2021-2022

    def municipality(self) -> int:
        return self.rng.choices(self.municipalities, cum_weights=self.cumulative)[0]

    def pick(self, ids: list[int]) -> int:
        """Skewed: a few subjects get many sessions, most get few or none."""
        return ids[int(len(ids) * self.rng.random() ** 2)]

    def user(self, operator: int) -> int:
        return self.rng.choice(self.staff[operator])


def loaded(sizes: NationalSizes) -> bool:
    return (
        GuidanceSession.objects.count() == sizes.sessions
        and Referral.objects.count() == sizes.referrals
        and Evaluation.objects.count() == sizes.evaluations
        and len(contracts()) == 6
    )


def load(sizes: NationalSizes) -> dict[str, float]:
    """(Re)load the national rows and contracts; returns seconds per table."""
    seconds = {}
    world = prepare(sizes)
    started = time.perf_counter()
    copy_table("crm_founder", FOUNDER_COLUMNS, founder_lines(world, sizes.founders))
    seconds["founders"] = time.perf_counter() - started
    world.founders = ids_by_municipality("crm_founder")
    for table, columns, lines, count in [
        ("crm_guidancesession", SESSION_COLUMNS, session_lines, sizes.sessions),
        ("referrals_referral", REFERRAL_COLUMNS, referral_lines, sizes.referrals),
        ("contracts_evaluation", EVALUATION_COLUMNS, evaluation_lines, sizes.evaluations),
    ]:
        started = time.perf_counter()
        copy_table(table, columns, lines(world, count))
        seconds[table.split("_", 1)[1]] = time.perf_counter() - started
    started = time.perf_counter()
    load_consents()
    seconds["consents"] = time.perf_counter() - started
    started = time.perf_counter()
    seed_contracts()
    seconds["contracts"] = time.perf_counter() - started
    return seconds


def load_consents() -> int:
    """A consent behind every referral to an operator, as referring needs one: given by the
    referred company or founder when the referral was sent, recorded by the sender (who
    guided it: confirmed at once), named to the target operator or, one in five, to all
    operators. The sessions lists' consent branch then has realistic work at national volume.
    Returns the number of consents."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # no history triggers
        cursor.execute("TRUNCATE crm_consent CASCADE")
        cursor.execute(
            """
            INSERT INTO crm_consent (company_id, founder_id, given_on, scope, recorded_by_id,
                operator_id, recorded_at, confirmed_at, confirmation, method, document,
                correction_reason, link_nonce, link_sent_to)
            SELECT DISTINCT ON (r.company_id, r.founder_id, r.target_operator_id)
                r.company_id, r.founder_id, r.sent_at::date,
                CASE WHEN r.id % 5 = 0 THEN 'all' ELSE 'named' END,
                r.sent_by_id, r.sender_operator_id, r.sent_at, r.sent_at, 'guided', 'meeting',
                '', r.target_operator_id::text, '', ''
            FROM referrals_referral r WHERE r.target_operator_id IS NOT NULL
            ORDER BY r.company_id, r.founder_id, r.target_operator_id, r.sent_at
            """
        )
        # correction_reason carried the target operator for this one statement
        cursor.execute(
            """
            INSERT INTO crm_consent_operators (consent_id, operator_id)
            SELECT id, correction_reason::bigint FROM crm_consent WHERE scope = 'named'
            """
        )
        cursor.execute("UPDATE crm_consent SET correction_reason = ''")
        cursor.execute("SELECT count(*) FROM crm_consent")
        count = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_consent; ANALYZE crm_consent_operators")
    return count


def prepare(sizes: NationalSizes) -> World:
    """Operators, staff, advisers and the rural marks, and the ids the rows draw from."""
    rng = random.Random(sizes.seed)
    municipalities = list(Municipality.objects.order_by("code"))
    mark_rural(rng, municipalities)
    local = {m.pk: local_operator(m).pk for m in municipalities}
    hubs = {m.pk: m.hub_id for m in municipalities}
    staff = seed_staff(set(local.values()), set(hubs.values()))
    companies = ids_by_municipality("crm_company")
    counts = [len(companies.get(m.pk, [])) or 1 for m in municipalities]
    return World(
        rng=rng,
        municipalities=[m.pk for m in municipalities],
        cumulative=list(itertools.accumulate(counts)),
        companies=companies,
        founders={},
        local=local,
        hub=hubs,
        staff=staff,
        advisers=[adviser.pk for adviser in seed_advisers()],
        days=[
            START + datetime.timedelta(days=n)
            for n in range((END - START).days + 1)
            if (START + datetime.timedelta(days=n)).weekday() < 5
        ],
    )


def mark_rural(rng: random.Random, municipalities: list[Municipality]) -> None:
    rural = [m.pk for m in municipalities if rng.random() < RURAL_SHARE]
    Municipality.objects.update(rural_urban=Municipality.RuralUrban.URBAN)
    Municipality.objects.filter(pk__in=rural).update(rural_urban=Municipality.RuralUrban.RURAL)


def local_operator(municipality: Municipality) -> Operator:
    operator, created = Operator.objects.get_or_create(
        name=f"Erhvervsservice {municipality.name} (bench)",
        defaults={"kind": Operator.Kind.LOCAL},
    )
    if created:
        operator.municipalities.set([municipality])
    return operator


def seed_staff(local: set[int], hubs: set[int]) -> dict[int, list[int]]:
    """Users named bench-<operator>-<n> (no password: nobody logs in to the bench)."""
    users = get_user_model().objects
    wanted = {
        f"bench-{op}-{n}": op
        for ops, count in [(local, STAFF_PER_LOCAL), (hubs, STAFF_PER_HUB)]
        for op in ops
        for n in range(1, count + 1)
    }
    existing = set(users.filter(username__in=wanted).values_list("username", flat=True))
    password = make_password(None)
    users.bulk_create(
        [users.model(username=name, password=password) for name in wanted if name not in existing]
    )
    staff: dict[int, list[int]] = {}
    for pk, name in users.filter(username__in=wanted).values_list("pk", "username"):
        staff.setdefault(wanted[name], []).append(pk)
    return staff


def ids_by_municipality(table: str) -> dict[int, list[int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT municipality_id, array_agg(id ORDER BY id) FROM {table} GROUP BY 1"  # noqa: S608
        )
        return dict(cursor.fetchall())


# --- Rows ----------------------------------------------------------------------------------

NOW = "2023-01-15 12:00:00+00"
FOUNDER_COLUMNS = [
    "cpr_encrypted", "cpr_hash", "birth_date", "sex", "name", "address", "postcode", "city",
    "phone", "email", "education", "municipality_id", "created_at",
]  # fmt: skip
SESSION_COLUMNS = [
    "company_id", "founder_id", "operator_id", "municipality_id", "date", "tier", "channel",
    "kind", "themes", "hours_before", "hours_during", "hours_after", "content", "screening_done",
    "screening_result", "follow_up_on", "created_by_id", "created_at",
]  # fmt: skip
REFERRAL_COLUMNS = [
    "company_id", "founder_id", "municipality_id", "sender_operator_id", "sent_by_id",
    "target_operator_id", "target_adviser_id", "reason", "themes", "after_screening", "state",
    "sent_at", "due_on", "assignee_id", "contacted_at", "decline_reason", "uptake",
    "uptake_source", "uptake_recorded_at",
]  # fmt: skip
EVALUATION_COLUMNS = [
    "operator_id", "company_id", "municipality_id", "answered_on", "segment", "themes",
    "satisfaction", "nps", "effect", "source", "referral_used", "is_demo",
]  # fmt: skip
CHANNELS = (["outreach", "visit", "phone", "email"], [25, 35, 30, 10])
THEME_SETS = [
    sorted(combination)
    for size in (1, 2)
    for combination in itertools.combinations(COMPANY_THEMES, size)
]
FOUNDER_THEME_SETS = [["start_up"], ["financing", "start_up"], ["digital", "start_up"]]
HUB_STATES = (["completed", "contacted", "declined", "withdrawn", "accepted", "sent"],
              [70, 10, 6, 4, 5, 5])  # fmt: skip
ADVISER_STATES = (["completed", "contacted", "sent", "withdrawn"], [62, 25, 8, 5])
UPTAKES = (["used", "expects", "not_used", "unknown", ""], [22, 7, 15, 8, 48])
SATISFACTION = (["very", "satisfied", "neutral", "dissatisfied", "very_dissatisfied", "unknown"],
                [78, 14, 4, 1, 1, 2])  # fmt: skip
EFFECT = (["high", "some", "low", "none", "unknown"], [62, 28, 5, 2, 3])
NPS = (list(range(11)), [1, 0, 0, 1, 1, 2, 3, 6, 12, 20, 54])


def array(values: list[str]) -> str:
    return "{" + ",".join(values) + "}"


def founder_lines(world: World, count: int):
    rng = world.rng
    for i in range(count):
        municipality = world.municipality()
        born = D(1955, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 50))
        first, last = rng.choice(FIRST_NAMES), surname(rng)
        yield (
            f"\\\\x00\t{i:064x}\t{born}\t{rng.choice('FFMMM')}\t{first} {last}\t"
            f"{rng.choice(STREETS)} {rng.randrange(1, 200)}\t{rng.randrange(1000, 9990)}\t\t"
            f"{rng.randrange(20_000_000, 99_999_999)}\t\t\t{municipality}\t{NOW}\n"
        )


def session_lines(world: World, count: int):
    rng = world.rng
    contents = {tuple(t): " ".join(CONTENT[x] for x in t) for t in THEME_SETS + FOUNDER_THEME_SETS}
    for _ in range(count):
        municipality = world.municipality()
        founders = world.founders.get(municipality)
        if founders and rng.random() < FOUNDER_SHARE:
            subject, themes = f"\\N\t{world.pick(founders)}", rng.choice(FOUNDER_THEME_SETS)
            hub = False
        else:
            subject, themes = f"{world.pick(world.companies[municipality])}\t\\N", None
            hub = rng.random() < HUB_SHARE
        themes = themes or rng.choice(THEME_SETS)
        operator = world.hub[municipality] if hub else world.local[municipality]
        full = hub or rng.random() < 0.7
        hours = rng.choice(["2\t4\t2", "1\t3\t2", "2\t5\t2"]) if full else "0\t0.5\t0"
        yield (
            f"{subject}\t{operator}\t{municipality}\t{rng.choice(world.days)}\t"
            f"{'specialised' if hub else 'local'}\t{rng.choices(*CHANNELS)[0]}\t"
            f"{'full' if full else 'brief'}\t{array(themes)}\t{hours}\t"
            f"{contents[tuple(themes)]}\t{'t' if full and rng.random() < 0.2 else 'f'}\t\t\\N\t"
            f"{world.user(operator)}\t{NOW}\n"
        )


def moment(day: datetime.date, rng: random.Random) -> str:
    return f"{day} {rng.randint(7, 14):02d}:{rng.randrange(60):02d}:00+00"


def referral_lines(world: World, count: int):
    rng = world.rng
    due = {day: calendar.due_date(day) for day in world.days}
    for _ in range(count):
        municipality = world.municipality()
        founders = world.founders.get(municipality)
        if founders and rng.random() < 0.1:
            subject = f"\\N\t{world.pick(founders)}"
        else:
            subject = f"{world.pick(world.companies[municipality])}\t\\N"
        sender, day = world.local[municipality], rng.choice(world.days)
        themes = rng.choice(THEME_SETS)
        to_hub = rng.random() < 0.55
        hub = world.hub[municipality]
        if to_hub:
            state = rng.choices(*HUB_STATES)[0]
            target = f"{hub}\t\\N"
            due_on = due[day]
            contacted = state in ("contacted", "completed")
            late = rng.random() < 0.12
            contact_day = due_on + datetime.timedelta(days=rng.randint(1, 5)) if late else due_on
            assignee = world.user(hub) if state not in ("sent", "withdrawn") else "\\N"
            uptake = ""
        else:
            state = rng.choices(*ADVISER_STATES)[0]
            target = f"\\N\t{rng.choice(world.advisers)}"
            due_on, assignee = "\\N", "\\N"
            contacted = state in ("contacted", "completed") and rng.random() < 0.9
            contact_day = day + datetime.timedelta(days=rng.randint(1, 14))
            uptake = rng.choices(*UPTAKES)[0] if state != "withdrawn" else ""
        uptake_source = rng.choice(["consultant", "evaluation"]) if uptake else ""
        recorded = moment(day + datetime.timedelta(days=60), rng) if uptake else "\\N"
        yield (
            f"{subject}\t{municipality}\t{sender}\t{world.user(sender)}\t{target}\t"
            f"{REASONS[themes[0]]}\t{array(themes)}\t{'t' if rng.random() < 0.3 else 'f'}\t"
            f"{state}\t{moment(day, rng)}\t{due_on}\t{assignee}\t"
            f"{moment(contact_day, rng) if contacted else '\\N'}\t"
            f"{'Uden for målgruppen.' if state == 'declined' else ''}\t{uptake}\t"
            f"{uptake_source}\t{recorded}\n"
        )


def evaluation_lines(world: World, count: int):
    rng = world.rng
    for _ in range(count):
        municipality = world.municipality()
        nps = rng.choices(*NPS)[0] if rng.random() < 0.95 else "\\N"
        yield (
            f"{world.hub[municipality]}\t{world.pick(world.companies[municipality])}\t"
            f"{municipality}\t{rng.choice(world.days)}\t"
            f"{'growth' if rng.random() < 0.45 else 'operations'}\t"
            f"{array(rng.choice(THEME_SETS))}\t{rng.choices(*SATISFACTION)[0]}\t{nps}\t"
            f"{rng.choices(*EFFECT)[0]}\tbench\t\tf\n"  # no "referral used" answer
        )


# --- Contracts -----------------------------------------------------------------------------

CONTRACT_SOURCE = "bench: the KKR Syddanmark goal set for every hub"
SYD_TITLE = "Resultatkontrakt 2022, KKR Syddanmark"
GOAL_FIELDS = ["number", "title", "text", "indicator", "params", "target_kind", "target",
               "per_municipality", "every_municipality", "is_milestone", "external_source",
               "comment", "measures", "strict"]  # fmt: skip


@transaction.atomic
def seed_contracts() -> list[Contract]:
    """One 2022 performance contract per hub, each over the hub's municipalities, with the
    goals of the KKR Syddanmark contract (which is one of them, as ``contracts.demo`` has it)."""
    from contracts.demo.agreements import syddanmark_2022

    Contract.objects.filter(source=CONTRACT_SOURCE).delete()
    syd = syddanmark_2022()
    for hub in Operator.objects.filter(kind=Operator.Kind.HUB).exclude(pk=syd.parties.get().pk):
        contract = Contract.objects.create(
            kind=syd.kind,
            title=f"Resultatkontrakt 2022, {hub.name}",
            starts_on=syd.starts_on,
            ends_on=syd.ends_on,
            status=syd.status,
            source=CONTRACT_SOURCE,
        )
        contract.parties.set([hub])
        contract.municipalities.set(hub.municipalities.all())
        Goal.objects.bulk_create(
            Goal(contract=contract, **{f: getattr(g, f) for f in GOAL_FIELDS})
            for g in syd.goals.all()
        )
    return contracts()


def contracts() -> list[Contract]:
    """The six bench contracts: the KKR Syddanmark one and its five copies."""
    return list(
        Contract.objects.filter(
            Q(source=CONTRACT_SOURCE) | Q(title__startswith=SYD_TITLE)
        ).order_by("title")
    )


def describe(sizes: NationalSizes) -> str:
    return ", ".join(f"{value:,} {name}" for name, value in asdict(sizes).items() if name != "seed")
