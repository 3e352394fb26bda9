"""Start every service of the mesh as its own process, wait until each is SERVING, stop them all cleanly.

The supervisor owns its children: however it ends — Ctrl-C, SIGTERM, a crash, even SIGKILL — they stop too,
through the same graceful SIGTERM path (health NOT_SERVING, then stop with a grace). Two mechanisms, so that
neither alone has to be perfect: on Linux the kernel's parent-death signal, armed in each child between fork
and exec; everywhere, a lifeline pipe whose write end only the supervisor holds (runtime/lifeline.py).
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from runtime.lifeline import SETTING as LIFELINE_SETTING
from runtime.topology import CALLS, CLIENTS_ONLY, WORKER, address_variable, callees_first

SERVICES = tuple(name for name in callees_first() if name not in CLIENTS_ONLY)  # gRPC services, callees first
MODULES = {WORKER: "services.tasks.worker"}  # where a process's role is run from, when not services.<role>
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class StopRequested(Exception):
    """Ctrl-C or SIGTERM arrived while the mesh was starting."""


def parent_death_signal() -> Callable[[], None] | None:
    """Linux: a function to run in the child before exec, asking the kernel for SIGTERM when its parent dies.

    The kernel ties that signal to the *thread* that forked the child, not the process, so the supervisor
    starts children only from the main thread, which lives as long as the process (see Supervisor.start).
    Python warns that code between fork and exec may deadlock on a lock another thread held at the fork (gRPC
    runs threads here); this code takes none: the function is looked up here, in the parent, and the child
    only makes the one system call — no import, allocation outside the interpreter, or logging.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def arm() -> None:
        if prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")

    return arm


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        # As the server will: connections in TIME_WAIT from an earlier run do not make the port busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def grpc_serving(address: str, timeout: float = 1.0) -> bool:
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        except grpc.RpcError:
            return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


@dataclass
class Supervisor:
    home: Path
    addresses: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    # The lifeline: every child gets the read end; the write end never leaves this process (not inheritable,
    # and Popen closes every descriptor not in pass_fds), so it closes exactly when the supervisor dies.
    lifeline: tuple[int, int] = field(default_factory=os.pipe)

    def stop_on_signals(self) -> None:
        """Ctrl-C and SIGTERM both stop the mesh, even where the shell started us with SIGINT ignored."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())

    def environment(self, name: str) -> dict[str, str]:
        """Ours, minus any mesh address, plus exactly the addresses of the services `name` calls (CALLS)."""
        mesh_addresses = {address_variable(service) for service in CALLS}
        env = {key: value for key, value in os.environ.items() if key not in mesh_addresses}
        env.update({"LEAF_HOME": str(self.home), "PYTHONUNBUFFERED": "1", LIFELINE_SETTING: str(self.lifeline[0])})
        env.update({address_variable(peer): self.addresses[peer] for peer in CALLS[name]})
        return env

    def start(self, name: str, extra_env: dict[str, str] | None = None, *, role: str | None = None,
              args: tuple[str, ...] = ()) -> None:
        """`name` names the process and its log; `role` is its place in the call graph (CALLS), its name by default."""
        # The parent-death signal follows the forking thread: a child forked from a thread that ends would be
        # stopped with it. The main thread ends only with the process.
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("start the mesh from the main thread: the parent-death signal follows the thread")
        role = role or name
        module = MODULES.get(role, f"services.{role}")
        with (self.home / "logs" / f"{name}.log").open("ab") as log:
            # Its own session, so a Ctrl-C at the terminal reaches only us and we stop the children in order.
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", module, *args], env={**self.environment(role), **(extra_env or {})},
                stdout=log, stderr=log, start_new_session=True, pass_fds=(self.lifeline[0],),
                preexec_fn=parent_death_signal())  # noqa: PLW1509 (safe: see parent_death_signal)

    def start_worker(self, lane: str) -> str:
        """One lane's worker (`leaf worker --lane`); returns its process name."""
        name = f"{WORKER}-{lane}"
        self.start(name, role=WORKER, args=("--lane", lane))
        return name

    def start_service(self, name: str) -> None:
        self.start(name, {"LEAF_GRPC_LISTEN": self.addresses[name]})

    def wait_until(self, name: str, ready, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.stopping.is_set():
                raise StopRequested()
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited with code {self.processes[name].returncode}; see {self.log_of(name)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} was not ready after {timeout:.0f} s; see {self.log_of(name)}")
            self.stopping.wait(0.2)

    def log_of(self, name: str) -> Path:
        return self.home / "logs" / f"{name}.log"

    def exited(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM in reverse start order (the gateway first), then wait; kill whatever is still there."""
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
