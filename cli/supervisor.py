"""Start every service of the mesh as its own process, wait until each is SERVING, stop them all cleanly."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVICES = ("scope", "evidence", "itr", "tasks", "calc", "publisher")  # callees before callers


class StopRequested(Exception):
    """Ctrl-C or SIGTERM arrived while the mesh was starting."""


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

    def stop_on_signals(self) -> None:
        """Ctrl-C and SIGTERM both stop the mesh, even where the shell started us with SIGINT ignored."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())

    def environment(self) -> dict[str, str]:
        env = {**os.environ, "LEAF_HOME": str(self.home), "PYTHONUNBUFFERED": "1"}
        env.update({f"{name.upper()}_ADDR": address for name, address in self.addresses.items()})
        return env

    def start(self, name: str, extra_env: dict[str, str] | None = None) -> None:
        log = (self.home / "logs" / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen([sys.executable, "-m", f"services.{name}"], env={**self.environment(),
                                                **(extra_env or {})}, stdout=log, stderr=log, start_new_session=True)

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
