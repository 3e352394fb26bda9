"""`leaf`: run the mesh, load the demo, load claims, calculate or report offline, manage access, follow a trace."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# Each command's module, in help order; a module registers the command of its name ("_" written "-").
COMMANDS = ("run", "worker", "demo", "claims", "calc", "report", "evidence", "itr", "takeover", "trace", "entitlements",
            "dev_token")


def parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command, or only the one named: a command then imports none of the others (`leaf calc` starts in a
    third of the time the whole mesh's imports take)."""
    root = argparse.ArgumentParser(prog="leaf", description="LeafEnterprise: pharmacy-benefit audit and savings backend.")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        if only is None or name == only:
            importlib.import_module(f"cli.commands.{name}").register(commands)
    return root


def _named(argv: list[str]) -> str | None:
    """The command argv names, when it names one (otherwise every command is registered, for help and errors)."""
    name = argv[0].replace("-", "_") if argv and not argv[0].startswith("-") else None
    return name if name in COMMANDS else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser(_named(argv)).parse_args(argv)
    try:
        return args.handler(args) or 0
    except BrokenPipeError:
        # The reader went away (`leaf trace … | head`): that is the reader's choice, not a failure to report.
        # Python's own recipe: point stdout at /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a pipe's writer that was cut off


if __name__ == "__main__":
    sys.exit(main())
