"""`leaf worker --lane NAME`: run one lane's worker in the foreground until Ctrl-C or SIGTERM (`leaf run` starts one
per lane; in Kubernetes each lane is its own Deployment)."""
from __future__ import annotations

from services.tasks.offline import LANES, run_lane


def register(commands) -> None:
    worker = commands.add_parser("worker", help="run the worker of one task lane (leaf run starts one per lane)")
    worker.add_argument("--lane", required=True, choices=LANES, help="the lane to work")
    worker.set_defaults(handler=handle)


def handle(args) -> int:
    return run_lane(args.lane)
