"""``wxops doctor``'s checks, in the order a new installation needs them: the
settings, the access token, the server URL and Token as WeChat calls them, the
EncodingAESKey, the database, the worker, the outbox, and the account's
capabilities as the platform answers. Each is one ``diagnosis.Check``; a check
that needs an earlier one that failed is skipped, saying which.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy.exc import SQLAlchemyError

from bot import probe
from bot.cli import as_run
from bot.clock import offset_of
from bot.config import ConfigError, Settings, check_aes_key, load_settings
from bot.crypto import signature
from bot.diagnosis import (
    Check,
    Status,
    answered,
    capability_check,
    clock_verdict,
    kind_check,
    skipped,
    transport_cause,
)
from bot.startup import SchemaCheck
from bot.timefmt import utcnow
from bot.tokens import fetch_stable_token
from bot.wechat_errors import TransportError, WeChatError, whitelist_ip
from bot.wiring import App, database, worker_heartbeats
from bot.wiring import outbox_log as outbox
from workflow.capabilities import Capability, LearntMissing, granted

#: A worker whose last heartbeat is older than this is taken for dead (it beats
#: every ``bot.worker.HEARTBEAT_EVERY`` seconds).
HEARTBEAT_STALE = timedelta(minutes=2)
#: A pending row due longer ago than this waits for a worker that does not send.
OUTBOX_OVERDUE = timedelta(minutes=5)
#: Seconds each HTTP call of the doctor may take.
TIMEOUT = 5.0
#: What a wrong AppSecret (or AppID) answers when a token is asked for.
WRONG_SECRET = frozenset({40001, 40125})
WRONG_APP_ID = 40013
NOT_WHITELISTED = 40164


def diagnose(load: Callable[[], Settings] = load_settings,
             url: str | None = None) -> list[Check]:
    """Every check, in order. ``load`` reads the settings (ConfigError when bad);
    ``url`` (``--url``) is the public address to verify, else the settings'."""
    settings, check = settings_check(load)
    if settings is None:
        return [check, *(skipped(code, "no_settings") for code in AFTER_SETTINGS)]
    app = App(settings)
    app.creates_database = False  # a check, not a set-up: a missing file is reported
    try:
        return [check, *_with_settings(app, url)]
    finally:
        app.engine.dispose()


def _with_settings(app: App, url: str | None) -> list[Check]:
    settings = app.settings
    token, token_line = token_check(settings)
    db_line = database_check(app)
    db_ok = db_line.status is Status.OK
    return [token_line, server_url_check(settings, url), aes_key_check(settings), db_line,
            worker_check(app) if db_ok else skipped("worker", "no_database"),
            outbox_check(app) if db_ok else skipped("outbox", "no_database"),
            clock_check(app) if db_ok else skipped("clock", "no_database"),
            *capability_checks(app, token, db_ok)]


AFTER_SETTINGS = ("access_token", "server_url", "aes_key", "database", "worker", "outbox",
                  "clock", "capabilities")


def settings_check(load: Callable[[], Settings]) -> tuple[Settings | None, Check]:
    """The settings; the demo's as `wxops run` gives them (the emulator's account)."""
    try:
        settings, by_demo = as_run(load())
    except ConfigError as exc:
        data = {"setting": exc.setting, "problem": exc.problem, "detail": str(exc)}
        return None, Check("settings", Status.FAIL, "invalid", data)
    return settings, Check("settings", Status.OK, "loaded",
                           {"demo": bool(by_demo), "app_id": settings.app_id})


def token_check(s: Settings) -> tuple[str | None, Check]:
    """stable_token, as every wxops process fetches it (not forced: the token
    in use stays valid)."""
    base = s.wechat_api_base
    try:
        token, expires_in = fetch_stable_token(base, s.app_id, s.app_secret, False, TIMEOUT)
    except TransportError as exc:
        return None, Check("access_token", Status.FAIL, "unreachable", {
            "address": base, "cause": transport_cause(str(exc)), "detail": str(exc)})
    except WeChatError as exc:
        return None, _token_refused(exc, s)
    return token, Check("access_token", Status.OK, "fetched",
                        {"address": base, "expires_in": expires_in})


def _token_refused(exc: WeChatError, s: Settings) -> Check:
    data: dict[str, Any] = {"errcode": exc.errcode, "errmsg": exc.errmsg, "app_id": s.app_id}
    if exc.errcode == NOT_WHITELISTED:
        problem, data["ip"] = "ip_not_whitelisted", whitelist_ip(exc.errmsg)
    elif exc.errcode in WRONG_SECRET:
        problem = "wrong_secret"
    elif exc.errcode == WRONG_APP_ID:
        problem = "wrong_app_id"
    else:
        problem = "refused"
    return Check("access_token", Status.FAIL, problem, data)


