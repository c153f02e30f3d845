"""The worker: sends the outbox and runs every scheduled job (APScheduler).

Every worker drains the outbox (rows are claimed, never shared); the business
jobs (timed publishes, publish-result polling, reply-time reminders, pruning)
run only on the one worker that holds the leader lock, checked before each run.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import NoReturn

from apscheduler.schedulers.blocking import BlockingScheduler

from bot import deliveries, draft_box, lanes, metrics, probe, sender
from bot.gateway import Gateway
from bot.inbound_replay import Replayer
from bot.job_faults import Outage, through_outages
from bot.timefmt import utcnow
from bot.tokens import RedisTokens, TokenSource, fetch_stable_token
from bot.wechat_errors import WeChatError
from bot.wiring import App, database, database_upkeep, platform_records, worker_heartbeats
from bot.wiring import inbound_log as inbound
from handlers import texts
from workflow import link_liveness, recheck_cases, ticket_cases, usecases
from workflow.capabilities import Capabilities, Capability, KeptCapabilities
from workflow.draft_box import Verdict
from workflow.errors import WorkflowError
from workflow.model import Context
from workflow.quarters import Next
from workflow.roles import SYSTEM_ACTOR
from workflow.states import Event

log = logging.getLogger("wxops.worker")

POLL_AFTER = timedelta(minutes=2)
REPLAY_EVERY = 2  # seconds: a follower's message kept after a fault reaches the queue soon
#: How long the sender keeps what it read of the capabilities learnt missing (about
#: one sending cycle): a 48001 learnt now is asked before the next notices.
CAPABILITIES_TTL = 5.0
#: Seconds between a worker's heartbeats (``wxops doctor`` finds a worker dead
#: when its last is a few of these old).
HEARTBEAT_EVERY = 30
#: Minutes between two rounds of the links check at most: a revision sent to
#: review is looked at soon; an address is still asked once per its interval.
LINK_ROUND_MINUTES = 5


def token_source(app: App) -> TokenSource:
    s = app.settings

    def fetch(force: bool) -> tuple[str, int]:
        return fetch_stable_token(s.wechat_api_base, s.app_id, s.app_secret, force)

    if s.redis_url:
        return RedisTokens(s.redis_url, s.app_id, fetch)
    return app.database_tokens(fetch)


def make_gateway(app: App, capabilities: Callable[[], Capabilities] | None = None) -> Gateway:
    """``capabilities``: asked before each call (the account's, when not given)."""
    s = app.settings
    return Gateway(s.app_id, s.app_secret, s.wechat_api_base, token_source(app),
                   capabilities=capabilities or _capabilities(app))


def probing_gateway(app: App) -> Gateway:
    """A gateway that asks nothing before its calls: the start-up probe is how the
    account's kind is checked, so it calls what the settings say the kind lacks."""
    s = app.settings
    return Gateway(s.app_id, s.app_secret, s.wechat_api_base, token_source(app))


def make_sender(app: App, worker: str = "") -> sender.Sender:
    s = app.settings
    incident = timedelta(seconds=s.outbox_incident_seconds)
    capabilities = _capabilities(app)
    app.clock.measure()  # before the first claim, which compares with others' times
    return sender.Sender(app.engine, make_gateway(app, capabilities),
                         deliveries.handlers(s.template_id_notify, incident,
                                             capabilities), worker,
                         backoff_base=timedelta(seconds=s.outbox_backoff_seconds),
                         dead_ends=deliveries.dead_ends(incident),
                         sent_after_all=deliveries.sent_after_all(), clock=app.clock,
                         parallel=s.outbox_parallel, lane_of=lanes.lane_of)


def _capabilities(app: App) -> Callable[[], Capabilities]:
    """The settings' kind less what the platform refused (48001), re-read at most
    every few seconds: a 48001 learnt in one sending cycle is asked in the next."""
    kept = KeptCapabilities(app.settings.kind, CAPABILITIES_TTL)
    return lambda: kept.current(lambda: app.learnt_capabilities().missing())


#: How often the comment job looks for articles due (each is read when due:
#: workflow.comments.read_every).
COMMENTS_EVERY_MINUTES = 10

#: What a scheduled job calls on the platform: on an account without it the job
#: is skipped (one log line when that starts), not run to fail every time.
JOB_NEEDS: dict[str, Capability] = {"poll_publishing": Capability.FREE_PUBLISH,
                                    "sync_drafts": Capability.MATERIALS,
                                    "pull_analytics": Capability.DATACUBE,
                                    "sync_comments": Capability.COMMENTS}


class Jobs:
    def __init__(self, app: App, worker: str = "") -> None:
        self.app, self.sender = app, make_sender(app, worker)
        # The database's clock, not this host's: due times and leases are compared
        # with times other hosts wrote (bot/clock.py).
        self.clock = app.clock
        self.leader = app.leader_lock(holder=self.sender.worker)
        self.replayer = Replayer(app)
        self.skipping: set[str] = set()  # jobs skipped for a capability, logged once
        self.statistics_at: datetime | None = None  # when this worker last gathered them

    def _able(self, job: str) -> bool:
        """Whether the account may make the calls ``job`` makes (JOB_NEEDS)."""
        need = JOB_NEEDS.get(job)
        if need is None or self.app.capabilities().allows(need):
            self.skipping.discard(job)
            return True
        if job not in self.skipping:
            self.skipping.add(job)
            log.info("%s skipped: the account (%s) lacks %s", job,
                     self.app.settings.kind.name, need.value)
        return False

    def send(self) -> None:
        self.sender.drain()

    def heartbeat(self) -> None:
        """Say this worker is alive, and whether it leads the scheduler (``wxops
        doctor`` and /metrics read it). A database fault is said and the next beat
        tries again."""
        try:
            with database.write_lock(self.app.engine), self.app.engine.begin() as conn:
                worker_heartbeats.beat(conn, self.sender.worker, self.clock(), self.leader.held)
        except Exception as exc:  # the database's faults: the worker goes on
            log.warning("heartbeat not written: %s", database.describe(exc))

    def stopped(self) -> None:
        """A clean stop takes the heartbeat away: no worker runs under this name."""
        try:
            with database.write_lock(self.app.engine), self.app.engine.begin() as conn:
                worker_heartbeats.stopped(conn, self.sender.worker)
        except Exception as exc:
            log.warning("heartbeat not removed: %s", database.describe(exc))

    def replay_inbound(self) -> None:
        """Pushes kept after a passing database fault, handled now (every worker:
        each push is taken in the transaction that handles it)."""
        for inbound_id in self.replayer.due():
            if self.sender.stopping.is_set():
                return
            self.replayer.replay(inbound_id, due_only=True)

    def recover(self) -> None:
        lease = timedelta(seconds=self.app.settings.outbox_lease_seconds)
        resumed, dead = self.sender.recover(lease)
        if resumed or dead:
            log.warning("recovered stale outbox rows: %s resumed, %s dead", resumed, dead)

    def _leading(self, job: str) -> bool:
        """Leadership is verified before each leader-only job, never assumed."""
        was, held = self.leader.held, self.leader.try_acquire()
        metrics.leading(held)
        if held != was:  # said at once, not at the next beat
            self.heartbeat()
        if not held:
            return False
        log.debug("%s runs as the scheduler leader", job)
        return True

    def due_publishes(self) -> None:
        if not self._leading("due_publishes"):
            return
        now = self.clock()
        with self.app.engine.connect() as conn:
            due = platform_records.scheduled_due(conn, now)
        # The account's capabilities (less any learnt missing) decide the way:
        # submitted, or the admins told to publish it by hand (workflow.publishing).
        ctx = Context(now=now, command=texts.phrase("delivery", "timed_publish"),
                      capabilities=self.app.capabilities())
        for item_id in due:
            try:
                usecases.act(self.app.uow(), SYSTEM_ACTOR.id, item_id, Event.DUE, ctx)
            except WorkflowError as exc:
                log.info("timed publish of %s skipped: %s", item_id, exc.code,
                         extra={"item_id": item_id})

    def poll_publishing(self) -> None:
        """A safety net for a lost PUBLISHJOBFINISH push: ask freepublish/get."""
        if not self._leading("poll_publishing") or not self._able("poll_publishing"):
            return
        now = self.clock()
        with self.app.engine.connect() as conn:
            waiting = platform_records.publishing_since(conn, now - POLL_AFTER)
        for publish_id in waiting:
            try:
                self._poll_one(publish_id, now)
            except WeChatError as exc:  # asked again next round; one line, no traceback
                log.warning("publish %s not polled: %s", publish_id, exc.reason)
                return

    def _poll_one(self, publish_id: str, now: datetime) -> None:
        from handlers.platform import failure_reason, first_article_url

        result = self.sender.gateway.publish_get(publish_id)
        status = int(result.get("publish_status", 1))
        if status == 1:
            return
        extra = {"article_id": str(result.get("article_id") or ""),
                 "url": first_article_url(result)}
        ctx = Context(now=now, comment="" if status == 0 else failure_reason(status),
                      extra=extra)
        usecases.record_publish_result(self.app.uow(), publish_id, status == 0, ctx)

    def sync_drafts(self) -> None:
        """Read the draft box: a change saved in a draft attached to an item
        becomes its new revision (bot/draft_box.py). Skipped, with one quiet
        line, on an account without the draft box."""
        if not self._leading("sync_drafts") or not self._able("sync_drafts"):
            return
        try:
            report = draft_box.sync(self.app, self.sender.gateway, "worker")
        except WeChatError as exc:  # read again next round; one line, no traceback
            log.warning("draft box not read: %s", exc.reason)
            return
        for taken in report.of(Verdict.TAKEN):
            log.info("draft %s: revision %s of item %s", taken.media_id, taken.revision,
                     taken.item_id, extra={"item_id": taken.item_id})

    def sync_comments(self) -> None:
        """Read the comments of published items when due (bot/comment_sync.py)."""
        if not self._leading("sync_comments") or not self._able("sync_comments"):
            return
        from bot import comment_sync

        try:
            report = comment_sync.sync(self.app, self.sender.gateway, self.clock())
        except WeChatError as exc:  # read again next round; one line, no traceback
            log.warning("comments not read: %s", exc.reason)
            return
        for item_id, _ in report.unmapped:
            log.warning("item %s: comments not read, its article is not mapped", item_id,
                        extra={"item_id": item_id})

    def reply_sla(self) -> None:
        """Tickets waiting longer than WXOPS_REPLY_SLA: tell the holder, or the admins."""
        if not self._leading("reply_sla"):
            return
        sla = timedelta(minutes=self.app.settings.reply_sla)
        with database.write_lock(self.app.engine):
            ticket_cases.remind_waiting(self.app.uow(), sla, self.clock())

    def check_links(self) -> None:
        """Whether the addresses of the articles in review and waiting to be published
        answer (workflow/link_liveness.py); asked here, never in a request."""
        if not self._leading("check_links"):
            return
        from bot.liveness import Asker

        s, now = self.app.settings, self.clock()
        planned = link_liveness.plan(self.app.uow(), now,
                                     timedelta(minutes=s.link_check_minutes))
        fresh = Asker(s.link_timeout_seconds, s.link_check_private).statuses(planned.due)
        with database.write_lock(self.app.engine):
            changed = link_liveness.record(self.app.uow(), planned, fresh, now)
        if planned.due:
            log.info("links checked: %s asked, %s revisions' findings changed",
                     len(planned.due), changed)

    def pull_analytics(self, day: date | None = None) -> None:
        """Yesterday's platform figures once the platform has them (bot/analytics.py):
        run hourly (WXOPS_ANALYTICS_PULL_MINUTES), it asks only what is not complete,
        so a late or delayed day is asked again next hour and a complete one costs
        no call."""
        if not self._leading("pull_analytics") or not self._able("pull_analytics"):
            return
        from bot import analytics

        day = day or probe.yesterday(self.app)
        try:
            pull = analytics.daily(self.app, self.sender.gateway, day)
        except WeChatError as exc:  # asked again next hour; one line, no traceback
            log.warning("figures of %s not pulled: %s", day, exc.reason)
            return
        log.info("figures of %s: %s calls, ready %s, delayed %s", day, pull.calls,
                 pull.ready, sorted(pull.delayed))

    def weekly_report(self) -> None:
        """Last week's report to the analysts and admins, once, when due
        (bot/reports.py; run hourly, it does nothing most hours)."""
        if not self._leading("weekly_report"):
            return
        from bot import reports

        try:
            made = reports.send_weekly(self.app, self.clock())
        except OSError as exc:  # the reports folder: tried again next hour
            log.warning("weekly report not made: %s", exc)
            return
        if made is not None:
            log.info("weekly report %s sent: %s", made.report.period.name, made.path)

    def quarterly_evaluation(self) -> None:
        """The quarter just over: the staff survey asked, then the evaluation made
        and its link sent to the admins, once (bot/evaluation.py; run hourly, it
        does nothing most hours)."""
        if not self._leading("quarterly_evaluation"):
            return
        from bot import evaluation

        try:
            done = evaluation.run_quarterly(self.app, self.clock())
        except OSError as exc:  # the reports folder: tried again next hour
            log.warning("quarterly evaluation not made: %s", exc)
            return
        if done is not Next.NOTHING:
            log.info("quarterly evaluation: %s", done.value)

    def recheck_reminders(self, now: datetime | None = None) -> None:
        """Reads spikes spotted in the platform's figures, then each person's
        re-checks due, in one notice a day from WXOPS_RECHECK_HOUR
        (workflow/recheck_cases.py; run hourly, it queues nothing twice a day)."""
        if not self._leading("recheck_reminders"):
            return
        s, now = self.app.settings, now or self.clock()
        with database.write_lock(self.app.engine):
            spotted = recheck_cases.spot(self.app.uow(), s.tz, now)
        if spotted:
            log.info("reads spikes: %s re-checks pulled forward", spotted)
        with database.write_lock(self.app.engine):
            told = recheck_cases.remind(self.app.uow(), s.recheck_intervals, s.tz, now,
                                        s.recheck_hour)
        if told:
            log.info("re-check reminders queued for %s people", len(told))

    def prune(self) -> None:
        if not self._leading("prune"):
            return
        retention = inbound.nonce_retention(self.app.settings.max_clock_skew)
        with database.write_lock(self.app.engine), self.app.engine.begin() as conn:
            inbound.prune_nonces(conn, int(self.clock().timestamp()) - retention)

    def gather_statistics(self) -> None:
        """SQLite's planner statistics (storage/upkeep.py), once a day; run hourly,
        it does nothing most hours, and nothing on PostgreSQL."""
        now = self.clock()
        if self.statistics_at is not None and now - self.statistics_at < database_upkeep.EVERY:
            return
        if self._leading("gather_statistics"):
            database_upkeep.gather_statistics(self.app.engine)
            self.statistics_at = now


def run(app: App, worker: str = "", poll_seconds: float = 1.0) -> None:
    jobs = Jobs(app, worker)
    scheduler = BlockingScheduler(timezone=app.settings.timezone)
    outage = Outage()

    def said(job: Callable[[], None]) -> Callable[[], None]:
        return through_outages(job, outage)

    scheduler.add_job(said(jobs.send), "interval", seconds=poll_seconds, id="outbox",
                      max_instances=1, coalesce=True)
    recover_every = max(1, min(60, app.settings.outbox_lease_seconds // 2))
    scheduler.add_job(said(jobs.recover), "interval", seconds=recover_every, id="recover",
                      coalesce=True)
    scheduler.add_job(said(jobs.due_publishes), "interval", seconds=5, id="due", coalesce=True)
    scheduler.add_job(said(jobs.replay_inbound), "interval", seconds=REPLAY_EVERY, id="replay",
                      max_instances=1, coalesce=True)
    scheduler.add_job(said(jobs.poll_publishing), "interval", seconds=60, id="poll", coalesce=True)
    scheduler.add_job(said(jobs.prune), "interval", hours=1, id="prune", coalesce=True)
    scheduler.add_job(said(jobs.gather_statistics), "interval", hours=1, id="statistics",
                      max_instances=1, coalesce=True)
    scheduler.add_job(said(jobs.sync_drafts), "interval",
                      seconds=app.settings.draft_sync_minutes * 60, id="drafts",
                      max_instances=1, coalesce=True)
    scheduler.add_job(said(jobs.check_links), "interval",
                      minutes=min(LINK_ROUND_MINUTES, app.settings.link_check_minutes),
                      id="check_links", max_instances=1, coalesce=True)
    scheduler.add_job(said(jobs.pull_analytics), "interval",
                      seconds=app.settings.analytics_pull_minutes * 60, id="analytics",
                      max_instances=1, coalesce=True)
    # Also at start: what came in while no worker ran (each article only when due).
    scheduler.add_job(said(jobs.sync_comments), "interval", minutes=COMMENTS_EVERY_MINUTES,
                      id="sync_comments", coalesce=True, next_run_time=utcnow())
    # Not at start: a worker (re)started runs it within the hour, never in the
    # moment a deploy or a test brings it up.
    scheduler.add_job(said(jobs.weekly_report), "interval", hours=1, id="weekly_report",
                      max_instances=1, coalesce=True)
    scheduler.add_job(said(jobs.quarterly_evaluation), "interval", hours=1,
                      id="quarterly_evaluation", max_instances=1, coalesce=True)
    scheduler.add_job(said(jobs.recheck_reminders), "interval", hours=1, id="recheck_reminders",
                      max_instances=1, coalesce=True)
    scheduler.add_job(said(jobs.reply_sla), "interval", seconds=60, id="reply_sla", coalesce=True)
    scheduler.add_job(said(jobs.heartbeat), "interval", seconds=HEARTBEAT_EVERY, id="heartbeat",
                      coalesce=True)
    log.info("worker %s started", jobs.sender.worker)
    _serve_metrics(app)
    if app.settings.demo:
        log.warning("no WXOPS_APP_ID/WXOPS_APP_SECRET: nothing can be sent to WeChat. "
                    "For the demo, `make run` starts the emulator and points the worker at it.")
    jobs.recover()
    jobs.heartbeat()
    probe.start_cross_check(app, probing_gateway)
    try:
        _stop_on_signals(jobs)
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("worker stopping: finishing the row in flight, releasing the rest")
    finally:
        jobs.sender.stopping.set()
        if scheduler.running:
            scheduler.shutdown(wait=True)  # the send job returns after its row in flight
        jobs.leader.release()
        jobs.stopped()
        log.info("worker stopped")


def _serve_metrics(app: App) -> None:
    """The worker's own /metrics (WXOPS_METRICS_PORT). A port already taken is said
    in one line and the worker runs on: sending matters more than its figures."""
    s = app.settings
    if not s.metrics_port:
        return
    from bot.metrics_page import serve_in_thread

    try:
        serve_in_thread(s, s.metrics_host, s.metrics_port)
    except OSError as exc:
        log.error("worker metrics not served on %s:%s: %s", s.metrics_host, s.metrics_port,
                  exc.strerror or exc)


def once(app: App, worker: str = "") -> int:
    """One drain of what is due (``wxops worker --once``). SIGTERM or SIGINT meanwhile
    finishes the row in flight and gives the rest of the batch back, as the
    long-running worker does; a second signal stops at once."""
    sender = make_sender(app, worker)
    finish_on_signals(sender.stopping)
    return sender.drain()


def finish_on_signals(stopping: threading.Event,
                      then: Callable[[], None] | None = None) -> None:
    """SIGTERM (systemd stop, `wxops run` stopping its children) and SIGINT ask the
    sender to stop after the row it is on (it gives the rest of its claimed batch
    back to pending), then run ``then``. Once: a second signal stops at once, as
    the default handlers would (what is then in flight is parked for a person by
    the next worker's recovery)."""

    def stop(_signum: int, _frame: object) -> None:
        stopping.set()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if then is not None:
            then()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _stop_on_signals(jobs: Jobs) -> None:
    """The long-running worker also leaves its scheduler loop (run's finally waits
    for the send job's row in flight)."""
    finish_on_signals(jobs.sender.stopping, then=_leave)


def _leave() -> NoReturn:
    raise SystemExit(0)
