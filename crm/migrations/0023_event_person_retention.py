from django.db import migrations, models

# The default of crm.retention.DEFAULT_YEARS when this migration was written.
YEARS = 3


def add_rule(apps, schema_editor):
    RetentionRule = apps.get_model("crm", "RetentionRule")
    RetentionRule.objects.get_or_create(kind="event_person", defaults={"years": YEARS})


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0022_participant_breakdowns"),
    ]

    operations = [
        migrations.AlterField(
            model_name="retentionrule",
            name="kind",
            field=models.CharField(
                choices=[
                    ("founder", "Iværksætter, der ikke har startet virksomhed"),
                    ("founder_started", "Iværksætter, der har startet virksomhed"),
                    ("contact_left", "Kontaktperson, der er fratrådt"),
                    ("ceased_company", "Ophørt virksomhed: noter og kontaktpersoner"),
                    ("contract_audit", "Kontrakt med honorarer eller budget"),
                    ("event_person", "Deltager i arrangement uden CVR/CPR"),
                ],
                max_length=15,
                unique=True,
                verbose_name="type",
            ),
        ),
        migrations.RunPython(add_rule, migrations.RunPython.noop),
    ]
