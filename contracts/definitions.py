"""The published definition of each goal of a contract (the definitions page, the annual
report's appendix): the contract's clause, what counts and what does not, whose records, the
unit, and the numerator and denominator behind the current value. Built from the indicator
catalogue (``contracts.indicators``), so the page says what the code counts."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from contracts.indicators import CATALOGUE, EXCLUDED_ALWAYS, PARAMETERS, Definition
from contracts.models import Contract, Goal, Snapshot


@dataclass
class GoalDefinition:
    goal: Goal
    indicator: Definition | None
    parameters: list[tuple[str, str]]  # (label, value in words)
    measured: list[str]  # the names of the operators whose records count
    measured_role: str
    excludes: list[str]
    total: Snapshot | None  # the newest total, for its numerator and denominator

    @property
    def how(self) -> str:
        """How a goal without an indicator is judged."""
        if self.goal.is_milestone:
            return _("Milepæl: vurderes af en leder hos kontraktens parter, med dokumentation.")
        if self.goal.is_external:
            source = self.goal.external_source or _("kilde ikke angivet")
            return _("Måles uden for CRM'et og indberettes: %(source)s.") % {"source": source}
        return ""


def described_parameters(goal: Goal) -> list[tuple[str, str]]:
    return [
        (str(PARAMETERS[name].label), PARAMETERS[name].describe(value))
        for name, value in goal.params.items()
        if name in PARAMETERS
    ]


def goal_definitions(contract: Contract, end: datetime.date | None = None):
    """Every goal of ``contract`` with its definition and its newest total on or before
    ``end`` (three queries: goals, parties, snapshots)."""
    from contracts.services import latest_snapshots

    parties = list(contract.parties.all())
    totals = {
        snap.goal_id: snap for snap in latest_snapshots(contract, end) if snap.municipality is None
    }
    definitions = []
    for goal in contract.goals.all():
        measured = [p for p in parties if not goal.measures or p.kind == goal.measures]
        definition = CATALOGUE.get(goal.indicator) if goal.is_computed else None
        excludes = [str(definition.excludes)] if definition and definition.excludes else []
        if definition:
            excludes.append(str(EXCLUDED_ALWAYS))
        definitions.append(
            GoalDefinition(
                goal=goal,
                indicator=definition,
                parameters=described_parameters(goal),
                measured=[p.name for p in measured],
                measured_role=str(goal.get_measures_display()),
                excludes=excludes,
                total=totals.get(goal.pk),
            )
        )
    return definitions
