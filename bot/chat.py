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
from defusedxml import ElementTree

from bot import demo
from bot.cli_text import CliError, CliUsageError, echo, helptext, say
from bot.cli_types import MEMBER, row_id
from bot.demo import DEMO_FOLLOWER
from bot.startup import DEFAULT_EMULATOR_PORT, DEFAULT_HOST
from bot.wiring import App
from workflow import staff_cases
from workflow.text import opening, visible_length

SLASH_EVENTS = {"/subscribe": "subscribe", "/unsubscribe": "unsubscribe", "/click": "CLICK",
                "/scan": "SCAN"}
KEYED_EVENTS = {"/click": "CONTACT", "/scan": "poster_2026"}  # with an example key


class ChatError(CliError):
    """The emulator could not be reached: ``unreachable`` with its ``url`` and
    ``why`` (a code of unreachable_why)."""


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
                return say("chat", "usage", word=word, example=KEYED_EVENTS[word])
            body |= {"event": SLASH_EVENTS[word], "key": rest.strip()}
        else:
            body["text"] = line
        answer = self._post("/_emulator/send", body)
        if "status" not in answer and answer.get("error"):  # the platform refused to send
            return say("chat", "not_sent", error=answer["error"])
        if answer.get("status") != 200:
            return say("chat", "bad_status", status=answer.get("status"),
                       error=answer.get("error", ""))
        if answer.get("notice"):  # the platform would not show the reply (too long)
            return say("chat", "notice", notice=answer["notice"], error=answer.get("error", ""))
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
        import requests  # loads when a chat talks, not at every wxops start-up

        try:
            return requests.get(self.base + path, timeout=self.timeout).json()
        except (requests.RequestException, ValueError) as exc:
            raise self._unreachable(exc) from None

    def _unreachable(self, exc: Exception) -> ChatError:
        return ChatError("unreachable", url=self.base, why=unreachable_why(exc))

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        import requests

        try:
            data = requests.post(self.base + path, json=body, timeout=self.timeout).json()
        except (requests.RequestException, ValueError) as exc:
            raise self._unreachable(exc) from None
        return data if isinstance(data, dict) else {}

PREVIEW_OPENING = 40  # characters of an article's text a preview line shows


def unreachable_why(exc: Exception) -> str:
    """Why the emulator did not answer, as a code templates/cli/errors.j2 words in
    a few Chinese words (requests says it in several lines of English); else the
    exception's name."""
    import requests

    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema
                  | requests.exceptions.InvalidSchema):
        return "bad_url"
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(exc, requests.ConnectionError):
        return "refused"
    if isinstance(exc, ValueError):
        return "not_emulator"
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
        return say("chat", "no_reply")
    root = ElementTree.fromstring(xml.encode("utf-8"))
    if root.findtext("MsgType") == "news":
        items = root.findall("./Articles/item")
        return "\n".join(say("chat", "news", title=i.findtext("Title"), url=i.findtext("Url"))
                         for i in items)
    return root.findtext("Content") or say("chat", "empty_reply")


def show_inbox_entry(entry: dict[str, Any]) -> str:
    kind, payload = entry.get("kind", ""), entry.get("payload") or {}
    if not isinstance(payload, dict):
        return f"[{kind}] {payload}"
    if "text" in payload and isinstance(payload["text"], dict):
        return say("chat", "cs_text", content=payload["text"].get("content", ""))
    if "news" in payload:
        articles = payload["news"].get("articles", [])
        return "\n".join(say("chat", "cs_news", title=a.get("title"), url=a.get("url"))
                         for a in articles)
    if "template_id" in payload:
        values = [v.get("value", "") for v in (payload.get("data") or {}).values()
                  if isinstance(v, dict)]
        return say("chat", "template", values=values)
    if isinstance(payload.get("articles"), list):  # a preview or a mass send: the draft's
        return "\n".join(_article_line(kind == "preview", a) for a in payload["articles"]
                         if isinstance(a, dict))
    return f"[{kind}] {payload}"


def _article_line(preview: bool, article: dict[str, Any]) -> str:
    """An article (of a preview, else of a mass send) as the phone shows it in the
    chat: title, then the digest or the opening of the text."""
    body = str(article.get("content", ""))
    shown = str(article.get("digest") or "") or opening(body, PREVIEW_OPENING)
    return say("chat", "article", preview=preview, title=article.get("title", ""),
               shown=shown, length=visible_length(body))


def resolve(app: App, who: str) -> str:
    """A demo name, a staff name or id, or an openid (said so on stderr: a
    misspelt name would otherwise chat, unnoticed, as a stranger)."""
    if who == "follower":
        return DEMO_FOLLOWER
    member = staff_cases.find(app.uow(), who)
    if member and member.openid:
        return member.openid
    if member is None and row_id(who) is not None:  # a number is a member's, never an openid
        raise CliError("member_not_found", member=who)
    echo("chat", "as_follower", who=who, member=member is not None, err=True)
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
        return say("chat", "not_sent", error=exc.format_message())


def watch_arrivals(chat: Chat, stop: threading.Event, echo: Callable[[str], None]) -> None:
    """Print arrivals every second; say once when the emulator is lost and when it is back."""
    lost = False
    while not stop.wait(1.0):
        try:
            lines = chat.arrivals()
        except ChatError as exc:
            if not lost:
                echo("\n" + say("chat", "lost", error=exc.format_message()))
            lost = True
            continue
        if lost:
            echo("\n" + say("chat", "back"))
            lost = False
        for line in lines:
            echo(f"\n{line}")


@click.command("chat")
@click.option("--as", "who", required=True, type=MEMBER, help=helptext("chat_as"))
@click.option("--send", "one", default=None, help=helptext("send"))
@click.option("--wait", default=0.0, type=click.FloatRange(0, 60), help=helptext("wait"))
@click.option("--emulator", default=None, help=helptext("emulator"))
@click.pass_obj
def chat(app: App, who: str, one: str | None, wait: float, emulator: str | None) -> None:
    """像在微信里一样和公众号聊天：/subscribe /click KEY /quit (chat with the account)."""
    if one is not None and not one.strip():
        raise CliUsageError("send_empty")
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
    echo("chat", "started", who=who, openid=session.openid)
    missed = session.show_missed()
    if missed:
        echo("chat", "missed", lines=missed)
    interactive(session, f"{who}> ")


def emulator_url(database_url: str) -> str:
    """The emulator of the demo running on this database, or the default one."""
    run = demo.running(database_url)
    return run.emulator_url if run else f"http://{DEFAULT_HOST}:{DEFAULT_EMULATOR_PORT}"


def register(cli: click.Group) -> None:
    if "chat" not in cli.commands:
        cli.add_command(chat)
