"""The archive's index.html in headless Chromium, opened from disk as someone
browsing an export would: every item listed, the search box narrows the list
by any word of a row, and nothing is fetched but the page itself."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from handlers import texts

ROWS = [
    {"id": 3, "title": "冬季助学", "state": "已发布", "published_at": "2026-11-02",
     "author": "王芳", "reads": 120, "folder": "items/3"},
    {"id": 7, "title": "夏令营报名", "state": "已删除", "published_at": "2026-07-01",
     "author": "李明", "reads": 40, "folder": "items/7"},
    {"id": 9, "title": "年度报告 <2025>", "state": "已归档", "published_at": "2026-01-15",
     "author": "王芳", "reads": 300, "folder": "items/9"},
]


def _shown(browser: Any) -> list[str]:
    return list(browser.execute_script(
        "return Array.from(document.querySelectorAll('#rows tr'))"
        ".filter(r => r.style.display !== 'none').map(r => r.cells[0].textContent)"))


def _search(browser: Any, words: str) -> list[str]:
    box = browser.find_element("id", "q")
    box.clear()
    if words:
        box.send_keys(words)
    else:  # clear() sends no input event
        browser.execute_script(
            "document.getElementById('q').dispatchEvent(new Event('input'))")
    return _shown(browser)


def test_the_index_searches_offline(browser: Any, tmp_path: Path) -> None:
    index = tmp_path / "index.html"
    index.write_text("".join(texts.stream("web/archive_index", count=len(ROWS), items=ROWS,
                                          made=datetime(2026, 12, 7, tzinfo=UTC))), "utf-8")
    browser.get(index.as_uri())
    assert _shown(browser) == ["3", "7", "9"]
    assert browser.find_element("link text", "年度报告 <2025>")  # escaped, not markup
    assert _search(browser, "夏令营") == ["7"]
    assert _search(browser, "王芳 已归档") == ["9"]
    assert _search(browser, "2026-11") == ["3"]
    assert _search(browser, "没有这篇") == []
    assert _search(browser, "") == ["3", "7", "9"]
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert fetched == []
