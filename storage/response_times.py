"""First answers summed up (workflow.figures.ResponseTimes) for 统计 and its
suggestions: by the database on PostgreSQL, from the answers elsewhere.

At 100,000 tickets a 90-day window holds some 12,000 first answers; reading
them to take medians in Python was most of what 统计 cost (bench/scale.py).
PostgreSQL takes the same medians (``percentile_cont(0.5)``: the mean of the
two middle values for an even count, as ``statistics.median``) overall and
by the local hour the ticket was opened, in one statement of 25 rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam, cast, func, literal, select, text
from sqlalchemy.orm import Session

from storage.models import ReplyTicket
from storage.plans import custom_plans
from storage.types import UTCDateTime
from workflow.figures import Response, ResponseTimes


def response_times(session: Session, since: datetime, until: datetime,
                   tz: tzinfo) -> ResponseTimes:
    """Tickets first answered from ``since`` until before ``until``."""
    return response_times_within(session, since, until, tz, None)[0]


def response_times_within(session: Session, since: datetime, until: datetime, tz: tzinfo,
                          inner: datetime | None) -> tuple[ResponseTimes, ResponseTimes]:
    """Tickets first answered from ``since`` until before ``until``, and how
    many of them from ``inner`` on with their median (统计 30天: the period
    inside the suggestions' 90 days; none asked: none given), in one statement."""
    zone = getattr(tz, "key", None)  # an IANA zone PostgreSQL knows by name
    if session.get_bind().dialect.name == "postgresql" and isinstance(zone, str):
        return _summed(session, since, until, zone, inner)
    t = ReplyTicket
    rows = session.connection().execute(select(t.opened_at, t.first_response_at).where(
        t.first_response_at >= since, t.first_response_at < until)).all()
    answers = [Response(r.opened_at, r.first_response_at) for r in rows]
    within = ResponseTimes()
    if inner is not None:
        within = ResponseTimes.of((a for a in answers if a.answered_at >= inner), tz)
    return ResponseTimes.of(answers, tz), ResponseTimes(within.answered, within.median)


def _summed(session: Session, since: datetime, until: datetime, zone: str,
            inner: datetime | None) -> tuple[ResponseTimes, ResponseTimes]:
    custom_plans(session)  # a range of unknown width, planned blind, reads it slower
    given = {"since": since, "until": until, "inner": inner or since}
    with _in_zone(session, zone):
        rows = session.connection().execute(_medians(inner is not None), given).all()
    by_hour: dict[int, tuple[int, float]] = {}
    overall = within = ResponseTimes()
    for r in rows:
        if r.hour is None:  # the rollup's row: every answer (none: no median)
            overall = ResponseTimes(int(r.n), _float(r.median))
            if inner is not None:
                within = ResponseTimes(int(r.inner_n), _float(r.inner_median))
        else:
            by_hour[int(r.hour)] = (int(r.n), float(r.median))
    return ResponseTimes(overall.answered, overall.median, dict(sorted(by_hour.items()))), within


@cache
def _medians(inner: bool) -> Select[Any]:
    """``_summed``'s statement, built once (its values given when it runs):
    by the local hour (the session's zone, set around it) and over all (the
    rollup's row); with ``inner``, the same of the answers from ``inner`` on."""
    t = ReplyTicket
    # As Response.minutes: seconds over 60, never below 0. By date_part, in
    # doubles (extract's numeric took half the statement's time); the same
    # double as Python's but, past a day, perhaps in the last bit (PostgreSQL
    # adds the days' seconds to the rest's), which no whole minute shown or
    # weighed (suggestions.SLOW_MINUTES) can tell.
    seconds = func.date_part("epoch", t.first_response_at - t.opened_at)
    since = bindparam("since", type_=UTCDateTime())
    answers = select(  # the local hour: in the session's zone, set by the caller
        cast(func.date_part("hour", t.opened_at), Integer).label("hour"),
        func.greatest(literal(0.0), seconds / 60).label("minutes"),
        (t.first_response_at >= bindparam("inner", type_=UTCDateTime())).label("inner"),
    ).where(t.first_response_at >= since,
            t.first_response_at < bindparam("until", type_=UTCDateTime())).subquery()
    median = func.percentile_cont(0.5).within_group(answers.c.minutes)
    columns = [answers.c.hour, func.count().label("n"), median.label("median")]
    if inner:  # the inner range's, of the same rows (a sort more)
        columns += [func.count().filter(answers.c.inner).label("inner_n"),
                    median.filter(answers.c.inner).label("inner_median")]
    return select(*columns).group_by(func.rollup(answers.c.hour))


@contextmanager
def _in_zone(session: Session, zone: str) -> Iterator[None]:
    """The transaction's time zone ``zone`` meanwhile, then what it was.

    ``timezone(zone, opened_at)`` looks the zone up by its name for each row:
    at 12,400 answers that was most of the statement (bench/scale.py, EXPLAIN
    ANALYZE: 6 ms of it, against 3 for the hour in the session's zone and
    1.8 for reading the rows). The same conversion by the same rules, the
    name looked up once. Set for the transaction only (``set_config(...,
    true)``), and put back at once: nothing else read in it sees another zone."""
    conn = session.connection()
    info = getattr(conn.connection.dbapi_connection, "info", None)  # psycopg's, kept up to date
    was = info.parameter_status("TimeZone") if info is not None else None
    if was is None:
        was = str(conn.scalar(text("SELECT current_setting('TimeZone')")))
    conn.execute(_ZONE, {"zone": zone})
    try:
        yield
    finally:
        conn.execute(_ZONE, {"zone": was})


_ZONE = text("SELECT set_config('TimeZone', :zone, true)")


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
