"""Notice periods against the State Council's published schedules.

Expected dates were worked out by hand from the official 放假安排 notices:
2025: 春节 01-28..02-04, 调休上班 01-26 (Sun) and 02-08 (Sat);
      国庆+中秋 10-01..10-08, 调休上班 09-28 (Sun) and 10-11 (Sat).
2026: 春节 02-15..02-23, 调休上班 02-14 (Sat) and 02-28 (Sat);
      国庆 10-01..10-07, 调休上班 09-20 (Sun) and 10-10 (Sat).
"""
from datetime import date, datetime

import pytest

from portal.domain.workdays import (
    NoticePeriod,
    Overrides,
    covered_years,
    is_provisional_year,
    is_workday,
    notice_period,
    working_days_between,
)


def test_package_covers_the_announced_years_and_not_2027():
    years = covered_years()
    assert 2004 in years
    assert 2025 in years
    assert 2026 in years
    # The fallback tests below need an unannounced year; revisit them when the package adds 2027.
    assert 2027 not in years


def test_provisional_years():
    assert not is_provisional_year(2025)
    assert not is_provisional_year(2026)
    assert is_provisional_year(2027)
    assert is_provisional_year(1990)
    assert not is_provisional_year(2027, Overrides(complete_years=frozenset({2027})))
    assert is_provisional_year(2028, Overrides(complete_years=frozenset({2027})))


def test_national_day_2025_week():
    # Mon 09-29 and Tue 09-30 count, 10-01..10-08 off, then Thu 10-09, Fri 10-10, make-up Sat 10-11.
    assert notice_period(date(2025, 9, 29)) == NoticePeriod(
        start=date(2025, 9, 29), end=date(2025, 10, 11), days=5, provisional=False
    )
    assert notice_period(date(2025, 9, 29)).end == date(2025, 10, 11)


def test_start_on_national_day_2025_make_up_sunday_counts():
    # Sun 09-28 is a make-up working day: 09-28, 09-29, 09-30, 10-09, 10-10.
    assert notice_period(date(2025, 9, 28)).end == date(2025, 10, 10)


def test_start_inside_national_day_2025_holiday():
    # Counting begins Thu 10-09: 10-09, 10-10, Sat 10-11 (make-up), Mon 10-13, Tue 10-14.
    assert notice_period(date(2025, 10, 1)).end == date(2025, 10, 14)


def test_spring_festival_2025():
    # Fri 01-24, make-up Sun 01-26, Mon 01-27, holiday 01-28..02-04, Wed 02-05, Thu 02-06.
    assert notice_period(date(2025, 1, 24)).end == date(2025, 2, 6)


def test_start_on_spring_festival_2025_make_up_sunday():
    # Make-up Sun 01-26 counts: 01-26, 01-27, 02-05, 02-06, 02-07.
    assert notice_period(date(2025, 1, 26)).end == date(2025, 2, 7)


def test_after_spring_festival_2025_make_up_saturday_counts():
    # Wed 02-05, Thu 02-06, Fri 02-07, make-up Sat 02-08, Mon 02-10.
    assert notice_period(date(2025, 2, 5)).end == date(2025, 2, 10)


def test_spring_festival_2026():
    # Thu 02-12, Fri 02-13, make-up Sat 02-14, holiday 02-15..02-23, Tue 02-24, Wed 02-25.
    assert notice_period(date(2026, 2, 12)).end == date(2026, 2, 25)


def test_ten_days_across_spring_festival_2026():
    # 02-12, 02-13, 02-14 (make-up), 02-24..02-27, 02-28 (make-up Sat), Mon 03-02, Tue 03-03.
    period = notice_period(date(2026, 2, 12), days=10)
    assert period.end == date(2026, 3, 3)
    assert period.days == 10
    assert not period.provisional


def test_national_day_2026_make_up_days():
    # Make-up Sun 09-20 counts: 09-20, 09-21..09-24; 09-25 is 中秋 (Fri).
    assert notice_period(date(2026, 9, 20)).end == date(2026, 9, 24)
    # Wed 09-30, holiday 10-01..10-07, Thu 10-08, Fri 10-09, make-up Sat 10-10, Mon 10-12.
    assert notice_period(date(2026, 9, 30)).end == date(2026, 10, 12)


def test_start_on_weekend():
    # Sat 2025-11-22: counting begins Mon 11-24 and runs to Fri 11-28.
    period = notice_period(date(2025, 11, 22))
    assert period.start == date(2025, 11, 22)
    assert period.end == date(2025, 11, 28)


def test_ordinary_week_in_2026():
    # Tue 2026-11-24 .. Fri 11-27, then Mon 11-30.
    assert notice_period(date(2026, 11, 24)).end == date(2026, 11, 30)


def test_one_day():
    assert notice_period(date(2025, 11, 24), 1).end == date(2025, 11, 24)
    assert notice_period(date(2025, 11, 22), 1).end == date(2025, 11, 24)
    assert notice_period(date(2025, 10, 1), 1).end == date(2025, 10, 9)


