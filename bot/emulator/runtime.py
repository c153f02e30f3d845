"""The running emulator: its state plus what touches the network (pushes).

Network calls never run under the state lock: the wxops server, while
answering a push, calls the emulator's API, which needs the lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from bot.emulator import SYSTEM_OPENID, snapshot
from bot.emulator.messages import (
    event_message,
    mass_send_finish,
    publish_finish,
    template_send_finish,
    text_message,
)
from bot.emulator.publishing import MassSend, Publication
from bot.emulator.push import SYSTEM_NOTICE, Pusher, PushResult, unshowable
from bot.emulator.state import EmulatorConfig, EmulatorState

log = logging.getLogger("wxops.emulator")


class Emulator:
    def __init__(self, config: EmulatorConfig | None = None,
                 state_file: Path | None = None) -> None:
        self.state = EmulatorState(config)
        self.config = self.state.config
        self.state_file = state_file
        self.restored = state_file is not None and snapshot.load(self.state, state_file)
        self.pusher = Pusher(self.config)
        self.state.on_publish = lambda pub: self._later(self._push_publish, pub)
        self.state.on_mass_send = lambda sent: self._later(self._push_mass_send, sent)
        self.state.on_template_sent = lambda openid, msg_id: self._later(
            self._push_template_report, openid, msg_id)
        self._timers: list[threading.Timer] = []

    def relay_text(self, openid: str, text: str) -> dict[str, object]:
        """A follower's text message: recorded (opening the window), then pushed."""
        with self.state.lock:
            msg_id = self.state.follower_message(openid)
            xml = text_message(self.config.account_id, openid, text,
                               int(self.state.now()), msg_id)
        return {**self._relay(xml, openid, "text"), "msg_id": msg_id}

    def relay_copies(self, openid: str, text: str, hosts: list[str]) -> dict[str, object]:
        """A follower's text message recorded once, and its push delivered at the
        same moment to each of ``hosts`` (``…/wechat`` URLs): WeChat's retry of
        one push landing on another host behind the load balancer. Answers each
        host's status and reply, in the order given."""
        with self.state.lock:
            msg_id = self.state.follower_message(openid)
            xml = text_message(self.config.account_id, openid, text,
                               int(self.state.now()), msg_id)
        answers = []
        for host, result in zip(hosts, self.pusher.push_copies(xml, openid, hosts),
                                strict=True):
            reply = self.pusher.open_reply(result.body).text if result.status else None
            answers.append({"host": host, "status": result.status, "reply": reply,
                            "error": result.error})
            self._log_push("text", openid, result)
        return {"msg_id": msg_id, "answers": answers}

    def relay_event(self, openid: str, event: str, key: str) -> dict[str, object]:
        with self.state.lock:
            self.state.follower_event(openid, event)
            xml = event_message(self.config.account_id, openid, event, key,
                                int(self.state.now()))
        return self._relay(xml, openid, event)

    def _relay(self, xml: str, openid: str, kind: str) -> dict[str, object]:
        # WeChat takes an answer other than 200 as no answer and sends the push
        # again, within about a second (seen with a server answering 201: four
        # copies of one MsgId; docs/platform.md).
        result = self.pusher.push(xml, openid, retry_on_status=True)
        answer: dict[str, object] = {"status": result.status, "reply": None,
                                     "encrypted": False, "attempts": result.attempts}
        if result.error:
            answer["error"] = result.error
        if result.status is not None:
            opened = self.pusher.open_reply(result.body)
            answer.update(reply=opened.text, encrypted=opened.encrypted)
            if opened.error:
                answer["error"] = opened.error
            if (why := unshowable(opened.text)) is not None:
                # The follower never sees it: "reply" is what they see (nothing), and
                # what the server sent is kept beside it for whoever looks into it.
                answer.update(reply=None, refused_reply=opened.text, notice=SYSTEM_NOTICE,
                              error=why)
        self._log_push(kind, openid, result, answer.get("error"))
        return answer

    def _later(self, push: Callable[..., None], *args: object) -> None:
        """Push a job's result after the configured delay, as the platform does."""
        if not self.config.push_to:
            return
        timer = threading.Timer(self.config.push_delay, push, args)
        timer.daemon = True
        self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def _push_publish(self, publication: Publication) -> None:
        with self.state.lock:
            self.state.settle_publications()
            xml = publish_finish(self.config.account_id, publication, int(self.state.now()))
        self._push_report("PUBLISHJOBFINISH", xml, SYSTEM_OPENID)

    def _push_mass_send(self, sent: MassSend) -> None:
        with self.state.lock:
            xml = mass_send_finish(self.config.account_id, sent, int(self.state.now()))
        self._push_report("MASSSENDJOBFINISH", xml, SYSTEM_OPENID)

    def _push_template_report(self, openid: str, msg_id: int) -> None:
        with self.state.lock:
            xml = template_send_finish(self.config.account_id, openid, msg_id,
                                       int(self.state.now()))
        self._push_report("TEMPLATESENDJOBFINISH", xml, openid)

    def _push_report(self, kind: str, xml: str, openid: str) -> None:
        result = self.pusher.push(xml, openid, retry_on_status=True)
        self._log_push(kind, openid, result)

    def _log_push(self, kind: str, openid: str, result: PushResult,
                  error: object = None) -> None:
        with self.state.lock:
            self.state.pushes.append({
                "time": int(self.state.now()), "kind": kind, "openid": openid,
                "status": result.status, "attempts": result.attempts,
                "error": error or result.error})

    def remember(self) -> None:
        """Keep the state in the state file, if there is one (see ``snapshot``)."""
        if self.state_file is None:
            return
        try:
            with self.state.lock:
                snapshot.save(self.state, self.state_file)
        except OSError as exc:  # a full disk must not stop the emulator answering
            log.warning("could not keep the emulator state in %s: %s", self.state_file, exc)

    def reset(self) -> None:
        """Forget everything, including job results not pushed yet."""
        self.stop()
        with self.state.lock:
            self.state.reset()
        self.remember()

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers = []

