"""The daily re-check reminder (workflow/recheck.py decides what is due).

Each person gets at most one notice a day listing everything due that is theirs
(``asked_of``): the author their articles, each analyst every one, and
each admin, in the same notice, the re-checks two weeks overdue or more. The
notice's outbox key names the person and the day (``reminder_key``): a
rerun that day, or a second worker, queues nothing; the next day, if still due,
it is sent again. It is a staff notice like any other: sent in the person's
customer-service window, otherwise held and shown with their next passive reply;
a reminder still held when the next day's is queued is withdrawn (superseded):
the new one lists everything due then, and a person back after a week reads one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from workflow import recheck
from workflow.effects import NotifyStaff
from workflow.ports import UnitOfWork
from workflow.recheck import ESCALATE_DAYS, Due, RecheckDays
from workflow.roles import Actor, Role, roles_for
from workflow.states import Event

#: Re-checks a reminder lists in each section; the rest are counted (复查 lists all).
REMINDER_LINES = 8
TEMPLATE = "recheck_due"


def remind(uow: UnitOfWork, days: RecheckDays, tz: tzinfo, now: datetime,
           hour: int) -> list[int]:
    """Queue today's reminders, from ``hour`` (the account's time) on. Returns who
    was told now (not who was told earlier today)."""
    local = now.astimezone(tz)
    if not reminding(local, hour):
        return []
    today = local.date()
    due = recheck.due_today(uow, days, tz, today)
    if not due:
        return []
    told = []
    with uow:
        for person in _people(uow, due):
            asked = asked_of(person, due, today)
            if asked.empty:
                continue
            context = {"day": today.isoformat(), "limit": REMINDER_LINES,
                       "mine": [d.line(today) for d in asked.mine],
                       "overdue": [d.line(today) for d in asked.overdue],
                       "may_answer": may_answer(person)}
            notice = NotifyStaff(staff_id=person.id, template=TEMPLATE, context=context)
            key = reminder_key(person.id, today)
            if uow.outbox.add(notice.kind, notice.payload(), key, now):
                uow.outbox.replace_reminders(person.id, key)  # yesterday's, still held
                told.append(person.id)
        uow.commit()
    return told


def spot(uow: UnitOfWork, tz: tzinfo, now: datetime) -> int:
    """Look for reads spikes in the last ``SPOT_DAYS`` of the platform's figures
    and keep the new ones (each pulls its article's re-check forward until it is
    answered). Run every hour: a day's figures come the next morning, a delayed
    day later. Returns how many were new."""
    today = now.astimezone(tz).date()
    first = today - timedelta(days=recheck.SPOT_DAYS)
    new = 0
    with uow:
        view = uow.rechecks
        known_from = view.figures_from()
        articles = list(view.published())
        if known_from is None or not articles:
            return 0
        lasts = view.last_checks([a.item_id for a in articles])
        reads = view.daily_reads(first - timedelta(days=recheck.SPIKE_TRAILING),
                                 today - timedelta(days=1))
        for item_id, signal in recheck.spotted(articles, lasts, reads, known_from, first, tz):
            new += view.keep_signal(item_id, signal, now)
        uow.commit()
    return new


def may_answer(person: Actor) -> bool:
    """Whether ``person`` may answer a re-check (复查 N 正常): a writer reminded of
    their own article may not, and the notice asks them to have it re-checked."""
    return any(person.has(role) for role in roles_for(Event.RECHECK_OK))


def _people(uow: UnitOfWork, due: Sequence[Due]) -> list[Actor]:
    """Everyone a reminder may be for: the authors of what is due (still members),
    the analysts and the admins; each once."""
    found = {a.id: a for role in (Role.ANALYST, Role.ADMIN) for a in uow.staff.with_role(role)}
    for author_id in sorted({d.author_id for d in due} - set(found)):
        author = uow.staff.actor(author_id)
        if author is not None:
            found[author.id] = author
    return [found[i] for i in sorted(found)]


@dataclass(frozen=True)
class Asked:
    """What one person is asked about: for an admin, the re-checks overdue by
    ``ESCALATE_DAYS`` or more (``overdue``); and the others due that are theirs
    (their own articles; every one for an analyst: ``mine``)."""

    mine: tuple[Due, ...] = ()
    overdue: tuple[Due, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.mine or self.overdue)


@dataclass(frozen=True)
class Share:
    """Of one person's re-checks due, how many there are and the first few."""

    total: int
    first: tuple[Due, ...]


def asked_first(uow: UnitOfWork, days: RecheckDays, tz: tzinfo, today: date, actor: Actor,
                limit: int) -> tuple[Share, Share]:
    """``asked_of`` what is due today, as 我的 shows it: of ``mine`` and of
    ``overdue``, how many and the first ``limit``, read as such from the kept
    dates (not every date due made and sifted: 1,700 at bench/scale.py's size)."""
    escalated = today - timedelta(days=ESCALATE_DAYS)  # Due.escalated on or before it
    whose = None if Role.ANALYST in actor.roles else actor.id
    with uow:
        recheck.refresh(uow.rechecks, days, tz)
        view = uow.rechecks
        overdue = view.kept_due_first(escalated, limit) if actor.is_admin else (0, [])
        mine = view.kept_due_first(today, limit, escalated if actor.is_admin else None, whose)
        uow.commit()
    return Share(mine[0], tuple(mine[1])), Share(overdue[0], tuple(overdue[1]))


def asked_of(actor: Actor, due: Sequence[Due], today: date) -> Asked:
    """One person's share of ``due`` (what is due now): the daily reminder and
    我的 say the same."""
    analyst = Role.ANALYST in actor.roles
    overdue = tuple(d for d in due if d.escalated(today)) if actor.is_admin else ()
    mine = tuple(d for d in due if (analyst or d.author_id == actor.id) and d not in overdue)
    return Asked(mine, overdue)


def reminding(local_now: datetime, hour: int) -> bool:
    """The daily reminders go from ``hour`` (the account's time) on; the job runs
    hourly and each person's reminder is keyed by the day, so once a day."""
    return local_now.hour >= hour


def reminder_key(staff_id: int, today: date) -> str:
    """The outbox key of a person's reminder of a day: a rerun, or a second worker,
    finds it queued and sends nothing twice."""
    return f"recheck:{today.isoformat()}:{staff_id}"
