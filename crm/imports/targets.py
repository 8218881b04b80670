"""Where each kind of row goes: its model, parser, the columns an update may change and the SQL
that matches a staged row to an existing record."""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps

from crm.imports.parsing import (
    parse_company,
    parse_consent,
    parse_contact,
    parse_founder,
    parse_referral,
    parse_session,
)
from crm.models import ImportBatch

Kind = ImportBatch.Kind


@dataclass(frozen=True)
class Target:
    """Where a kind of row goes: the table, the columns an update may change, and the SQL
    that finds the record a row matches (``{staging}`` rows of ``%(batch)s``)."""

    model: str
    parse: Callable
    update_columns: tuple[str, ...] = ()
    match_sql: str = ""


SUBJECT_MATCH = (
    "t.company_id IS NOT DISTINCT FROM (s.data->>'company_id')::bigint"
    " AND t.founder_id IS NOT DISTINCT FROM (s.data->>'founder_id')::bigint"
)
TARGETS = {
    Kind.COMPANIES: Target(
        "crm.company",
        parse_company,
        ("p_number", "name", "address", "postcode", "city", "municipality_id", "employees")
        + ("started_on",),
    ),
    Kind.FOUNDERS: Target(
        "crm.founder",
        parse_founder,
        ("name", "address", "postcode", "city", "phone", "email", "education", "municipality_id"),
    ),
    Kind.CONTACTS: Target(
        "crm.contactperson",
        parse_contact,
        ("role", "phone", "email", "education"),
        "t.company_id = (s.data->>'company_id')::bigint AND lower(t.name) = lower(s.data->>'name')",
    ),
    Kind.SESSIONS: Target(
        "crm.guidancesession",
        parse_session,
        match_sql=SUBJECT_MATCH + " AND t.operator_id = (s.data->>'operator_id')::bigint"
        " AND t.date = (s.data->>'date')::date AND t.tier = s.data->>'tier'"
        " AND t.channel = s.data->>'channel'",
    ),
    Kind.REFERRALS: Target(
        "referrals.referral",
        parse_referral,
        match_sql=SUBJECT_MATCH
        + " AND t.sender_operator_id = (s.data->>'sender_operator_id')::bigint"
        " AND t.target_operator_id = (s.data->>'target_operator_id')::bigint"
        " AND t.sent_at::date = (s.data->>'sent_at')::timestamptz::date",
    ),
    Kind.CONSENTS: Target(
        "crm.consent",
        parse_consent,
        match_sql=SUBJECT_MATCH + " AND t.operator_id = (s.data->>'operator_id')::bigint"
        " AND t.given_on = (s.data->>'given_on')::date AND t.scope = s.data->>'scope'",
    ),
}


def model_of(label: str):
    return apps.get_model(label)


def history_model(model):
    """The pghistory event model of ``model`` (its rows' ``pgh_obj``)."""
    return next(
        rel.related_model for rel in model._meta.related_objects if rel.field.name == "pgh_obj"
    )
