"""Office hours as staff set them (WXOPS_OFFICE_HOURS) and as followers read them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.hours import OfficeHours

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("spec", "described"), [
    ("mon-fri 09:00-18:00", "周一至周五 09:00-18:00"),
    ("09:00-18:00", "每天 09:00-18:00"),
    ("sat,sun 10:00-12:00", "周六、周日 10:00-12:00"),
    ("mon,wed,fri 09:00-10:00", "周一、周三、周五 09:00-10:00"),
    ("mon-wed,sun 09:00-10:00", "周一至周三、周日 09:00-10:00"),
    ("", "全天"),
])
def test_described_as_people_write_them(spec: str, described: str) -> None:
    assert OfficeHours.parse(spec).describe() == described


def test_open_on_the_days_and_hours_given() -> None:
    hours = OfficeHours.parse("mon-fri 09:00-18:00")
    assert hours.is_open(datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI))  # a Friday
    assert not hours.is_open(datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI))  # Saturday
    assert not hours.is_open(datetime(2026, 11, 27, 18, 0, tzinfo=SHANGHAI))
