"""`leaf`: run the mesh, load the demo, load claims, calculate offline, follow a trace."""
from __future__ import annotations

import argparse
import sys

from cli.commands import calc, claims, demo, evidence, run, trace


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="leaf", description="LeafEnterprise: pharmacy-benefit audit and savings backend.")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (run, demo, claims, calc, evidence, trace):
        module.register(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.handler(args) or 0


if __name__ == "__main__":
    sys.exit(main())
