"""`make run`'s demo as a newcomer meets it: one command, then chat."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.e2e.conftest import ROOT, free_port, wait_healthy, wxops
from tests.e2e.test_outbound import eventually


def test_the_demo_runs_and_a_newcomer_can_chat(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXOPS_")}
    env["PYTHONPATH"] = str(ROOT)
    port, emulator_port = free_port(), free_port()
    run = subprocess.Popen(wxops("run", "--port", str(port), "--emulator-port",
                                 str(emulator_port)), env=env, cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    emulator = f"http://127.0.0.1:{emulator_port}"

    def cli(*args: str) -> str:
        done = subprocess.run(wxops(*args), env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    try:
        wait_healthy(f"http://127.0.0.1:{port}", run)
        time.sleep(1)
        assert "T1" in cli("chat", "--as", "follower", "--send", "你好，想做志愿者",
                           "--emulator", emulator)
        assert "冬季义诊" in cli("chat", "--as", "follower", "--send", "活动",
                                 "--emulator", emulator)  # the welcome's keyword is answered
        assert "admin" in cli("staff", "list")
        cli("queue", "reply", "T1", "欢迎！周六上午来社区中心。", "--as", "admin")

        def delivered() -> bool:
            with urllib.request.urlopen(f"{emulator}/_emulator/inbox/o_demo_follower") as r:
                return any(m["kind"] == "custom" for m in json.load(r))

        eventually(delivered, seconds=30)
    finally:
        run.send_signal(signal.SIGINT)
        output = run.communicate(timeout=30)[0].decode()
    assert run.returncode == 0, output
    assert "wxops chat --as follower" in output
