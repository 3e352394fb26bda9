"""The supervisor owns its children: each of its two mechanisms alone stops a child whose supervisor is gone.

The lifeline pipe (runtime/lifeline.py) is tried on a real service and on the gateway with the test as their
parent, so the parent-death signal plays no part; the parent-death signal is tried on a child that follows no
pipe, under a parent that is SIGKILLed. tests/e2e/test_leaf_run_owns_its_children.py kills `leaf run` itself.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from cli.supervisor import Supervisor, free_port, grpc_serving, port_is_free
from runtime.lifeline import SETTING as LIFELINE
from runtime.topology import CALLS, GATEWAY, address_variable

STOP_WITHIN = 20.0  # seconds: the services' own 10 s grace plus headroom on a busy machine


def alive(pid: int) -> bool:
    """Whether the process still runs (a zombie waiting for its new parent to reap it has stopped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.1)


def environment(**extra: str) -> dict[str, str]:
    mesh = {address_variable(name) for name in CALLS}
    return {**{k: v for k, v in os.environ.items() if k not in mesh and k != LIFELINE}, **extra}


def start_with_lifeline(service: str, log: Path, **extra: str) -> tuple[subprocess.Popen, int]:
    """`python -m services.<service>` holding the read end of a pipe; the test holds the write end."""
    read_end, write_end = os.pipe()
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", f"services.{service}"], stdout=out, stderr=out,
                                   env=environment(**{LIFELINE: str(read_end)}, **extra), pass_fds=(read_end,))
    os.close(read_end)
    return process, write_end


def test_a_service_stops_gracefully_when_its_lifeline_closes(tmp_path):
    address = f"127.0.0.1:{free_port()}"
    log = tmp_path / "itr.log"
    process, lifeline = start_with_lifeline("itr", log, LEAF_GRPC_LISTEN=address)
    try:
        wait_for(lambda: grpc_serving(address), 60, "itr serving")
        os.close(lifeline)  # as the kernel does when the supervisor dies
        assert process.wait(timeout=STOP_WITHIN) == 0, log.read_text()
    finally:
        process.kill()
    assert '"msg": "stopping"' in log.read_text(), "the graceful path: health NOT_SERVING, then stop(grace)"
    assert port_is_free("127.0.0.1", int(address.rsplit(":", 1)[1]))


def test_the_gateway_stops_when_its_lifeline_closes(tmp_path):
    port = free_port()
    peers = {address_variable(peer): f"127.0.0.1:{free_port()}" for peer in CALLS[GATEWAY]}  # nobody there
    log = tmp_path / "gateway.log"
    process, lifeline = start_with_lifeline(GATEWAY, log, LEAF_GATEWAY_PORT=str(port), LEAF_GATEWAY_WORKERS="1",
                                          **peers)  # one process: uvicorn logs its own graceful shutdown
    try:
        wait_for(lambda: healthy(port), 60, "the gateway answering /healthz")
        os.close(lifeline)
        process.wait(timeout=STOP_WITHIN)
    finally:
        process.kill()
    assert "Application shutdown complete" in log.read_text(), "uvicorn's graceful shutdown"
    assert port_is_free("127.0.0.1", port)


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as reply:
            return reply.status == 200
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_the_parent_death_signal_stops_a_child_when_its_parent_is_killed():
    # The child sleeps and follows no pipe: only the kernel's signal can stop it.
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import subprocess, sys, time
        from cli.supervisor import parent_death_signal
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], preexec_fn=parent_death_signal())
        print(child.pid, flush=True)
        time.sleep(120)
        """)], stdout=subprocess.PIPE, text=True, env=environment())
    try:
        child = int(parent.stdout.readline())
        assert alive(child)
        parent.kill()
        parent.wait()
        wait_for(lambda: not alive(child), STOP_WITHIN, f"the orphan {child} stopping")
    finally:
        parent.kill()


def test_each_child_is_given_exactly_the_addresses_it_calls(tmp_path, monkeypatch):
    monkeypatch.setenv("ITR_ADDR", "127.0.0.1:1")  # a stray address in our own environment is not passed on
    supervisor = Supervisor(tmp_path, {name: f"{name}:50051" for name in CALLS if name != GATEWAY})
    for name, callees in CALLS.items():
        env = supervisor.environment(name)
        assert {key: value for key, value in env.items() if key.endswith("_ADDR")} == {
            address_variable(peer): f"{peer}:50051" for peer in callees}, name
        assert env[LIFELINE] == str(supervisor.lifeline[0])


def test_children_are_started_from_the_main_thread_only(tmp_path):
    (tmp_path / "logs").mkdir()
    supervisor = Supervisor(tmp_path, {"itr": f"127.0.0.1:{free_port()}"})
    refused = []

    def start() -> None:
        try:
            supervisor.start_service("itr")
        except RuntimeError as err:
            refused.append(str(err))

    worker = threading.Thread(target=start)
    worker.start()
    worker.join()
    assert refused and "main thread" in refused[0] and not supervisor.processes
