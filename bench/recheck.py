"""How long the re-check schedule (workflow.recheck.schedule) takes to read: what
复查, 我的 and the worker's hourly reminder job each compute; and the worker's
hourly look for reads spikes (workflow.recheck_cases.spot); and 旧文, the
old-content list (workflow.old_content). The baseline, in the same run on the
same data: 统计 30天 (one chat message's figures). A database (SQLite
file or a throwaway PostgreSQL one) is filled by bench/report_data.py (published
articles with their first 30 days of figures, tickets, complaint comments), plus
a follower's message naming an article in 《》 on every tenth ticket.

    .venv/bin/python bench/recheck.py [--engine postgres] [--articles 1000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from bench import _common  # noqa: E402
from bench.report import timed  # noqa: E402
from bench.report_data import CHINA, seed  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.models import ContentItemRow, ReplyTicket, TicketMessage  # noqa: E402
from storage.uow import SqlUnitOfWork  # noqa: E402
from workflow import old_content, recheck, recheck_cases, stats  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--tickets", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="wxops-bench-recheck-"))
    engine = make_engine(_common.database(args.engine, workdir, "recheck"))
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    today = now.astimezone(CHINA).date()
    seed(engine, today - timedelta(days=1), articles=args.articles, days=args.days,
         tickets=args.tickets, complaints=args.articles // 10)
    with engine.begin() as conn:
        titles = list(conn.execute(select(ContentItemRow.title)).scalars())
        tickets = conn.execute(select(ReplyTicket.id, ReplyTicket.opened_at)).all()
        conn.execute(insert(TicketMessage), [
            {"ticket_id": t.id, "direction": "in", "kind": "text", "created_at": t.opened_at,
             "content": f"《{titles[n % len(titles)]}》的报名链接打不开" if n % 10 == 0
             else "请问什么时候开始报名"} for n, t in enumerate(tickets)])
    uow = SqlUnitOfWork(engine)
    found: list[recheck.Due] = []

    def run() -> None:
        found[:] = recheck.schedule(uow, recheck.DEFAULT_INTERVALS, CHINA)

    def baseline() -> None:  # 统计 30天: one chat message's figures, on the same data
        stats.period_stats(uow, stats.last_days(today - timedelta(days=1), 30), now, CHINA)

    base = timed(baseline, args.runs)[0]
    median, best, cpu = timed(run, args.runs)
    due = recheck.due_now(found, today)
    print(f"{args.engine}: {len(found)} published, {len(due)} due, "
          f"{sum(1 for d in due if d.signal)} pulled forward ({len(tickets)} tickets); "
          f"baseline 统计 30天 median {base:.3f} s")
    print(f"  schedule (复查, 我的, the reminders): median {median:.3f} s "
          f"({median / base:.1f}x the baseline), best {best:.3f} s, cpu {cpu:.3f} s")
    spot = timed(lambda: recheck_cases.spot(uow, CHINA, now), args.runs)[0]
    print(f"  the worker's look for reads spikes: median {spot:.3f} s ({spot / base:.1f}x)")

    def old() -> None:
        with uow:
            old_content.review(uow.old_content, today, CHINA)

    old_median = timed(old, args.runs)[0]
    print(f"  旧文 (the old-content list): median {old_median:.3f} s "
          f"({old_median / base:.1f}x)")


if __name__ == "__main__":
    main()
