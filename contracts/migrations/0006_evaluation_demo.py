from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0005_goal_every_municipality"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="evaluation",
            index=models.Index(
                condition=models.Q(("is_demo", True)),
                fields=["operator", "municipality"],
                name="evaluation_demo",
            ),
        ),
    ]
