"""Office hours as staff set them (WXOPS_OFFICE_HOURS) and as followers read them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.hours import HoursInvalid, OfficeHours

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


@pytest.mark.parametrize(("spec", "code", "data"), [
    ("mon fri 09:00-18:00", "hours_format", {}),
    ("mon-fry 09:00-18:00", "hours_days", {"text": "mon-fry"}),
    ("mon 0900", "hours_span", {"text": "0900"}),
    ("mon 09:00-25:00", "hours_span", {"text": "09:00-25:00"}),
])
def test_hours_that_cannot_be_read_are_refused_by_code(spec: str, code: str,
                                                       data: dict[str, str]) -> None:
    with pytest.raises(HoursInvalid) as refused:
        OfficeHours.parse(spec)
    assert (refused.value.code, refused.value.data) == (code, data)


def test_the_settings_check_shows_the_catalogues_words() -> None:
    with pytest.raises(ValueError) as refused:
        OfficeHours.parse("mon-fry 09:00-18:00")
    assert str(refused.value) == "无法识别的星期 'mon-fry'（用 mon tue wed thu fri sat sun）"
