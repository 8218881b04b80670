"""Two calls at the same moment, every time: each in a thread of its own, on its own database
connection, in its own transaction on PostgreSQL, while a third connection holds the rows'
locks until every call waits for one (``at_once``), instead of only when the scheduler happens
to interleave them."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction

WAIT = 30  # seconds; a test that waits this long has hung


def on_own_connection(call):
    """``call`` as a thread runs it: on the thread's own connection, closed at the end; what
    it raises is its answer."""

    def run():
        try:
            return call()
        except Exception as error:  # noqa: BLE001 (the answer the test checks)
            return error
        finally:
            connection.close()

    return run


def waiting_for_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def wait_until_waiting(count: int, started=()) -> None:
    """Until ``count`` connections wait for a lock. ``started``: the calls' futures, so that
    a call that ended instead of waiting (it raised, or found no connection in the pool) says
    what it answered."""
    deadline = time.monotonic() + WAIT
    while waiting_for_locks() < count:
        ended = [future.result() for future in started if future.done()]
        assert not ended, f"a call ended instead of waiting for a lock: {ended}"
        assert time.monotonic() < deadline, f"{count} calls never waited for a lock"
        time.sleep(0.02)


def at_once(*calls, held) -> list:
    """Run ``calls`` in threads while another connection holds the rows of ``held`` locked;
    the calls start in the order given (each waits for a lock before the next starts) and
    are let go together. Their answers (or what they raised) in the order given."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            for record in held:
                type(record)._base_manager.select_for_update().get(pk=record.pk)
            locked.set()
            release.wait(WAIT)

    with ThreadPoolExecutor(len(calls) + 1) as pool:
        holder = pool.submit(on_own_connection(hold))
        assert locked.wait(WAIT)
        answers = []
        for call in calls:
            answers.append(pool.submit(on_own_connection(call)))
            wait_until_waiting(len(answers), answers)
        release.set()
        assert holder.result(WAIT) is None
        return [answer.result(WAIT) for answer in answers]
