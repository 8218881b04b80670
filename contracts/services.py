"""Goal attainment, milestones, evaluations import, honoraria and budgets."""

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import indicators
from contracts.models import (
    AttainmentRun,
    BudgetLine,
    BudgetTransfer,
    Contract,
    Evaluation,
    Goal,
    PaymentRule,
    Snapshot,
)
from crm.models import Founder, GuidanceSession, Municipality, Operator
from crm.permissions import has_municipality_perm
from crm.services import DomainError, NotAllowed
from referrals.models import Referral

AT_RISK_RATIO = Decimal("0.8")  # below 80 % of the straight-line pace: behind


def pace(period: indicators.Period, as_of: datetime.date) -> Decimal:
    """The share of the period that has passed on ``as_of`` (0-1)."""
    days = (period.end - period.start).days + 1
    passed = (min(as_of, period.end) - period.start).days + 1
    return max(Decimal(0), min(Decimal(1), Decimal(passed) / Decimal(days)))


def judge(goal: Goal, value: Decimal | None, target: Decimal | None, share_of_period: Decimal):
    """(attainment %, status). A count is judged against a straight line from zero to the
    target at the end of the period; a share or NPS against the target itself."""
    if value is None or target is None:
        return None, Snapshot.Status.NO_DATA
    attainment = (value * 100 / target).quantize(Decimal("0.1")) if target else None
    if value >= target:
        return attainment, Snapshot.Status.MET
    expected = target * share_of_period if goal.target_kind == Goal.TargetKind.COUNT else target
    if value >= expected:
        return attainment, Snapshot.Status.ON_TRACK
    if value >= expected * AT_RISK_RATIO:
        return attainment, Snapshot.Status.AT_RISK
    return attainment, Snapshot.Status.BEHIND


def goal_snapshots(goal: Goal, municipality_ids: list[int], as_of: datetime.date):
    start, end = goal.period
    period = indicators.Period(start, min(end, as_of))
    share_of_period = pace(indicators.Period(start, end), as_of)
    result = indicators.compute(
        goal.indicator, period, municipality_ids, goal.params, hourly_rate=goal.contract.hourly_rate
    )
    target_each = goal.target if goal.per_municipality else None
    total_target = (
        goal.target * len(municipality_ids)
        if goal.per_municipality and goal.target_kind == Goal.TargetKind.COUNT
        else goal.target
    )
    rows = [(None, result.total, total_target)]
    rows += [(mid, measure, target_each) for mid, measure in result.per_municipality.items()]
    for municipality_id, measure, target in rows:
        attainment, status = judge(goal, measure.value, target, share_of_period)
        yield Snapshot(
            goal=goal,
            as_of=as_of,
            municipality_id=municipality_id,
            value=measure.value,
            numerator=measure.numerator,
            denominator=measure.denominator,
            target=target,
            attainment=attainment,
            status=status,
        )


