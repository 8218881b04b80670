"""Audit trails people can read: a record's change history (``crm.audit.history``) and the
access logs with their nightly purge (``crm.audit.logs``)."""

from crm.audit.history import record_history, subject_history
from crm.audit.logs import (
    ACCESS_LOGS,
    AccessLog,
    do_purge_access_logs,
    filtered,
    person_name,
    staff_of,
)

__all__ = [
    "ACCESS_LOGS",
    "AccessLog",
    "do_purge_access_logs",
    "filtered",
    "person_name",
    "record_history",
    "staff_of",
    "subject_history",
]
