"""`make run`'s demo as a newcomer meets it: one command, then chat."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from bot.cli_text import say
from tests.e2e.conftest import ROOT, free_port, wait_healthy, wxops
from tests.e2e.test_outbound import eventually


class Demo:
    """``wxops run`` in demo mode in a directory of its own, and the CLI beside it."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WXOPS_")}
        self.env["PYTHONPATH"] = str(ROOT)
        self.port, emulator_port = free_port(), free_port()
        self.emulator = f"http://127.0.0.1:{emulator_port}"
        self.run = subprocess.Popen(
            wxops("run", "--port", str(self.port), "--emulator-port", str(emulator_port)),
            env=self.env, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wait_healthy(f"http://127.0.0.1:{self.port}", self.run)
        time.sleep(1)

    def cli(self, *args: str) -> str:
        done = subprocess.run(wxops(*args), env=self.env, cwd=self.workdir,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def chat(self, who: str, text: str) -> str:
        """Without --emulator: the chat finds the demo's emulator on its own port."""
        return self.cli("chat", "--as", who, "--send", text)

    def delivered_to_follower(self) -> bool:
        with urllib.request.urlopen(f"{self.emulator}/_emulator/inbox/o_demo_follower") as r:
            return any(m["kind"] == "custom" for m in json.load(r))

    def stop(self) -> str:
        """Ctrl-C, as a person would; the output, once everything stopped cleanly."""
        self.run.send_signal(signal.SIGINT)
        output = self.run.communicate(timeout=30)[0].decode()
        assert self.run.returncode == 0, output
        return output


def test_the_demo_runs_and_a_newcomer_can_chat(tmp_path: Path) -> None:
    demo = Demo(tmp_path)
    try:
        assert "T1" in demo.chat("follower", "你好，想做志愿者")
        assert "冬季义诊" in demo.chat("follower", "活动")  # the welcome's keyword is answered
        assert "admin" in demo.cli("staff", "list")
        demo.cli("queue", "reply", "T1", "欢迎！周六上午来社区中心。", "--as", "admin")
        eventually(demo.delivered_to_follower, seconds=30)
        link = re.search(rf"http://127\.0\.0\.1:{demo.port}/preview/\S+",
                         demo.chat("admin", "预览 1"))
        assert link, "预览 answers with a link to the demo's own server"
        with urllib.request.urlopen(link.group(0), timeout=10) as page:
            assert page.status == 200 and "noindex" in page.headers["X-Robots-Tag"]
    finally:
        output = demo.stop()
    assert "wxops chat --as follower" in output
    assert not (tmp_path / "var" / "demo-run.json").exists()  # no longer running


def test_a_restarted_demo_remembers_what_the_platform_would(tmp_path: Path) -> None:
    """The follower wrote before the restart: their window is still open after it."""
    first = Demo(tmp_path)
    try:
        assert "T1" in first.chat("follower", "你好，想做志愿者")
    finally:
        first.stop()
    again = Demo(tmp_path)
    try:
        again.cli("queue", "reply", "T1", "欢迎！", "--as", "admin")
        eventually(again.delivered_to_follower, seconds=30)
    finally:
        output = again.stop()
    # the emulator's state beside the demo's database (var/wxops.db)
    assert say("emulator", "restored", state_file=Path("var/emulator-state.pickle")) in output
