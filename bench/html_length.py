"""How much longer an article's HTML is than its visible text, theme by theme.

The platform's content limit (``draft/add``: HTML under 20,000 characters,
/work/shared/WECHAT.md) counts the HTML as sent, every inline style included,
and so does the check ``content_too_long``. This renders every Markdown
article of the corpus (tests/corpus/*.md) in each theme and prints, per
theme, the total HTML length, the total visible length (字, blanks not
counted, as the checks' facts count them) and their ratio, with the lowest
and highest ratio of one article; then the same for bench/render.py's long
mixed article (20,000 characters of Markdown, 30 images). Images get a short
platform-like URL.
A size, not a speed: nothing is timed.

    .venv/bin/python bench/html_length.py [--per-article]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.render import article  # noqa: E402
from layout import ImageRef, render_markdown  # noqa: E402
from layout.themes import THEMES  # noqa: E402
from workflow.text import visible_length  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"


def uploaded(ref: ImageRef) -> str:
    return f"https://mmbiz.qpic.cn/mmbiz_png/{ref.src}/0?wx_fmt=png"


def lengths(theme: str) -> list[tuple[str, int, int]]:
    """(article, HTML length, visible length) of each corpus article in ``theme``."""
    out = []
    for path in sorted(CORPUS.glob("*.md")):
        html = render_markdown(path.read_text("utf-8"), uploaded, theme=theme).html
        out.append((path.name, len(html), visible_length(html)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-article", action="store_true")
    args = parser.parse_args()
    print(f"{'theme':8} {'HTML':>8} {'visible':>8} {'ratio':>6} {'min':>5} {'max':>5}")
    for theme in THEMES:
        rows = lengths(theme)
        html, text = sum(r[1] for r in rows), sum(r[2] for r in rows)
        ratios = [r[1] / r[2] for r in rows if r[2]]
        print(f"{theme:8} {html:8d} {text:8d} {html / text:6.2f} "
              f"{min(ratios):5.2f} {max(ratios):5.2f}")
        if args.per_article:
            for name, h, t in rows:
                print(f"  {name:32} {h:7d} {t:6d} {h / t if t else 0:6.2f}")
    print("bench/render.py's article:")
    for theme in THEMES:
        long_html = render_markdown(article(), uploaded, theme=theme).html
        seen = visible_length(long_html)
        print(f"{theme:8} {len(long_html):8d} {seen:8d} {len(long_html) / seen:6.2f}")


if __name__ == "__main__":
    main()
