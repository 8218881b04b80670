"""The orders the lists page by (crm.pagination): companies and founders by name, sessions by
date, each ending in the id. Built concurrently: the tables are large and stay writable."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("crm", "0014_search_gist")]

    operations = [
        AddIndexConcurrently(
            model_name="company",
            index=models.Index(fields=["name", "id"], name="company_name_id"),
        ),
        AddIndexConcurrently(
            model_name="founder",
            index=models.Index(fields=["name", "id"], name="founder_name_id"),
        ),
        AddIndexConcurrently(
            model_name="guidancesession",
            index=models.Index(fields=["date", "id"], name="session_date_id"),
        ),
    ]
