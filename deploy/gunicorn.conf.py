"""gunicorn settings for wxops' web process: the systemd unit and the container
both start ``gunicorn --config /etc/wxops/gunicorn.conf.py bot.wsgi:app``.

The app is not preloaded on purpose: each worker reads the settings when it
starts, so ``systemctl reload wxops-web`` (SIGHUP: new workers, the old ones
finish their requests) picks up a changed WXOPS_CONFIG file, the EncodingAESKey
and the AppSecret among them, without refusing a single push. Values from the
command line (``--bind`` in the container) win over this file.
"""

import os

# The hooks that sum the workers' metrics (bot.metrics_dir) and gunicorn's own lines
# as JSON under WXOPS_LOG_FORMAT=json: without them each worker would count alone.
from bot.gunicorn_conf import child_exit, logconfig_dict, on_exit

__all__ = ["child_exit", "logconfig_dict", "on_exit"]

bind = "127.0.0.1:8000"  # nginx on the same host; the container passes --bind 0.0.0.0:8000
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))  # sync workers; 2-4 a core
worker_class = "sync"
# WeChat gives a push 5 s; a worker stuck past 10 s is killed and replaced.
timeout = 10
graceful_timeout = 10
keepalive = 5  # nginx keeps connections to the upstream open
preload_app = False
max_requests = 10000  # a slow leak cannot grow without bound
max_requests_jitter = 1000
# nginx logs each request (deploy/nginx/wxops-common.conf, without query strings:
# a push's carries the follower's openid); gunicorn logs its own events and errors.
accesslog = None
errorlog = "-"
loglevel = "info"
# The only proxy allowed to say the request came over https (wxops reads no
# forwarded header itself: its page links are built from WXOPS_PUBLIC_URL).
forwarded_allow_ips = "127.0.0.1,::1"
