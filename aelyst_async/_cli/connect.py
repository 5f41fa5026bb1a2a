"""What the commands that talk to the API share: their connection options and opening a client
(against the API, or an embedded sandbox with ``--sandbox``).

>>> async with AsyncExitStack() as stack:
...     client = await connect(stack, args, "export")
"""

from __future__ import annotations

import argparse
import os
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._client import AelystClient


class CommandError(Exception):
    """A usage or run-wide error: its message is printed and the command exits with 2."""


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def seconds(text: str) -> float:
    """An argparse type: a finite number of seconds >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, not {text}")
    return value


def add_connection_options(p: argparse.ArgumentParser) -> None:
    """``--token``, ``--base-url``, ``--sandbox``, ``--timeout``."""
    p.add_argument("--token", default=None, help="API token (default: $AELYST_API_TOKEN)")
    p.add_argument("--base-url", default=None, help="API base URL (default: $AELYST_BASE_URL)")
    p.add_argument("--sandbox", action="store_true", help="run against an embedded local sandbox")
    p.add_argument(
        "--timeout",
        type=seconds,
        default=30.0,
        metavar="SECONDS",
        help="per-request timeout (default %(default)s)",
    )


def has_token(args: argparse.Namespace) -> bool:
    """Whether a client can be made: ``--sandbox``, ``--token`` or ``$AELYST_API_TOKEN``."""
    return bool(args.sandbox or args.token or os.environ.get("AELYST_API_TOKEN"))


async def connect(stack: AsyncExitStack, args: argparse.Namespace, **options: Any) -> AelystClient:
    """A client entered on ``stack`` for ``args`` (``--sandbox`` starts an empty embedded
    sandbox, stopped with the stack); ``options`` go to :class:`AelystClient`. Raises
    :class:`CommandError` for no token or a refused base URL."""
    from .._client import AelystClient

    if args.sandbox and args.base_url:
        raise CommandError("--sandbox and --base-url cannot be used together")
    token, base_url = args.token, args.base_url
    if args.sandbox:
        from ..sandbox import Sandbox

        sandbox = await stack.enter_async_context(Sandbox())
        token, base_url = sandbox.token, sandbox.base_url
    if not (token or os.environ.get("AELYST_API_TOKEN")):
        raise CommandError("no API token: set AELYST_API_TOKEN or pass --token (or try --sandbox)")
    try:
        client = AelystClient(token, base_url=base_url, timeout=args.timeout, **options)
    except ValueError as exc:
        raise CommandError(f"{_option_of(exc)}: {exc}") from None
    await stack.enter_async_context(client)
    return client


def _option_of(error: ValueError) -> str:
    """The option of a value :class:`AelystClient` refused: its messages name the field they
    are about first (``base_url ...``; ``no API token ...``, ``the API token ...``)."""
    if str(error).startswith("base_url"):
        return "--base-url / AELYST_BASE_URL"
    return "--token / AELYST_API_TOKEN"
