"""The GiST trigram indexes that hand out the closest names first (``crm.models.search.
rank_index``). Written by hand: only these two indexes (other model changes have their own
migrations). On 1M companies the company index takes about a minute to build."""

from django.contrib.postgres.indexes import GistIndex, OpClass
from django.db import migrations
from django.db.models.functions import Lower


def rank_index(name: str) -> GistIndex:
    """As ``crm.models.search.rank_index`` wrote it for this migration."""
    return GistIndex(OpClass(Lower("search_name"), name="gist_trgm_ops(siglen=256)"), name=name)


class Migration(migrations.Migration):
    dependencies = [("crm", "0013_municipality_typology")]

    operations = [
        migrations.AddIndex(model_name="company", index=rank_index("company_name_rank")),
        migrations.AddIndex(model_name="founder", index=rank_index("founder_name_rank")),
        # Fresh statistics for the planner's match estimate (crm.queries.many) and the spelling
        # look-up, which a never-analysed SearchWord turns into a sequential scan.
        migrations.RunSQL(
            ["ANALYZE crm_company", "ANALYZE crm_founder", "ANALYZE crm_searchword"],
            migrations.RunSQL.noop,
        ),
    ]
