"""``aelyst sandbox``: the local Aelyst API server in the foreground.

$ aelyst sandbox --port 8080 --processing 2 --fail-rate 0.05 --seed 1
$ aelyst sandbox --webhook http://127.0.0.1:9000/hook=whsec_test   # signed events to a receiver
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, not {value}")
    return value


def add_sandbox_command(subparsers: Any) -> None:
    """Declare ``aelyst sandbox``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "sandbox",
        help="run the local Aelyst API sandbox in the foreground",
        description="Run a local Aelyst API server (Ctrl-C to stop).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    p.add_argument("--port", type=_port, default=8080, help="port, 0 for any (default %(default)s)")
    p.add_argument("--token", default="sandbox-token", help="expected Bearer token")
    p.add_argument("--per-path", type=int, default=5, help="requests per period per method+path")
    p.add_argument("--period", type=float, default=1.0, help="rate-limit period in seconds")
    p.add_argument("--window", choices=("fixed", "sliding"), default="fixed")
    p.add_argument("--workspace", type=int, default=None, help="hidden workspace-wide limit")
    p.add_argument(
        "--workspace-schedule",
        type=_schedule,
        default=(),
        metavar="AT=LIMIT[,AT=LIMIT...]",
        help="the hidden limit from AT seconds on ('none' lifts it), e.g. '0=80,20=30,40=80'",
    )
    p.add_argument("--processing", type=float, default=0.0, help="seconds of 449 after a create")
    p.add_argument("--fail-rate", type=float, default=0.0, help="share of 500s before applying")
    p.add_argument(
        "--fail-applied-rate", type=float, default=0.0, help="share of 500s after applying"
    )
    p.add_argument("--lose-rate", type=float, default=0.0, help="share of lost responses")
    p.add_argument("--malformed-rate", type=float, default=0.0, help="share of malformed bodies")
    p.add_argument(
        "--late-rate", type=float, default=0.0, help="share of writes applied late, answered late"
    )
    p.add_argument(
        "--hang-rate", type=float, default=0.0, help="share of writes applied late, never answered"
    )
    p.add_argument(
        "--empty-page-rate",
        type=float,
        default=0.0,
        help="share of listing pages answered empty with a fresh cursor",
    )
    p.add_argument(
        "--late-delay",
        type=float,
        default=1.0,
        help="seconds by which late writes land (default 1)",
    )
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to each response")
    p.add_argument(
        "--latency-jitter", type=float, default=0.0, help="latency varies by up to ± this"
    )
    p.add_argument(
        "--seed", type=int, default=None, help="seed of the injected faults and of --quirks"
    )
    p.add_argument(
        "--quirks",
        action="store_true",
        help="answer in every variant shape the API's official clients show (ids as strings or "
        "numbers, wrapped tags, extra keys, ...), drawn from --seed",
    )
    p.add_argument("--db", default=None, help="SQLite file keeping contacts across restarts")
    p.add_argument(
        "--custom-field",
        action="append",
        metavar="NAME=TYPE",
        help="a workspace custom field, e.g. 'Seats=number' or 'Plan=list:Free,Pro' "
        "(repeatable; replaces the default fields)",
    )
    p.add_argument(
        "--lifecycle",
        action="append",
        metavar="NAME",
        help="a lifecycle stage of the workspace (repeatable; replaces the default stages)",
    )
    p.add_argument(
        "--webhook",
        action="append",
        type=_webhook,
        default=[],
        metavar="URL=KEY",
        help="POST a signed event for every change to URL, signed with KEY (repeatable; the URL "
        "ends at the first '=', the key may contain '=')",
    )
    p.set_defaults(run=run_sandbox)


def _webhook(text: str) -> tuple[str, str]:
    url, sep, key = text.partition("=")
    if not sep or not key:  # the message never shows what may be the key
        raise argparse.ArgumentTypeError("not URL=KEY (a webhook URL, '=', its signing key)")
    return url, key


def _schedule(text: str) -> tuple[tuple[float, int | None], ...]:
    steps: list[tuple[float, int | None]] = []
    for part in text.split(","):
        at, sep, limit = part.partition("=")
        try:
            when = float(at)
            value = None if limit.strip().lower() == "none" else int(limit)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"not AT=LIMIT: {part!r} (seconds = requests per period, or 'none')"
            ) from None
        if not sep or when < 0 or (value is not None and value < 1):
            raise argparse.ArgumentTypeError(f"not AT=LIMIT with AT >= 0, LIMIT >= 1: {part!r}")
        steps.append((when, value))
    return tuple(steps)


def run_sandbox(args: argparse.Namespace) -> int:
    """Run the sandbox until Ctrl-C or SIGTERM."""
    from ..sandbox import Sandbox

    fields = None
    if args.custom_field:
        fields = {}
        for item in args.custom_field:
            name, sep, spec = item.partition("=")
            if not sep or not name.strip():
                print(f"aelyst sandbox: bad --custom-field {item!r}", file=sys.stderr)
                return 2
            fields[name.strip()] = spec
    try:
        sandbox = Sandbox(
            token=args.token, per_path=args.per_path, period=args.period, window=args.window,
            workspace=args.workspace, workspace_schedule=args.workspace_schedule,
            processing=args.processing, fail_rate=args.fail_rate,
            fail_applied_rate=args.fail_applied_rate, lose_rate=args.lose_rate,
            malformed_rate=args.malformed_rate, late_rate=args.late_rate,
            hang_rate=args.hang_rate, empty_page_rate=args.empty_page_rate,
            late_delay=args.late_delay, latency=args.latency, latency_jitter=args.latency_jitter,
            seed=args.seed, db=args.db,
            custom_fields=fields, host=args.host, port=args.port, quirks=args.quirks,
            **({"lifecycles": args.lifecycle} if args.lifecycle else {}),
        )  # fmt: skip
        for url, key in args.webhook:
            sandbox.add_webhook(url, key)
    except ValueError as exc:
        print(f"aelyst sandbox: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(sandbox))
    except OSError as exc:
        print(f"aelyst sandbox: cannot serve: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # platforms without loop signal handlers
        pass
    return 0


async def _serve(sandbox: Any) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with sandbox:
        _announce(sandbox)
        await stop.wait()
    print("sandbox stopped", flush=True)


def _announce(sandbox: Any) -> None:
    from ..sandbox._delivery import safe_url

    print(f"Aelyst sandbox running at {sandbox.base_url}", flush=True)
    print(f"token: {sandbox.token}", flush=True)
    print(
        f"introspection: {sandbox.url}/_sandbox/stats, /_sandbox/contacts, "
        "/_sandbox/faults, /_sandbox/workspace, /_sandbox/webhooks, "
        "POST /_sandbox/receive_message",
        flush=True,
    )
    for subscription in sandbox.webhooks.subscriptions:
        print(f"webhook: {safe_url(subscription.url)} (signed with its key)", flush=True)
    print("Ctrl-C to stop", flush=True)
