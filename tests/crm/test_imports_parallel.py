"""The migration import at once with itself and with a merge (crm.imports, crm.merging), each
call on its own connection at the same moment (tests.at_once)."""

import pytest
from celery.signals import task_prerun

from crm import imports, merging
from crm.models import Company, GuidanceSession, ImportBatch, ImportRecord
from crm.services import DomainError
from tests.at_once import at_once
from tests.conftest import CVRS, record_consent

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = ["CVR-nr", "Virksomhedsnavn", "Kommune"]


def imported(world, rows, kind="companies", header=HEADER) -> ImportBatch:
    """A batch of ``rows``, checked and imported (the tasks run in-process)."""
    batch = checked(world, rows, kind, header)
    imports.do_confirm_import(world.manager, batch)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE, batch.message
    return batch


def checked(world, rows, kind="companies", header=HEADER) -> ImportBatch:
    data = imports.csv_text([header, *rows])
    batch = imports.do_start_import(world.manager, kind=kind, name="eksport.csv", data=data)
    imports.do_set_mapping(batch, batch.mapping)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.CHECKED and not batch.errors, batch.errors
    return batch


def fresh(batch: ImportBatch) -> ImportBatch:
    """The batch as a second request reads it (its own object)."""
    return ImportBatch.objects.get(pk=batch.pk)


def one_refused(answers, *, refusal=DomainError) -> tuple[object, Exception]:
    """The answer of the call that went through and the refusal of the other."""
    refused = [answer for answer in answers if isinstance(answer, refusal)]
    others = [answer for answer in answers if not isinstance(answer, Exception)]
    assert (len(others), len(refused)) == (1, 1), answers
    return others[0], refused[0]


def events_in_context(record, key: str) -> list[str]:
    events = record.events.filter(**{f"pgh_context__metadata__{key}__isnull": False})
    return list(events.values_list("pgh_label", flat=True))


# --- Two undos of one batch ----------------------------------------------------------------


def test_two_undos_of_one_batch_at_once_undo_it_once_and_refuse_the_second(world, company):
    rows = [[CVRS[0], "Omdøbt Smedie ApS", "791"], [CVRS[1], "Ny ApS", "791"]]
    batch = imported(world, rows)
    created = Company.objects.get(cvr=CVRS[1])

    answers = at_once(
        lambda: imports.do_undo_import(world.manager, fresh(batch)),
        lambda: imports.do_undo_import(world.manager, fresh(batch)),
        held=[batch],
    )

    _undone, refused = one_refused(answers)
    assert "allerede fortrudt" in str(refused)
    assert fresh(batch).state == ImportBatch.State.UNDONE
    assert not Company.objects.filter(pk=created.pk).exists()
    company.refresh_from_db()
    assert company.name == "Østergaard Smedie ApS"
    # Reverted once: one change-history event of the undo, for the one record it changed back.
    assert events_in_context(company, "undo_import_batch") == ["update"]


# --- An undo and a merge of a record the batch created -------------------------------------


def test_a_merge_after_the_import_blocks_its_undo_and_the_undo_says_so(world, company):
    batch = imported(world, [[CVRS[1], "Smedien ApS", "791"]])
    duplicate = Company.objects.get(cvr=CVRS[1])
    merging.do_merge(world.manager, company, duplicate)  # the imported one merged away

    blockers = imports.undo_blockers(fresh(batch))

    assert len(blockers) == 1 and "lagt sammen" in blockers[0], blockers
    with pytest.raises(DomainError, match="lagt sammen"):
        imports.do_undo_import(world.manager, fresh(batch))
    assert fresh(batch).state == ImportBatch.State.DONE
    assert Company.objects.filter(pk=company.pk).exists()


