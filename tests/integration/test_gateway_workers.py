"""`python -m services.gateway` as LEAF_GATEWAY_WORKERS processes on one port (default: the cores it may use): they
answer, stop with the gateway on SIGTERM, and stop even when it is killed (no worker left holding the port)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cli.supervisor import free_port, port_is_free
from runtime.topology import CALLS, GATEWAY, address_variable
from services.gateway.settings import GatewaySettings
from tests.integration.test_supervisor import STOP_WITHIN, alive, wait_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the workers through /proc")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def start_gateway(home: Path, port: int, workers: str) -> subprocess.Popen:
    env = {**os.environ, "LEAF_HOME": str(home), "LEAF_GATEWAY_PORT": str(port), "LEAF_GATEWAY_WORKERS": workers,
           **{address_variable(peer): "127.0.0.1:9" for peer in CALLS[GATEWAY]}}
    gateway = subprocess.Popen([sys.executable, "-m", "services.gateway"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return gateway
        except httpx.TransportError:
            time.sleep(0.1)
    gateway.kill()
    pytest.fail("the gateway did not answer /healthz")


def serving_workers(gateway: subprocess.Popen, count: int) -> list[int]:
    """The worker processes, once `count` of them serve (uvicorn's own helper processes are not counted)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = [pid for pid in children_of(gateway.pid)
                   if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        if len(workers) == count:
            return workers
        time.sleep(0.1)
    pytest.fail(f"not {count} gateway workers: {children_of(gateway.pid)}")


def test_unset_it_is_the_cores_this_process_may_use(monkeypatch):
    monkeypatch.delenv("LEAF_GATEWAY_WORKERS", raising=False)
    addresses = {address_variable(peer): "127.0.0.1:9" for peer in CALLS[GATEWAY]}
    assert GatewaySettings(**addresses).workers == len(os.sched_getaffinity(0))
    assert GatewaySettings(**addresses, LEAF_GATEWAY_WORKERS=3).workers == 3


def test_workers_answer_and_stop_with_the_gateway(tmp_path):
    port = free_port()
    gateway = start_gateway(tmp_path, port, "2")
    try:
        workers = serving_workers(gateway, 2)
        for _ in range(20):  # whichever worker takes the connection answers
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
                assert http.get("/healthz").json()["status"] == "ok"
                assert http.get("/v1/runs/run_x").status_code == 401
        gateway.send_signal(signal.SIGTERM)
        assert gateway.wait(timeout=STOP_WITHIN) == 0
        wait_for(lambda: not any(alive(pid) for pid in workers), STOP_WITHIN, "every worker stopping")
        assert port_is_free("127.0.0.1", port)
    finally:
        gateway.kill()


def test_workers_stop_when_the_gateway_is_killed(tmp_path):
    port = free_port()
    gateway = start_gateway(tmp_path, port, "2")
    workers: list[int] = []
    try:
        workers = serving_workers(gateway, 2)
        gateway.send_signal(signal.SIGKILL)  # nothing of the gateway runs: the workers' parent-death signal does it
        gateway.wait()
        wait_for(lambda: not any(alive(pid) for pid in workers), STOP_WITHIN, "every worker stopping")
        wait_for(lambda: port_is_free("127.0.0.1", port), 5, "the port freed")
    finally:
        gateway.kill()
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
