"""Audit trails (issue 15): many-to-many changes in the change history (session consultants,
network members and municipalities, consent operators), indexes for the access logs' periods
and purges, and the managers' new right to read them ("view_audit_trail"), granted here to
the managers' role groups as ``crm.services.sync_operator_permissions`` grants it from now on."""

import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models


def grant_audit_trail(apps, schema_editor):
    crm = apps.get_app_config("crm")
    crm.models_module = True  # create_permissions skips an app without it (migration state)
    create_permissions(crm, apps=apps, verbosity=0)
    crm.models_module = None
    Permission = apps.get_model("auth", "Permission")
    GroupObjectPermission = apps.get_model("guardian", "GroupObjectPermission")
    OperatorRoleGroup = apps.get_model("crm", "OperatorRoleGroup")
    permission = Permission.objects.get(codename="view_audit_trail", content_type__app_label="crm")
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
        ("crm", "0017_import_batches"),
        ("pghistory", "0007_auto_20250421_0444"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ConsentOperatorEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="NetworkMemberEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="NetworkMunicipalityEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="SessionConsultantEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="ConsentOperator",
            fields=[],
            options={
                "verbose_name": "operatør, samtykket er givet til",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("crm.consent_operators",),
        ),
        migrations.CreateModel(
            name="NetworkMember",
            fields=[],
            options={
                "verbose_name": "medlem af netværk",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("crm.network_members",),
        ),
        migrations.CreateModel(
            name="NetworkMunicipality",
            fields=[],
            options={
                "verbose_name": "kommune, netværket dækker",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("crm.network_municipalities",),
        ),
        migrations.CreateModel(
            name="SessionConsultant",
            fields=[],
            options={
                "verbose_name": "konsulent på vejledning",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("crm.guidancesession_consultants",),
        ),
        migrations.AlterModelOptions(
            name="municipality",
            options={
                "ordering": ["name"],
                "permissions": [
                    ("view_municipality_data", "Tilhører kommunen (ser aggregerede tal)"),
                    ("view_records", "Ser virksomheder, iværksættere og vejledninger"),
                    ("change_records", "Registrerer og retter virksomheder og vejledninger"),
                    ("reveal_cpr", "Kan vise et fuldt CPR-nummer"),
                    ("triage_referrals", "Visiterer henvisninger"),
                    ("manage_contracts", "Redigerer kontrakter og mål"),
                    ("view_consent_access", "Ser hvem der har læst operatørens oplysninger"),
                    ("view_audit_trail", "Ser ændringshistorik og adgangslogge, besvarer indsigt"),
                ],
                "verbose_name": "kommune",
                "verbose_name_plural": "kommuner",
            },
        ),
        migrations.AddIndex(
            model_name="consentaccess",
            index=models.Index(fields=["at"], name="consent_access_at"),
        ),
        migrations.AddIndex(
            model_name="cprreveal",
            index=models.Index(fields=["revealed_at"], name="cpr_reveal_at"),
        ),
        migrations.AddField(
            model_name="consentoperatorevent",
            name="consent",
            field=models.ForeignKey(
                db_constraint=False,
                db_tablespace="",
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="crm.consent",
            ),
        ),
        migrations.AddField(
            model_name="consentoperatorevent",
            name="operator",
            field=models.ForeignKey(
                db_constraint=False,
                db_tablespace="",
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="crm.operator",
            ),
        ),
        migrations.AddField(
            model_name="consentoperatorevent",
            name="pgh_context",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="pghistory.context",
            ),
        ),
        migrations.AddField(
            model_name="networkmemberevent",
            name="company",
            field=models.ForeignKey(
                db_constraint=False,
                db_tablespace="",
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="crm.company",
            ),
        ),
        migrations.AddField(
            model_name="networkmemberevent",
            name="network",
            field=models.ForeignKey(
                db_constraint=False,
                db_tablespace="",
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="crm.network",
            ),
        ),
        migrations.AddField(
            model_name="networkmemberevent",
            name="pgh_context",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="pghistory.context",
            ),
        ),
        migrations.AddField(
            model_name="networkmunicipalityevent",
            name="municipality",
            field=models.ForeignKey(
                db_constraint=False,
                db_tablespace="",
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="crm.municipality",
            ),
        ),
        migrations.AddField(
            model_name="networkmunicipalityevent",
            name="network",
            field=models.ForeignKey(
                db_constraint=False,
                db_tablespace="",
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="crm.network",
            ),
        ),
        migrations.AddField(
            model_name="networkmunicipalityevent",
            name="pgh_context",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="pghistory.context",
            ),
        ),
        migrations.AddField(
            model_name="sessionconsultantevent",
            name="guidancesession",
            field=models.ForeignKey(
                db_constraint=False,
                db_tablespace="",
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="crm.guidancesession",
            ),
        ),
        migrations.AddField(
            model_name="sessionconsultantevent",
            name="pgh_context",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="pghistory.context",
            ),
        ),
        migrations.AddField(
            model_name="sessionconsultantevent",
            name="user",
            field=models.ForeignKey(
                db_constraint=False,
                db_tablespace="",
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="consentoperator",
            trigger=pgtrigger.compiler.Trigger(
                name="add_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "crm_consentoperatorevent" ("consent_id", "id", "operator_id", "pgh_context_id", "pgh_created_at", "pgh_label") VALUES (NEW."consent_id", NEW."id", NEW."operator_id", _pgh_attach_context(), NOW(), \'add\'); RETURN NULL;',
                    hash="884d36e7b91dd13ebf6abc045acf20d44e8ce69b",
                    operation="INSERT",
                    pgid="pgtrigger_add_insert_372bf",
                    table="crm_consent_operators",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="consentoperator",
            trigger=pgtrigger.compiler.Trigger(
                name="remove_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "crm_consentoperatorevent" ("consent_id", "id", "operator_id", "pgh_context_id", "pgh_created_at", "pgh_label") VALUES (OLD."consent_id", OLD."id", OLD."operator_id", _pgh_attach_context(), NOW(), \'remove\'); RETURN NULL;',
                    hash="e27fd110f906e4eec8f4a2d31b2ae5d67eb920c1",
                    operation="DELETE",
                    pgid="pgtrigger_remove_delete_fb3e5",
                    table="crm_consent_operators",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="networkmember",
            trigger=pgtrigger.compiler.Trigger(
                name="add_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "crm_networkmemberevent" ("company_id", "id", "network_id", "pgh_context_id", "pgh_created_at", "pgh_label") VALUES (NEW."company_id", NEW."id", NEW."network_id", _pgh_attach_context(), NOW(), \'add\'); RETURN NULL;',
                    hash="357beccfb7866819eddafcb60b83b052918cc76f",
                    operation="INSERT",
                    pgid="pgtrigger_add_insert_a2b66",
                    table="crm_network_members",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="networkmember",
            trigger=pgtrigger.compiler.Trigger(
                name="remove_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "crm_networkmemberevent" ("company_id", "id", "network_id", "pgh_context_id", "pgh_created_at", "pgh_label") VALUES (OLD."company_id", OLD."id", OLD."network_id", _pgh_attach_context(), NOW(), \'remove\'); RETURN NULL;',
                    hash="b6e61ed90076ceedb14552b62feb8179ae983dac",
                    operation="DELETE",
                    pgid="pgtrigger_remove_delete_f1986",
                    table="crm_network_members",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="networkmunicipality",
            trigger=pgtrigger.compiler.Trigger(
                name="add_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "crm_networkmunicipalityevent" ("id", "municipality_id", "network_id", "pgh_context_id", "pgh_created_at", "pgh_label") VALUES (NEW."id", NEW."municipality_id", NEW."network_id", _pgh_attach_context(), NOW(), \'add\'); RETURN NULL;',
                    hash="a4bfa3c78161977bef84194a3af671752bfc6776",
                    operation="INSERT",
                    pgid="pgtrigger_add_insert_14e1a",
                    table="crm_network_municipalities",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="networkmunicipality",
            trigger=pgtrigger.compiler.Trigger(
                name="remove_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "crm_networkmunicipalityevent" ("id", "municipality_id", "network_id", "pgh_context_id", "pgh_created_at", "pgh_label") VALUES (OLD."id", OLD."municipality_id", OLD."network_id", _pgh_attach_context(), NOW(), \'remove\'); RETURN NULL;',
                    hash="c5e97423c935a66045e86461a7efb679d27696e6",
                    operation="DELETE",
                    pgid="pgtrigger_remove_delete_9c70d",
                    table="crm_network_municipalities",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="sessionconsultant",
            trigger=pgtrigger.compiler.Trigger(
                name="add_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "crm_sessionconsultantevent" ("guidancesession_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "user_id") VALUES (NEW."guidancesession_id", NEW."id", _pgh_attach_context(), NOW(), \'add\', NEW."user_id"); RETURN NULL;',
                    hash="b72796a658e922dd70ca36206ce9ade48e25ff94",
                    operation="INSERT",
                    pgid="pgtrigger_add_insert_c7f21",
                    table="crm_guidancesession_consultants",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="sessionconsultant",
            trigger=pgtrigger.compiler.Trigger(
                name="remove_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "crm_sessionconsultantevent" ("guidancesession_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "user_id") VALUES (OLD."guidancesession_id", OLD."id", _pgh_attach_context(), NOW(), \'remove\', OLD."user_id"); RETURN NULL;',
                    hash="bce41de43e71731dc00757b6bc7bda951aa2551d",
                    operation="DELETE",
                    pgid="pgtrigger_remove_delete_8dee4",
                    table="crm_guidancesession_consultants",
                    when="AFTER",
                ),
            ),
        ),
        migrations.RunPython(grant_audit_trail, migrations.RunPython.noop),
    ]