def server_url_check(s: Settings, url: str | None) -> Check:
    """A GET signed with the Token as WeChat sends it when the URL is saved in the
    official backend: the server must answer the echostr."""
    base = url or s.public_url
    if not base:
        return Check("server_url", Status.SKIP, "no_url", {"path": s.wechat_path})
    address = base.rstrip("/") + s.wechat_path
    echostr = secrets.token_hex(8)
    data: dict[str, Any] = {"address": address}
    try:
        answer = requests.get(address, params=_verification(s.token, echostr), timeout=TIMEOUT)
    except requests.RequestException as exc:
        return Check("server_url", Status.FAIL, "unreachable",
                     {**data, "cause": transport_cause(str(exc)), "detail": str(exc)})
    if answer.status_code == 200 and answer.text == echostr:
        return Check("server_url", Status.OK, "verified", data)
    data["http_status"] = answer.status_code
    problem = "token_mismatch" if answer.status_code == 403 else "unexpected"
    return Check("server_url", Status.FAIL, problem, data)


def _verification(token: str, echostr: str) -> dict[str, str]:
    """The query WeChat's verification GET carries, signed with ``token``."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    return {"signature": signature(token, timestamp, nonce), "timestamp": timestamp,
            "nonce": nonce, "echostr": echostr}


def aes_key_check(s: Settings) -> Check:
    if not s.encoding_aes_key:
        return Check("aes_key", Status.WARN, "safe_mode_off")
    return Check("aes_key", Status.OK, "valid",
                 {"length": len(s.encoding_aes_key),
                  "key_bytes": len(check_aes_key(s.encoding_aes_key))})


def database_check(app: App) -> Check:
    try:
        state = SchemaCheck(app.engine).state()
    except SQLAlchemyError as exc:
        return _unreachable(exc)
    data = {"status": state.status, **state.data}
    if state.ok:
        return Check("database", Status.OK, "at_head", data)
    fix = "wxops db upgrade" if state.status != "unrecognised" else None
    return Check("database", Status.FAIL, state.status, {**data, "fix": fix})


def _unreachable(exc: SQLAlchemyError) -> Check:
    """Why the database cannot be used: no SQLite file at the URL's path, or the
    driver's own words."""
    path = database.missing_file(exc)
    if path is not None:
        return Check("database", Status.FAIL, "no_file", {"path": path, "fix": "wxops db upgrade"})
    return Check("database", Status.FAIL, "unreachable", {"detail": database.describe(exc)})


def _age(moment: datetime, now: datetime) -> int:
    return max(0, int((now - moment).total_seconds()))


def worker_check(app: App) -> Check:
    now = utcnow()
    with app.engine.connect() as conn:
        beat = worker_heartbeats.latest(conn)
    if beat is None:
        return Check("worker", Status.FAIL, "no_heartbeat", {"fix": "wxops worker"})
    data = {"worker": beat.worker, "last_beat": beat.beat_at.isoformat(),
            "age_seconds": _age(beat.beat_at, now)}
    if now - beat.beat_at > HEARTBEAT_STALE:
        return Check("worker", Status.FAIL, "stale", {**data, "fix": "wxops worker"})
    return Check("worker", Status.OK, "alive", data)


def outbox_check(app: App) -> Check:
    now = utcnow()
    with app.engine.connect() as conn:
        counts = outbox.counts(conn)
        oldest, due = outbox.oldest_pending(conn)
    data: dict[str, Any] = {
        "dead": counts.get("dead", 0), "pending": counts.get("pending", 0),
        "oldest_pending_age_seconds": _age(oldest, now) if oldest else None,
        "overdue_seconds": _age(due, now) if due else None}
    if due is not None and now - due > OUTBOX_OVERDUE:
        return Check("outbox", Status.FAIL, "stuck", {**data, "fix": "wxops worker"})
    if data["dead"]:
        return Check("outbox", Status.WARN, "dead_rows", {**data, "fix": "wxops outbox dead"})
    return Check("outbox", Status.OK, "flowing", data)


def clock_check(app: App, local: Callable[[], datetime] = utcnow) -> Check:
    """This host's clock against the database server's. The worker and the endpoint
    correct for the difference (bot/clock.py), but the signature check compares
    WeChat's timestamps with this host's own clock."""
    try:
        before = local()
        server = app.database_now()
        after = local()
    except SQLAlchemyError as exc:
        return Check("clock", Status.FAIL, "unreadable", {"detail": database.describe(exc)})
    if server is None:
        return Check("clock", Status.OK, "same_host")  # SQLite: this host's own clock
    return clock_verdict(offset_of(before, server, after).total_seconds(),
                         app.settings.max_clock_skew)


def capability_checks(app: App, token: str | None, db_ok: bool) -> list[Check]:
    """One line per capability, then whether the kind fits what the platform said."""
    if token is None:
        return [skipped("capabilities", "no_token")]
    answers = probe.probe(probe.doctor_gateway(app, token), probe.yesterday(app))
    answers[Capability.ACCESS_TOKEN] = probe.Probed(
        Capability.ACCESS_TOKEN, probe.Answer.ALLOWED, "stable_token")
    learnt: dict[Capability, LearntMissing] = {}
    if db_ok:
        probe.learn_refusals(app, answers, utcnow())
        learnt = dict(app.learnt_capabilities().missing())
    kind = app.settings.kind
    lines = [capability_check(cap, granted(kind, cap), learnt.get(cap), answers.get(cap))
             for cap in Capability]
    return [*lines, kind_check(kind, probe.fits(kind, answers), answered(answers))]
