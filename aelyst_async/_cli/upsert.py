"""``aelyst upsert FILE``: bulk upsert the contacts of a CSV or JSONL file.

    $ aelyst upsert examples/contacts.csv --sandbox
    $ aelyst upsert export.csv --delimiter ';' --encoding cp1252 --default-country MY \\
          --map 'Nome=firstName' --journal import.journal --report failed.csv

The file is streamed through ``client.contacts.upsert_many``; nothing is kept per row that
succeeded. Progress goes to stderr; each failed row is printed to stdout as ``line N
(identifier): column: problem`` as it happens and again, in file order, before the summary.
Exit code: 0 when every row succeeded (or was done in an earlier run), 1 when some failed, 2 for
a usage, file or run-wide error (a journal in use, an unreachable API, a refused token), 130 when
interrupted (a rerun with the same ``--journal`` resumes; see :mod:`.interrupt` for Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import stat
import sys
from collections.abc import AsyncGenerator, Iterator
from contextlib import AsyncExitStack, aclosing
from typing import Any

import attrs

from .._bulk import DEFAULT_SETTLE_DELAY, BulkInputError, BulkItem, BulkOptions, upsert_many
from .._bulk.items import Entry, Sent, WithContext, invalid
from .._errors import AelystError, ContactValidationError, JournalError, TransportError
from .._sansio.validate.contact import checked_identifier, validate_contact
from ..types.bulk import BulkOutcome
from .columns import FileFormatError, check_region, parse_map
from .connect import CommandError, add_connection_options, connect, has_token, positive_int, seconds
from .display import Display, Failure, describe_error
from .fields import WorkspaceFields, read_fields
from .interrupt import EXIT_INTERRUPTED, Interrupts
from .report import write_report
from .row import Row
from .rows import FORMATS, RowReader, detect_format
from .runwide import RunStopped, RunWideFailure, unless_stopped, unreachable
from .steps import FailedStep, RowContext, RowSteps

log = logging.getLogger("aelyst_async.cli")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def _delimiter(text: str) -> str:
    value = DELIMITER_NAMES.get(text.lower(), text)
    if len(value) != 1 or value in '"\r\n':
        raise argparse.ArgumentTypeError(f"one character (or tab), not {text!r}")
    return value


def add_upsert_command(subparsers: Any) -> None:
    """Declare ``aelyst upsert``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "upsert",
        help="bulk upsert contacts from a CSV or JSONL file",
        description=(
            "Create or update every contact of a CSV file (a header naming the fields: "
            "firstName, lastName, phone, email, language, profilePic, countryCode in any case "
            "and spacing, cf:<Field Name>, identifier, tags, lifecycle) or a JSONL file (one "
            'wire-format body per line, optional "identifier", "tags", "lifecycle"). cf: values '
            "are checked against the workspace's custom fields, read once before anything is "
            "sent. Tags and lifecycle are applied after each row's upsert. Exit 0 when every "
            "row succeeded, 1 when some failed, 2 for a usage, file or run-wide error."
        ),
    )
    add = p.add_argument
    add("file", metavar="FILE", help="a .csv or .jsonl file of contacts ('-': stdin)")
    add("--format", choices=FORMATS, default=None, help="the file's format (default: by name)")
    add("--encoding", default=None, help="the file's encoding (default UTF-8, BOM or not)")
    add("--delimiter", type=_delimiter, default=None, help="CSV delimiter (default: sniffed)")
    add(
        "--decimal-comma",
        action="store_true",
        help="number cells use ',' as the decimal separator and '.' between thousands (1.234,5)",
    )
    add(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="read COLUMN as FIELD, e.g. --map 'Nome=firstName' (repeatable)",
    )
    add(
        "--default-country",
        default=None,
        metavar="CC",
        help="country of national phone numbers when the row has no countryCode, e.g. MY",
    )
    add_connection_options(p)
    add(
        "--concurrency",
        type=positive_int,
        default=None,
        help="requests in flight at most (default: follows the API's rate and latency)",
    )
    add(
        "--journal",
        metavar="FILE",
        default=None,
        help="journal of outcomes; rerun with the same file to resume (rows that succeeded "
        "are matched by content and skipped)",
    )
    add(
        "--report",
        metavar="FILE",
        default=None,
        help="write the failed rows to FILE (.csv: original columns plus error, re-import with "
        "the same --map; .jsonl: wire-format bodies plus error), ready to fix and re-import",
    )
    add(
        "--dry-run",
        action="store_true",
        help="read and validate only; send nothing (the workspace's custom fields are still "
        "read, when a token or --sandbox is given)",
    )
    add(
        "--validation",
        choices=("strict", "basic", "off"),
        default="strict",
        help="client-side validation (default %(default)s)",
    )
    add(
        "--settle-delay",
        type=seconds,
        default=DEFAULT_SETTLE_DELAY,
        metavar="SECONDS",
        help="pause before a second row for the same contact (default %(default)s)",
    )
    add(
        "--progress",
        choices=("auto", "bar", "plain", "off"),
        default="auto",
        help="progress on stderr: a bar on a terminal, plain lines otherwise (default auto)",
    )
    p.set_defaults(run=run_upsert)


