"""A run through the plane, as a client makes one: `leaf run --no-demo` over a LEAF_HOME already holding the claims
(gateway, every service and one worker per lane, each its own process), then `POST /v1/runs` timed to the task's
`succeeded` and `GET /v1/runs/{id}/artifacts` listing every artifact; peak RSS of every process of the mesh.

--no-demo: `leaf run` would otherwise publish the demo's C001 run itself (its sample) and the bench's run would
not be cold. Used by bench.publishing.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from cli.supervisor import free_port

LEAF = Path(sys.executable).parent / "leaf"
DEMO_GROUP = "leaf-demo"  # entitled to every demo client by `leaf demo`
WAIT_SECONDS = 55  # Prefer: wait=N; within the gateway's request budget (LEAF_GATEWAY_TIMEOUT_SECONDS, 60 s)
FOLLOW_SECONDS = 0.2  # between GETs of the task's Location once the wait ran out
GIVE_UP_SECONDS = 3600


@dataclass(frozen=True)
class PlaneRun:
    seconds: float  # POST /v1/runs sent → succeeded and every artifact listed
    status: int  # what POST answered: 201 (made while waiting) or 202 (then followed)
    run_id: str
    artifacts: dict[str, int]  # name → bytes, as GET /v1/runs/{id}/artifacts lists them
    trace_id: str


@dataclass(frozen=True)
class Plane:
    base: str
    root: int  # the pid of `leaf run`, the supervisor

    def processes(self) -> dict[str, int]:
        """Every process of the mesh by name (the supervisor, gateway, each service, each lane's worker): pid."""
        named = {"leaf run": self.root}
        for pid in descendants(self.root):
            with contextlib.suppress(OSError):
                named[process_name(pid)] = pid
        return named


@contextlib.contextmanager
def running_plane(home: Path) -> Iterator[Plane]:
    """`leaf run --no-demo` over `home`, yielded once it prints its ready banner (services SERVING, gateway ready)."""
    port = free_port()
    env = {**os.environ, "LEAF_HOME": str(home), "LEAF_GATEWAY_PORT": str(port)}
    process = subprocess.Popen([str(LEAF), "run", "--no-demo"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip().startswith("-d '{"):  # the last line `leaf run` prints once ready
                break
        else:
            raise SystemExit(f"leaf run exited before the mesh was ready; see {home / 'logs'}")
        yield Plane(f"http://127.0.0.1:{port}", process.pid)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()


def dev_token(home: Path) -> str:
    minted = subprocess.run([str(LEAF), "dev-token", "--group", DEMO_GROUP], env={**os.environ, "LEAF_HOME": str(home)},
                            capture_output=True, text=True, check=True)
    return minted.stdout.strip()


def request_run(plane: Plane, token: str, scope: dict[str, str]) -> PlaneRun:
    """POST /v1/runs with Prefer: wait, following the task's Location should the wait run out, until it succeeds;
    then the run's artifact list. Timed from sending the POST to that list."""
    with httpx.Client(base_url=plane.base, headers={"Cf-Access-Jwt-Assertion": token}, timeout=120) as http:
        started = time.perf_counter()
        reply = http.post("/v1/runs", json=scope, headers={"Prefer": f"wait={WAIT_SECONDS}"})
        status = reply.status_code
        if status == 202:
            run_id, trace_id = follow(http, reply)
        elif status == 201:
            run_id, trace_id = reply.json()["run_id"], reply.json()["lineage"]["trace_id"]
        else:  # 200 would be a run made before: not what this bench measures
            raise SystemExit(f"POST /v1/runs answered {status}, not 201 or 202: {reply.text[:300]}")
        listed = http.get(f"/v1/runs/{run_id}/artifacts").raise_for_status().json()["artifacts"]
        seconds = time.perf_counter() - started
    return PlaneRun(seconds, status, run_id, {a["name"]: a["size"] for a in listed}, trace_id)


def follow(http: httpx.Client, reply: httpx.Response) -> tuple[str, str]:
    """The run id and trace id of the task at the POST's Location, once it succeeded."""
    location, task, give_up = reply.headers["location"], reply.json(), time.monotonic() + GIVE_UP_SECONDS
    while task["state"] in ("queued", "running") and time.monotonic() < give_up:
        time.sleep(FOLLOW_SECONDS)
        task = http.get(location).raise_for_status().json()
    if task["state"] != "succeeded":
        raise SystemExit(f"the run's task ended {task['state']}: {str(task.get('error'))[:300]}")
    return task["lineage"]["run_id"], task["trace_id"]


def phases(home: Path, trace_id: str) -> dict[str, float]:
    """Where the run's time went inside the plane, in seconds, from the spans its trace left under LEAF_HOME/traces
    (the local exporter writes each span as it ends): the POST's own span; before the task was queued (scope, grant,
    PlanRun, SubmitTask); queued until a worker held it; the worker's task and its CreateRun and PublishRun; and after
    the task until the POST answered (the gateway noticing, between its polls, and reading the run)."""
    spans = [json.loads(line) for path in sorted((home / "traces").glob("*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if f'"trace_id":"{trace_id}"' in line]

    def span(name: str, service: str | None = None) -> dict:
        found = [s for s in spans if s["name"].endswith(name) and service in (None, s["service"])]
        if not found:
            raise SystemExit(f"trace {trace_id} has no span {name!r}")
        return max(found, key=lambda s: s["end"] - s["start"])

    post, submit, task = span("POST /v1/runs", "gateway"), span("TasksService/SubmitTask"), span("task compute_run")
    create, publish = span("CalcService/CreateRun", "calc"), span("PublisherService/PublishRun", "publisher")
    return {name: nanos / 1e9 for name, nanos in {
        "POST span": post["end"] - post["start"], "before queued": submit["end"] - post["start"],
        "queued": task["start"] - submit["end"], "task": task["end"] - task["start"],
        "CreateRun": create["end"] - create["start"], "PublishRun": publish["end"] - publish["start"],
        "after the task": post["end"] - task["end"]}.items()}


def descendants(root: int) -> list[int]:
    """Every process under `root` (children of children too: uvicorn or DuckDB may fork), from /proc's ppid."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # Field 4 of stat is the ppid; the name (field 2) may hold spaces, so split after its ')'.
                parents[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def process_name(pid: int) -> str:
    """`services.calc` → calc, `services.tasks.worker --lane runs` → worker-runs; else the command line."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    if "-m" in argv:
        module = argv[argv.index("-m") + 1].removeprefix("services.")
        if module == "tasks.worker" and "--lane" in argv:
            return f"worker-{argv[argv.index('--lane') + 1]}"
        return module
    return f"{Path(argv[0]).name}[{pid}]"