def test_ten_days_plain():
    # Mon 2025-11-24 .. Fri 11-28, Mon 12-01 .. Fri 12-05.
    assert notice_period(date(2025, 11, 24), 10).end == date(2025, 12, 5)


@pytest.mark.parametrize("days", [0, -1])
def test_days_must_be_positive(days):
    with pytest.raises(ValueError):
        notice_period(date(2025, 11, 24), days)


def test_override_turns_weekday_off():
    overrides = Overrides(days={date(2025, 11, 26): False})
    assert not is_workday(date(2025, 11, 26), overrides)
    # 11-24, 11-25, 11-27, 11-28, Mon 12-01.
    assert notice_period(date(2025, 11, 24), overrides=overrides).end == date(2025, 12, 1)


def test_override_turns_saturday_into_working_day():
    overrides = Overrides(days={date(2025, 11, 29): True})
    assert is_workday(date(2025, 11, 29), overrides)
    assert not is_workday(date(2025, 11, 29))
    # Without it: 11-26, 11-27, 11-28, 12-01, 12-02.
    assert notice_period(date(2025, 11, 26)).end == date(2025, 12, 2)
    # With it: 11-26, 11-27, 11-28, Sat 11-29, Mon 12-01.
    assert notice_period(date(2025, 11, 26), overrides=overrides).end == date(2025, 12, 1)


def test_override_beats_package_make_up_day():
    overrides = Overrides(days={date(2025, 10, 11): False})
    # 09-29, 09-30, 10-09, 10-10, then Mon 10-13 instead of the make-up Saturday.
    assert notice_period(date(2025, 9, 29), overrides=overrides).end == date(2025, 10, 13)


def test_notice_crossing_into_unannounced_2027_is_provisional():
    # Mon 2026-12-28 .. Thu 12-31, 2027-01-01 (元旦) off, weekend, Mon 2027-01-04.
    period = notice_period(date(2026, 12, 28))
    assert period.end == date(2027, 1, 4)
    assert period.provisional
    assert not is_workday(date(2027, 1, 1))


def test_notice_ending_before_2027_is_not_provisional():
    # Tue 2026-12-22 .. Mon 12-28 stays inside the announced year.
    period = notice_period(date(2026, 12, 22))
    assert period.end == date(2026, 12, 28)
    assert not period.provisional


def test_complete_override_year_is_not_provisional():
    # A hypothetical 2027 schedule an administrator has entered in full.
    overrides = Overrides(
        days={date(2027, 1, 1): False, date(2027, 1, 4): False},
        complete_years=frozenset({2027}),
    )
    period = notice_period(date(2026, 12, 28), overrides=overrides)
    # 12-28 .. 12-31, 01-01 and the weekend off, 01-04 off by override, Tue 01-05.
    assert period.end == date(2027, 1, 5)
    assert not period.provisional


def test_incomplete_override_year_stays_provisional():
    overrides = Overrides(days={date(2027, 1, 4): False})
    period = notice_period(date(2026, 12, 28), overrides=overrides)
    assert period.end == date(2027, 1, 5)
    assert period.provisional


def test_fallback_fixed_holidays():
    assert not is_workday(date(2027, 10, 1))  # Fri, 国庆
    assert is_workday(date(2027, 10, 4))  # Mon, no announced schedule to move it
    assert not is_workday(date(2028, 5, 1))  # Mon, 劳动节
    assert not is_workday(date(2028, 5, 2))  # Tue, second 劳动节 day since 2025
    assert not is_workday(date(2028, 10, 3))  # Tue, 国庆
    assert is_workday(date(2028, 10, 4))  # Wed
    assert not is_workday(date(2027, 1, 2))  # Sat


def test_fallback_before_package_years():
    # Mon 1900-01-01 is 元旦; counting begins Tue 01-02: 01-02..01-05, Mon 01-08.
    period = notice_period(date(1900, 1, 1))
    assert period.end == date(1900, 1, 8)
    assert period.provisional


@pytest.mark.parametrize("year", range(1900, 2101))
def test_never_crashes(year):
    period = notice_period(date(year, 12, 28), days=10)
    assert period.end > period.start
    assert working_days_between(period.start, period.end) == 10


def test_datetime_is_accepted():
    overrides = Overrides(days={date(2025, 11, 26): False})
    assert not is_workday(datetime(2025, 11, 26, 9, 30), overrides)
    assert notice_period(datetime(2025, 9, 29, 8, 0)).end == date(2025, 10, 11)


def test_working_days_between():
    assert working_days_between(date(2025, 9, 29), date(2025, 10, 11)) == 5
    assert working_days_between(date(2025, 10, 1), date(2025, 10, 8)) == 0
    assert working_days_between(date(2025, 11, 24), date(2025, 11, 24)) == 1
    assert working_days_between(date(2025, 11, 28), date(2025, 11, 24)) == 0
    # Days remaining across the 2026 Spring Festival: 02-13, 02-14 (make-up), 02-24, 02-25.
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 25)) == 4


def test_empty_overrides_change_nothing():
    assert Overrides.empty() == Overrides()
    assert notice_period(date(2025, 9, 29), overrides=Overrides.empty()) == notice_period(date(2025, 9, 29))