def usage_error(message: str) -> int:
    print(f"aelyst upsert: {message}", file=sys.stderr)
    return EXIT_USAGE


def _is_regular_file(path: str) -> bool:
    try:
        return path != "-" and stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


@attrs.define
class _Input:
    """The rows given to bulk (each carries its row as a :class:`RowContext`), and a file
    error met."""

    reader: RowReader
    display: Display
    error: FileFormatError | None = None

    def items(self) -> Iterator[WithContext]:
        try:
            for row in self.reader:
                error = row.error
                if row.contact is not None and not row.label:
                    error = invalid("email", "no email, phone or identifier for the contact")
                if error is not None:
                    self.display.failure(self.failure(row, error))
                    continue
                assert row.contact is not None
                item: BulkItem = (row.identifier, row.contact) if row.identifier else row.contact
                yield WithContext(item, RowContext(row))
        except FileFormatError as exc:  # stop reading; the rows read so far finish
            self.error = exc

    def failure(
        self,
        row: Row,
        error: AelystError,
        label: str | None = None,
        step: FailedStep | None = None,
    ) -> Failure:
        columns = self.reader.columns
        field_column = columns.field_column if columns is not None else None
        message = describe_error(error, row, field_column)
        if step is not None:
            column = field_column.get(step.step, step.step) if field_column else step.step
            message = f"{step.describe(column)}: {message}"
        return Failure(row.line, label or row.label, message, row.source)

    def outcome(self, outcome: BulkOutcome) -> None:
        context = outcome.context
        assert isinstance(context, RowContext)
        if outcome.ok:
            self.display.success(outcome.skipped)
        else:
            assert outcome.error is not None
            self.display.failure(
                self.failure(context.row, outcome.error, outcome.identifier, context.failed)
            )


def run_upsert(args: argparse.Namespace) -> int:
    """Run ``aelyst upsert`` for parsed ``args``; the exit code."""
    if args.sandbox and args.base_url:
        return usage_error("--sandbox and --base-url cannot be used together")
    if args.file == "-" and args.format is None:
        return usage_error("reading stdin needs --format csv or --format jsonl")
    try:
        fmt = detect_format(args.file, args.format)
        as_jsonl = args.report is not None and args.report.lower().endswith(".jsonl")
        if args.report is not None and fmt == "jsonl" and not as_jsonl:
            return usage_error("the report of a JSONL file is JSON lines: name it *.jsonl")
        options: dict[str, Any] = {
            "encoding": args.encoding,
            "delimiter": args.delimiter,
            "mapping": parse_map(args.map),
            "default_country": check_region(args.default_country) if args.default_country else None,
        }
        total = None
        if _is_regular_file(args.file):
            with RowReader(args.file, fmt, **options) as counter:
                total = counter.count()
        reader = RowReader(args.file, fmt, **options)
        reader.validation, reader.decimal_comma = args.validation, args.decimal_comma
        log.info(
            "reading %s: %s, delimiter %r, %s rows",
            args.file,
            fmt,
            reader.delimiter,
            "unknown" if total is None else total,
        )
    except FileFormatError as exc:
        return usage_error(str(exc))
    display = Display(args.progress, total)
    source = _Input(reader, display)
    resume = " (rerun with the same --journal to resume)" if args.journal else ""
    try:
        code = Interrupts("upsert", resume).run(_run(source, args))
    except (JournalError, FileFormatError, CommandError) as exc:
        display.close()
        return usage_error(str(exc))
    except KeyboardInterrupt:
        display.close()
        done = display.succeeded + display.failed + display.skipped
        print(f"aelyst upsert: interrupted after {done} rows{resume}", file=sys.stderr)
        code = EXIT_INTERRUPTED
    finally:
        display.close()
        reader.close()
    if args.report is not None:
        try:
            with open(args.report, "w", encoding="utf-8", newline="") as report:
                write_report(
                    report,
                    display.failures,
                    columns=reader.columns,
                    delimiter=reader.delimiter,
                    as_jsonl=as_jsonl,
                    default_country=reader.default_country,
                )
        except OSError as exc:
            return usage_error(f"cannot write the report {args.report!r}: {exc.strerror}")
    return code