def compute_attainment(contract: Contract, as_of: datetime.date) -> AttainmentRun:
    """Compute every computed goal of ``contract`` as of ``as_of`` and store the snapshots.
    One transaction replaces the snapshots of that date: a rerun gives the same rows, and a
    run that dies halfway leaves the previous complete set in place."""
    run = AttainmentRun.objects.create(contract=contract, as_of=as_of)
    municipality_ids = list(contract.municipalities.values_list("pk", flat=True))
    goals = [goal for goal in contract.goals.all() if goal.is_computed]
    try:
        snapshots = [
            snap for goal in goals for snap in goal_snapshots(goal, municipality_ids, as_of)
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


def latest_snapshots(contract: Contract):
    """The newest snapshot date's rows of each goal, totals and municipalities."""
    latest = (
        Snapshot.objects.filter(goal__contract=contract).order_by("-as_of").values("as_of").first()
    )
    if latest is None:
        return Snapshot.objects.none()
    return Snapshot.objects.filter(goal__contract=contract, as_of=latest["as_of"]).select_related(
        "goal", "municipality"
    )


def check_can_manage(user, contract: Contract) -> None:
    municipalities = contract.municipalities.all()
    if not any(has_municipality_perm(user, "manage_contracts", m) for m in municipalities):
        raise NotAllowed(_("Kun ledere hos kontraktens parter kan rette kontrakten."))


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


# --- Evaluations import --------------------------------------------------------------------

EVALUATION_COLUMNS = [
    "operator",
    "municipality_code",
    "answered_on",
    "segment",
    "themes",
    "satisfaction",
    "nps",
    "effect",
    "cvr",
]
SATISFACTION_BY_TEXT = {label.lower(): value for value, label in Evaluation.Satisfaction.choices}
EFFECT_BY_TEXT = {label.lower(): value for value, label in Evaluation.Effect.choices}


def parse_evaluation(row: dict, line: int, operators: dict, municipalities: dict):
    """One CSV row of the national user evaluation as an Evaluation, or a ValueError that
    names the line and what to fix."""

    def fail(message):
        raise ValueError(_("Linje %(line)d: %(message)s") % {"line": line, "message": message})

    operator = operators.get(row.get("operator", "").strip())
    if operator is None:
        fail(_("ukendt operatør “%(name)s”") % {"name": row.get("operator", "")})
    municipality = municipalities.get(row.get("municipality_code", "").strip())
    if municipality is None:
        fail(_("ukendt kommunekode “%(code)s”") % {"code": row.get("municipality_code", "")})
    try:
        answered_on = datetime.datetime.strptime(row["answered_on"].strip(), "%d.%m.%Y").date()
    except (KeyError, ValueError):
        fail(_("datoen skal skrives dd.mm.åååå"))
    satisfaction = SATISFACTION_BY_TEXT.get(row.get("satisfaction", "").strip().lower())
    effect = EFFECT_BY_TEXT.get(row.get("effect", "").strip().lower())
    if row.get("satisfaction", "").strip() and satisfaction is None:
        fail(_("ukendt svar på tilfredshed “%(text)s”") % {"text": row["satisfaction"]})
    if row.get("effect", "").strip() and effect is None:
        fail(_("ukendt svar på effekt “%(text)s”") % {"text": row["effect"]})
    nps_text = row.get("nps", "").strip()
    if nps_text and (not nps_text.isdigit() or int(nps_text) > 10):
        fail(_("NPS-svaret skal være et tal fra 0 til 10"))
    return Evaluation(
        operator=operator,
        municipality=municipality,
        answered_on=answered_on,
        segment=row.get("segment", "").strip(),
        satisfaction=satisfaction or "",
        effect=effect or "",
        nps=int(nps_text) if nps_text else None,
        themes=[t for t in row.get("themes", "").replace(";", ",").split(",") if t.strip()],
        source=_("import"),
    )


@transaction.atomic
def import_evaluations(user, data: bytes, *, source: str) -> int:
    """Import evaluation answers from a CSV (UTF-8, ``;`` or ``,``). All or nothing: one bad
    line refuses the whole file with the line number and what to fix."""
    try:
        text = data.decode("utf-8-sig")
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,")
    except (UnicodeDecodeError, csv.Error, IndexError) as error:
        raise DomainError(
            _("Filen kan ikke læses: gem den som CSV i UTF-8 med kolonnerne %(columns)s.")
            % {"columns": ", ".join(EVALUATION_COLUMNS)}
        ) from error
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    missing = set(EVALUATION_COLUMNS[:3]) - set(reader.fieldnames or [])
    if missing:
        raise DomainError(
            _("Kolonner mangler: %(columns)s.") % {"columns": ", ".join(sorted(missing))}
        )
    operators = {op.name: op for op in Operator.objects.all()}
    allowed = Municipality.objects.for_user(user, "manage_contracts")
    municipalities = {m.code: m for m in allowed}
    try:
        rows = [
            parse_evaluation(row, number, operators, municipalities)
            for number, row in enumerate(reader, start=2)
        ]
    except ValueError as error:
        raise DomainError(str(error)) from error
    for row in rows:
        row.source = source
    Evaluation.objects.bulk_create(rows)
    return len(rows)


# --- Honoraria and budget ------------------------------------------------------------------


@dataclass
class SettlementLine:
    rule: PaymentRule
    evidence: list
    amount: Decimal


def settlement(contract: Contract, start: datetime.date, end: datetime.date):
    """What the specialised service owes the local one for ``start``-``end`` (seed 001 §8),
    with the registrations it pays for as evidence."""
    municipalities = contract.municipalities.all()
    lines = []
    for rule in contract.payment_rules.all():
        if rule.kind == PaymentRule.Kind.FOUNDER:
            evidence = list(
                Founder.objects.filter(
                    municipality__in=municipalities, created_at__date__range=(start, end)
                ).only("pk", "name", "birth_date", "created_at")
            )
        else:
            evidence = list(
                Referral.objects.filter(
                    municipality__in=municipalities,
                    sent_at__date__range=(start, end),
                    after_screening=True,
                    target_operator__kind=Operator.Kind.HUB,
                )
                .exclude(state__in=[Referral.State.WITHDRAWN, Referral.State.DECLINED])
                .select_related("company", "founder")
            )
        lines.append(SettlementLine(rule, evidence, rule.amount * len(evidence)))
    return lines, sum((line.amount for line in lines), Decimal(0))


def budget_status(contract: Contract):
    """Budget lines with transfers in and out; spent = hours logged x the hourly rate."""
    lines = list(contract.budget_lines.select_related("municipality"))
    moved = {line.pk: Decimal(0) for line in lines}
    for transfer in BudgetTransfer.objects.filter(from_line__contract=contract):
        moved[transfer.from_line_id] -= transfer.amount
        moved[transfer.to_line_id] += transfer.amount
    hours = GuidanceSession.objects.filter(
        municipality__in=contract.municipalities.all(),
        date__range=(contract.starts_on, contract.ends_on),
        operator__in=contract.parties.all(),
    ).aggregate(total=Sum(F("hours_before") + F("hours_during") + F("hours_after")))["total"]
    spent = (hours or Decimal(0)) * (contract.hourly_rate or Decimal(0))
    return [(line, line.amount + moved[line.pk]) for line in lines], hours or 0, spent


@transaction.atomic
def transfer_budget(
    user, *, from_line: BudgetLine, to_line: BudgetLine, amount: Decimal, reason: str
) -> BudgetTransfer:
    """Move money between two lines of one contract, with a reason (seed 000 allows it)."""
    check_can_manage(user, from_line.contract)
    if from_line.contract_id != to_line.contract_id or from_line.pk == to_line.pk:
        raise DomainError(_("Flyt kun mellem to forskellige linjer i samme kontrakt."))
    if amount <= 0 or not reason.strip():
        raise DomainError(_("Angiv et positivt beløb og en begrundelse."))
    return BudgetTransfer.objects.create(
        from_line=from_line, to_line=to_line, amount=amount, reason=reason, by=user
    )
