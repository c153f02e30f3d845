"""``wxops chat``: talk to the account as a follower or a staff member would.

Messages go through the emulator, which relays them exactly as WeChat does
(signed, encrypted in safe mode) and so knows each person's reply window.
What the account sends later (customer-service, template and preview
messages) is read from the emulator's inbox for that person and printed as
it arrives.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import requests
from defusedxml import ElementTree

from bot import demo
from bot.demo import DEMO_FOLLOWER
from bot.startup import DEFAULT_EMULATOR_PORT, DEFAULT_HOST
from bot.wiring import App
from workflow import staff_cases
from workflow.text import opening, visible_length

SLASH_EVENTS = {"/subscribe": "subscribe", "/unsubscribe": "unsubscribe", "/click": "CLICK",
                "/scan": "SCAN"}
KEYED_EVENTS = {"/click": "CONTACT", "/scan": "poster_2026"}  # with an example key


class ChatError(click.ClickException):
    def format_message(self) -> str:
        return self.message


class Chat:
    """One person's chat. ``memory`` keeps how much of their inbox was shown, so a
    chat opened later starts with what arrived while none was open (``missed``)."""

    def __init__(self, emulator: str, openid: str, timeout: float = 10.0,
                 memory: ChatMemory | None = None) -> None:
        self.base, self.openid, self.timeout = emulator.rstrip("/"), openid, timeout
        self.memory = memory
        entries = self._inbox()
        shown = memory.shown(self.base, openid) if memory else None
        first = len(entries) if shown is None else min(shown, len(entries))
        self.missed = [show_inbox_entry(e) for e in entries[first:]]
        self.seen = len(entries)  # arrivals are what comes after this

    def say(self, line: str) -> str:
        """Send one line (text, or /subscribe, /click KEY ...); returns the reply shown."""
        word, _, rest = line.strip().partition(" ")
        body: dict[str, Any] = {"openid": self.openid}
        if word in SLASH_EVENTS:
            if word in KEYED_EVENTS and not rest.strip():
                return f"（用法：{word} KEY，例如 {word} {KEYED_EVENTS[word]}）"
            body |= {"event": SLASH_EVENTS[word], "key": rest.strip()}
        else:
            body["text"] = line
        answer = self._post("/_emulator/send", body)
        if "status" not in answer and answer.get("error"):  # the platform refused to send
            return f"（没有发出：{answer['error']}）"
        if answer.get("status") != 200:
            return f"（服务器没有正常回复：状态 {answer.get('status')} {answer.get('error', '')}）"
        if answer.get("notice"):  # the platform would not show the reply (too long)
            return f"[微信提示] {answer['notice']}（{answer.get('error', '')}）"
        return show_reply(str(answer.get("reply") or ""))

    def arrivals(self) -> list[str]:
        """What arrived since the last look. Remembered as shown only once the missed
        ones were (``show_missed``): the memory is how much of the inbox was shown."""
        entries = self._inbox()
        new, self.seen = entries[self.seen:], len(entries)
        if new and not self.missed:
            self._remember()
        return [show_inbox_entry(e) for e in new]

    def show_missed(self) -> list[str]:
        """What arrived while no chat was open, now shown (and remembered so)."""
        missed, self.missed = self.missed, []
        self._remember()
        return missed

    def _remember(self) -> None:
        if self.memory is not None:
            self.memory.remember(self.base, self.openid, self.seen)

    def _inbox(self) -> list[dict[str, Any]]:
        data = self._get(f"/_emulator/inbox/{self.openid}")
        return data if isinstance(data, list) else []

    def _get(self, path: str) -> Any:
        try:
            return requests.get(self.base + path, timeout=self.timeout).json()
        except (requests.RequestException, ValueError) as exc:
            raise self._unreachable(exc) from None

    def _unreachable(self, exc: Exception) -> ChatError:
        return ChatError(f"连不上微信模拟器 {self.base}：{unreachable_why(exc)}"
                         "（先运行 make run，或用 --emulator 指定地址）")

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            data = requests.post(self.base + path, json=body, timeout=self.timeout).json()
        except (requests.RequestException, ValueError) as exc:
            raise self._unreachable(exc) from None
        return data if isinstance(data, dict) else {}

PREVIEW_OPENING = 40  # characters of an article's text a preview line shows


def unreachable_why(exc: Exception) -> str:
    """Why the emulator did not answer, in a few Chinese words (requests says it in
    several lines of English)."""
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema
                  | requests.exceptions.InvalidSchema):
        return "地址无效，应像 http://127.0.0.1:9090"
    if isinstance(exc, requests.Timeout):
        return "等待答复超时"
    if isinstance(exc, requests.ConnectionError):
        return "连接被拒绝，这个端口上没有程序在运行"
    if isinstance(exc, ValueError):
        return "答复不是微信模拟器的，这个端口上可能是别的程序"
    return type(exc).__name__


class ChatMemory:
    """How much of each person's inbox a chat has shown, in a file beside the
    database: what arrives while no chat is open is shown by the next one."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def shown(self, base: str, openid: str) -> int | None:
        value = self._load().get(f"{base} {openid}")
        return value if isinstance(value, int) else None

    def remember(self, base: str, openid: str, count: int) -> None:
        data = self._load() | {f"{base} {openid}": count}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(data), encoding="utf-8")
        except OSError:
            pass  # a chat that cannot remember still chats

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