def test_a_record_merged_into_an_imported_one_blocks_the_undo(world, company):
    batch = imported(world, [[CVRS[1], "Smedien ApS", "791"]])
    survivor = Company.objects.get(cvr=CVRS[1])
    record_consent(world.consultant, company)  # a session, a contact person, a consent
    merging.do_merge(world.manager, survivor, company)  # a registered one merged into it

    blockers = imports.undo_blockers(fresh(batch))

    assert "lagt sammen" in blockers[0], blockers
    assert any("vejledninger" in blocker for blocker in blockers[1:]), blockers
    with pytest.raises(DomainError, match="lagt sammen"):
        imports.do_undo_import(world.manager, fresh(batch))
    assert GuidanceSession.objects.get().company_id == survivor.pk


def test_a_merge_and_the_undo_at_once_the_merge_first_the_undo_is_refused(world, company):
    batch = imported(world, [[CVRS[1], "Smedien ApS", "791"]])
    duplicate = Company.objects.get(cvr=CVRS[1])

    merged, refused = at_once(
        lambda: merging.do_merge(world.manager, Company.objects.get(pk=company.pk), duplicate),
        lambda: imports.do_undo_import(world.manager, fresh(batch)),
        held=[duplicate],
    )

    assert isinstance(merged, merging.MergeResult), merged
    assert isinstance(refused, DomainError) and "lagt sammen" in str(refused), refused
    assert fresh(batch).state == ImportBatch.State.DONE
    assert list(Company.objects.values_list("pk", flat=True)) == [company.pk]


def test_the_undo_and_a_merge_at_once_the_undo_first_the_merge_is_refused(world, company):
    batch = imported(world, [[CVRS[1], "Smedien ApS", "791"]])
    duplicate = Company.objects.get(cvr=CVRS[1])

    undone, refused = at_once(
        lambda: imports.do_undo_import(world.manager, fresh(batch)),
        lambda: merging.do_merge(world.manager, Company.objects.get(pk=company.pk), duplicate),
        held=[duplicate],
    )

    assert undone is None, undone
    assert isinstance(refused, DomainError) and "findes ikke længere" in str(refused), refused
    assert fresh(batch).state == ImportBatch.State.UNDONE
    assert list(Company.objects.values_list("pk", flat=True)) == [company.pk]
    assert events_in_context(Company.objects.get(), "merge") == []


# --- Two confirmations of one batch --------------------------------------------------------


@pytest.fixture
def import_runs():
    """The ids of the batches the import task ran for (Celery's own signal)."""
    runs = []

    def count(sender=None, args=(), **kwargs):
        if sender.name == "crm.tasks.run_import":
            runs.append(args[0])

    task_prerun.connect(count, weak=False)
    yield runs
    task_prerun.disconnect(count)


def test_two_confirmations_of_one_batch_at_once_import_it_once(world, company, import_runs):
    header = ["CVR-nr", "Dato", "Vejledningstype", "Kanal"]
    rows = [[CVRS[0], f"0{day}.02.2025", "Lokal", "Telefon"] for day in range(1, 4)]
    batch = checked(world, rows, kind="sessions", header=header)

    answers = at_once(
        lambda: imports.do_confirm_import(world.manager, fresh(batch)),
        lambda: imports.do_confirm_import(world.manager, fresh(batch)),
        held=[batch],
    )

    _started, refused = one_refused(answers)
    assert "kan ikke startes nu" in str(refused)
    assert import_runs == [batch.pk]
    assert fresh(batch).state == ImportBatch.State.DONE
    assert GuidanceSession.objects.filter(company=company).count() == 3
    assert ImportRecord.objects.filter(batch=batch).count() == 3


def test_an_import_task_delivered_twice_imports_once_and_keeps_its_mark(world, company):
    header = ["CVR-nr", "Dato", "Vejledningstype", "Kanal"]
    batch = checked(world, [[CVRS[0], "03.02.2025", "Lokal", "Telefon"]], "sessions", header)
    imports.do_confirm_import(world.manager, batch)
    GuidanceSession.objects.update(content="Rettet efter indlæsningen")  # a later change

    imports.run_batch(fresh(batch))  # the broker hands the task out again

    assert GuidanceSession.objects.filter(company=company).count() == 1
    assert "1 vejledninger er ændret" in imports.undo_blockers(fresh(batch))[0]
