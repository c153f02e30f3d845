"""The baseline: a bare WeRoBot echo app in its fastest configuration.

``WeRoBot(session_storage=False)`` does not switch sessions off (a falsy
check), so the config key is set directly, as WECHAT.md notes.
"""

from __future__ import annotations

import os

import werobot

robot = werobot.WeRoBot(token=os.environ.get("WXOPS_TOKEN", "wxopsBenchToken"))
robot.config["SESSION_STORAGE"] = False


@robot.text  # type: ignore[untyped-decorator]
def echo(message: werobot.messages.messages.TextMessage) -> str:
    return str(message.content)


app = robot.wsgi
