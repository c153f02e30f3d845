"""The floor: the bare WeRoBot echo plus the least any implementation must do not
to lose a push it acknowledges on PostgreSQL. For ``bench/inbound.py --floor``.

Before answering, the push's MsgId and XML go into a table with one INSERT,
in autocommit with ``synchronous_commit`` on (the server's default): its own
durable transaction, on one plain psycopg connection per worker, prepared.
A MsgId seen before is not stored twice (the primary key), the least dedupe
there is. Nothing else: no replay guard, no follower, no ticket, no rule, no
metrics, no settings. The INSERT runs outside WeRoBot's handler loop, which
would swallow its error and answer 200: a push not stored must get a 5xx
(bottle's 500), so that WeChat sends it again.

Safe mode when ``WXOPS_ENCODING_AES_KEY`` is set, as WeRoBot does it.
"""

from __future__ import annotations

import html
import os
from typing import Any

import psycopg
import werobot
from bottle import Bottle, HTTPResponse, request  # type: ignore[import-untyped]

from bench._common import libpq_url

#: Into ``bench.inbound.FLOOR_TABLE``, which the benchmark creates.
INSERT = "INSERT INTO floor_pushes (msg_id, xml) VALUES (%s, %s) ON CONFLICT DO NOTHING"

robot = werobot.WeRoBot(token=os.environ.get("WXOPS_TOKEN", "wxopsBenchToken"),
                        encoding_aes_key=os.environ.get("WXOPS_ENCODING_AES_KEY"),
                        app_id=os.environ.get("WXOPS_APP_ID"))
robot.config["SESSION_STORAGE"] = False


@robot.text  # type: ignore[untyped-decorator]
def echo(message: werobot.messages.messages.TextMessage) -> str:
    return str(message.content)


class _Store:
    """One connection a worker, opened at its first push (after gunicorn's fork)."""

    conn: psycopg.Connection[Any] | None = None

    def __call__(self, msg_id: int, xml: str) -> None:
        if self.conn is None or self.conn.closed:
            self.conn = psycopg.connect(libpq_url(os.environ["WXOPS_DATABASE_URL"]),
                                        autocommit=True)
        self.conn.execute(INSERT, (msg_id, xml), prepare=True)


store = _Store()


def view(*args: Any, **kwargs: Any) -> Any:
    """``werobot.contrib.bottle.make_view``'s view with the INSERT before the reply."""
    query = request.query
    if not robot.check_signature(query.timestamp, query.nonce, query.signature):
        return HTTPResponse(status=403, body=robot.make_error_page(html.escape(request.url)))
    if request.method == "GET":
        return query.echostr
    message = robot.parse_message(request.body.read(), timestamp=query.timestamp,
                                  nonce=query.nonce, msg_signature=query.msg_signature)
    store(message.message_id, message.raw)
    return robot.get_encrypted_reply(message)


app = Bottle()
app.route("<t:path>", ["GET", "POST"], view)
