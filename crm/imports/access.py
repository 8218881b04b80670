"""Who may import: the municipalities a manager may import and merge in, and the batches a
user sees."""

from django.core.exceptions import PermissionDenied

from crm.models import ImportBatch, Membership, Municipality, Operator


def import_municipality_ids(user) -> set[int]:
    """Municipalities where ``user`` may import and merge: ``change_records`` there, as a
    manager of an active operator that serves it."""
    if not user.is_authenticated:
        return set()
    managed = Municipality.objects.filter(
        operators__memberships__user=user,
        operators__memberships__role=Membership.Role.MANAGER,
        operators__active=True,
    ).values_list("pk", flat=True)
    return set(managed) & set(Municipality.objects.ids_for(user, "change_records"))


def check_can_import(user) -> None:
    """403 for a user who may import nowhere."""
    if not import_municipality_ids(user):
        raise PermissionDenied


def managed_operator(user) -> Operator | None:
    return (
        Operator.objects.filter(
            memberships__user=user, memberships__role=Membership.Role.MANAGER, active=True
        )
        .order_by("pk")
        .first()
    )


def visible_batches(user):
    """The batches of the operators the user manages."""
    return ImportBatch.objects.filter(
        operator__memberships__user=user, operator__memberships__role=Membership.Role.MANAGER
    ).distinct()
