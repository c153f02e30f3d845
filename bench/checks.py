"""Sensitive words in an article: the Aho–Corasick automaton against a loop of `in`.

Issue 22 asks that a list of 10,000 words check a 20,000-character article in
under 10 ms. Both contenders get the same list and the same visible text,
folded the same way (workflow.checks.words.fold), in the same run; the loop of
`in` only answers which words occur, the automaton also says where, every
time. Also shown: the automaton's build (once per list, not per article), the
same scan with the HTML read first, and the whole check (errors, typography,
structure, facts), so what a new revision costs is on record.

    .venv/bin/python bench/checks.py [--words 10000] [--chars 20000] [--runs 50]

The list and the article are generated from a fixed seed: Chinese words of
two to four characters and some Latin ones; the article is paragraphs of
Chinese with Latin words and numbers, with 20 of the list's words planted.
Each figure is the median of its runs: wall-clock (``time.perf_counter``),
its lowest, and CPU time (``time.process_time``, as bench/inbound_cpu.py
does), which moves less when other work shares the machine. The verdict is
on the median wall-clock time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workflow.checks import Revision, WordEntry, WordList, check  # noqa: E402
from workflow.checks.document import read  # noqa: E402
from workflow.checks.words import fold  # noqa: E402

SEED = 22
PLANTED = 20
BUDGET_MS = 10.0
# The common range of CJK ideographs, enough for words that rarely occur by chance.
HAN = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
LATIN = ["donate", "volunteer", "charity", "report", "WeChat", "2026", "NGO", "ok"]


def word_list(count: int, rng: random.Random) -> list[WordEntry]:
    entries: list[WordEntry] = []
    seen: set[str] = set()
    while len(entries) < count:
        if rng.random() < 0.9:
            word = "".join(rng.choices(HAN, k=rng.randint(2, 4)))
        else:
            word = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(5, 9)))
        if word not in seen:
            seen.add(word)
            entries.append(WordEntry(word, f"类别{len(entries) % 7}"))
    return entries


def article(chars: int, entries: list[WordEntry], rng: random.Random) -> str:
    """HTML whose visible text (paragraph breaks aside) is ``chars`` characters."""
    planted = [e.text for e in rng.sample(entries, PLANTED)]
    pieces: list[str] = []
    size = 0
    while size < chars:
        piece = planted.pop() if planted and rng.random() < 0.01 else (
            rng.choice(LATIN) if rng.random() < 0.05 else "".join(rng.choices(HAN, k=8)))
        pieces.append(piece)
        size += len(piece)
    text = "".join(pieces)[:chars]
    return "".join(f"<p>{text[i:i + 200]}</p>" for i in range(0, len(text), 200))


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """Median and lowest wall-clock milliseconds of ``runs`` calls, and median CPU ms."""
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--chars", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(SEED)
    entries = word_list(args.words, rng)
    body = article(args.chars, entries, rng)
    text = read(body).text
    build_ms = timed(lambda: WordList.build(entries), 3)
    words = WordList.build(entries)
    folded = [fold(e.text) for e in entries]

    def loop_of_in() -> list[str]:
        seen = fold(text)
        return [w for w in folded if w in seen]

    found_ac = {h.entry.text for h in words.words_in(text)}
    found_in = {e.text for e, w in zip(entries, folded, strict=True) if w in fold(text)}
    assert found_ac == found_in, "the two must find the same words"
    rows = [
        ("loop of `in` (which words)", timed(loop_of_in, max(3, args.runs // 10))),
        ("Aho–Corasick (every place)", timed(lambda: list(words.words_in(text)), args.runs)),
        ("Aho–Corasick with HTML read", timed(
            lambda: list(words.words_in(read(body).text)), args.runs)),
        ("whole check()", timed(lambda: check(Revision("标题", body, has_cover=True), words),
                                max(3, args.runs // 5))),
    ]
    visible = sum(1 for c in text if not c.isspace())
    print(f"{len(entries)} words, article of {visible} visible characters "
          f"({len(body)} of HTML), {len(found_ac)} words found")
    print(f"automaton build (once per list): {build_ms[0]:.1f} ms\n")
    print(f"{'':<30}{'median ms':>11}{'(lowest)':>10}{'CPU ms':>9}")
    for name, (median, lowest, cpu) in rows:
        print(f"{name:<30}{median:>11.2f}{lowest:>10.2f}{cpu:>9.2f}")
    loop_ms, ac_ms = rows[0][1][0], rows[1][1][0]
    verdict = "under" if ac_ms < BUDGET_MS else "OVER"
    print(f"\nAho–Corasick is {loop_ms / ac_ms:.0f}x faster than the loop of `in`; "
          f"{ac_ms:.2f} ms is {verdict} the {BUDGET_MS:.0f} ms budget")


if __name__ == "__main__":
    main()
