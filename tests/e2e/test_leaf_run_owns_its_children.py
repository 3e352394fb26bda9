"""`leaf run` killed with SIGKILL takes its whole mesh with it: no process left behind, no port left held."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cli.supervisor import free_port, port_is_free
from runtime.topology import CALLS, WORKER, address_variable
from services.tasks.domain.kinds import LANES
from tests.e2e.conftest import LEAF
from tests.integration.test_supervisor import STOP_WITHIN, alive, wait_for

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the children through /proc")]


def children_of(pid: int) -> dict[str, tuple[int, dict[str, str]]]:
    """Each child's name (`python -m services.<name>`) → its pid and environment, read from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) != pid:
                continue
            command = (entry / "cmdline").read_bytes().decode().split("\0")
            variables = (entry / "environ").read_bytes().decode().split("\0")
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = command[command.index("-m") + 1].removeprefix("services.")
        if name == "tasks.worker":  # `python -m services.tasks.worker --lane NAME`
            name = f"{WORKER}-{command[command.index('--lane') + 1]}"
        found[name] = (int(entry.name), dict(v.split("=", 1) for v in variables if "=" in v))
    return found


def role_of(name: str) -> str:
    """A child's place in the call graph: its name, or `worker` for each lane's worker."""
    return WORKER if name.startswith(f"{WORKER}-") else name


def test_sigkill_of_leaf_run_stops_every_service_and_frees_every_port(tmp_path):
    env = {**os.environ, "LEAF_HOME": str(tmp_path), "LEAF_GATEWAY_PORT": str(free_port())}
    leaf = subprocess.Popen([str(LEAF), "run", "--no-demo"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    children: dict[str, tuple[int, dict[str, str]]] = {}
    try:
        printed = []
        for line in leaf.stdout:  # the announcement ends with the request to try
            printed.append(line)
            if line.strip().startswith("-d '{"):
                break
        else:
            pytest.fail("leaf run exited before it was ready:\n" + "".join(printed))
        ports = [int(parts[2].rsplit(":", 1)[1]) for parts in map(str.split, printed)
                 if len(parts) == 3 and parts[1] in ("grpc", "http")]
        children = children_of(leaf.pid)
        workers = {f"{WORKER}-{lane}" for lane in LANES}  # one per lane, serving no port
        assert set(children) == set(CALLS) - {WORKER} | workers and len(ports) == len(CALLS) - 1, printed
        for name, (_, environment) in children.items():  # each was given exactly the addresses it calls
            given = {key for key in environment if key.endswith("_ADDR")}
            assert given == {address_variable(peer) for peer in CALLS[role_of(name)]}, name

        leaf.send_signal(signal.SIGKILL)  # no handler and no finally run: only the mechanisms under test remain
        leaf.wait()
        wait_for(lambda: not any(alive(pid) for pid, _ in children.values()), STOP_WITHIN, "every child stopping")
        wait_for(lambda: all(port_is_free("127.0.0.1", port) for port in ports), 5, "every port freed")
    finally:
        leaf.kill()
        for pid, _ in children.values():
            if alive(pid):  # only after a failure: leave no process behind for the next test
                os.kill(pid, signal.SIGKILL)
