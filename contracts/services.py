"""Goal attainment, milestones, honoraria and budgets (evaluations: contracts.evaluations)."""

import datetime
import inspect
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import indicators
from contracts.models import (
    AttainmentRun,
    BudgetLine,
    BudgetTransfer,
    Contract,
    Goal,
    PaymentRule,
    Snapshot,
)
from crm import concurrency
from crm.models import Company, Founder, GuidanceSession, Membership, Municipality, Operator
from crm.services import DomainError, NotAllowed
from crm.subjects import three_years_after
from referrals.models import Referral

AT_RISK_RATIO = Decimal("0.8")  # below 80 % of the straight-line pace: behind


def pace(period: indicators.Period, as_of: datetime.date) -> Decimal:
    """The share of the period that has passed on ``as_of`` (0-1)."""
    days = (period.end - period.start).days + 1
    passed = (min(as_of, period.end) - period.start).days + 1
    return max(Decimal(0), min(Decimal(1), Decimal(passed) / Decimal(days)))


def meets(goal: Goal, value: Decimal, target: Decimal) -> bool:
    """The target is met: at least the target, or more than it where the contract says
    "mere end" (``Goal.strict``)."""
    return value > target if goal.strict else value >= target


def judge(goal: Goal, value: Decimal | None, target: Decimal | None, share_of_period: Decimal):
    """(attainment %, status). A finished period gives the final result, met or not met. A
    running count is judged against a straight line from zero to the target at the end of
    the period; a share or NPS against the target itself. No target: the value is followed."""
    if value is None:
        return None, Snapshot.Status.NO_DATA
    if target is None:
        return None, Snapshot.Status.TRACKED
    attainment = (value * 100 / target).quantize(Decimal("0.1")) if target else None
    if meets(goal, value, target):
        return attainment, Snapshot.Status.MET
    if share_of_period >= 1:
        return attainment, Snapshot.Status.NOT_MET
    expected = target * share_of_period if goal.target_kind == Goal.TargetKind.COUNT else target
    if value >= expected:
        return attainment, Snapshot.Status.ON_TRACK
    if value >= expected * AT_RISK_RATIO:
        return attainment, Snapshot.Status.AT_RISK
    return attainment, Snapshot.Status.BEHIND


BOUNDS = {Goal.TargetKind.SHARE: (0, 100), Goal.TargetKind.NPS: (-100, 100)}


