import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


class Migration(migrations.Migration):
    """Seed 004's breakdowns (sex, age band, born abroad) on event participants without CPR,
    and born abroad on founders (issue 16)."""

    dependencies = [
        ("crm", "0021_company_years"),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name="eventparticipant",
            name="insert_insert",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="eventparticipant",
            name="update_update",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="eventparticipant",
            name="delete_delete",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="founder",
            name="insert_insert",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="founder",
            name="update_update",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="founder",
            name="delete_delete",
        ),
        migrations.AddField(
            model_name="eventparticipant",
            name="age_band",
            field=models.CharField(
                blank=True,
                choices=[
                    ("under_18", "Under 18 år"),
                    ("18_30", "18-30 år"),
                    ("31_64", "31-64 år"),
                    ("65_plus", "65 år eller derover"),
                ],
                default="",
                max_length=8,
                verbose_name="aldersgruppe",
            ),
        ),
        migrations.AddField(
            model_name="eventparticipant",
            name="born_abroad",
            field=models.BooleanField(blank=True, null=True, verbose_name="født i udlandet"),
        ),
        migrations.AddField(
            model_name="eventparticipant",
            name="sex",
            field=models.CharField(
                blank=True,
                choices=[("F", "Kvinde"), ("M", "Mand")],
                default="",
                max_length=1,
                verbose_name="køn",
            ),
        ),
        migrations.AddField(
            model_name="eventparticipantevent",
            name="age_band",
            field=models.CharField(
                blank=True,
                choices=[
                    ("under_18", "Under 18 år"),
                    ("18_30", "18-30 år"),
                    ("31_64", "31-64 år"),
                    ("65_plus", "65 år eller derover"),
                ],
                default="",
                max_length=8,
                verbose_name="aldersgruppe",
            ),
        ),
        migrations.AddField(
            model_name="eventparticipantevent",
            name="born_abroad",
            field=models.BooleanField(blank=True, null=True, verbose_name="født i udlandet"),
        ),
        migrations.AddField(
            model_name="eventparticipantevent",
            name="sex",
            field=models.CharField(
                blank=True,
                choices=[("F", "Kvinde"), ("M", "Mand")],
                default="",
                max_length=1,
                verbose_name="køn",
            ),
        ),
        migrations.AddField(
            model_name="founder",
            name="born_abroad",
            field=models.BooleanField(blank=True, null=True, verbose_name="født i udlandet"),
        ),
        migrations.AddField(
            model_name="founderevent",
            name="born_abroad",
            field=models.BooleanField(blank=True, null=True, verbose_name="født i udlandet"),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="eventparticipant",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "crm_eventparticipantevent" ("age_band", "attended", "born_abroad", "company_id", "email", "event_id", "founder_id", "id", "municipality_id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "registered_at", "registered_by_id", "sex") VALUES (NEW."age_band", NEW."attended", NEW."born_abroad", NEW."company_id", NEW."email", NEW."event_id", NEW."founder_id", NEW."id", NEW."municipality_id", NEW."name", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."registered_at", NEW."registered_by_id", NEW."sex"); RETURN NULL;',
                    hash="0df8fd09a4f59028a0ab2b42a54030c22a79d182",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_46b27",
                    table="crm_eventparticipant",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="eventparticipant",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "crm_eventparticipantevent" ("age_band", "attended", "born_abroad", "company_id", "email", "event_id", "founder_id", "id", "municipality_id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "registered_at", "registered_by_id", "sex") VALUES (NEW."age_band", NEW."attended", NEW."born_abroad", NEW."company_id", NEW."email", NEW."event_id", NEW."founder_id", NEW."id", NEW."municipality_id", NEW."name", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."registered_at", NEW."registered_by_id", NEW."sex"); RETURN NULL;',
                    hash="a0f5f5bc4fae90b7e811fdb5fe7aafbeb41e832f",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_6ad31",
                    table="crm_eventparticipant",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="eventparticipant",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "crm_eventparticipantevent" ("age_band", "attended", "born_abroad", "company_id", "email", "event_id", "founder_id", "id", "municipality_id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "registered_at", "registered_by_id", "sex") VALUES (OLD."age_band", OLD."attended", OLD."born_abroad", OLD."company_id", OLD."email", OLD."event_id", OLD."founder_id", OLD."id", OLD."municipality_id", OLD."name", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."registered_at", OLD."registered_by_id", OLD."sex"); RETURN NULL;',
                    hash="45f58bbd069170c7c767a70ae840b2f030d28bfe",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_42c35",
                    table="crm_eventparticipant",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="founder",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "crm_founderevent" ("address", "anonymised_at", "birth_date", "born_abroad", "city", "company_id", "company_started_on", "cpr_encrypted", "cpr_hash", "created_at", "education", "email", "id", "municipality_id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "postcode", "sex") VALUES (NEW."address", NEW."anonymised_at", NEW."birth_date", NEW."born_abroad", NEW."city", NEW."company_id", NEW."company_started_on", NEW."cpr_encrypted", NEW."cpr_hash", NEW."created_at", NEW."education", NEW."email", NEW."id", NEW."municipality_id", NEW."name", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."phone", NEW."postcode", NEW."sex"); RETURN NULL;',
                    hash="328c4837d4639e7686add3b89330acaeaa617dfb",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_5f0fd",
                    table="crm_founder",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="founder",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."address" IS DISTINCT FROM (NEW."address") OR OLD."anonymised_at" IS DISTINCT FROM (NEW."anonymised_at") OR OLD."birth_date" IS DISTINCT FROM (NEW."birth_date") OR OLD."born_abroad" IS DISTINCT FROM (NEW."born_abroad") OR OLD."city" IS DISTINCT FROM (NEW."city") OR OLD."company_id" IS DISTINCT FROM (NEW."company_id") OR OLD."company_started_on" IS DISTINCT FROM (NEW."company_started_on") OR OLD."cpr_encrypted" IS DISTINCT FROM (NEW."cpr_encrypted") OR OLD."cpr_hash" IS DISTINCT FROM (NEW."cpr_hash") OR OLD."created_at" IS DISTINCT FROM (NEW."created_at") OR OLD."education" IS DISTINCT FROM (NEW."education") OR OLD."email" IS DISTINCT FROM (NEW."email") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."municipality_id" IS DISTINCT FROM (NEW."municipality_id") OR OLD."name" IS DISTINCT FROM (NEW."name") OR OLD."phone" IS DISTINCT FROM (NEW."phone") OR OLD."postcode" IS DISTINCT FROM (NEW."postcode") OR OLD."sex" IS DISTINCT FROM (NEW."sex"))',
                    func='INSERT INTO "crm_founderevent" ("address", "anonymised_at", "birth_date", "born_abroad", "city", "company_id", "company_started_on", "cpr_encrypted", "cpr_hash", "created_at", "education", "email", "id", "municipality_id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "postcode", "sex") VALUES (NEW."address", NEW."anonymised_at", NEW."birth_date", NEW."born_abroad", NEW."city", NEW."company_id", NEW."company_started_on", NEW."cpr_encrypted", NEW."cpr_hash", NEW."created_at", NEW."education", NEW."email", NEW."id", NEW."municipality_id", NEW."name", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."phone", NEW."postcode", NEW."sex"); RETURN NULL;',
                    hash="99990c88d942da09d77ea7890b92e0cfbd374126",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_ed71c",
                    table="crm_founder",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="founder",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "crm_founderevent" ("address", "anonymised_at", "birth_date", "born_abroad", "city", "company_id", "company_started_on", "cpr_encrypted", "cpr_hash", "created_at", "education", "email", "id", "municipality_id", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "postcode", "sex") VALUES (OLD."address", OLD."anonymised_at", OLD."birth_date", OLD."born_abroad", OLD."city", OLD."company_id", OLD."company_started_on", OLD."cpr_encrypted", OLD."cpr_hash", OLD."created_at", OLD."education", OLD."email", OLD."id", OLD."municipality_id", OLD."name", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."phone", OLD."postcode", OLD."sex"); RETURN NULL;',
                    hash="0c68d6da11ef73a20a08e87488c3acae582bc2d9",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_ff646",
                    table="crm_founder",
                    when="AFTER",
                ),
            ),
        ),
    ]
