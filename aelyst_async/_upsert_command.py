"""``aelyst upsert FILE``: bulk upsert the contacts of a CSV or JSONL file.

    $ aelyst upsert examples/contacts.csv --sandbox
    $ AELYST_API_TOKEN=... aelyst upsert contacts.csv --journal import.journal --report failed.jsonl

The file is streamed (never loaded whole) through ``client.contacts.upsert_many``; nothing is
kept per row that succeeded. Progress goes to stderr (a bar on a terminal, a line every few
seconds otherwise); each failed row is printed to stdout as ``row N (identifier): error`` as it
happens, then a summary. Exit code: 0 when every row succeeded (or was already done according to
the journal), 1 when some failed, 2 for a usage or file error, 130 when interrupted (the journal
then lets a rerun resume).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import stat
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import AsyncExitStack, aclosing
from typing import IO, Any

from tqdm import tqdm

from ._bulk import DEFAULT_CONCURRENCY, DEFAULT_SETTLE_DELAY, BulkProgress, RejectedItem
from ._errors import (
    AelystError,
    APIError,
    AuthenticationError,
    ContactValidationError,
    JournalError,
    TransportError,
    ValidationProblem,
)
from ._models import BulkOutcome, Contact
from ._rows import FORMATS, FileFormatError, Row, RowReader, count_rows, detect_format, open_rows
from ._sansio import build_upsert_request

SubParsers = Any  # argparse's _SubParsersAction, which has no public type
PLAIN_INTERVAL = 5.0
"""Seconds between two progress lines when stderr is not a terminal."""
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, not {text}")
    return value


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="a .csv or .jsonl file of contacts ('-': stdin)")
    p.add_argument(
        "--format", choices=FORMATS, default=None, help="the file's format (default: by extension)"
    )
    p.add_argument("--token", default=None, help="API token (default: $AELYST_API_TOKEN)")
    p.add_argument("--base-url", default=None, help="API base URL (default: $AELYST_BASE_URL)")
    p.add_argument(
        "--sandbox",
        action="store_true",
        help="run against an embedded local sandbox (no token needed)",
    )
    p.add_argument(
        "--concurrency",
        type=_positive_int,
        default=DEFAULT_CONCURRENCY,
        help="requests in flight at most (default %(default)s)",
    )
    p.add_argument(
        "--journal",
        metavar="FILE",
        default=None,
        help="JSONL journal of outcomes; rerun with the same file to resume (skips the rows it "
        "records as succeeded, retries the others)",
    )
    p.add_argument(
        "--report",
        metavar="FILE",
        default=None,
        help="write one JSON line per failed row (row, identifier, error) to FILE",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="only read and validate the rows (client-side checks); send nothing, no journal",
    )
    p.add_argument(
        "--validation",
        choices=("strict", "basic", "off"),
        default="strict",
        help="client-side validation (default %(default)s)",
    )
    p.add_argument(
        "--settle-delay",
        type=_seconds,
        default=DEFAULT_SETTLE_DELAY,
        metavar="SECONDS",
        help="pause before a second row for the same contact (default %(default)s)",
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="per-request timeout (default %(default)s)",
    )
    p.add_argument(
        "--progress",
        choices=("auto", "bar", "plain", "off"),
        default="auto",
        help="progress on stderr: a bar on a terminal, plain lines otherwise (default auto)",
    )


def add_upsert_command(subparsers: SubParsers) -> None:
    """Declare ``aelyst upsert`` on the ``aelyst`` parser's subparsers."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "upsert",
        help="bulk upsert contacts from a CSV or JSONL file",
        description=(
            "Create or update every contact of a CSV file (header of wire names: firstName, "
            "lastName, phone, email, language, profilePic, countryCode, cf:<Field Name>, "
            "identifier) or a JSONL file (one wire-format body per line, optional "
            '"identifier"). Exit 0 when every row succeeded, 1 when some failed, 2 for a usage '
            "or file error."
        ),
    )
    _configure(p)
    p.set_defaults(run=run_upsert)


add_upsert_parser = add_upsert_command


