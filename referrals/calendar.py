"""The Danish working-day calendar for referral deadlines.

Public holidays come from the ``holidays`` package (Store Bededag is not a holiday from 2024).
Whether Constitution Day (5 June), Christmas Eve and New Year's Eve are working days is the
setting ``REFERRAL_CLOSED_DAYS`` (a list of "MM-DD"; all three are closed by default).
"""

import datetime
from functools import cache

import holidays
from django.conf import settings

DEADLINE_WORKING_DAYS = 2


@cache
def _public_holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.Denmark(years=year))


def is_working_day(day: datetime.date) -> bool:
    return (
        day.weekday() < 5
        and day not in _public_holidays(day.year)
        and f"{day:%m-%d}" not in settings.REFERRAL_CLOSED_DAYS
    )


def add_working_days(day: datetime.date, count: int) -> datetime.date:
    """The ``count``-th working day after ``day`` (``day`` itself never counts)."""
    while count:
        day += datetime.timedelta(days=1)
        count -= is_working_day(day)
    return day


def due_date(sent_on: datetime.date) -> datetime.date:
    """A referral to a hub is due at the end of the second working day after it was sent."""
    return add_working_days(sent_on, DEADLINE_WORKING_DAYS)
