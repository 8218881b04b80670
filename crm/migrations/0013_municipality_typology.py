from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("crm", "0012_consent_evidence_backfill")]

    operations = [
        migrations.AddField(
            model_name="municipality",
            name="typology",
            field=models.CharField(
                blank=True,
                choices=[
                    ("yderkommune", "Yderkommune"),
                    ("landkommune", "Landkommune"),
                    ("mellemkommune", "Mellemkommune"),
                    ("bykommune", "Bykommune"),
                ],
                max_length=13,
                verbose_name="kommunetype",
            ),
        ),
    ]
