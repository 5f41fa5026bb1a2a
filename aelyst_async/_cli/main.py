"""The ``aelyst`` command: parsing, logging, exit codes.

Each subcommand module has an ``add_<name>_command(subparsers)`` that declares its arguments and
sets ``run=<function(args) -> exit code>``; :data:`COMMANDS` lists them in help order.

    $ aelyst --version
    $ AELYST_LOG=debug aelyst upsert contacts.csv --sandbox
    $ aelyst export contacts.csv --tag vip
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .._log import handler_from_env
from .._redact import Redactor
from .._version import __version__
from .export import add_export_command
from .interrupt import EXIT_INTERRUPTED
from .sandbox import add_sandbox_command
from .upsert import add_upsert_command

EXIT_RUN_WIDE = 2
COMMANDS: list[Callable[[Any], None]] = [
    add_upsert_command,
    add_export_command,
    add_sandbox_command,
]
"""The ``add_<name>_command`` functions of every subcommand, in help order."""

log = logging.getLogger("aelyst_async.cli")


def build_parser() -> argparse.ArgumentParser:
    """The ``aelyst`` parser with every subcommand of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="aelyst",
        description="The Aelyst API from the shell.",
        epilog="AELYST_LOG=debug|info sends the library's log lines to stderr.",
    )
    parser.add_argument("--version", action="version", version=f"aelyst {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``aelyst`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code.

    An unexpected error is one line on stderr and exit code 2 (``AELYST_LOG=debug`` shows the
    traceback); Ctrl-C is one line and exit code 130.
    """
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("aelyst: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        handler = handler_from_env()  # the library's one AELYST_LOG home
    except ValueError as exc:
        print(f"aelyst: {exc}", file=sys.stderr)
        return EXIT_RUN_WIDE
    package = logging.getLogger("aelyst_async")
    previous = package.level
    if handler is not None:
        package.addHandler(handler)
        package.setLevel(handler.level)
    try:
        result: int = args.run(args)
        return result
    except OSError as exc:
        where = f" {exc.filename!r}" if exc.filename else ""
        print(f"aelyst {args.command}:{where} {exc.strerror or exc}", file=sys.stderr)
        return EXIT_RUN_WIDE
    except Exception as exc:
        log.debug("aelyst %s failed", args.command, exc_info=True)
        print(
            f"aelyst {args.command}: unexpected error: {type(exc).__name__}: "
            f"{_token_redactor(args)(str(exc))} "
            "(AELYST_LOG=debug shows where)",
            file=sys.stderr,
        )
        return EXIT_RUN_WIDE
    finally:
        if handler is not None:
            package.removeHandler(handler)
            package.setLevel(previous)


def _token_redactor(args: argparse.Namespace) -> Redactor:
    """The redactor of the token the command was given (text of an unexpected error may
    hold a server's echo of it)."""
    return Redactor(getattr(args, "token", None) or os.environ.get("AELYST_API_TOKEN"))
