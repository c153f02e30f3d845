"""Rendering a 20,000-character article with 30 images, against plain
markdown-it on the same text in the same run.

The article mixes what real ones hold: Chinese paragraphs with Latin words,
headings, nested lists, a wide table, code, footnotes, callouts, outside and
mp.weixin links. Uploads are excluded: the image-URL callable answers a URL
at once. The baseline is markdown-it-py's CommonMark render with tables, the
least any Markdown renderer does; the ratio says what WeChat shaping, the
theme's inlined styles and the sanitiser cost on top. Each figure is the
median of ``--runs`` runs after one warm-up; the stages are timed apart too.

    .venv/bin/python bench/render.py [--runs 20] [--theme plain]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import css_inline  # noqa: E402
from markdown_it import MarkdownIt  # noqa: E402

from layout import ImageRef, default_words, render_markdown  # noqa: E402
from layout.markdown import read_markdown  # noqa: E402
from layout.sanitiser import sanitised  # noqa: E402
from layout.shaping import shape  # noqa: E402
from layout.themes import stylesheet  # noqa: E402

TARGET_CHARS = 20_000
IMAGES = 30

PARAGRAPH = ("乡村学校的冬天来得早，十一月就要生炉子了。老师们说，冬天是孩子们读书最多的季节，"
             "因为外面太冷，课间大家都愿意待在教室里。"
             "我们在 2025 年为 86 所学校配送了 46,300 册图书，"
             "借阅率从 41% 提高到 58%，其中 Reading Corner 试点学校的提升最明显。")


def section(n: int) -> str:
    """One chapter of the article: about 1,300 characters and two images."""
    return f"""
## 第 {n} 部分：项目进展 Part {n}

{PARAGRAPH}详见[项目报告 {n}](https://www.example.org/report/{n})和[上期推送](https://mp.weixin.qq.com/s/Issue{n})[^n{n}]。

![现场照片 {n}a](photo-{n}a.jpg "第 {n} 部分的照片")

{PARAGRAPH}

- 第一层 {n}
  - 第二层，带 **加粗** 和 *斜体*
    - 第三层，带 `code`
- 另一项 <https://www.example.org/plain/{n}>

| 县 | 学校 | 学生 | 藏书 | 借阅 | 借阅率 | 变化 |
|---|--:|--:|--:|--:|--:|:-:|
| 镇雄 | 14 | 2,136 | 9,800 | 6,410 | 68% | ↑ |
| 威宁 | 16 | 2,480 | 11,200 | 5,210 | 52% | ↓ |

```python
def rate(borrowers: int, students: int) -> float:
    return borrowers / students  # 第 {n} 部分
```

::: tip
{PARAGRAPH}
:::

![图表 {n}b](chart-{n}b.png)

[^n{n}]: 第 {n} 部分的数据来自学校的借阅登记本。
"""


def article() -> str:
    """Chapters until 30 images, then paragraphs until 20,000 characters."""
    text = "---\ntitle: 基准文章\ntheme: plain\n---\n"
    for n in range(1, IMAGES // 2 + 1):
        text += section(n)
    while len(text) < TARGET_CHARS:
        text += "\n" + PARAGRAPH + "\n"
    return text


def uploaded(ref: ImageRef) -> str:
    return f"https://mmbiz.qpic.cn/bench/{ref.src}/0"


def median_seconds(work: Callable[[], object], runs: int) -> float:
    work()  # warm-up: caches, lexers, the parser
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def stages(text: str, theme: str, runs: int) -> list[tuple[str, float]]:
    """The pipeline's steps timed one by one, each on the previous one's output."""
    words = default_words()
    source = read_markdown(text, words.callouts)
    shaped = shape(source.html, uploaded, {}, words)
    css = stylesheet(theme)
    styled = css_inline.inline_fragment(shaped.html, css)
    return [
        ("markdown (plugins, highlighting)", median_seconds(
            lambda: read_markdown(text, words.callouts), runs)),
        ("shaping (lxml)", median_seconds(lambda: shape(source.html, uploaded, {}, words), runs)),
        ("styles inlined (css-inline)", median_seconds(
            lambda: css_inline.inline_fragment(shaped.html, css), runs)),
        ("sanitised (nh3)", median_seconds(lambda: sanitised(styled), runs)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--theme", default="plain")
    args = parser.parse_args()
    text = article()
    plain = MarkdownIt("commonmark").enable("table")
    rendered = render_markdown(text, uploaded, theme=args.theme)
    assert len(rendered.placed) == IMAGES and not rendered.unplaced
    base = median_seconds(lambda: plain.render(text), args.runs)
    full = median_seconds(lambda: render_markdown(text, uploaded, theme=args.theme), args.runs)
    print(f"article: {len(text):,} characters of Markdown, {len(rendered.placed)} images, "
          f"{len(rendered.references)} references; {len(rendered.html):,} characters of HTML")
    print(f"\n{'':<36}{'ms':>9}{'× baseline':>12}")
    print(f"{'baseline: markdown-it render':<36}{base * 1000:>9.1f}{1:>12.2f}")
    print(f"{'render_markdown (everything)':<36}{full * 1000:>9.1f}{full / base:>12.2f}")
    for name, seconds in stages(text, args.theme, args.runs):
        print(f"{'  ' + name:<36}{seconds * 1000:>9.1f}{seconds / base:>12.2f}")


if __name__ == "__main__":
    main()
