"""What handling one push reads and records on the push's own connection: the
sender's follower row, whether they are staff, the auto-reply rules and their
hit counter. Implements ``workflow.ports.PushStore`` with the hot path's
statements (no ORM session, no savepoint)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from storage import followers, rules, staff
from workflow.autoreply import Rule
from workflow.roles import Actor
from workflow.window import Interaction


class RawPushStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def touch(self, openid: str, now: datetime, kind: Interaction,
              subscribed: bool | None = None,
              scene: str | None = None) -> tuple[int, int | None, bool]:
        sender = followers.touch(self.conn, openid, now, kind, subscribed, scene)
        return sender.follower_id, sender.staff_id, sender.in_survey

    def staff_by_openid(self, openid: str) -> Actor | None:
        return staff.actor_by_openid(self.conn, openid)

    def active_rules(self) -> list[Rule]:
        return rules.active_rules(self.conn)

    def cached_active_rules(self) -> list[Rule] | None:
        return rules.cached_active_rules(self.conn)

    def count_hit(self, rule: Rule) -> None:
        rules.count_hit(self.conn, rule)
