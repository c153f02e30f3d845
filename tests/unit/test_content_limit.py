"""The platform's content limit (shared/WECHAT.md: ``draft/add`` content "HTML
< 20,000 chars") applied alike by the checks (``content_too_long``) and the
emulator's draft box (45002): both count the HTML as sent, inline styles
included, so an article whose visible text is a fraction of the limit is
refused by both, and one just under it passes both and survives the draft
box's cleaning (the same article, in ``workflow.canonical_html``'s sense).
The finding gives the HTML and the visible length."""

from __future__ import annotations

import pytest

from bot.emulator.clock import Clock
from bot.emulator.content import MAX_CONTENT_CHARS
from bot.emulator.errors import WeChatError
from bot.emulator.state import EmulatorConfig, EmulatorState
from handlers.texts import phrase
from layout import ImageRef, render_markdown
from workflow.canonical_html import same_article
from workflow.checks import Code, Finding, Limits, Revision, WordList, check
from workflow.text import visible_length

T0 = 1_750_000_000.0
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
SECTION = ("## 第{n}站：山区小学\n\n"
           "> 孩子们说，冬天最想要的是一双暖和的鞋。\n\n"
           "- 走访学生 {n}0 名\n- 送去冬衣和图书\n\n"
           "| 学校 | 学生 |\n| --- | --- |\n| 第{n}小学 | {n}0 |\n\n"
           "志愿者们在十二月出发，**一周**后回来。\n\n")


def no_image(ref: ImageRef) -> None:
    return None


def styled(sections: int) -> str:
    """An article of ``sections`` short, much-styled sections in the warm theme."""
    text = "".join(SECTION.format(n=n) for n in range(1, sections + 1))
    return render_markdown(text, no_image, theme="warm").html


def around_the_limit() -> tuple[str, str]:
    """The longest article under the limit and the shortest over it."""
    sections = 1
    while len(styled(sections + 1)) < MAX_CONTENT_CHARS:
        sections += 1
    return styled(sections), styled(sections + 1)


def findings(html: str) -> dict[Code, Finding]:
    result = check(Revision(title="冬季助学", body=html, has_cover=True), WordList.build([]))
    return {f.code: f for f in result.findings}


def refused_by_the_draft_box(html: str) -> int | None:
    state = EmulatorState(EmulatorConfig(push_delay=1), Clock(lambda: T0))
    thumb = state.library.add_material("thumb", JPEG).media_id
    try:
        media_id = state.library.add_draft(
            [{"title": "冬季助学", "content": html, "thumb_media_id": thumb}], state.now()
        ).media_id
    except WeChatError as refused:
        return refused.errcode
    kept = state.library.draft(media_id).articles[0]["content"]
    assert same_article(kept, html)  # kept, its styles respaced as the platform does
    return None


def test_both_apply_the_same_limit() -> None:
    assert Limits().content_chars == MAX_CONTENT_CHARS == 20_000


def test_a_styled_article_far_under_the_limit_in_text_is_refused_by_both() -> None:
    under, over = around_the_limit()
    assert visible_length(over) * 4 < MAX_CONTENT_CHARS  # the reader sees under 5,000 字
    found = findings(over)[Code.CONTENT_TOO_LONG]
    assert found.data == {"length": len(over), "limit": 20_000,
                          "visible": findings(over)[Code.CHARACTERS].data["count"]}
    assert found.data["visible"] == visible_length(over)
    assert refused_by_the_draft_box(over) == 45002
    assert Code.CONTENT_TOO_LONG not in findings(under)
    assert refused_by_the_draft_box(under) is None


@pytest.mark.parametrize("visible", [3000, 0])
def test_the_message_gives_both_lengths_and_the_fix(visible: int) -> None:
    data = {"length": 21000, "limit": 20000} | ({"visible": visible} if visible else {})
    said = phrase("checks", Code.CONTENT_TOO_LONG, excerpt="", **data)
    assert "21000" in said and "20000" in said and "HTML" in said
    assert ("3000" in said) == bool(visible)  # a finding stored before it had no "visible"
    assert "分成两篇" in said and "plain" in said
