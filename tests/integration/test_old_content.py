"""旧文 and ``wxops review old`` on both engines: the articles on the platform,
oldest first, each with its last re-check (from the audit trail of 复查), its
reads of the last 30 days, its complaints (a comment's ticket, or a complaint
message naming it in 《》) and its open comments, the candidates marked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from storage import followers, tickets
from storage.db import make_engine
from storage.models import (
    AnalyticsDay,
    ArticleMetric,
    CommentTicketRow,
    ContentItemRow,
    ReplyTicket,
)
from tests.integration.clirun import Wxops
from tests.integration.commanding import TZ, Team, ask, make_team, say
from workflow.old_content import Reason
from workflow.reply_queue import COMPLAINT_PRIORITY

#: The CLI reads the real clock; the data is laid out around it.
NOW = datetime.now(UTC).replace(microsecond=0)
#: The account's day (the commands' zone, tests.integration.commanding.TZ): the figures
#: are daily by local day, and from 16:00 UTC Shanghai is a day ahead of UTC.
TODAY = NOW.astimezone(TZ).date()


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def _published(session: Session, team: Team, title: str, days: int,
               expires: date | None = None) -> int:
    row = ContentItemRow(title=title, author_id=team.wang, state="published",
                         published_at=ago(days), created_at=ago(days + 3),
                         updated_at=ago(days), expires_on=expires)
    session.add(row)
    session.flush()
    return row.id


def _reads(session: Session, item_id: int, msgid: str, days_ago: range, each: int) -> None:
    """An article's first days' figures (article_metrics: they map its msgid)."""
    today = TODAY
    for n in days_ago:
        session.add(ArticleMetric(msgid=msgid, item_id=item_id, day=today - timedelta(days=n),
                                  reads=each))


def _read_daily(session: Session, reads: dict[int, dict[str, int]]) -> None:
    """getarticleread's answers, days ago → each article's reads that day (every
    article read that day, old ones too)."""
    for n, day_reads in reads.items():
        day = TODAY - timedelta(days=n)
        session.add(AnalyticsDay(endpoint="getarticleread", day=day, status="complete",
                                 through=day, fetched_at=NOW,
                                 rows=[{"ref_date": day.isoformat(), "msgid": msgid,
                                        "detail": {"read_user": count}}
                                       for msgid, count in day_reads.items()]))


def _complaint(engine: Engine, openid: str, text: str, days: int,
               comment_on: int | None = None, status: str = "open") -> int:
    with engine.begin() as conn:
        follower = followers.touch(conn, openid, ago(days), "message").follower_id
        ticket = tickets.record_inbound(conn, follower, "text", text, None, ago(days),
                                        priority=COMPLAINT_PRIORITY).ticket_id
        conn.execute(update(ReplyTicket).where(ReplyTicket.id == ticket).values(status=status))
    if comment_on is not None:
        with Session(engine) as session:
            session.add(CommentTicketRow(ticket_id=ticket, item_id=comment_on,
                                         msg_data_id="2247483", article_index=0,
                                         user_comment_id=ticket))
            session.commit()
    return ticket


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


@pytest.fixture
def articles(engine: Engine, team: Team) -> dict[str, int]:
    return lay_out(engine, team)


def lay_out(engine: Engine, team: Team) -> dict[str, int]:
    """Four articles on the platform and one withdrawn (never listed)."""
    with Session(engine) as session:
        ids = {"old": _published(session, team, "三年前的募捐说明", 1000),
               "event": _published(session, team, "冬令营报名", 60,
                                   expires=TODAY - timedelta(days=20)),
               "faded": _published(session, team, "助学问答", 200),
               "fresh": _published(session, team, "本周活动", 5)}
        gone = _published(session, team, "已撤回的文章", 300)
        session.execute(update(ContentItemRow).where(ContentItemRow.id == gone)
                        .values(state="withdrawn"))
        _reads(session, ids["faded"], "100_1", range(199, 201), 300)  # its first days
        _reads(session, ids["fresh"], "200_1", range(5, 6), 40)  # maps its msgid
        # The faded one: 150 reads in the month before, 6 in the last; the fresh one 200.
        _read_daily(session, {n: {"100_1": 5} for n in range(31, 61)}
                    | {n: {"100_1": 2} for n in (11, 21)}
                    | {n: {"100_1": 2, "200_1": 40} if n == 1 else {"200_1": 40}
                       for n in range(1, 6)})
        session.commit()
    # The old one was re-checked 400 days ago: over a year.
    say(engine, team.li, f"复查 {ids['old']} 正常 还有效", now=ago(400))
    # The event notice: a comment complaint, and a message naming it in 《》, both open.
    _complaint(engine, "o_fan1", "报名链接打不开", 3, comment_on=ids["event"])
    _complaint(engine, "o_fan2", "投诉：《冬令营报名》写的时间不对", 2)
    # The faded one: complained about before a re-check 10 days ago (answered by it).
    _complaint(engine, "o_fan3", "《助学问答》过时了", 30, status="resolved")
    say(engine, team.zhou, f"复查 {ids['faded']} 正常", now=ago(10))
    return ids


def test_the_old_content_list_in_chat(engine: Engine, team: Team,
                                      articles: dict[str, int]) -> None:
    found = ask(engine, team.wang, "旧文", now=NOW)
    listing = found.context["listing"]
    by_id = {o.item.id: o for o in listing.items}
    assert [o.item.id for o in listing.items] == [
        articles["old"], articles["faded"], articles["event"], articles["fresh"]]
    old, event = by_id[articles["old"]], by_id[articles["event"]]
    faded, fresh = by_id[articles["faded"]], by_id[articles["fresh"]]
    assert old.reasons == (Reason.STALE,)
    assert old.facts.last_recheck is not None and old.facts.last_recheck.actor_name == "李雷"
    assert event.reasons == (Reason.EXPIRED, Reason.COMPLAINTS)
    assert (event.complaints, event.facts.open_comments) == (2, 1)
    # Its reads fell from 150 to 6, but someone re-checked it since, and the
    # complaint came before that re-check.
    assert (faded.facts.reads, faded.facts.reads_before) == (6, 150)
    assert faded.reasons == () and faded.complaints == 0
    assert (fresh.facts.reads, fresh.reasons) == (200, ())
    assert [o.item.id for o in listing.candidates] == [articles["old"], articles["event"]]
    assert found.context["hidden"] == 0




def test_wxops_review_old(wxops: Wxops, engine_url: str) -> None:
    db = make_engine(engine_url)
    articles = lay_out(db, make_team(db))
    every = wxops("review", "old")
    assert every.status == 0
    listed = [int(line.split(".")[0].lstrip("⚑ ")) for line in every.out.splitlines()
              if "《" in line]
    assert listed == [articles["old"], articles["faded"], articles["event"], articles["fresh"]]
    flagged = [line for line in every.out.splitlines() if line.startswith("⚑")]
    assert len(flagged) == 2
    only = wxops("review", "old", "--candidates")
    assert only.status == 0
    assert [line.split(".")[0] for line in only.out.splitlines() if "《" in line] == [
        f"⚑ {articles['old']}", f"⚑ {articles['event']}"]


def test_a_long_list_keeps_the_candidates(engine: Engine, team: Team) -> None:
    """More articles than one reply holds: the candidates are shown, the count of
    the others is said."""
    with Session(engine) as session:
        stale = [_published(session, team, f"很久以前的一篇长长的标题 {n}", 500 + n)
                 for n in range(5)]
        for n in range(60):
            _published(session, team, f"最近发布的一篇长长的文章标题 {n}", 10 + n)
        session.commit()
    found = ask(engine, team.wang, "旧文", now=NOW)
    assert sorted(o.item.id for o in found.context["shown"]) == sorted(stale)
    assert found.context["hidden"] == 60
    assert len(found.render().encode()) <= 2000


def test_nothing_published_yet(engine: Engine, team: Team) -> None:
    found = ask(engine, team.wang, "旧文", now=NOW)
    assert found.context["listing"].items == ()
