"""The indicator catalogue: one tested, published definition per indicator, the same for
everybody.

An indicator takes a period, the municipalities of a contract, the operators whose work the
goal measures (``Goal.measured_operators``: the contract's parties, or one kind among them) and
the goal's parameters. Records of any other operator never count. It returns the value per
municipality and in total with one grouped query (conditional aggregation): a total of
distinct counts is not the sum of the municipalities' counts.

Every indicator carries its published definition (``Definition``: what counts, what does
not, the unit, the numerator and denominator) and its parameters' labels (``PARAMETERS``), so
the definitions page and the goal form never show a code.

The package, by subject, each module registering its indicators when imported: ``core`` (the
catalogue, ``compute``, ``grouped`` and the other building blocks), ``guidance``,
``referral``, ``project`` (projects, networks, programmes), ``event`` (events and group
activities), ``breakdown`` (seed 004's EU programme breakdowns) and ``evaluation`` (user
evaluation). The modules are named in the singular: ``contracts.indicators.referrals`` and
``contracts.indicators.projects`` are indicators. Import from ``contracts.indicators``.
"""

# The submodules in the order of the catalogue (it is shown in this order): each registers
# its indicators when imported.
# isort: off
from contracts.indicators.core import (
    CATALOGUE,
    DONT_KNOW,
    EXCLUDED_ALWAYS,
    HUNDRED,
    PARAMETERS,
    YOUNG,
    Definition,
    Measure,
    Parameter,
    Period,
    Result,
    age_on,
    compute,
    counted,
    founder_in_group,
    grouped,
    indicator,
    participant_in_group,
    share_of_answers,
    shared,
    subject_key,
    subjects_counted,
    summed,
)
from contracts.indicators.guidance import (
    GUIDED,
    HOURS,
    age_at_session,
    companies_contacted,
    companies_guided,
    founders_guided,
    founders_share,
    founders_started_company,
    guided_in,
    hours,
    hours_cost,
    municipalities_reached,
    new_companies_share,
    priced,
    rural_share,
    sessions,
    sessions_in,
    subjects_guided,
)
from contracts.indicators.referral import (
    referrals,
    referrals_in,
    referrals_in_deadline_share,
    uptake_share,
)
from contracts.indicators.project import (
    NETWORK_SPANS,
    amounts_granted,
    enrolments,
    enrolments_in,
    networks,
    projects,
    projects_in,
)
from contracts.indicators.event import (
    PARTICIPANT_KINDS,
    event_participants,
    participant_key,
    participants_in,
)
from contracts.indicators.breakdown import (
    BREAKDOWN,
    companies_supported,
    founders_supported,
    persons_started_company,
)
from contracts.indicators.evaluation import (
    GROWTH_AMBITION,
    SURVEY,
    effect_share,
    evaluations_in,
    nps,
    satisfaction_share,
)
# isort: on

__all__ = [
    "BREAKDOWN",
    "CATALOGUE",
    "DONT_KNOW",
    "EXCLUDED_ALWAYS",
    "GROWTH_AMBITION",
    "GUIDED",
    "HOURS",
    "HUNDRED",
    "NETWORK_SPANS",
    "PARAMETERS",
    "PARTICIPANT_KINDS",
    "SURVEY",
    "YOUNG",
    "Definition",
    "Measure",
    "Parameter",
    "Period",
    "Result",
    "age_at_session",
    "age_on",
    "amounts_granted",
    "companies_contacted",
    "companies_guided",
    "companies_supported",
    "compute",
    "counted",
    "effect_share",
    "enrolments",
    "enrolments_in",
    "evaluations_in",
    "event_participants",
    "founder_in_group",
    "founders_guided",
    "founders_share",
    "founders_started_company",
    "founders_supported",
    "grouped",
    "guided_in",
    "hours",
    "hours_cost",
    "indicator",
    "municipalities_reached",
    "networks",
    "new_companies_share",
    "nps",
    "participant_in_group",
    "participant_key",
    "participants_in",
    "persons_started_company",
    "priced",
    "projects",
    "projects_in",
    "referrals",
    "referrals_in",
    "referrals_in_deadline_share",
    "rural_share",
    "satisfaction_share",
    "sessions",
    "sessions_in",
    "share_of_answers",
    "shared",
    "subject_key",
    "subjects_counted",
    "subjects_guided",
    "summed",
    "uptake_share",
]

# The indicators of the companies' development over the years register themselves here.
from contracts import impact_indicators  # noqa: E402, F401