def build_parser() -> argparse.ArgumentParser:
    """A stand-alone parser of the ``upsert`` arguments (``aelyst upsert`` without ``aelyst``)."""
    p = argparse.ArgumentParser(prog="aelyst upsert")
    _configure(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``aelyst upsert`` with ``argv`` (the arguments after ``upsert``); the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return run_upsert(args)


# -- output -------------------------------------------------------------------------------------


def describe_error(error: BaseException) -> str:
    """A one-line description of a row's error, naming the fields of a validation error."""
    if isinstance(error, ContactValidationError):
        return "; ".join(f"{p.field}: {p.problem}" for p in error.errors)
    attempts = getattr(error, "attempts", 1)
    tries = f" (after {attempts} attempts)" if isinstance(attempts, int) and attempts > 1 else ""
    if isinstance(error, APIError):
        return f"{error.status} {error.message}{tries}"
    if isinstance(error, TransportError):
        return f"no usable response: {error.message}{tries}"
    return str(error)


def _failure_record(row: int, identifier: str, error: AelystError, attempts: int) -> str:
    record: dict[str, Any] = {
        "row": row,
        "identifier": identifier,
        "error": describe_error(error),
        "type": type(error).__name__,
        "attempts": attempts,
    }
    if isinstance(error, APIError):
        record["status"] = error.status
    if isinstance(error, ContactValidationError):
        record["problems"] = [{"field": p.field, "problem": p.problem} for p in error.errors]
    return json.dumps(record, ensure_ascii=False)


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class _Display:
    """Progress on stderr, failed rows and the summary on stdout, the --report file."""

    def __init__(self, mode: str, total: int | None, report: IO[str] | None) -> None:
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "plain"
        self.mode = mode
        self.total = total
        self.report = report
        self.succeeded = self.failed = self.skipped = 0
        self._bar: tqdm[Any] | None = None
        self._next_line = PLAIN_INTERVAL
        if mode == "bar":
            self._bar = tqdm(
                total=total,
                unit="row",
                file=sys.stderr,
                dynamic_ncols=True,
                smoothing=0.05,
                mininterval=0.2,
            )

    def progress(self, progress: BulkProgress) -> None:
        if self._bar is not None:
            self._bar.update(progress.done - self._bar.n)
            postfix = f"failed={progress.failed}" if progress.failed else ""
            self._bar.set_postfix_str(postfix, refresh=False)
        elif self.mode == "plain" and progress.elapsed >= self._next_line:
            self._next_line = progress.elapsed + PLAIN_INTERVAL
            of = f"/{progress.total}" if progress.total is not None else ""
            eta = f", ETA {_duration(progress.eta)}" if progress.eta is not None else ""
            print(
                f"upsert: {progress.done}{of} rows, {progress.failed} failed, "
                f"{progress.rate:.1f} rows/s{eta}",
                file=sys.stderr,
                flush=True,
            )

    def _write(self, line: str) -> None:
        if self._bar is not None:
            self._bar.write(line, file=sys.stdout)
        else:
            print(line, flush=True)

    def outcome(self, row: int, identifier: str, outcome: BulkOutcome) -> None:
        if outcome.skipped:
            self.skipped += 1
        elif outcome.ok:
            self.succeeded += 1
        else:
            self.failed += 1
            assert outcome.error is not None
            self.failure(row, identifier, outcome.error, outcome.attempts)

    def failure(self, row: int, identifier: str, error: AelystError, attempts: int) -> None:
        self._write(f"row {row} ({identifier or 'no identifier'}): {describe_error(error)}")
        if self.report is not None:
            self.report.write(_failure_record(row, identifier, error, attempts) + "\n")
            self.report.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def summary(
        self, elapsed: float, counters: dict[str, int] | None = None, *, dry_run: bool = False
    ) -> None:
        self.close()
        total = self.succeeded + self.failed + self.skipped
        ok = "valid" if dry_run else "succeeded"
        parts = [f"total {total}", f"{ok} {self.succeeded}", f"failed {self.failed}"]
        if self.skipped:
            parts.append(f"skipped {self.skipped} (done in an earlier run)")
        parts += [f"{label} {value}" for label, value in (counters or {}).items()]
        parts.append(f"elapsed {_duration(elapsed)}")
        print(("dry run: " if dry_run else "") + ", ".join(parts), flush=True)


# -- the command --------------------------------------------------------------------------------


def _usage_error(message: str) -> int:
    print(f"aelyst upsert: {message}", file=sys.stderr)
    return EXIT_USAGE


def _is_regular_file(path: str) -> bool:
    try:
        return path != "-" and stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _items(reader: RowReader) -> Iterator[Any]:
    """Each row as a bulk item: a Contact, an (identifier, Contact) pair, or a rejection."""
    for row in reader:
        if row.contact is None:
            assert row.error is not None
            yield RejectedItem(row.label, row.error)
        elif row.identifier is not None:
            yield (row.identifier, row.contact)
        else:
            yield row.contact


def run_upsert(args: argparse.Namespace) -> int:
    """Run ``aelyst upsert`` for parsed ``args``; the exit code."""
    if args.sandbox and args.base_url:
        return _usage_error("--sandbox and --base-url cannot be used together")
    if args.file == "-" and args.format is None:
        return _usage_error("reading stdin needs --format csv or --format jsonl")
    report: IO[str] | None = None
    try:
        fmt = detect_format(args.file, args.format)
        total = count_rows(args.file, fmt) if _is_regular_file(args.file) else None
        reader = open_rows(args.file, fmt)
    except FileFormatError as exc:
        return _usage_error(str(exc))
    try:
        if args.report:
            try:
                report = open(args.report, "w", encoding="utf-8")  # noqa: SIM115
            except OSError as exc:
                return _usage_error(f"cannot write the report {args.report!r}: {exc.strerror}")
        display = _Display(args.progress, total, report)
        try:
            if args.dry_run:
                return _dry_run(reader, args, display)
            return asyncio.run(_upsert(reader, args, display))
        except FileFormatError as exc:
            display.close()
            return _usage_error(str(exc))
        except JournalError as exc:
            display.close()
            return _usage_error(str(exc))
        except KeyboardInterrupt:
            display.close()
            done = display.succeeded + display.failed + display.skipped
            resume = " (rerun with the same --journal to resume)" if args.journal else ""
            print(f"aelyst upsert: interrupted after {done} rows{resume}", file=sys.stderr)
            return EXIT_INTERRUPTED
        finally:
            display.close()
    finally:
        reader.close()
        if report is not None:
            report.close()


def _dry_run(reader: RowReader, args: argparse.Namespace, display: _Display) -> int:
    start = time.monotonic()
    for row in reader:
        error = _check_row(row, args.validation)
        if error is None:
            display.succeeded += 1
        else:
            display.failed += 1
            display.failure(row.number, row.label, error, 0)
        display.progress(
            BulkProgress(
                done=row.number,
                succeeded=display.succeeded,
                failed=display.failed,
                skipped=0,
                total=display.total,
                rate=0.0,
                eta=None,
                elapsed=time.monotonic() - start,
            )
        )
    display.summary(time.monotonic() - start, dry_run=True)
    return EXIT_FAILED if display.failed else EXIT_OK


def _check_row(row: Row, validation: Any) -> AelystError | None:
    if row.error is not None:
        return row.error
    contact: Contact | None = row.contact
    assert contact is not None
    identifier = row.identifier or contact.default_identifier()
    if identifier is None:
        return ContactValidationError(
            [ValidationProblem("email", "no email or phone to identify the contact by")]
        )
    try:
        build_upsert_request(identifier, contact, validation=validation)
    except AelystError as exc:
        return exc
    return None


async def _upsert(reader: RowReader, args: argparse.Namespace, display: _Display) -> int:
    from ._client import AelystClient

    loop = asyncio.get_running_loop()
    start = loop.time()
    async with AsyncExitStack() as stack:
        token, base_url = args.token, args.base_url
        if args.sandbox:
            from .sandbox import Sandbox

            sandbox = await stack.enter_async_context(Sandbox())
            token, base_url = sandbox.token, sandbox.base_url
        try:
            client = AelystClient(
                token, base_url=base_url, validation=args.validation, timeout=args.timeout
            )
        except ValueError as exc:
            display.close()
            return _usage_error(str(exc))
        await stack.enter_async_context(client)
        outcomes = client.contacts.upsert_many(
            _items(reader),
            concurrency=args.concurrency,
            settle_delay=args.settle_delay,
            journal=args.journal,
            on_progress=display.progress,
            total=display.total,
            progress_interval=0.1,
        )
        async with aclosing(outcomes):
            async for outcome in outcomes:
                row = outcome.index + 1
                display.outcome(row, outcome.identifier, outcome)
                if isinstance(outcome.error, AuthenticationError):
                    display.close()
                    return _usage_error(
                        "the API refused the token (401): stopping; "
                        "check --token or AELYST_API_TOKEN"
                    )
        counters = _counters(client)
    display.summary(loop.time() - start, counters)
    return EXIT_FAILED if display.failed else EXIT_OK


def _counters(client: Any) -> dict[str, int]:
    """What the client's counters say about the run: 429s, and 449s and retries when any."""
    stats = getattr(client, "stats", None)
    found: dict[str, int] = {}
    for name, label in (("rate_limited", "429s"), ("queued", "449s"), ("retries", "retries")):
        value = getattr(stats, name, None)
        if isinstance(value, int) and (value or name == "rate_limited"):
            found[label] = value
    return found


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
