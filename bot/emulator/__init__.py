"""A local emulator of the WeChat Official Account platform.

A real HTTP server speaking WeChat's API (JSON bodies, ``errcode``/``errmsg``,
``?access_token=``), with its state kept in memory, plus a control API under
``/_emulator/`` for tests and the demo. Start it with
:func:`bot.emulator.server.start_in_thread` or ``wxops emulator``.
"""

from __future__ import annotations

DEMO_APP_ID = "wx0000000000demo"
DEMO_APP_SECRET = "wxops-demo-secret"
DEMO_TOKEN = "wxops-demo-token"
# The account's original id (gh_...): ToUserName of every push.
ACCOUNT_ID = "gh_wxopsdemo0001"
# System events such as PUBLISHJOBFINISH come from this sender.
SYSTEM_OPENID = "oV5CrjpxgaGXNHIQigzNlgLTnwic"
