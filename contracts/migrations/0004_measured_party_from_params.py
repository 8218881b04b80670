"""A goal's ``operator_kinds`` parameter becomes whose work it measures (``Goal.measures``):
the contract's parties of that kind, not every operator of the kind."""

from django.db import migrations


def forwards(apps, schema_editor):
    Goal = apps.get_model("contracts", "Goal")
    for goal in Goal.objects.filter(params__has_key="operator_kinds"):
        kinds = goal.params.pop("operator_kinds") or []
        goal.measures = kinds[0] if len(kinds) == 1 else ""
        goal.save(update_fields=["params", "measures"])


class Migration(migrations.Migration):
    dependencies = [("contracts", "0003_measured_party")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
