"""Follower surveys in the follower routing (handlers/follower.py): a message
from a follower in a survey is their answer, before keyword rules and the
reply queue; a survey's keyword or menu click starts it. Every reply is a
passive one, so surveys work on every kind of account."""

from __future__ import annotations

from handlers import texts
from handlers.inbound import HandlerContext
from handlers.replies import TextReply
from workflow import survey_cases
from workflow.ports import SurveyAnswers
from workflow.survey_forms import MAX_KEYWORD_CHARS, Survey
from workflow.surveys import SurveyReply


def answered(ctx: HandlerContext, follower_id: int, text: str | None) -> TextReply | None:
    """The survey's reply when the message is the answer of a follower in a
    survey, or starts one by its keyword; None: route it as usual. ``text``
    is None for a message that is not text (it gets the question again)."""
    if ctx.in_survey and ctx.survey_answers is not None:
        reply = survey_cases.take(ctx.survey_answers(), ctx.surveys, follower_id, text,
                                  ctx.now)
        if reply is not None:
            return render(reply)
    if text is None or len(text) > MAX_KEYWORD_CHARS:
        return None
    survey = ctx.surveys.by_keyword(text)
    return begin(ctx, survey, follower_id) if survey is not None else None


def clicked(ctx: HandlerContext, openid: str, follower_id: int,
            key: str) -> TextReply | None:
    """The survey a menu click starts (or asks again), if its key is a survey's.
    Staff are not surveyed: their texts are commands, never answers."""
    survey = ctx.surveys.by_menu_key(key) if key else None
    if survey is None or ctx.staff(openid) is not None:
        return None
    return begin(ctx, survey, follower_id)


def begin(ctx: HandlerContext, survey: Survey, follower_id: int) -> TextReply | None:
    store = _store(ctx)
    if store is None:
        return None
    return render(survey_cases.begin(store, survey, follower_id, ctx.now, ctx.surveys))


def _store(ctx: HandlerContext) -> SurveyAnswers | None:
    return ctx.survey_answers() if ctx.survey_answers is not None else None


def render(reply: SurveyReply) -> TextReply:
    return TextReply(texts.phrase("survey", reply.code.value, **reply.data))
