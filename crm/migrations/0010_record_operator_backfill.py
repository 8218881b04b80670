"""Networks, development projects and programme enrolments registered before they named their
operator: the local business service of their municipality registered them (seed 001 §5: the
local service is the first contact and keeps the registration)."""

from django.db import migrations

BACKFILL = """
UPDATE crm_{table} AS row SET operator_id = (
    SELECT o.id FROM crm_operator o
    JOIN crm_operator_municipalities om ON om.operator_id = o.id
    WHERE om.municipality_id = row.municipality_id AND o.kind = 'local'
    ORDER BY o.id LIMIT 1
) WHERE operator_id IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [("crm", "0009_record_operator")]

    operations = [
        migrations.RunSQL(BACKFILL.format(table=table), migrations.RunSQL.noop)
        for table in ("network", "developmentproject", "programmeenrolment")
    ]
