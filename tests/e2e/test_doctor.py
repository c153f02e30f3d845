"""`wxops doctor` against the processes a new installation runs: the emulator and
the web server (and a worker) as `make run` starts them. Healthy, every line ✓
and exit 0; a web server started with another Token; an emulator that answers
40164 to an address not on its IP whitelist."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from typing import Any

from tests.e2e.conftest import SQLITE_ONLY, Stack, _start, free_port, wxops
from workflow.capabilities import Capability

# What tells the SQLITE_ONLY cases apart is the platform's and the web server's
# answer, not the database; the healthy case and tests/integration/test_doctor.py
# run on both engines.


def doctor(stack: Stack, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(wxops("doctor", *args), env={**stack.env, **env}, cwd=stack.workdir,
                          text=True, capture_output=True, timeout=90, check=False)


def checks(ran: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c in json.loads(ran.stdout)["checks"]}


def worker_alive(stack: Stack) -> None:
    stack.start_worker("w1")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if checks(doctor(stack, "--json"))["worker"]["status"] == "ok":
            return
        time.sleep(0.5)
    raise AssertionError("the worker's heartbeat never came")


def wait_for(url: str, seconds: float = 60) -> None:
    """Until the emulator answers (a loaded machine may take a while to start it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_emulator/health", timeout=2):
                return
        except OSError:  # refused, or not answering yet
            time.sleep(0.3)
    raise AssertionError(f"the emulator at {url} did not start")


def test_a_healthy_installation_is_all_ticks_and_exit_0(stack: Stack) -> None:
    worker_alive(stack)
    ran = doctor(stack, "--url", stack.server)
    lines = ran.stdout.splitlines()
    assert ran.returncode == 0, ran.stdout + ran.stderr
    *found, summary = lines
    assert len(found) == 8 + len(Capability) + 1  # the checks, each capability, the kind
    assert all(line.startswith("✓ ") for line in found), ran.stdout
    assert summary.startswith("全部通过")
    assert f"✓ 服务器地址：{stack.server}/wechat 用 Token 验证通过" in lines


@SQLITE_ONLY
def test_a_server_with_another_token_is_told_apart(stack: Stack) -> None:
    ran = doctor(stack, "--json", "--url", stack.server, WXOPS_TOKEN="anotherToken42")
    found = checks(ran)["server_url"]
    assert (found["status"], found["problem"]) == ("fail", "token_mismatch")
    assert found["data"]["address"] == f"{stack.server}/wechat"
    assert ran.returncode == 1
    text = doctor(stack, "--url", stack.server, WXOPS_TOKEN="anotherToken42").stdout
    assert "✗ 服务器地址：Token 不一致" in text


@SQLITE_ONLY
def test_a_server_that_is_not_there_is_unreachable(stack: Stack) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    found = checks(doctor(stack, "--json", "--url", nowhere))["server_url"]
    assert (found["status"], found["problem"]) == ("fail", "unreachable")


@SQLITE_ONLY
def test_40164_names_the_address_to_add_to_the_whitelist(stack: Stack) -> None:
    port = free_port()
    guarded = f"http://127.0.0.1:{port}"
    process = _start(wxops("emulator", "--port", str(port), "--ip-whitelist", "10.0.0.1"),
                     stack.env, stack.workdir, "guarded")
    stack.processes.append(process)
    wait_for(guarded)
    ran = doctor(stack, "--json", WXOPS_WECHAT_API_BASE=guarded)
    found = checks(ran)["access_token"]
    assert (found["status"], found["problem"]) == ("fail", "ip_not_whitelisted")
    assert found["data"]["ip"] == "127.0.0.1" and found["data"]["errcode"] == 40164
    assert ran.returncode == 1
    text = doctor(stack, WXOPS_WECHAT_API_BASE=guarded).stdout
    assert "IP 白名单中加入 127.0.0.1" in text