def forecast(goal: Goal, history, as_of: datetime.date, value: Decimal | None):
    """The value expected at the end of a running goal's period: the least-squares line
    through its earlier snapshots in the period and today's value, extended to the last day.
    A count also starts from zero on the first day (so one value is extended at its pace);
    a share or NPS with no history is expected to stay where it is. None once the period is
    over (the value is final) or without a value."""
    start, end = goal.period
    if value is None or as_of >= end:
        return None
    points = [(day, v) for day, v in history if start <= day < as_of and v is not None]
    points.append((as_of, value))
    if goal.target_kind == Goal.TargetKind.COUNT:
        points.insert(0, (start - datetime.timedelta(days=1), Decimal(0)))
    if len(points) < 2:
        return value
    xs = [Decimal((day - start).days) for day, _v in points]
    ys = [Decimal(v) for _day, v in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    expected = mean_y + slope * (Decimal((end - start).days) - mean_x)
    low, high = BOUNDS.get(goal.target_kind, (0, None))
    expected = max(Decimal(low), expected if high is None else min(Decimal(high), expected))
    return expected.quantize(Decimal("0.01"))


def goal_targets(goal: Goal, municipality_ids) -> tuple[Decimal | None, dict]:
    """(the total target, the target of each municipality). A municipality's own target
    (``GoalTarget``) comes first, then the goal's target where it is set per municipality. A
    count set per municipality totals the municipalities' targets (when each has one)."""
    local = {t.municipality_id: t.target for t in goal.local_targets.all()}
    default = goal.target if goal.per_municipality else None
    each = {mid: local.get(mid, default) for mid in municipality_ids}
    if goal.target is not None and not goal.per_municipality:
        return goal.target, each
    if goal.target_kind != Goal.TargetKind.COUNT:
        return goal.target, each
    known = [target for target in each.values() if target is not None]
    total = sum(known) if known and len(known) == len(each) else None
    return total, each


def goal_snapshots(goal: Goal, municipality_ids: list[int], as_of: datetime.date, history=None):
    """The goal's snapshots as of ``as_of``, the total first: its indicator over the records
    of the operators it measures (``Goal.measured_operators``). ``history`` maps a
    municipality id (None: the total) to its earlier (date, value) pairs, for the forecast."""
    start, end = goal.period
    period = indicators.Period(start, min(end, as_of))
    share_of_period = pace(indicators.Period(start, end), as_of)
    operator_ids = [operator.pk for operator in goal.measured_operators()]
    result = indicators.compute(
        goal.indicator,
        period,
        municipality_ids,
        operator_ids,
        goal.params,
        hourly_rate=goal.contract.hourly_rate,
    )
    total_target, targets = goal_targets(goal, municipality_ids)
    rows = [(None, result.total, total_target)]
    rows += [(mid, measure, targets[mid]) for mid, measure in result.per_municipality.items()]
    history = history or {}
    snapshots = []
    for municipality_id, measure, target in rows:
        attainment, status = judge(goal, measure.value, target, share_of_period)
        snapshots.append(
            Snapshot(
                goal=goal,
                as_of=as_of,
                municipality_id=municipality_id,
                value=measure.value,
                numerator=measure.numerator,
                denominator=measure.denominator,
                target=target,
                attainment=attainment,
                forecast=forecast(goal, history.get(municipality_id, []), as_of, measure.value),
                status=status,
            )
        )
    total, *each = snapshots
    if goal.every_municipality and total.status == Snapshot.Status.MET:
        total.status = every_municipality_met(each, share_of_period)
    return snapshots


def every_municipality_met(each: list[Snapshot], share_of_period: Decimal) -> str:
    """A goal set per municipality ("i alle kommuner", "2 pr. kommune") is met in total only
    when every municipality meets its own target, whatever the sum."""
    if all(snap.status == Snapshot.Status.MET for snap in each):
        return Snapshot.Status.MET
    return Snapshot.Status.NOT_MET if share_of_period >= 1 else Snapshot.Status.ON_TRACK


def snapshot_history(goals, as_of: datetime.date) -> dict:
    """goal id -> municipality id (None: total) -> [(date, value)] of the snapshots before
    ``as_of`` (one query)."""
    history = {}
    rows = Snapshot.objects.filter(goal__in=goals, as_of__lt=as_of).order_by("as_of")
    for goal_id, municipality_id, day, value in rows.values_list(
        "goal_id", "municipality_id", "as_of", "value"
    ):
        history.setdefault(goal_id, {}).setdefault(municipality_id, []).append((day, value))
    return history


def computed_goals(contract: Contract):
    """The contract's goals with what computing them reads (parties, local targets)."""
    return contract.goals.select_related("contract").prefetch_related(
        "local_targets", "contract__parties"
    )


def compute_attainment(contract: Contract, as_of: datetime.date) -> AttainmentRun:
    """Compute every computed goal of ``contract`` as of ``as_of`` and store the snapshots.
    One transaction replaces the snapshots of that date: a rerun gives the same rows, and a
    run that dies halfway leaves the previous complete set in place."""
    run = AttainmentRun.objects.create(contract=contract, as_of=as_of)
    municipality_ids = list(contract.municipalities.values_list("pk", flat=True))
    goals = [goal for goal in computed_goals(contract) if goal.is_computed]
    try:
        history = snapshot_history(goals, as_of)
        snapshots = [
            snap
            for goal in goals
            for snap in goal_snapshots(goal, municipality_ids, as_of, history.get(goal.pk))
        ]
        with transaction.atomic():
            Snapshot.objects.filter(goal__in=goals, as_of=as_of).delete()
            Snapshot.objects.bulk_create(snapshots)
    except Exception as error:
        AttainmentRun.objects.filter(pk=run.pk).update(
            state=AttainmentRun.State.FAILED, error=str(error), finished_at=timezone.now()
        )
        raise
    AttainmentRun.objects.filter(pk=run.pk).update(
        state=AttainmentRun.State.DONE, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run


def latest_snapshots(contract: Contract, end: datetime.date | None = None):
    """The rows of each goal, totals and municipalities, of the newest snapshot date on or
    before ``end`` (any date without it)."""
    rows = Snapshot.objects.filter(goal__contract=contract)
    if end:
        rows = rows.filter(as_of__lte=end)
    latest = rows.order_by("-as_of").values_list("as_of", flat=True).first()
    if latest is None:
        return Snapshot.objects.none()
    return rows.filter(as_of=latest).select_related("goal", "municipality")


def managed_operators(user):
    """The active operators the user is a manager of."""
    if not user.is_authenticated:
        return Operator.objects.none()
    return Operator.objects.filter(
        active=True, memberships__user=user, memberships__role=Membership.Role.MANAGER
    )


def managed_contracts(user):
    """The contracts the user manages: those with one of ``managed_operators`` as a party or
    as the oversight body."""
    managed = managed_operators(user)
    return Contract.objects.filter(Q(parties__in=managed) | Q(oversight__in=managed)).distinct()


def check_can_manage(user, contract: Contract) -> None:
    """Managers of one of the contract's parties or of its oversight body change a contract;
    everybody else who sees it (officials, other operators' managers in the same
    municipalities) reads it only."""
    if not managed_contracts(user).filter(pk=contract.pk).exists():
        raise NotAllowed(_("Kun ledere hos kontraktens parter kan rette kontrakten."))


# --- Editing contracts, goals, payment rules and budget lines --------------------------------

MANAGE = "manage_contracts"
CONTRACT_FIELDS = {"kind", "title", "status", "starts_on", "ends_on", "document", "budget"}
CONTRACT_FIELDS |= {"hourly_rate", "source"}
GOAL_FIELDS = {"number", "title", "text", "indicator", "params", "target_kind", "target"}
GOAL_FIELDS |= {"per_municipality", "starts_on", "ends_on", "comment", "is_milestone"}
GOAL_FIELDS |= {"external_value", "external_source", "measures", "strict", "every_municipality"}
# An indicator's parameters are tried on this period with no municipality: the queries are
# built (so a wrong name fails) but never run.
TRIAL_PERIOD = indicators.Period(datetime.date(2000, 1, 1), datetime.date(2000, 12, 31))


def attachable_municipalities(user, contract: Contract | None = None):
    """The municipalities a user may attach to a contract: those they manage contracts in,
    and those the contract covers already."""
    allowed = Q(pk__in=Municipality.objects.ids_for(user, MANAGE))
    if contract is not None and contract.pk:
        allowed |= Q(pk__in=contract.municipalities.values("pk"))
    return Municipality.objects.filter(allowed)


def attachable_operators(user, contract: Contract | None = None):
    """The operators a user may name as a party or the oversight body: the active operators
    working in a municipality the user manages contracts in, and the contract's own."""
    managed = Municipality.objects.ids_for(user, MANAGE)
    working = Operator.objects.filter(active=True, municipalities__in=managed).values("pk")
    allowed = Q(pk__in=working)
    if contract is not None and contract.pk:
        allowed |= Q(pk__in=contract.parties.values("pk")) | Q(pk=contract.oversight_id)
    return Operator.objects.filter(allowed)


def validated(instance):
    """``full_clean`` with its messages as one DomainError (the model's own rules: the period
    of a contract, choices, lengths)."""
    try:
        instance.full_clean()
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from error
    return instance


def check_contract_terms(user, *, parties, oversight, municipalities, contract=None) -> None:
    """Who and where a contract binds. A user attaches only municipalities they manage and
    operators working in them (what the contract has already may stay), and must be a
    manager of one of the parties or of the oversight body, so they can manage it after."""
    if not municipalities or not parties:
        raise DomainError(_("En kontrakt skal have mindst én part og mindst én kommune."))
    allowed = set(attachable_municipalities(user, contract).values_list("pk", flat=True))
    foreign = [m.name for m in municipalities if m.pk not in allowed]
    if foreign:
        raise DomainError(
            _("Du kan kun knytte kommuner, hvor du er leder, til en kontrakt: %(names)s.")
            % {"names": ", ".join(foreign)}
        )
    operators = [*parties, *([oversight] if oversight else [])]
    allowed = set(attachable_operators(user, contract).values_list("pk", flat=True))
    foreign = [o.name for o in operators if o.pk not in allowed]
    if foreign:
        raise DomainError(
            _("Kun operatører i kommuner, hvor du er leder, kan være parter: %(names)s.")
            % {"names": ", ".join(foreign)}
        )
    if not managed_operators(user).filter(pk__in=[o.pk for o in operators]).exists():
        raise NotAllowed(_("Du skal være leder hos en af kontraktens parter eller tilsynet."))


def set_fields(instance, allowed: set[str], fields: dict) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(instance, name, value)


@transaction.atomic
def do_create_contract(user, *, parties, municipalities, oversight=None, **fields) -> Contract:
    """Create a contract with its parties, oversight body and municipalities. Side effects:
    none beyond the rows (goals are added with ``do_add_goal``)."""
    check_contract_terms(user, parties=parties, oversight=oversight, municipalities=municipalities)
    contract = Contract(oversight=oversight)
    set_fields(contract, CONTRACT_FIELDS, fields)
    validated(contract).save()
    contract.parties.set(parties)
    contract.municipalities.set(municipalities)
    return contract


@transaction.atomic
def do_update_contract(user, contract: Contract, **fields) -> Contract:
    """Change a contract; ``parties``, ``oversight`` and ``municipalities`` are checked like
    on creation (``check_contract_terms``), and left as they are when not given. Read again
    under a row lock first, with its status changed only from the status read then
    (``lock_for_change``)."""
    check_can_manage(user, contract)
    fields = lock_for_change(contract, fields)
    parties = fields.pop("parties", None)
    municipalities = fields.pop("municipalities", None)
    oversight = fields.pop("oversight", contract.oversight)
    check_contract_terms(
        user,
        parties=list(contract.parties.all()) if parties is None else parties,
        oversight=oversight,
        municipalities=(
            list(contract.municipalities.all()) if municipalities is None else municipalities
        ),
        contract=contract,
    )
    contract.oversight = oversight
    set_fields(contract, CONTRACT_FIELDS, fields)
    validated(contract).save()
    if parties is not None:
        contract.parties.set(parties)
    if municipalities is not None:
        contract.municipalities.set(municipalities)
    return contract


def check_parameter(name: str, value) -> None:
    """A parameter's value is one its label offers (a known code, a yes/no, a whole number)."""
    parameter = indicators.PARAMETERS[name]
    codes = {code for code, _label in parameter.choices}
    if parameter.kind == "bool":
        valid = isinstance(value, bool)
    elif parameter.kind == "int":
        valid = isinstance(value, int) and not isinstance(value, bool) and value > 0
    elif parameter.kind == "choices":
        valid = isinstance(value, list | tuple) and bool(value) and set(value) <= codes
    else:
        valid = value in codes
    if not valid:
        raise DomainError(
            _("“%(value)s” er ikke en gyldig værdi for “%(label)s”.")
            % {"value": value, "label": parameter.label}
        )


def check_goal_indicator(indicator: str, params) -> None:
    """Refuse an indicator outside the catalogue, parameters it does not take, or values its
    parameters do not offer, before they are stored: a wrong name would otherwise only fail
    in the nightly computation."""
    definition = indicators.CATALOGUE.get(indicator)
    if definition is None:
        raise DomainError(_("Ukendt indikator “%(indicator)s”.") % {"indicator": indicator})
    if not isinstance(params, dict):
        raise DomainError(_("Parametrene skal være et JSON-objekt."))
    unknown = sorted(set(params) - set(definition.parameters))
    if unknown:
        raise DomainError(
            _("Indikatoren “%(label)s” tager ikke parameteren %(names)s. Den tager: %(takes)s.")
            % {
                "label": definition.label,
                "names": ", ".join(unknown),
                "takes": ", ".join(definition.parameters) or "-",
            }
        )
    for name, value in params.items():
        check_parameter(name, value)
    try:
        inspect.signature(definition.function).bind(TRIAL_PERIOD, [], [], **params)
    except TypeError as error:
        raise DomainError(
            _("Indikatoren “%(label)s” mangler en parameter (%(error)s).")
            % {"label": definition.label, "error": error}
        ) from error


def save_goal(goal: Goal, fields: dict) -> Goal:
    set_fields(goal, GOAL_FIELDS, fields)
    if goal.indicator:
        check_goal_indicator(goal.indicator, goal.params)
    validated(goal).save()
    return goal


@transaction.atomic
def do_add_goal(user, contract: Contract, **fields) -> Goal:
    """Add a goal to a contract; its indicator and parameters are checked against the
    catalogue (``check_goal_indicator``)."""
    check_can_manage(user, contract)
    return save_goal(Goal(contract=contract), fields)


@transaction.atomic
def do_update_goal(user, goal: Goal, **fields) -> Goal:
    """Change a goal (it stays in its contract); checked like ``do_add_goal``."""
    check_can_manage(user, goal.contract)
    fields.pop("contract", None)
    return save_goal(goal, fields)


def save_payment_rule(rule: PaymentRule, fields: dict) -> PaymentRule:
    set_fields(rule, {field.name for field in PaymentRule._meta.concrete_fields} - {"id"}, fields)
    if rule.amount is not None and rule.amount <= 0:
        raise DomainError(_("Beløbet skal være positivt."))
    clash = PaymentRule.objects.filter(contract=rule.contract, kind=rule.kind).exclude(pk=rule.pk)
    if clash.exists():
        raise DomainError(_("Kontrakten har allerede en regel af denne art: ret den i stedet."))
    validated(rule).save()
    return rule


@transaction.atomic
def do_add_payment_rule(user, contract: Contract, **fields) -> PaymentRule:
    """Add an honorarium rule (seed 001 §8), one of each kind per contract."""
    check_can_manage(user, contract)
    return save_payment_rule(PaymentRule(contract=contract), fields)


@transaction.atomic
def do_update_payment_rule(user, rule: PaymentRule, **fields) -> PaymentRule:
    check_can_manage(user, rule.contract)
    fields.pop("contract", None)
    return save_payment_rule(rule, fields)


def save_budget_line(line: BudgetLine, fields: dict) -> BudgetLine:
    set_fields(line, {"municipality", "name", "amount", "side"}, fields)
    if line.amount is not None and line.amount < 0:
        raise DomainError(_("Beløbet kan ikke være negativt."))
    covered = line.contract.municipalities.filter(pk=line.municipality_id).exists()
    if line.municipality_id and not covered:
        raise DomainError(_("En budgetlinje kan kun høre til en af kontraktens kommuner."))
    validated(line).save()
    return line


@transaction.atomic
def do_add_budget_line(user, contract: Contract, **fields) -> BudgetLine:
    """Add a budget line, for the whole contract or one of its municipalities (seed 000).
    Money moves between existing lines with ``transfer_budget``, which keeps the reason."""
    check_can_manage(user, contract)
    return save_budget_line(BudgetLine(contract=contract), fields)


@transaction.atomic
def do_update_budget_line(user, line: BudgetLine, **fields) -> BudgetLine:
    check_can_manage(user, line.contract)
    fields.pop("contract", None)
    return save_budget_line(line, fields)


@transaction.atomic
def judge_milestone(user, goal: Goal, *, status: str, evidence: str, evidence_file=None) -> Goal:
    """A person judges a milestone, with evidence."""
    check_can_manage(user, goal.contract)
    if not goal.is_milestone:
        raise DomainError(_("Kun milepæle vurderes manuelt."))
    goal.milestone_status, goal.evidence = status, evidence
    if evidence_file:
        goal.evidence_file = evidence_file
    goal.judged_by, goal.judged_at = user, timezone.now()
    goal.save()
    return goal


# --- Honoraria and budget ------------------------------------------------------------------


@dataclass
class SettlementLine:
    rule: PaymentRule
    evidence: list  # Founder or Referral rows, each with ``paid`` (Decimal) set
    amount: Decimal


def payable_founders(parties, municipalities, start: datetime.date, end: datetime.date):
    """Seed 001 §8.2: "Registrering af alle vejledte iværksættere (før start og indtil tre
    år)". A founder counts once, in the period of its first full guidance session by one of
    ``parties`` in ``municipalities`` held before the company started or at most three years
    after; annotated ``first_guided``."""
    by_parties = Q(
        sessions__operator__in=parties,
        sessions__kind=GuidanceSession.Kind.FULL,
        sessions__municipality__in=municipalities,
    )
    guided = by_parties & (
        Q(company_started_on__isnull=True)
        | Q(sessions__date__lte=three_years_after("company_started_on"))
    )
    return (  # filtered first, so only the parties' founders are grouped
        Founder.objects.filter(by_parties)
        .annotate(first_guided=Min("sessions__date", filter=guided))
        .filter(first_guided__range=(start, end))
        .only("pk", "name", "birth_date", "created_at")
        .order_by("first_guided", "pk")
    )


def payable_new_companies(parties, municipalities, start: datetime.date, end: datetime.date):
    """Seed 001 §5 and §8.2: founders "efter start og indtil tre år" are registered by CVR
    number, and paid for like founders before start. A company counts once, in the period of
    its first full guidance session by one of ``parties`` in ``municipalities`` at most three
    years after its start date; a company started by a founder the parties guided is paid
    for as that founder, not again. Annotated ``first_guided``."""
    by_parties = Q(
        sessions__operator__in=parties,
        sessions__kind=GuidanceSession.Kind.FULL,
        sessions__municipality__in=municipalities,
    )
    young = by_parties & Q(
        started_on__isnull=False,
        sessions__date__lte=three_years_after("started_on"),
    )
    founder_guided = Founder.objects.filter(
        company=OuterRef("pk"),
        sessions__operator__in=parties,
        sessions__kind=GuidanceSession.Kind.FULL,
    )
    return (
        Company.objects.filter(by_parties, started_on__isnull=False)
        .annotate(first_guided=Min("sessions__date", filter=young))
        .filter(first_guided__range=(start, end))
        .exclude(Exists(founder_guided))
        .only("pk", "name", "cvr", "started_on")
        .order_by("first_guided", "pk")
    )


def payable_referrals(parties, hubs, municipalities, start: datetime.date, end: datetime.date):
    """Seed 001 §8.1 and §8.3: "Screening/visitation af virksomheder [og iværksættere (før
    start og indtil tre år)] med vækstambitioner/-perspektiver til den specialiserede
    erhvervsservice og ved anvendelse af Væksthjulet". A referral sent by one of ``parties``
    to one of ``hubs`` (the contract's own hub: the one that pays) after screening, not
    declined or withdrawn, backed by the sender's newest Væksthjulet screening session of the
    subject on or before the day it was sent (annotated ``screening_hours``), of a company
    with growth potential or in the growth segment, or a subject the screening found growth
    potential in."""
    screening = GuidanceSession.objects.filter(
        Q(company=OuterRef("company")) | Q(founder=OuterRef("founder")),
        operator=OuterRef("sender_operator"),
        screening_done=True,
        date__lte=OuterRef("sent_on"),
    ).order_by("-date", "-pk")
    growth = (
        Q(company__growth_potential__gt="")
        | Q(company__segment=Company.Segment.GROWTH)
        | Q(screening_result__gt="")
    )
    founder_stage = (
        Q(founder__isnull=True)
        | Q(founder__company_started_on__isnull=True)
        | Q(sent_on__lte=three_years_after("founder__company_started_on"))
    )
    return (
        Referral.objects.filter(
            sender_operator__in=parties,
            municipality__in=municipalities,
            after_screening=True,
            target_operator__in=hubs,
        )
        .exclude(state__in=[Referral.State.WITHDRAWN, Referral.State.DECLINED])
        .annotate(sent_on=TruncDate("sent_at"))
        .filter(sent_on__range=(start, end))
        .annotate(
            screening_hours=Subquery(
                screening.annotate(total=indicators.HOURS).values("total")[:1]
            ),
            screening_result=Subquery(screening.values("screening_result")[:1]),
        )
        .filter(screening_hours__isnull=False)
        .filter(growth, founder_stage)
        .select_related("company", "founder")
        .order_by("sent_at", "pk")
    )


def referral_fee(rule: PaymentRule, contract: Contract, hours: Decimal) -> Decimal:
    """ "Op til kr. 2.500 pr. screening/visitation (til faktisk timeforbrug/-sats)": the
    screening's hours times the rule's (else the contract's) hourly rate, capped at the
    rule's amount; without any hourly rate, the amount itself."""
    rate = rule.hourly_rate or contract.hourly_rate
    if not rate:
        return rule.amount
    return min(rule.amount, (hours * rate).quantize(Decimal("0.01")))


def settlement(contract: Contract, start: datetime.date, end: datetime.date, *, user=None):
    """What the specialised service owes the local one for ``start``-``end`` (seed 001 §8),
    with the registrations it pays for as evidence (each with ``label``, ``on`` and
    ``paid``): only registrations inside the contract's period, only those of the contract's
    local-service parties, and (given ``user``) only in the contract's municipalities where
    the user may see records. Founders, and companies up to three years after their start,
    are paid the rule's amount; growth referrals ``referral_fee``."""
    start, end = max(start, contract.starts_on), min(end, contract.ends_on)
    parties = contract.parties.filter(kind=Operator.Kind.LOCAL)
    municipalities = contract.municipalities.all()
    if user is not None:
        municipalities = municipalities.filter(
            pk__in=Municipality.objects.ids_for(user, "view_records")
        )
    lines = []
    for rule in contract.payment_rules.all():
        if rule.kind == PaymentRule.Kind.FOUNDER:
            evidence = list(payable_founders(parties, municipalities, start, end))
            evidence += payable_new_companies(parties, municipalities, start, end)
            for item in evidence:
                item.paid, item.on = rule.amount, item.first_guided
                item.label = getattr(item, "masked_cpr", None) or f"{item.name} (CVR {item.cvr})"
            evidence.sort(key=lambda item: item.on)
        else:
            hubs = contract.parties.filter(kind=Operator.Kind.HUB)
            evidence = list(payable_referrals(parties, hubs, municipalities, start, end))
            for referral in evidence:
                referral.paid = referral_fee(rule, contract, referral.screening_hours)
                referral.on = referral.sent_on
                referral.label = (
                    referral.founder.masked_cpr if referral.founder else (referral.company.name)
                )
        lines.append(SettlementLine(rule, evidence, sum((e.paid for e in evidence), Decimal(0))))
    return lines, sum((line.amount for line in lines), Decimal(0))


@dataclass
class BudgetStatus:
    lines: list  # (BudgetLine, amount after transfers)
    expenses: Decimal
    financing: Decimal
    hours: Decimal
    spent: Decimal

    @property
    def balanced(self) -> bool:
        """Expenses and financing are equal, or the contract states no financing."""
        return not self.financing or self.expenses == self.financing


def budget_status(contract: Contract) -> BudgetStatus:
    """Budget lines with transfers in and out, the totals of the expense and the financing
    side (seed 000: "Udgifter i alt 7.000.000" = "Indtægter i alt 7.000.000"); spent = hours
    logged by the parties x the hourly rate."""
    lines = list(contract.budget_lines.select_related("municipality"))
    moved = {line.pk: Decimal(0) for line in lines}
    for transfer in BudgetTransfer.objects.filter(from_line__contract=contract):
        moved[transfer.from_line_id] -= transfer.amount
        moved[transfer.to_line_id] += transfer.amount
    hours = GuidanceSession.objects.filter(
        municipality__in=contract.municipalities.all(),
        date__range=(contract.starts_on, contract.ends_on),
        operator__in=contract.parties.all(),
    ).aggregate(total=Sum(indicators.HOURS))["total"] or Decimal(0)

    def total(side: str) -> Decimal:
        return sum((line.amount for line in lines if line.side == side), Decimal(0))

    return BudgetStatus(
        lines=[(line, line.amount + moved[line.pk]) for line in lines],
        expenses=total(BudgetLine.Side.EXPENSE),
        financing=total(BudgetLine.Side.FINANCING),
        hours=hours,
        spent=hours * (contract.hourly_rate or Decimal(0)),
    )


@transaction.atomic
def transfer_budget(
    user, *, from_line: BudgetLine, to_line: BudgetLine, amount: Decimal, reason: str
) -> BudgetTransfer:
    """Move money between two lines of one contract, with a reason (seed 000 allows it)."""
    check_can_manage(user, from_line.contract)
    if from_line.contract_id != to_line.contract_id or from_line.pk == to_line.pk:
        raise DomainError(_("Flyt kun mellem to forskellige linjer i samme kontrakt."))
    if from_line.side != to_line.side:  # moving money to a payer would unbalance the budget
        raise DomainError(_("Flyt kun mellem linjer på samme side (udgifter eller finansiering)."))
    if amount <= 0 or not reason.strip():
        raise DomainError(_("Angiv et positivt beløb og en begrundelse."))
    return BudgetTransfer.objects.create(
        from_line=from_line, to_line=to_line, amount=amount, reason=reason, by=user
    )


# --- Per-municipality targets ------------------------------------------------------------


@transaction.atomic
def do_set_goal_targets(user, goal: Goal, targets: dict) -> Goal:
    """Set the goal's own target in each municipality of ``targets`` (a Municipality ->
    Decimal, or None to remove it): seed 000's "pr. kommune", seed 002 Mål 2's "fastsættes
    nærmere under de lokale mål". Only the contract's municipalities, and within the
    bounds of the goal's kind (a share 0-100). Side effects: none beyond the rows; the next
    computation judges each municipality against its own target."""
    check_can_manage(user, goal.contract)
    covered = set(goal.contract.municipalities.values_list("pk", flat=True))
    foreign = sorted(m.name for m in targets if m.pk not in covered)
    if foreign:
        raise DomainError(
            _("Kun kontraktens kommuner kan have et mål: %(names)s.")
            % {"names": ", ".join(foreign)}
        )
    low, high = BOUNDS.get(goal.target_kind, (0, None))
    wrong = sorted(
        m.name
        for m, target in targets.items()
        if target is not None and (target < low or (high is not None and target > high))
    )
    if wrong:
        raise DomainError(
            _("Målet ligger uden for det mulige (%(low)s til %(high)s): %(names)s.")
            % {"low": low, "high": high if high is not None else "∞", "names": ", ".join(wrong)}
        )
    removed = [m for m, target in targets.items() if target is None]
    goal.local_targets.filter(municipality__in=removed).delete()
    for municipality, target in targets.items():
        if target is not None:
            goal.local_targets.update_or_create(
                municipality=municipality, defaults={"target": target}
            )
    return goal


def lock_for_change(contract: Contract, fields: dict) -> dict:
    """Read ``contract`` again under a row lock before it is changed, and write a new status
    over the status read (``guarded_update``): two changes at once take turns, and the second
    starts from the first one's contract. A change based on another version (``version``:
    the edit page's token; the API compares If-Match itself) is refused (StaleRecord).
    Returns the fields left to set."""
    fields = dict(fields)
    concurrency.lock(contract)
    concurrency.check_version(contract, fields.pop("version", ""))
    status = fields.pop("status", contract.status)
    if status != contract.status:
        concurrency.guarded_update(contract, {"status": contract.status}, status=status)
    return fields
