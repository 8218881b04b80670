"""Merging duplicates: a company or founder registered twice (before the CVR number was
known, a founder typed in twice, a wrong CVR number) becomes one record.

Everything that refers to the duplicate moves to the survivor: every foreign key and
many-to-many to the model, found through Django's ``_meta.related_objects`` so that rows of
apps added later (sessions, referrals, consents, contacts, networks, evaluations, projects,
enrolments, consent reads, CPR reveals) move too, and the duplicate's change history with
them. The merge is in the change history (pghistory context ``merge``); afterwards the goal
attainment of the contracts covering the two records' municipalities recomputes.

Two merges at once: both rows are locked, the lower id first, so two merges of the same records
(either way round) queue instead of deadlocking, and two merges into one survivor take turns.
Rows are read again under the lock: a record merged away meanwhile refuses the second merge
before it writes anything.
"""

from dataclasses import dataclass

import pghistory
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from crm import concurrency, impact
from crm.imports import import_municipality_ids, recompute_contracts, reverse_relations
from crm.models import Company, Founder
from crm.services import DomainError

MERGEABLE = {"company": Company, "founder": Founder}
# The survivor keeps its own values; these are taken from the duplicate where it has none.
FILLED_FROM_DUPLICATE = {
    Company: [
        "p_number",
        "address",
        "postcode",
        "city",
        "industry_code",
        "employees",
        "started_on",
    ],
    Founder: ["address", "postcode", "city", "phone", "email", "education", "company"],
}


@dataclass
class MergeResult:
    survivor: object
    moved: dict[str, int]  # "app_label.model.field" -> rows moved
    contract_ids: list[int]


def check_can_merge(user, survivor, duplicate) -> None:
    """Both records in municipalities where the user imports and merges (a manager with
    ``change_records``); the same kind; two records."""
    allowed = import_municipality_ids(user)
    if survivor.municipality_id not in allowed or duplicate.municipality_id not in allowed:
        raise PermissionDenied
    if type(survivor) is not type(duplicate) or survivor.pk == duplicate.pk:
        raise DomainError(_("Vælg to forskellige poster af samme slags."))


def lock_pair(survivor, duplicate) -> None:
    """Both records re-read as stored now, their rows locked until the transaction ends: the
    lower id first, whichever is the survivor. One deleted meanwhile (merged into another
    record by a colleague) refuses the merge (``concurrency.Gone``)."""
    for record in sorted([survivor, duplicate], key=lambda record: record.pk):
        concurrency.lock(record)


def relations(model):
    """(related model, field name, many-to-many) of every table that refers to ``model``."""
    for rel in reverse_relations(model):
        if rel.many_to_many:
            through = rel.through
            field = next(
                f.name
                for f in through._meta.concrete_fields
                if f.is_relation and f.related_model is model
            )
            yield through, field, True
        else:
            yield rel.related_model, rel.field.name, False


def move_references(survivor, duplicate) -> dict[str, int]:
    moved = {}
    for related, field, many in relations(type(survivor)):
        rows = related._base_manager.filter(**{field: duplicate})
        if many:  # a membership both records have is kept once
            others = [f.name for f in related._meta.concrete_fields if f.is_relation]
            other = next(name for name in others if name != field)
            kept = related._base_manager.filter(**{field: survivor}).values(other)
            rows.filter(**{f"{other}__in": kept}).delete()
        if field == "pgh_obj":
            continue  # history moves after the duplicate is deleted, its deletion included
        if count := rows.update(**{field: survivor}):
            moved[f"{related._meta.label_lower}.{field}"] = count
    return moved


def fill_blanks(survivor, duplicate) -> None:
    changed = []
    for name in FILLED_FROM_DUPLICATE[type(survivor)]:
        field = type(survivor)._meta.get_field(name)
        mine, theirs = field.value_from_object(survivor), field.value_from_object(duplicate)
        if mine in (None, "") and theirs not in (None, ""):
            setattr(survivor, field.attname, theirs)
            changed.append(name)
    if changed:
        survivor.save(update_fields=changed)


def history_of(model):
    return next(
        (rel.related_model, rel.field.name)
        for rel in model._meta.related_objects
        if rel.field.name == "pgh_obj"
    )


@transaction.atomic
def do_merge(user, survivor, duplicate) -> MergeResult:
    """Merge ``duplicate`` into ``survivor``: its related rows and history move, empty
    fields of the survivor take its values, and it is deleted. Side effects: all in the
    change history with the context ``merge``; contracts recompute after commit."""
    check_can_merge(user, survivor, duplicate)
    lock_pair(survivor, duplicate)
    check_can_merge(user, survivor, duplicate)  # as stored now: a refresh may have moved one
    model = type(survivor)
    municipalities = sorted({survivor.municipality_id, duplicate.municipality_id})
    label = f"{model._meta.label_lower}:{duplicate.pk}->{survivor.pk}"
    with pghistory.context(merge=label, merged_by=user.pk):
        if model is Company:  # one row per company and year: a year both have is combined
            impact.merge_years(survivor, duplicate)
        moved = move_references(survivor, duplicate)
        fill_blanks(survivor, duplicate)
        duplicate_pk = duplicate.pk
        model._base_manager.filter(pk=duplicate_pk).delete()
        events, field = history_of(model)
        moved["history"] = events.objects.filter(**{f"{field}_id": duplicate_pk}).update(
            **{field: survivor}
        )
    contracts = []
    # After commit, so the tasks count the merged rows; robust: the merge stands (and the
    # nightly run recomputes) if the broker is down.
    transaction.on_commit(
        lambda: contracts.extend(recompute_contracts(municipalities)), robust=True
    )
    return MergeResult(survivor, moved, contracts)
