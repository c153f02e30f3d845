"""The running emulator: its state plus what touches the network (pushes).

Network calls never run under the state lock: the wxops server, while
answering a push, calls the emulator's API, which needs the lock.
"""

from __future__ import annotations

import threading

from bot.emulator import SYSTEM_OPENID
from bot.emulator.messages import event_message, publish_finish, text_message
from bot.emulator.publishing import Publication
from bot.emulator.push import Pusher, PushResult
from bot.emulator.state import EmulatorConfig, EmulatorState


class Emulator:
    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.state = EmulatorState(config)
        self.config = self.state.config
        self.pusher = Pusher(self.config)
        self.state.on_publish = self._schedule_publish_push
        self._timers: list[threading.Timer] = []

    def relay_text(self, openid: str, text: str) -> dict[str, object]:
        """A follower's text message: recorded (opening the window), then pushed."""
        with self.state.lock:
            msg_id = self.state.follower_message(openid)
            xml = text_message(self.config.account_id, openid, text,
                               int(self.state.now()), msg_id)
        return {**self._relay(xml, openid, "text"), "msg_id": msg_id}

    def relay_event(self, openid: str, event: str, key: str) -> dict[str, object]:
        with self.state.lock:
            self.state.follower_event(openid, event)
            xml = event_message(self.config.account_id, openid, event, key,
                                int(self.state.now()))
        return self._relay(xml, openid, event)

    def _relay(self, xml: str, openid: str, kind: str) -> dict[str, object]:
        # WeChat retries only when no answer comes; an error status is final.
        result = self.pusher.push(xml, openid, retry_on_status=False)
        self._log_push(kind, openid, result)
        answer: dict[str, object] = {"status": result.status, "reply": None,
                                     "encrypted": False, "attempts": result.attempts}
        if result.error:
            answer["error"] = result.error
        if result.status is not None:
            opened = self.pusher.open_reply(result.body)
            answer.update(reply=opened.text, encrypted=opened.encrypted)
            if opened.error:
                answer["error"] = opened.error
        return answer

    def _schedule_publish_push(self, publication: Publication) -> None:
        if not self.config.push_to:
            return
        timer = threading.Timer(self.config.push_delay, self._push_publish, (publication,))
        timer.daemon = True
        self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def _push_publish(self, publication: Publication) -> None:
        with self.state.lock:
            self.state.settle_publications()
            xml = publish_finish(self.config.account_id, publication, int(self.state.now()))
        result = self.pusher.push(xml, SYSTEM_OPENID, retry_on_status=True)
        self._log_push("PUBLISHJOBFINISH", SYSTEM_OPENID, result)

    def _log_push(self, kind: str, openid: str, result: PushResult) -> None:
        with self.state.lock:
            self.state.pushes.append({
                "time": int(self.state.now()), "kind": kind, "openid": openid,
                "status": result.status, "attempts": result.attempts, "error": result.error})

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()

