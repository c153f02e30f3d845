"""Listing columns line up with Chinese in them."""

from __future__ import annotations

from bot.columns import pad, width


def test_chinese_takes_two_cells() -> None:
    assert width("王芳") == 4 and width("admin") == 5 and width("Ａ") == 2


def test_rows_line_up_whatever_the_script() -> None:
    rows = [pad(name, 12) + "|" for name in ("王芳", "admin", "欧阳小明明", "x")]
    assert {width(row) for row in rows} == {13}
    assert pad("名字超过了十二个格子的宽度", 12).endswith("度")  # never cut
