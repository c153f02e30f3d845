"""What a wxops process costs before it does anything: the CPU of a command line.

Every command typed at the terminal, and every process the test suite starts
(hundreds a run), pays for its imports first. This times a few commands as a
person types them (each a process of its own, against a migrated SQLite file,
the template cache warm) against the bare interpreter and an interpreter that
imports SQLAlchemy alone, in the same run, alternating, and reports each one's
median CPU (user + system, from ``os.wait4``) and its ratio to the bare
interpreter. ``--tree DIR`` times another checkout's code beside this one's
(``git archive REV | tar -x -C DIR``), with this virtualenv.

    .venv/bin/python bench/startup.py [--runs 15] [--tree /tmp/old]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: What is timed: a label, and what runs (a command line of wxops, or Python code).
COMMANDS: dict[str, list[str]] = {
    "wxops outbox show 1": ["outbox", "show", "1"],
    "wxops queue list": ["queue", "list"],
    "wxops staff list": ["staff", "list"],
    "wxops --help": ["--help"],
    "wxops emulator --help": ["emulator", "--help"],
}
BASELINES = {"python (bare)": "pass", "python + import sqlalchemy": "import sqlalchemy.orm"}


def _cpu(args: list[str], env: dict[str, str]) -> float:
    """The CPU seconds of one process and its children, run to its end."""
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _pid, _status, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def _runs(trees: dict[str, Path]) -> dict[str, list[str]]:
    runs: dict[str, list[str]] = {name: [sys.executable, "-c", code]
                                  for name, code in BASELINES.items()}
    for tree_name, tree in trees.items():
        for name, args in COMMANDS.items():
            code = f"import sys; sys.path.insert(0, {str(tree)!r}); " \
                   "from bot.cli import main; main()"
            runs[f"{name} ({tree_name})"] = [sys.executable, "-c", code, *args]
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--tree", type=Path, help="another checkout, timed beside this one")
    options = parser.parse_args()
    trees = {"this": ROOT, **({"other": options.tree.resolve()} if options.tree else {})}
    with tempfile.TemporaryDirectory() as workdir:
        database = f"sqlite:///{Path(workdir) / 'startup.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("WXOPS_")}
        env["WXOPS_DATABASE_URL"] = database
        subprocess.run([sys.executable, "-c", "from bot.cli import main; main()", "db",
                        "upgrade"], env={**env, "PYTHONPATH": str(ROOT)}, check=True,
                       capture_output=True)
        runs = _runs(trees)
        for args in runs.values():  # warm: the page cache, the compiled templates
            _cpu(args, env)
        taken: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(options.runs):
            for name, args in runs.items():
                taken[name].append(_cpu(args, env))
    bare = statistics.median(taken["python (bare)"])
    print(f"{'process':<40} {'CPU ms (median)':>16} {'/ bare python':>14}")
    for name, seconds in taken.items():
        median = statistics.median(seconds)
        print(f"{name:<40} {median * 1000:>16.0f} {median / bare:>14.1f}")


if __name__ == "__main__":
    main()
