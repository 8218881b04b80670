"""The row triggers of an import's ``INSERT ... SELECT``, done set-based.

A row trigger costs every inserted row a PL/pgSQL call: about 100 us each for a company's
change history and search words, more than the insert itself. The import's insert therefore
runs with those two ignored (``pgtrigger.ignore``: they still fire, but return at once) and
writes what they would have written within the same statement, once for all rows:

- the change-history events: pghistory's statement-level form of the model's insert trigger
  (the same columns and values; the context attached once, not per row), fed the new rows;
- the words of the new names: ``add_words_sql``, the SQL the search-word trigger runs per row.

Any other row trigger on insert keeps firing. tests/crm/test_imports.py compares the events
and words of an import with those the triggers write for the same rows.

Foreign keys are checked at the end of the statement, not at commit: each row's ignored trigger
still opens a subtransaction (the ``EXCEPTION`` block that reads ``pgtrigger.ignore``), and a
subtransaction costs time in proportion to the deferred checks already queued (one per row and
foreign key), which made a large insert quadratic (bench/imports.py).
"""

import contextlib
import copy

import pgtrigger
from django.db import connection
from pghistory.trigger import Event

from crm.models.search import add_words_sql, collect_words_trigger

WORDS_TRIGGER = collect_words_trigger().name


def history_triggers(model) -> list[Event]:
    """pghistory's row triggers on insert into ``model`` (unconditional ones)."""
    return [
        trigger
        for tracked, trigger in pgtrigger.registered()
        if tracked is model
        and isinstance(trigger, Event)
        and str(trigger.operation) == str(pgtrigger.Insert)
        and trigger.level == pgtrigger.Row
        and trigger.condition is None
    ]


def has_words_trigger(model) -> bool:
    return any(
        tracked is model and trigger.name == WORDS_TRIGGER
        for tracked, trigger in pgtrigger.registered()
    )


def replaced(model) -> list[str]:
    """The URIs of the triggers on ``model`` that ``after_insert_sql`` stands in for."""
    names = [trigger.name for trigger in history_triggers(model)]
    if has_words_trigger(model):
        names.append(WORDS_TRIGGER)
    return [f"{model._meta.label}:{name}" for name in names]


@contextlib.contextmanager
def replaced_by_sql(model):
    """Inside: the triggers ``after_insert_sql`` stands in for return at once, and foreign
    keys are checked at the end of each statement. Every deferrable constraint of this
    schema is INITIALLY DEFERRED (Django's foreign keys), so DEFERRED afterwards restores
    them; after an error the savepoint's rollback does."""
    with pgtrigger.ignore(*replaced(model)), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def history_sql(trigger: Event, model, rows: str) -> str:
    """pghistory's statement-level form of ``trigger``, reading ``rows`` (a CTE of new rows)
    instead of the trigger's transition table."""
    statement = copy.copy(trigger)
    statement.level = pgtrigger.Statement
    sql = statement.get_func(model).func.replace("{cond_new_values}", f"{rows} AS new_values")
    return sql.removesuffix("RETURN NULL;").strip().removesuffix(";")


def after_insert_sql(model, rows: str) -> str:
    """CTEs (``, name AS (...)``) that write what the replaced triggers write for the rows of
    the CTE ``rows`` (``RETURNING *`` of the insert)."""
    parts = [
        f", history_{number} AS ({history_sql(trigger, model, rows)})"
        for number, trigger in enumerate(history_triggers(model))
    ]
    if has_words_trigger(model):
        parts.append(f", words AS ({add_words_sql('new.search_name', f'{rows} AS new')})")
    return "".join(parts)
