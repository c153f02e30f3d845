"""Admins' edits of the reply texts: tried with example values before they are saved."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import BytecodeCache, Environment, PackageLoader, StrictUndefined
from jinja2.bccache import bc_magic

from handlers import texts


def test_an_edit_is_tried_with_the_variables_it_will_get() -> None:
    assert texts.check_template("ack_away", "T{{ ticket_id }}，{{ hours }}") == \
        "T5，周一至周五 09:00-18:00"


@pytest.mark.parametrize(("key", "body", "fragment"), [
    ("ack", "收到 T{{ tiket_id }}", "未知的变量 tiket_id；可用的变量：ticket_id"),
    ("welcome", "你好 {{ name }}", "可用的变量：无"),
    ("welcome", "{{ 1/0 }}", "division by zero"),
    ("welcome", "{% if %}", "模板第 1 行有误：语法不对"),
    ("welcome", "你好\n{% if true %}欢迎", "模板第 2 行有误：没有写完"),
    ("ack", "收到 {{ ticket_id", "没有写完（{{ 要用 }} 结束"),
    ("welcome", "{{ ''.__class__.__mro__ }}", "不能访问内部属性"),
    ("welcome", "{{ 'x' * 100000 }}", "重复出来的内容"),
    ("welcome", "{{ 'x' * 600 * 600 * 600 * 600 }}", "重复出来的内容"),
    ("welcome", "{{ 600 * ['x'] * 600 }}", "重复出来的内容"),
    ("welcome", "{{ 9 ** 999999999 }}", "**"),
    ("welcome", "{% for i in range(10**6) %}x{% endfor %}", "**"),
    ("welcome", "{% for i in range(1000000) %}x{% endfor %}", "range"),
    ("welcome", "{% for i in range(30) %}{{ '长' * 30 }}{% endfor %}", "不超过 600 字"),
    ("welcome", "{{ '' }}", "不能为空"),
    ("welcome", "长" * 601, "不超过 600 字"),
])
def test_an_edit_that_cannot_be_shown_is_refused(key: str, body: str, fragment: str) -> None:
    with pytest.raises(ValueError) as refused:
        texts.check_template(key, body)
    assert fragment in str(refused.value)


def test_outbox_notes_kept_as_codes_read_as_words_and_other_text_as_written() -> None:
    for code in texts.OUTBOX_NOTES:
        shown = texts.outbox_note(code)
        assert shown and shown != code and shown.isascii() is False
    assert texts.outbox_note("HTTP 502 from the gateway") == "HTTP 502 from the gateway"


def test_a_catalogued_refusal_is_worded_from_its_code_and_data() -> None:
    from handlers import refusals
    from workflow.errors import AlreadySensitive

    shown = refusals.say(AlreadySensitive(12))
    assert "12" in shown and shown != "already_sensitive"


def test_every_refusal_the_workflow_raises_is_worded_by_the_catalogue() -> None:
    import inspect

    from handlers import refusals
    from workflow import errors

    raised = {cls.code for _, cls in inspect.getmembers(errors, inspect.isclass)
              if issubclass(cls, errors.WorkflowError) and not cls.__subclasses__()}
    assert raised and not raised - refusals.catalogued()  # bases (InvalidInput) are not raised


def test_every_catalogued_refusal_names_an_error_and_only_its_data() -> None:
    import inspect

    from handlers import refusals
    from workflow import errors

    classes = {cls.code: cls for _, cls in inspect.getmembers(errors, inspect.isclass)
               if issubclass(cls, errors.WorkflowError)}
    module = texts._shipped.get_template("errors.j2").module
    for code in refusals.catalogued():
        assert code in classes, f"errors.j2 words {code!r}, which no error has"
        init = inspect.signature(classes[code].__init__).parameters
        assert set(getattr(module, code).arguments) <= set(init) - {"self"}, code


def test_the_catalogue_words_what_python_names_by_code() -> None:
    """A few renderings of catalogue entries that were Python literals once:
    non-text messages in the queue, the platform's publish failures, the purpose
    of an editable text, a command's summary."""
    from handlers.platform import failure_reason

    assert texts.phrase("described", "image", url="http://x/1.jpg") == "[图片] http://x/1.jpg"
    assert texts.phrase("described", "voice", recognition="") == "[语音]"
    assert texts.phrase("described", "other", kind="") == "[未知消息]"
    assert [failure_reason(s) for s in (2, 3, 4, 5, 6, 9)] == [
        "原创声明失败", "发布失败（平台未说明原因）", "平台审核不通过", "发布成功后被删除",
        "发布成功后被封禁", "发布失败（状态 9）"]
    assert texts.EDITABLE["ack_away"].purpose == "收到留言后的确认（非工作时间）"
    assert texts.command_text("recheck").confirm_when == "结论为「删除」"
    assert texts.render("notify/item_publish_failed", item_id=3, title="义诊", reason="") == (
        "【发布失败】稿件 3《义诊》发布失败：未知原因。管理员可回复「重试 3」或退回修改。")


def test_an_unknown_field_of_a_variable_is_named() -> None:
    with pytest.raises(ValueError) as refused:
        texts.check_template("ack_away", "{{ hours.nope }}")
    assert "nope（变量没有这一项）" in str(refused.value)


def _catalogue(cache: BytecodeCache | None) -> Environment:
    """The shipped templates as a process of its own meets them (nothing in memory)."""
    return Environment(loader=PackageLoader("handlers", "templates"),
                       undefined=StrictUndefined, bytecode_cache=cache)


def _ack(environment: Environment) -> str:
    return str(environment.get_template("ack.j2").render(ticket_id=7)).strip()


def test_a_template_compiled_once_is_taken_from_the_cache_by_the_next_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _ack(_catalogue(texts._KeptCode(str(tmp_path))))
    later = _catalogue(texts._KeptCode(str(tmp_path)))
    monkeypatch.setattr(later, "compile", lambda *args, **kwargs: pytest.fail("compiled"))
    assert _ack(later) == expected


def test_a_damaged_cache_file_costs_no_render(tmp_path: Path) -> None:
    expected = _ack(_catalogue(texts._KeptCode(str(tmp_path))))
    (kept,) = tmp_path.iterdir()
    magic = len(bc_magic)  # Jinja's own header, then the source's checksum and the code
    kept.write_bytes(kept.read_bytes()[:magic] + b"\x00 not what was written")
    assert _ack(_catalogue(texts._KeptCode(str(tmp_path)))) == expected


def test_a_cache_that_cannot_be_written_costs_no_render(tmp_path: Path) -> None:
    expected = _ack(_catalogue(None))
    gone = tmp_path / "gone"  # as a full disk or a removed directory would
    assert _ack(_catalogue(texts._KeptCode(str(gone)))) == expected
    assert not gone.exists()