def _validate_only(validation: Any) -> Any:
    """A send callable that only builds (and so validates) each request: the dry run."""

    async def check(entry: Entry) -> Sent:
        problems = validate_contact(entry.contact, validation)
        checked_identifier(entry.identifier, validation, problems, error=ContactValidationError)
        return Sent(0, 0)

    return check


async def _workspace_fields(
    client: Any, args: argparse.Namespace, detector: RunWideFailure
) -> WorkspaceFields | None:
    """The workspace's custom fields (None: fall back to checks by shape, said on stderr);
    raises :class:`CommandError` when they cannot be read for another reason, or as soon as
    ``detector`` sees the API cannot be reached (not after every retry)."""
    try:
        return await unless_stopped(read_fields(client, args.validation, "upsert"), detector)
    except RunStopped as exc:
        raise CommandError(f"stopped: {exc}") from None
    except TransportError as exc:
        raise CommandError(f"stopped: {unreachable(client.base_url, exc.message)}") from None
    except AelystError as exc:
        raise CommandError(
            f"cannot read the workspace's custom fields: {describe_error(exc)}"
        ) from None


async def _run(source: _Input, args: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    start = loop.time()
    display = source.display
    reader = source.reader
    async with AsyncExitStack() as stack:
        detector = RunWideFailure()
        client = None
        if args.dry_run and not has_token(args):
            print(
                "aelyst upsert: dry run without a token: cf: values are checked by their shape "
                "only (give --token or --sandbox to check them against the workspace)",
                file=sys.stderr,
            )
        else:
            client = await connect(
                stack,
                args,
                validation=args.validation,
                on_retry=lambda event: detector.error(event.error),
            )
            detector.base_url = client.base_url
            reader.fields = await _workspace_fields(client, args, detector)
            if reader.fields is not None and reader.columns is not None:
                reader.fields.check_columns(reader.columns, args.file)
        if args.dry_run:
            options = BulkOptions(concurrency=64, settle_delay=0.0)
            outcomes = upsert_many(_validate_only(args.validation), source.items(), options)
            await _consume(outcomes, source, None)
            display.summary(loop.time() - start, dry_run=True)
            return _finish(source, None)
        assert client is not None
        steps = RowSteps(client.contacts)
        options = BulkOptions(
            concurrency=args.concurrency,
            settle_delay=args.settle_delay,
            journal=args.journal,
            on_progress=display.progress,
            total=display.total,
            content_key=RowSteps.key,
        )
        hint = client.suggested_concurrency
        outcomes = upsert_many(steps.send, source.items(), options, concurrency_hint=hint)
        await _consume(outcomes, source, detector)
        stats = client.stats
        counters = {"429 responses": stats.rate_limited}
        if stats.queued:
            counters["449 responses"] = stats.queued
        if stats.retries:
            counters["retries"] = stats.retries
    display.summary(loop.time() - start, counters)
    return _finish(source, detector)


async def _consume(
    outcomes: AsyncGenerator[BulkOutcome, None],
    source: _Input,
    detector: RunWideFailure | None,
) -> None:
    """Feed every outcome to ``source`` until the end, or until ``detector`` stops the run."""

    async def consume() -> None:
        try:
            async with aclosing(outcomes):
                async for outcome in outcomes:
                    source.outcome(outcome)
                    if detector is not None:
                        detector.outcome(outcome)
                        if detector.reason is not None:
                            return
        except BulkInputError as exc:  # every row read has its outcome: report the cause
            raise (exc.__cause__ or exc) from None

    if detector is None:
        await consume()
        return
    consuming = asyncio.ensure_future(consume())
    stopping = asyncio.ensure_future(detector.stopped.wait())
    try:
        await asyncio.wait({consuming, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        # Cancelled (Ctrl-C) or stopped: the run winds down (sends in flight cancelled, the
        # journal written and closed) before the client closes. A cancellation of this task
        # meanwhile cuts the wait short and goes on; it is never taken for the stop's.
        stopping.cancel()
        consuming.cancel()
        await asyncio.wait({consuming, stopping})
    if not consuming.cancelled():  # (cancelled here: by the stop)
        consuming.result()  # its error, if it raised


def _finish(source: _Input, detector: RunWideFailure | None) -> int:
    if detector is not None and detector.reason is not None:
        print(f"aelyst upsert: stopped: {detector.reason}", file=sys.stderr)
        return EXIT_USAGE
    if source.error is not None:
        print(f"aelyst upsert: stopped reading: {source.error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_FAILED if source.display.failed else EXIT_OK
