"""The EncodingAESKey rotated without downtime, as deploy/README.md does it:
gunicorn started with deploy/gunicorn.conf.py, the secrets in the file
WXOPS_CONFIG names; the file changed (the new key, the old one as previous)
and gunicorn sent SIGHUP (`systemctl reload wxops-web`). Pushes encrypted with
the old key keep being answered throughout, the new key is taken once the new
workers are up, and each reply is encrypted with the key that opened its push.
SQLite only: what is under test is gunicorn's reload and the settings file."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import xmltodict

from tests.e2e.conftest import AES_KEY as OLD_KEY
from tests.e2e.conftest import (
    APP_ID,
    ROOT,
    TOKEN,
    Server,
    free_port,
    migrate_database,
    process_env,
    wait_healthy,
)
from tests.e2e.test_server import send
from tests.harness import wechat as wx
from tests.harness.wechat import WeChatSigner

NEW_KEY = "QmFzZTY0S2V5Rm9yUm90YXRpb25UZXN0MDEyMzQ1Njc"


def secrets(path: Path, key: str, previous: str = "") -> None:
    path.write_text(f'app_secret = "e2e-secret"\nencoding_aes_key = "{key}"\n'
                    f'encoding_aes_key_previous = "{previous}"\n')


def _opens(signer: WeChatSigner, body: bytes) -> bool:
    """Whether the reply decrypts with the signer's key (the old one); a push that
    gets no passive reply (`success`: a follow-up in an open ticket) has none."""
    if not body.lstrip().startswith(b"<xml"):
        return body in (b"", b"success")
    try:
        return bool(xmltodict.parse(signer.decrypt_reply(body))["xml"]["Content"])
    except Exception:  # whatever stops it opening is what is counted
        return False


def test_a_reload_takes_the_new_key_and_refuses_no_push(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'e2e.db'}"
    migrate_database(database_url)
    config = tmp_path / "secrets.toml"
    secrets(config, OLD_KEY)
    env = {k: v for k, v in process_env(database_url, WXOPS_CONFIG=str(config)).items()
           if k not in ("WXOPS_ENCODING_AES_KEY", "WXOPS_APP_SECRET")}  # they would win
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "deploy" / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "bot.wsgi:app"],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", database_url, process)
    old, new = WeChatSigner(TOKEN, APP_ID, OLD_KEY), WeChatSigner(TOKEN, APP_ID, NEW_KEY)
    statuses: list[int] = []
    unreadable: list[int] = []  # replies not in the key that opened their push
    stop = threading.Event()

    def push_with_the_old_key() -> None:  # WeChat, before the console is changed
        n = 0
        while not stop.is_set():
            n += 1
            status, body = send(server, *old.build(wx.text("hi", msg_id=1000 + n), "safe"))
            statuses.append(status)
            if status == 200 and not _opens(old, body):
                unreadable.append(n)
            time.sleep(0.02)

    try:
        wait_healthy(server.url, process)
        pusher = threading.Thread(target=push_with_the_old_key)
        pusher.start()
        time.sleep(0.3)
        secrets(config, NEW_KEY, previous=OLD_KEY)
        process.send_signal(signal.SIGHUP)
        deadline, n = time.monotonic() + 20, 0
        while True:  # the console changed: pushes in the new key, once the reload is done
            n += 1
            status, _ = send(server, *new.build(wx.text("new", msg_id=9000 + n), "safe"))
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        time.sleep(0.3)
        stop.set()
        pusher.join(timeout=15)
    finally:
        stop.set()
        process.terminate()
        process.wait(timeout=15)
        log.close()
    assert status == 200, (tmp_path / "gunicorn.log").read_text()[-2000:]
    assert len(statuses) >= 10 and set(statuses) == {200}, statuses
    assert unreadable == []
    assert process.returncode == 0
