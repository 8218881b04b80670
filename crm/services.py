"""Use cases that change tenancy: memberships and the municipalities an operator serves.

Every change re-syncs the guardian permissions of the operator's role groups, so it counts
from the affected users' next request.
"""

from django.contrib.auth.models import Group
from django.db import transaction
from guardian.models import GroupObjectPermission
from guardian.shortcuts import assign_perm

from crm.models import Membership, Municipality, Operator, OperatorRoleGroup
from crm.permissions import ROLE_PERMISSIONS


class DomainError(Exception):
    """A rule of the domain refused the change; the message is for the user."""


def role_group(operator: Operator, role: str) -> Group:
    link = OperatorRoleGroup.objects.filter(operator=operator, role=role).first()
    if link:
        return link.group
    group = Group.objects.create(name=f"operator-{operator.pk}-{role}")
    OperatorRoleGroup.objects.create(group=group, operator=operator, role=role)
    return group


@transaction.atomic
def sync_operator_permissions(operator: Operator) -> None:
    """Make each role group of ``operator`` hold exactly its role's rights on the
    operator's municipalities (none when the operator is inactive)."""
    municipalities = list(operator.municipalities.all()) if operator.active else []
    for role, perms in ROLE_PERMISSIONS.items():
        group = role_group(operator, role)
        GroupObjectPermission.objects.filter(group=group).delete()
        for perm in perms:
            if municipalities:
                assign_perm(
                    f"crm.{perm}",
                    group,
                    Municipality.objects.filter(pk__in=[m.pk for m in municipalities]),
                )


@transaction.atomic
def do_set_operator_municipalities(operator: Operator, municipalities) -> None:
    """Replace the municipalities ``operator`` serves. Side effect: permissions re-synced."""
    operator.municipalities.set(municipalities)
    sync_operator_permissions(operator)


@transaction.atomic
def do_grant_municipality(operator: Operator, municipality: Municipality) -> None:
    operator.municipalities.add(municipality)
    sync_operator_permissions(operator)


@transaction.atomic
def do_revoke_municipality(operator: Operator, municipality: Municipality) -> None:
    operator.municipalities.remove(municipality)
    sync_operator_permissions(operator)


@transaction.atomic
def do_add_membership(user, operator: Operator, role: str) -> Membership:
    """Make ``user`` a member of ``operator`` with ``role``. Side effect: group membership."""
    membership, _ = Membership.objects.get_or_create(user=user, operator=operator, role=role)
    user.groups.add(role_group(operator, role))
    if not GroupObjectPermission.objects.filter(group=role_group(operator, role)).exists():
        sync_operator_permissions(operator)
    return membership


@transaction.atomic
def do_remove_membership(membership: Membership) -> None:
    membership.user.groups.remove(role_group(membership.operator, membership.role))
    membership.delete()
