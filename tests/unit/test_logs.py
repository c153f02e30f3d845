"""WXOPS_LOG_FORMAT=json: one JSON object a line, with the context a line was
logged with as fields of its own."""

from __future__ import annotations

import io
import json
import logging

from bot.logs import formatter


def lines(log_format: str, emit: object) -> list[str]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(log_format))
    logger = logging.getLogger("wxops.test_logs")
    logger.addHandler(handler)
    logger.propagate, logger.level = False, logging.INFO
    try:
        assert callable(emit)
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue().splitlines()


def test_a_json_line_has_the_time_level_logger_message_and_context() -> None:
    def emit(log: logging.Logger) -> None:
        log.warning("outbox %s %s -> %s", 7, "notify", "dead",
                    extra={"outbox_id": 7, "kind": "notify", "item_id": 12})

    [line] = lines("json", emit)
    record = json.loads(line)
    assert record["level"] == "WARNING" and record["logger"] == "wxops.test_logs"
    assert record["message"] == "outbox 7 notify -> dead"
    assert (record["outbox_id"], record["kind"], record["item_id"]) == (7, "notify", 12)
    assert record["time"].endswith("+00:00")  # UTC, ISO 8601


def test_a_traceback_stays_inside_its_json_line() -> None:
    def emit(log: logging.Logger) -> None:
        try:
            raise ValueError("第二行\n第三行")
        except ValueError:
            log.exception("handler failed", extra={"inbound_id": 3})

    [line] = lines("json", emit)
    record = json.loads(line)
    assert record["inbound_id"] == 3 and "ValueError" in record["exc_info"]
    assert "第二行" in record["exc_info"]  # kept as written, not escaped


def test_text_is_the_line_people_read() -> None:
    [line] = lines("text", lambda log: log.info("worker %s started", "w1"))
    assert line.endswith("INFO wxops.test_logs worker w1 started")
