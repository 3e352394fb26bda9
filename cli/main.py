"""`leaf`: run the mesh, load the demo, load claims, calculate or report offline, manage access, follow a trace."""
from __future__ import annotations

import argparse
import os
import sys

from cli.commands import calc, claims, demo, dev_token, entitlements, evidence, itr, report, run, takeover, trace, worker


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="leaf", description="LeafEnterprise: pharmacy-benefit audit and savings backend.")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (run, worker, demo, claims, calc, report, evidence, itr, takeover, trace, entitlements, dev_token):
        module.register(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except BrokenPipeError:
        # The reader went away (`leaf trace … | head`): that is the reader's choice, not a failure to report.
        # Python's own recipe: point stdout at /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a pipe's writer that was cut off


if __name__ == "__main__":
    sys.exit(main())
