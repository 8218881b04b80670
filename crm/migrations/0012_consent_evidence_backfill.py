"""Consents recorded before they were evidence: the operator they were given to is the
recorder's operator that guided the subject, else the recorder's operator serving the
subject's municipality; they were recorded when their row was inserted (change history); and
they are in force only where that operator had guided the subject. The others wait for the
acceptance of an operator holding records (no link is sent for them).

Managers get the new right to read the log of reads on the strength of a consent."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OPERATOR = """
UPDATE crm_consent AS c SET operator_id = COALESCE(
    (SELECT m.operator_id FROM crm_membership m
     JOIN crm_guidancesession s ON s.operator_id = m.operator_id
     WHERE m.user_id = c.recorded_by_id
       AND (s.company_id = c.company_id OR s.founder_id = c.founder_id)
     ORDER BY m.operator_id LIMIT 1),
    (SELECT m.operator_id FROM crm_membership m
     JOIN crm_operator_municipalities om ON om.operator_id = m.operator_id
     WHERE m.user_id = c.recorded_by_id AND om.municipality_id = COALESCE(
        (SELECT municipality_id FROM crm_company WHERE id = c.company_id),
        (SELECT municipality_id FROM crm_founder WHERE id = c.founder_id))
     ORDER BY m.operator_id LIMIT 1)
) WHERE operator_id IS NULL
"""
RECORDED_AT = """
UPDATE crm_consent AS c SET recorded_at = e.pgh_created_at
FROM crm_consentevent e WHERE e.pgh_obj_id = c.id AND e.pgh_label = 'insert'
"""
IN_FORCE = """
UPDATE crm_consent AS c SET confirmed_at = c.recorded_at, confirmation = 'guided'
WHERE c.operator_id IS NOT NULL AND c.confirmed_at IS NULL AND EXISTS (
    SELECT 1 FROM crm_guidancesession s WHERE s.operator_id = c.operator_id
    AND (s.company_id = c.company_id OR s.founder_id = c.founder_id))
"""


def grant_consent_log(apps, schema_editor):
    """The managers' role groups get "view_consent_access" on their operators'
    municipalities, as ``crm.services.sync_operator_permissions`` grants it from now on."""
    crm = apps.get_app_config("crm")
    crm.models_module = True  # create_permissions skips an app without it (migration state)
    create_permissions(crm, apps=apps, verbosity=0)
    crm.models_module = None
    Permission = apps.get_model("auth", "Permission")
    GroupObjectPermission = apps.get_model("guardian", "GroupObjectPermission")
    OperatorRoleGroup = apps.get_model("crm", "OperatorRoleGroup")
    permission = Permission.objects.get(
        codename="view_consent_access", content_type__app_label="crm"
    )
    groups = OperatorRoleGroup.objects.filter(role="manager", operator__active=True)
    GroupObjectPermission.objects.bulk_create(
        [
            GroupObjectPermission(
                group_id=link.group_id,
                permission=permission,
                content_type=permission.content_type,
                object_pk=str(municipality_id),
            )
            for link in groups
            for municipality_id in link.operator.municipalities.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0011_consent_evidence"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
    ]

    operations = [
        migrations.RunSQL(OPERATOR, migrations.RunSQL.noop),
        migrations.RunSQL(RECORDED_AT, migrations.RunSQL.noop),
        migrations.RunSQL(IN_FORCE, migrations.RunSQL.noop),
        migrations.RunPython(grant_consent_log, migrations.RunPython.noop),
    ]
