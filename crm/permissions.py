"""What each role may do, and the look-ups that travel with the permission check.

A user's rights live on ``Municipality`` rows (django-guardian), granted to the group of each
(operator, role) the user is a member of. "Not your municipality" answers 404 exactly like
"does not exist"; "your municipality, not your right" answers 403.
"""

from functools import reduce

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from crm.models import Consent, Membership, Municipality, Operator
from crm.models.subjects import operator_ids_of, works_with

# Held by every role in the operator's municipalities: it is what "your municipality" means.
MEMBER = "view_municipality_data"
# Managers read who has read their operator's records on the strength of a consent.
CONSENT_LOG = "view_consent_access"
# Managers read the change history of their records and the access logs (CPR reveals, exports,
# consent-based reads, failed logins), and answer a person's access request (crm.audit).
AUDIT = "view_audit_trail"
# Managers erase a person on request and see what the nightly anonymisation will do
# (crm.retention).
ERASE = "erase_personal_data"
# Managers set up their operator's own user survey and read its response rates and comments
# (contracts.surveys).
SURVEYS = "manage_surveys"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Membership.Role.CONSULTANT: frozenset({MEMBER, "view_records", "change_records"}),
    Membership.Role.MANAGER: frozenset(
        {
            MEMBER,
            "view_records",
            "change_records",
            "reveal_cpr",
            "manage_contracts",
            CONSENT_LOG,
            AUDIT,
            ERASE,
            SURVEYS,
        }
    ),
    Membership.Role.TRIAGE: frozenset(
        {MEMBER, "view_records", "change_records", "triage_referrals"}
    ),
    Membership.Role.VIEWER: frozenset({MEMBER}),
}


def has_municipality_perm(user, perm: str, municipality: Municipality) -> bool:
    return user.is_authenticated and user.has_perm(f"crm.{perm}", municipality)


def check_municipality_perm(user, perm: str, municipality: Municipality) -> None:
    """404 outside the user's municipalities, 403 inside them without ``perm``."""
    if not has_municipality_perm(user, MEMBER, municipality):
        raise Http404
    if not has_municipality_perm(user, perm, municipality):
        raise PermissionDenied


def access_scoped(user, queryset: QuerySet, perm: str, **lookup) -> Model:
    """Fetch one row of a ``ScopedQuerySet`` through the user's permissions."""
    obj = queryset.visible_to(user, MEMBER).filter(**lookup).first()
    if obj is None:
        raise Http404
    municipality = reduce(getattr, queryset.municipality_field.split("__"), obj)
    if not has_municipality_perm(user, perm, municipality):
        raise PermissionDenied
    return obj


def check_sees_consent_evidence(user, consent) -> None:
    """The uploaded form of a consent (a signature, a person's name) is for the operator that
    recorded it and the operators that work with the subject, not for every operator the
    consent names (403)."""
    ids = operator_ids_of(user)
    field = "company" if consent.company_id else "founder"
    rows = Consent.objects.filter(pk=consent.pk)
    if not rows.filter(Q(operator__in=ids) | works_with(ids, field)).exists():
        raise PermissionDenied


def access_municipality(user, perm: str, *, code: str) -> Municipality:
    municipality = Municipality.objects.for_user(user, MEMBER).filter(code=code).first()
    if municipality is None:
        raise Http404
    check_municipality_perm(user, perm, municipality)
    return municipality


def access_operator(user, perm: str, *, pk: int) -> Operator:
    """An operator the user works for, when a role of the user's in it holds ``perm`` (its
    own survey, its settings): 404 for another operator's staff, 403 for its staff without
    the right. A right held through another operator of the same municipality does not count."""
    if pk not in operator_ids_of(user):
        raise Http404
    roles = Membership.objects.filter(user=user, operator_id=pk).values_list("role", flat=True)
    if not any(perm in ROLE_PERMISSIONS[role] for role in roles):
        raise PermissionDenied
    return Operator.objects.get(pk=pk)


def roles_of(user) -> set[str]:
    """The roles the user holds in active operators (for navigation and landing pages)."""
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(user=user, operator__active=True).values_list("role", flat=True)
    )