def show_reply(xml: str) -> str:
    """The passive reply as a person would see it."""
    if not xml or xml == "success":
        return "（没有回复）"
    root = ElementTree.fromstring(xml.encode("utf-8"))
    if root.findtext("MsgType") == "news":
        items = root.findall("./Articles/item")
        return "\n".join(f"[图文] {i.findtext('Title')} {i.findtext('Url')}" for i in items)
    return root.findtext("Content") or "（空回复）"


def show_inbox_entry(entry: dict[str, Any]) -> str:
    kind, payload = entry.get("kind", ""), entry.get("payload") or {}
    if not isinstance(payload, dict):
        return f"[{kind}] {payload}"
    if "text" in payload and isinstance(payload["text"], dict):
        return f"[客服消息] {payload['text'].get('content', '')}"
    if "news" in payload:
        articles = payload["news"].get("articles", [])
        return "\n".join(f"[客服图文] {a.get('title')} {a.get('url')}" for a in articles)
    if "template_id" in payload:
        values = [v.get("value", "") for v in (payload.get("data") or {}).values()
                  if isinstance(v, dict)]
        return f"[模板消息] {' '.join(values)}"
    if isinstance(payload.get("articles"), list):  # a preview or a mass send: the draft's
        label = "预览" if kind == "preview" else "群发"
        return "\n".join(_article_line(label, a) for a in payload["articles"]
                         if isinstance(a, dict))
    return f"[{kind}] {payload}"


def _article_line(label: str, article: dict[str, Any]) -> str:
    """An article as the phone shows it in the chat: title, then the digest or the
    opening of the text."""
    body = str(article.get("content", ""))
    shown = str(article.get("digest") or "") or opening(body, PREVIEW_OPENING)
    return f"[{label}] 《{article.get('title', '')}》{shown}（正文 {visible_length(body)} 字）"


def resolve(app: App, who: str) -> str:
    """A demo name, a staff name or id, or an openid (said so on stderr: a
    misspelt name would otherwise chat, unnoticed, as a stranger)."""
    if who == "follower":
        return DEMO_FOLLOWER
    member = staff_cases.find(app.uow(), who)
    if member and member.openid:
        return member.openid
    if member is None:
        click.echo(f"没有名为“{who}”的成员：以 openid 为“{who}”的粉丝身份聊天", err=True)
    else:
        click.echo(f"成员“{who}”还没有绑定微信：以 openid 为“{who}”的粉丝身份聊天", err=True)
    return who


def interactive(chat: Chat, prompt: str, echo: Callable[[str], None] = click.echo) -> None:
    """Read lines and send them; print what arrives meanwhile. The emulator going
    away (a restart of ``make run``) is reported and waited out, not fatal."""
    stop = threading.Event()
    threading.Thread(target=watch_arrivals, args=(chat, stop, echo), daemon=True).start()
    try:
        while True:
            line = input(prompt)
            if line.strip() in ("/quit", "/exit"):
                break
            if line.strip():
                echo(send_line(chat, line))
    except (EOFError, KeyboardInterrupt):
        echo("")
    finally:
        stop.set()


def send_line(chat: Chat, line: str) -> str:
    try:
        return chat.say(line)
    except ChatError as exc:
        return f"（没有发出：{exc.message}）"


def watch_arrivals(chat: Chat, stop: threading.Event, echo: Callable[[str], None]) -> None:
    """Print arrivals every second; say once when the emulator is lost and when it is back."""
    lost = False
    while not stop.wait(1.0):
        try:
            lines = chat.arrivals()
        except ChatError as exc:
            if not lost:
                echo(f"\n（{exc.message}；恢复后会继续显示收到的消息）")
            lost = True
            continue
        if lost:
            echo("\n（已重新连上微信模拟器）")
            lost = False
        for line in lines:
            echo(f"\n{line}")


@click.command("chat")
@click.option("--as", "who", required=True,
              help="follower、演示成员名（admin、reviewer…）、成员编号或 openid")
@click.option("--send", "one", default=None, help="只发送这一条并打印回复（用于脚本）")
@click.option("--wait", default=0.0, type=click.FloatRange(0, 60),
              help="配合 --send：再等这么多秒，打印期间收到的消息")
@click.option("--emulator", default=None,
              help="微信模拟器地址（默认：正在运行的 make run 的模拟器，否则 http://127.0.0.1:9090）")
@click.pass_obj
def chat(app: App, who: str, one: str | None, wait: float, emulator: str | None) -> None:
    """像在微信里一样和公众号聊天：/subscribe /click KEY /quit (chat with the account)."""
    if one is not None and not one.strip():
        raise click.UsageError("--send 的内容是空的：微信不能发送空消息")
    url = app.settings.database_url
    session = Chat(emulator or emulator_url(url), resolve(app, who),
                   memory=ChatMemory(demo.emulator_state_file(url).with_name("chat-seen.json")))
    if one is not None:
        click.echo(session.say(one))
        if wait:
            threading.Event().wait(wait)
            for line in session.arrivals():
                click.echo(line)
        return
    click.echo(f"以 {who}（{session.openid}）的身份聊天；/subscribe、/click KEY、/quit")
    missed = session.show_missed()
    if missed:
        click.echo(f"—— 你不在时收到 {len(missed)} 条 ——")
        for line in missed:
            click.echo(line)
        click.echo("—— 以上为你不在时收到的 ——")
    interactive(session, f"{who}> ")


def emulator_url(database_url: str) -> str:
    """The emulator of the demo running on this database, or the default one."""
    run = demo.running(database_url)
    return run.emulator_url if run else f"http://{DEFAULT_HOST}:{DEFAULT_EMULATOR_PORT}"


def register(cli: click.Group) -> None:
    if "chat" not in cli.commands:
        cli.add_command(chat)
