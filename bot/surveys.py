"""The follower surveys defined in WXOPS_SURVEYS_DIR: one TOML file a survey,
read and checked (workflow.survey_forms) once per process. A file with a
problem is left out, and each problem is logged as one line (``wxops survey
check`` prints them and exits 1)."""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from handlers import texts
from workflow.survey_forms import (
    FormProblem,
    Survey,
    SurveyBook,
    SurveyFormError,
    clashes,
    read_form,
)

log = logging.getLogger("wxops.surveys")


@dataclass(frozen=True)
class Loaded:
    book: SurveyBook
    problems: tuple[FormProblem, ...]
    folder: Path
    files: int  # survey files found


def load(settings: Settings) -> Loaded:
    """Every survey file in the folder (none when the folder does not exist)."""
    folder = Path(settings.surveys_dir)
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    read: list[tuple[str, Survey]] = []
    problems: list[FormProblem] = []
    for path in files:
        try:
            read.append((path.name, _read(path, settings)))
        except SurveyFormError as refused:
            problems.extend(refused.problems)
    clashing = clashes(read)
    problems.extend(clashing)
    refused_files = {p.file for p in clashing}
    kept = tuple(s for f, s in read if f not in refused_files)
    return Loaded(SurveyBook(kept), tuple(problems), folder, len(files))


def _read(path: Path, settings: Settings) -> Survey:
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise SurveyFormError([FormProblem(path.name, "bad_toml", None,
                                           {"error": str(exc)})]) from None
    return read_form(path.name, path.stem, table, settings.tz)


def problem_line(problem: FormProblem) -> str:
    """One problem as people read it: the file, the question, what is wrong."""
    what = texts.phrase("cli/surveys", problem.code, **(problem.data or {}))
    return texts.phrase("cli/surveys", "line", problem=problem, what=what)


def book(settings: Settings) -> SurveyBook:
    """The surveys to run, each problem logged (a process's start)."""
    loaded = load(settings)
    for problem in loaded.problems:
        log.error("survey left out: %s", problem_line(problem))
    return loaded.book
