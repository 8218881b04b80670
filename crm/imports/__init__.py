"""Migration import: an operator's existing records (companies, contact persons, founders,
guidance sessions, referrals, consents) from CSV or XLSX, as a batch a manager can undo.

1. ``do_start_import``: the upload is stored (default_storage) and the file's columns mapped
   to fields, pre-filled from the column names of a typical export of the shared
   erhvervsservice CRM (``ALIASES``).
2. ``check_batch`` (Celery): every row parsed and checked; CPR numbers encrypted and hashed
   at once; the good rows COPYed into the staging table, matched to existing records (CVR,
   P-number, CPR hash) in SQL, and counted as created, updated or skipped; every bad row kept
   with line, column and reason (CPR masked). The upload is deleted.
3. ``run_batch`` (Celery, after the manager confirms): all rows or none, set-based
   ``INSERT ... SELECT`` and ``UPDATE ... FROM`` the staging table; per record what it was
   before (``ImportRecord``).
4. ``do_undo_import``: the records created are removed and the updates reverted, unless
   something else changed them since (``undo_blockers``).

CPR numbers never reach a log, a task argument, the staging table in plaintext or the error
file. Imports need the manager role and ``change_records`` in the records' municipalities
(``import_municipality_ids``); rows elsewhere are refused one by one.

The package by responsibility: ``access`` (who may import), ``fields`` (fields and the
mapping), ``parsing`` (rows), ``targets`` (models and matching SQL), ``batches`` (the
manager's steps), ``checking`` (staging), ``writing`` (the import), ``undo``, ``files``
(the error file).
"""

from crm.imports.access import (
    check_can_import,
    import_municipality_ids,
    managed_operator,
    visible_batches,
)
from crm.imports.batches import do_confirm_import, do_set_mapping, do_start_import, mark_failed
from crm.imports.checking import (
    PROGRESS_EVERY,
    bad_row,
    check_batch,
    copy_staged,
    decide_actions,
    staged_counts,
)
from crm.imports.fields import FIELDS, SUBJECT_FIELDS, Field, normal, suggest_mapping
from crm.imports.files import csv_text, error_file, error_lines
from crm.imports.parsing import (
    Context,
    Row,
    RowProblem,
    Staged,
    masked_cells,
    parse_company,
    parse_consent,
    parse_contact,
    parse_founder,
    parse_referral,
    parse_session,
)
from crm.imports.targets import TARGETS, Target, history_model, model_of
from crm.imports.undo import do_undo_import, references, reverse_relations, undo_blockers
from crm.imports.writing import recompute_contracts, run_batch

__all__ = [
    "FIELDS",
    "PROGRESS_EVERY",
    "SUBJECT_FIELDS",
    "TARGETS",
    "Context",
    "Field",
    "Row",
    "RowProblem",
    "Staged",
    "Target",
    "bad_row",
    "check_batch",
    "check_can_import",
    "copy_staged",
    "csv_text",
    "decide_actions",
    "do_confirm_import",
    "do_set_mapping",
    "do_start_import",
    "do_undo_import",
    "error_file",
    "error_lines",
    "history_model",
    "import_municipality_ids",
    "managed_operator",
    "mark_failed",
    "masked_cells",
    "model_of",
    "normal",
    "parse_company",
    "parse_consent",
    "parse_contact",
    "parse_founder",
    "parse_referral",
    "parse_session",
    "recompute_contracts",
    "references",
    "reverse_relations",
    "run_batch",
    "staged_counts",
    "suggest_mapping",
    "undo_blockers",
    "visible_batches",
]
