# The records first: their models register in the order they had as one module, which
# crm.models.events imported (reverse relations, and so merges, follow that order).
from crm.models.consents import Consent, ConsentAcceptance, ConsentAccess
from crm.models.guidance import DevelopmentProject, GuidanceSession, Network, ProgrammeEnrolment
from crm.models.subjects import Company, ContactPerson, CprReveal, Founder, Theme

# isort: split
from crm.models.events import Event, EventParticipant
from crm.models.impact import CompanyYear
from crm.models.imports import ImportBatch, ImportRecord, ImportStagingRow
from crm.models.notifications import Notification
from crm.models.offline import IdempotentRequest
from crm.models.register import ProductionUnit, RegisterRefresh
from crm.models.retention import AnonymisationRun, ErasureRequest, RetentionRule
from crm.models.search import SearchWord
from crm.models.tenancy import (
    IndustryCode,
    Membership,
    Municipality,
    Operator,
    OperatorRoleGroup,
    Region,
    ScopedQuerySet,
)

__all__ = [
    "AnonymisationRun",
    "Company",
    "CompanyYear",
    "Consent",
    "ConsentAcceptance",
    "ConsentAccess",
    "ContactPerson",
    "CprReveal",
    "DevelopmentProject",
    "ErasureRequest",
    "Event",
    "EventParticipant",
    "Founder",
    "GuidanceSession",
    "IdempotentRequest",
    "ImportBatch",
    "ImportRecord",
    "ImportStagingRow",
    "IndustryCode",
    "Membership",
    "Municipality",
    "Network",
    "Notification",
    "Operator",
    "OperatorRoleGroup",
    "ProductionUnit",
    "ProgrammeEnrolment",
    "Region",
    "RegisterRefresh",
    "RetentionRule",
    "ScopedQuerySet",
    "SearchWord",
    "Theme",
]
