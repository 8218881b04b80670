"""Moved: the records are in ``crm.models.subjects`` (companies, contact persons, founders),
``crm.models.consents`` and ``crm.models.guidance`` (guidance sessions, networks, development
projects, growth programmes, change history). These names stay importable from here only for
the imports not yet moved (``contracts.indicators``, split at the same time); import from those
modules, and remove this one when nothing imports it.
"""

from crm.models.consents import (
    Consent,
    ConsentAcceptance,
    ConsentAccess,
    ConsentQuerySet,
    active_consent_for,
)
from crm.models.guidance import (
    LINK_MODELS,
    ConsentOperator,
    DevelopmentProject,
    GuidanceSession,
    Network,
    NetworkMember,
    NetworkMunicipality,
    ProgrammeEnrolment,
    SessionConsultant,
    SessionQuerySet,
    record_operator,
)
from crm.models.subjects import (
    NEW_COMPANY_YEARS,
    Company,
    ContactPerson,
    CprReveal,
    Founder,
    GrowthLevel,
    SharedQuerySet,
    SubjectScopedQuerySet,
    Theme,
    folded,
    operator_ids_of,
    subject_constraint,
    works_with,
)

__all__ = [
    "LINK_MODELS",
    "NEW_COMPANY_YEARS",
    "Company",
    "Consent",
    "ConsentAcceptance",
    "ConsentAccess",
    "ConsentOperator",
    "ConsentQuerySet",
    "ContactPerson",
    "CprReveal",
    "DevelopmentProject",
    "Founder",
    "GrowthLevel",
    "GuidanceSession",
    "Network",
    "NetworkMember",
    "NetworkMunicipality",
    "ProgrammeEnrolment",
    "SessionConsultant",
    "SessionQuerySet",
    "SharedQuerySet",
    "SubjectScopedQuerySet",
    "Theme",
    "active_consent_for",
    "folded",
    "operator_ids_of",
    "record_operator",
    "subject_constraint",
    "works_with",
]
