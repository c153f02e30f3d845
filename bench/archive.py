"""The archive's export with flat memory (issue 24): 1,000 items of 10 images each.

A fresh database (a SQLite file, or a throwaway PostgreSQL database with
``--engine postgres``) is migrated and filled: ``--items`` published items,
each with ``--images`` images in its body, two reviews, its audit trail and 30
days of platform figures. Images are served by an in-process fetch that makes
``--image-kb`` KB of random bytes per address in 8 KB chunks, as a download
streams them (no network, no image in memory whole).

Each export runs in a process of its own (peak RSS is the process's high-water
mark, which never goes down): the baseline exports nothing (imports, the
engine, the index template), then the first ``--small`` items, then all
``--items``, each into a fresh folder. Each child reports its peak RSS
(``ru_maxrss``), the peak of Python's allocations (tracemalloc) during the
export, and its wall-clock time. Memory is flat when the export of ten times
the items costs about the same: the verdict compares the two exports' peaks
of Python's allocations (``--limit``, default 1.5). Peak RSS above the
baseline is printed beside it; it also holds what is bounded but fills up as
the export goes (the page caches of the database's and the manifest's SQLite
connections, 2 MB each by default, and the allocator's free lists).

    .venv/bin/python bench/archive.py [--engine sqlite|postgres] [--items 1000]
                                      [--small 100] [--images 10] [--image-kb 16]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert  # noqa: E402

from bench import _common  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.models import (  # noqa: E402
    ArticleMetric,
    AuditRow,
    ContentItemRow,
    ReviewRow,
    Staff,
)

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
CHUNK = 8192


def seed(engine: Engine, items: int, images: int) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Staff), [
            {"id": i, "name": name, "roles": roles, "created_at": NOW, "openid": f"o_{i}"}
            for i, name, roles in ((1, "管理员", "admin"), (2, "王芳", "creator"),
                                   (3, "李明", "reviewer"), (4, "陈静", "reviewer"))])
    for first in range(1, items + 1, 100):
        batch = range(first, min(first + 100, items + 1))
        with engine.begin() as conn:
            conn.execute(insert(ContentItemRow), [_item(n, images) for n in batch])
            conn.execute(insert(ReviewRow), [
                {"item_id": n, "reviewer_id": who, "stage": stage, "decision": "approved",
                 "revision": 1, "review_round": 1, "comment": "可以", "at": NOW}
                for n in batch for who, stage in ((3, "first"), (4, "final"))])
            conn.execute(insert(AuditRow), [
                {"item_id": n, "subject": f"item:{n}", "actor_id": 1, "actor_name": "管理员",
                 "event": event, "from_state": a, "to_state": b, "revision": 1,
                 "comment": "", "command": "", "result": "", "at": NOW}
                for n in batch for event, a, b in (
                    ("submit", "drafting", "in_review"), ("approve", "in_review", "final_review"),
                    ("final_approve", "final_review", "approved"),
                    ("publish", "approved", "publishing"),
                    ("publish_succeeded", "publishing", "published"))])
            conn.execute(insert(ArticleMetric), [
                {"item_id": n, "msgid": f"{n}_1", "day": date(2026, 11, 1) + timedelta(days=d),
                 "reads": d * 3, "read_users": d * 2, "shares": d, "share_users": d,
                 "favorites": 1, "read_sources": {"朋友圈": d}} for n in batch for d in range(30)])


def _item(n: int, images: int) -> dict[str, object]:
    pictures = "".join(f'<p><img src="https://mmbiz.qpic.cn/bench/{n}_{k}/0?wx_fmt=png"></p>'
                       for k in range(images))
    return {"id": n, "title": f"文章 {n}", "body": f"<p>第 {n} 篇的正文。</p>" * 20 + pictures,
            "author_id": 2, "state": "published", "revision": 1, "version": 6,
            "article_id": f"art_{n}", "url": f"https://mp.weixin.qq.com/s/{n}",
            "published_at": NOW, "created_at": NOW, "updated_at": NOW}


def fake_image(kb: int) -> object:
    def fetch(src: str) -> Iterator[bytes]:
        rng = random.Random(src)
        left = kb * 1024
        while left > 0:
            size = min(CHUNK, left)
            yield rng.randbytes(size)
            left -= size
    return fetch


def child(url: str, count: int, out: Path, kb: int) -> None:
    from bot.archive_export import Exporter

    engine = make_engine(url)
    exporter = Exporter(engine, fake_image(kb))  # type: ignore[arg-type]
    ids = exporter.ids()[:count]
    tracemalloc.start()
    started = time.perf_counter()
    summary = exporter.run(out, ids, NOW)
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"items": summary.items, "images": summary.images, "seconds": seconds,
                      "rss_mb": rss_kb / 1024, "traced_mb": peak / 2**20,
                      "written": summary.counts.written}))


def run_child(url: str, count: int, workdir: Path, kb: int) -> dict[str, float]:
    out = workdir / f"export-{count}"
    done = subprocess.run([sys.executable, __file__, "--child", str(count), "--database-url",
                           url, "--out", str(out), "--image-kb", str(kb)],
                          check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--images", type=int, default=10)
    parser.add_argument("--image-kb", type=int, default=16)
    parser.add_argument("--limit", type=float, default=1.5)
    parser.add_argument("--child", type=int)
    parser.add_argument("--database-url")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child is not None:
        child(args.database_url, args.child, args.out, args.image_kb)
        return
    with tempfile.TemporaryDirectory(prefix="wxops-bench-archive-") as work:
        workdir = Path(work)
        url = args.database_url or _common.database(args.engine, workdir, "archive")
        engine = make_engine(url)
        migrate.upgrade(engine)
        started = time.perf_counter()
        seed(engine, args.items, args.images)
        print(f"seeded {args.items} items x {args.images} images of {args.image_kb} KB "
              f"({args.engine}) in {time.perf_counter() - started:.1f} s")
        engine.dispose()
        runs = {n: run_child(url, n, workdir, args.image_kb) for n in (0, args.small, args.items)}
    print(f"{'items':>6} {'images':>7} {'seconds':>8} {'peak RSS MB':>12} {'traced MB':>10}")
    for n, r in runs.items():
        print(f"{n:>6} {int(r['images']):>7} {r['seconds']:>8.1f} {r['rss_mb']:>12.1f} "
              f"{r['traced_mb']:>10.2f}")
    base = runs[0]["rss_mb"]
    small, large = runs[args.small]["rss_mb"] - base, runs[args.items]["rss_mb"] - base
    ratio = large / small if small > 0 else float("inf")
    traced = runs[args.items]["traced_mb"] / max(runs[args.small]["traced_mb"], 1e-9)
    print(f"peak RSS above the baseline: {small:.1f} MB for {args.small} items, "
          f"{large:.1f} MB for {args.items}: ratio {ratio:.2f} "
          f"(traced allocations ratio {traced:.2f})")
    print("flat" if traced <= args.limit else f"NOT flat (limit {args.limit})")


if __name__ == "__main__":
    main()
