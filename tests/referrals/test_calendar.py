import datetime

import pytest

from referrals.calendar import due_date, is_working_day

D = datetime.date


@pytest.mark.parametrize(
    ("sent", "due"),
    [
        (D(2026, 11, 23), D(2026, 11, 25)),  # Monday -> Wednesday
        (D(2026, 11, 27), D(2026, 12, 1)),  # Friday -> Tuesday (weekend)
        (D(2026, 11, 28), D(2026, 12, 1)),  # Saturday -> Tuesday
        (D(2026, 4, 2), D(2026, 4, 8)),  # Maundy Thursday -> Wednesday after Easter Monday
        (D(2026, 4, 3), D(2026, 4, 8)),  # Good Friday -> the same Wednesday
        (D(2026, 12, 23), D(2026, 12, 29)),  # Christmas Eve closed, 25-26 holidays
        (D(2023, 5, 4), D(2023, 5, 9)),  # Store Bededag 5 May 2023 was a holiday
        (D(2024, 4, 25), D(2024, 4, 29)),  # ... and 26 April 2024 was not
        (D(2026, 6, 4), D(2026, 6, 9)),  # 5 June closed by default
        (D(2026, 12, 30), D(2027, 1, 5)),  # New Year's Eve closed, 1 January a holiday
    ],
)
def test_referral_due_on_the_second_working_day(sent, due):
    assert due_date(sent) == due


def test_store_bededag_is_a_working_day_from_2024():
    assert not is_working_day(D(2023, 5, 5))
    assert is_working_day(D(2024, 4, 26))


@pytest.mark.parametrize(
    ("sent", "due"),
    [
        (D(2026, 6, 4), D(2026, 6, 8)),
        (D(2026, 12, 23), D(2026, 12, 28)),
        (D(2026, 12, 30), D(2027, 1, 4)),
    ],
)
def test_5_june_24_and_31_december_are_working_days_when_the_setting_says_so(settings, sent, due):
    settings.REFERRAL_CLOSED_DAYS = []
    assert due_date(sent) == due


def test_only_christmas_eve_closed(settings):
    settings.REFERRAL_CLOSED_DAYS = ["12-24"]
    assert not is_working_day(D(2026, 12, 24))
    assert is_working_day(D(2026, 12, 31)) and is_working_day(D(2026, 6, 5))
