"""Demo data: the people and items a newcomer chats with on `make run`."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.articles import article_html
from bot.config import LOOPBACK_HOSTS
from bot.emulator import DEMO_APP_ID, DEMO_APP_SECRET
from bot.timefmt import utcnow
from bot.wiring import App, account_texts, add_follower, database
from handlers import texts
from handlers.when import format_moment
from workflow import rule_cases, usecases
from workflow.autoreply import MatchType, NewRule
from workflow.model import Context, ItemChanges
from workflow.roles import Role
from workflow.staffing import Member
from workflow.states import Event


@dataclass(frozen=True)
class DemoPerson:
    name: str
    openid: str
    roles: frozenset[Role]


DEMO_STAFF = (
    DemoPerson("admin", "o_demo_admin", frozenset({Role.ADMIN})),
    DemoPerson("reviewer", "o_demo_reviewer", frozenset({Role.REVIEWER})),
    DemoPerson("reviewer2", "o_demo_reviewer2", frozenset({Role.REVIEWER})),
    DemoPerson("creator", "o_demo_creator", frozenset({Role.CREATOR})),
)
DEMO_FOLLOWER = "o_demo_follower"
#: The demo runs in safe mode, like a production account should.
DEMO_AES_KEY = "wxopsDemoEncodingAESKey0123456789abcdefghij"


def emulator_state_file(database_url: str) -> Path:
    """Where the demo's emulator keeps its memory: beside the SQLite database it
    goes with, or under ``var/``."""
    file = database.sqlite_file(database_url)
    return (file.parent if file else Path("var")) / "emulator-state.pickle"


def run_file(database_url: str) -> Path:
    """Where a running `wxops run` says which ports its demo is on, for `wxops chat`
    and `wxops config check` (beside the emulator's memory)."""
    return emulator_state_file(database_url).with_name("demo-run.json")


@dataclass(frozen=True)
class DemoRun:
    host: str
    port: int
    emulator_port: int

    @property
    def emulator_url(self) -> str:
        return f"http://{self.host}:{self.emulator_port}"


def record_run(database_url: str, run: DemoRun) -> None:
    path = run_file(database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": os.getpid(), **asdict(run)}), encoding="utf-8")


def forget_run(database_url: str) -> None:
    run_file(database_url).unlink(missing_ok=True)


def running(database_url: str) -> DemoRun | None:
    """The demo `wxops run` is running on this database now, if it is (a file left
    by one that was killed names a process that is gone, and is ignored)."""
    try:
        data = json.loads(run_file(database_url).read_text(encoding="utf-8"))
        alive = _alive(int(data["pid"]))
        run = DemoRun(str(data["host"]), int(data["port"]), int(data["emulator_port"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return run if alive else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def environment(emulator_url: str) -> dict[str, str]:
    """Settings every demo process shares: the emulator is their WeChat."""
    return {"WXOPS_APP_ID": DEMO_APP_ID, "WXOPS_APP_SECRET": DEMO_APP_SECRET,
            "WXOPS_WECHAT_API_BASE": emulator_url, "WXOPS_ENCODING_AES_KEY": DEMO_AES_KEY}


def public_url(host: str, port: int, configured: str) -> dict[str, str]:
    """The demo's pages at the local server's address, so 预览's link opens on this
    machine; a configured ``WXOPS_PUBLIC_URL`` is kept, and a host that is not this
    machine's gets none (plain http is for this machine only)."""
    if configured:
        return {}
    local = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    if local not in LOOPBACK_HOSTS:
        return {}
    shown = f"[{local}]" if ":" in local else local
    return {"WXOPS_PUBLIC_URL": f"http://{shown}:{port}"}


#: The example survey shipped in the repository (``wxops survey``), for the demo.
EXAMPLE_SURVEYS = Path(__file__).resolve().parents[1] / "deploy" / "surveys"


def example_surveys(configured: str) -> dict[str, str]:
    """The demo runs the shipped example survey (回复「调查」) unless a surveys
    folder of the account's own exists."""
    if Path(configured).is_dir() or not EXAMPLE_SURVEYS.is_dir():
        return {}
    return {"WXOPS_SURVEYS_DIR": str(EXAMPLE_SURVEYS)}


def how_to_chat(host: str, port: int, emulator_port: int) -> str:
    return texts.render("demo_intro", host=host, port=port, emulator_port=emulator_port,
                        people=[p.name for p in DEMO_STAFF])


def demo_rule_replies(now: datetime, tz: ZoneInfo) -> dict[str, str]:
    """The replies of the two rules that answer the keywords the demo's welcome
    (templates/demo_welcome.j2) names; the shipped welcome promises none, as a real
    account has no rules until admins add them. The activity is on the next
    Saturday morning, named by its real date and weekday (a date written into
    the text went out of date, and named the wrong weekday)."""
    # Keyed by the keywords the welcome names (vocabulary, like a command word).
    return {"活动": texts.phrase("demo_rules", "activity",
                               when=format_moment(next_saturday_morning(now, tz))),
            "志愿者": texts.phrase("demo_rules", "volunteers")}


def next_saturday_morning(now: datetime, tz: ZoneInfo) -> datetime:
    """09:00 on the first Saturday after today, in the account's time zone."""
    local = now.astimezone(tz)
    days = (5 - local.weekday()) % 7 or 7
    return datetime.combine(local.date() + timedelta(days=days), time(9, 0), tzinfo=tz)
DEMO_ITEMS = ("clinic", "tutoring")  # macros in handlers/templates/demo_items.j2


def seed(app: App) -> bool:
    """Create the demo people, welcome, rules and items once; False if the database
    has staff already."""
    now = utcnow()
    with app.uow() as uow:
        if uow.staff.members(include_inactive=True):
            return False
        ids = {p.name: uow.staff.add(Member(0, p.name, p.openid, p.roles), now).id
               for p in DEMO_STAFF}
        add_follower(uow.session, DEMO_FOLLOWER, now)
        account_texts(uow.session).add("welcome", texts.shipped_source("demo_welcome"), now)
        for keyword, reply in demo_rule_replies(now, app.settings.tz).items():
            uow.rules.add(rule_cases.checked(NewRule(MatchType.EXACT, keyword, reply)),
                          created_by=ids["admin"], now=now)
        uow.commit()
    for name in DEMO_ITEMS:
        _demo_item(app, ids["creator"], name, Context(now=now, command="demo"))
    return True


def _demo_item(app: App, creator: int, name: str, ctx: Context) -> None:
    """A demo item being written: planned, started, with its text in."""
    def text(part: str) -> str:
        return texts.phrase("demo_items", f"{name}_{part}")

    item = usecases.plan(app.uow(), creator, text("title"), ctx, text("topic"))
    usecases.act(app.uow(), creator, item.id, Event.START, ctx)
    usecases.edit(app.uow(), creator, item.id, ItemChanges(body=article_html(text("body"))), ctx)
