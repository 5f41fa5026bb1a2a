"""``aelyst export FILE``: every matching contact into a CSV or JSONL file that ``aelyst upsert``
reads back.

    $ aelyst export contacts.csv --tag vip --tag "2026"
    $ aelyst export - --format jsonl --search ana | head

Contacts are streamed page by page through ``client.contacts.list`` (nothing is held beyond a
page) into a temporary file renamed over FILE at the end: an export that fails leaves no file.
A CSV header needs the custom field names before the first row: they are read from the
workspace (``GET /space/custom_field``); when the token may not read them, a first pass over the
contacts collects the names instead. ``--sandbox`` exports from an embedded, empty sandbox.

Exit code: 0 when every contact was written, 1 when some could not be written faithfully (each
named on stderr), 2 for a usage or run-wide error (no file is written), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from .._errors import AelystError, APIError, AuthenticationError, TransportError
from ..types.records import ContactFilter, ContactRecord, FilterCondition
from .columns import FileFormatError
from .connect import CommandError, add_connection_options, connect, positive_int
from .display import PLAIN_INTERVAL, describe_error, duration
from .fields import FALLBACK_STATUSES
from .interrupt import EXIT_INTERRUPTED, Interrupts
from .rows import FORMATS, detect_format
from .runwide import RunStopped, RunWideFailure, unless_stopped, unreachable
from .writers import AtomicOutput, CsvWriter, ExportProblem, JsonlWriter, identifier_of

EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE = 0, 1, 2
MAX_PAGE_SIZE = 100


def _page_size(text: str) -> int:
    value = positive_int(text)
    if value > MAX_PAGE_SIZE:
        raise argparse.ArgumentTypeError(f"at most {MAX_PAGE_SIZE}, not {value}")
    return value


def add_export_command(subparsers: Any) -> None:
    """Declare ``aelyst export``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="export contacts to a CSV or JSONL file that aelyst upsert reads back",
        description=(
            "Write every contact matching --search and --tag to FILE (.csv or .jsonl; '-' for "
            "stdout with --format), in the form aelyst upsert reads back. Exit 0 when every "
            "contact was written, 1 when some could not be (named on stderr), 2 for a usage "
            "or run-wide error (then no file is written)."
        ),
    )
    add = p.add_argument
    add("file", metavar="FILE", help="a .csv or .jsonl file to write ('-': stdout)")
    add("--format", choices=FORMATS, default=None, help="the file's format (default: by name)")
    add("--search", default=None, help="only contacts whose name, email or phone match")
    add(
        "--tag",
        action="append",
        default=[],
        metavar="NAME",
        help="only contacts with this tag (repeatable: any of them)",
    )
    add(
        "--page-size",
        type=_page_size,
        default=MAX_PAGE_SIZE,
        help="contacts a request, 1-100 (default %(default)s)",
    )
    add_connection_options(p)
    add(
        "--progress",
        choices=("auto", "bar", "plain", "off"),
        default="auto",
        help="progress on stderr: a bar on a terminal, plain lines otherwise (default auto)",
    )
    p.set_defaults(run=run_export)


def counted(n: int, noun: str) -> str:
    """``1 cell``, ``3 cells``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _error(message: str) -> int:
    print(f"aelyst export: {message}", file=sys.stderr)
    return EXIT_USAGE


def run_export(args: argparse.Namespace) -> int:
    """Run ``aelyst export`` for parsed ``args``; the exit code."""
    if args.file == "-" and args.format is None:
        return _error("writing to stdout needs --format csv or --format jsonl")
    try:
        fmt = detect_format(args.file, args.format)
        interrupts = Interrupts("export", " (no file written)")
        return interrupts.run(_export(args, fmt, interrupts.on_exit))
    except (FileFormatError, CommandError) as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        print("aelyst export: interrupted (no file written)", file=sys.stderr)
        return EXIT_INTERRUPTED


class _Progress:
    """Contacts and pages written: a tqdm bar, plain lines every few seconds, or nothing."""

    def __init__(self, mode: str) -> None:
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "plain"
        self.mode = mode
        self.contacts = self.pages = self.skipped = 0
        self._bar: Any = None
        self._loop = asyncio.get_running_loop()
        self._start = self._loop.time()
        self._next_line = self._start + PLAIN_INTERVAL
        if mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(unit="contact", file=sys.stderr, dynamic_ncols=True, mininterval=0.2)

    def page(self, contacts: int) -> None:
        self.contacts += contacts
        self.pages += 1
        if self._bar is not None:
            self._bar.update(contacts)
        elif self.mode == "plain" and self._loop.time() >= self._next_line:
            self._next_line = self._loop.time() + PLAIN_INTERVAL
            print(f"export: {self.contacts} contacts, {self.pages} pages", file=sys.stderr)

    def elapsed(self) -> float:
        return self._loop.time() - self._start

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _listing(client: Any, args: argparse.Namespace) -> Any:
    tags = [tag.strip() for tag in args.tag if tag.strip()]
    condition = FilterCondition("contactTag", "hasAnyOf", tags, field="tags")
    return client.contacts.list(
        search=args.search,
        filter=ContactFilter.all_of(condition) if tags else None,
        page_size=args.page_size,
    )


async def _custom_field_names(client: Any, args: argparse.Namespace) -> list[str]:
    """The workspace's custom field names; when the token may not read them, the names found
    on the matching contacts (a first pass over them)."""
    try:
        return [field.name async for field in client.workspace.list_custom_fields()]
    except APIError as exc:
        if exc.status not in FALLBACK_STATUSES or isinstance(exc, AuthenticationError):
            raise
        print(
            f"aelyst export: cannot read the workspace's custom fields ({exc.status} "
            f"{exc.message}); reading the contacts twice to find their names",
            file=sys.stderr,
        )
    names: dict[str, None] = {}
    async for record in _listing(client, args):
        names.update((field.name, None) for field in record.custom_fields)
    return list(names)


def _run_wide(error: AelystError, base_url: str) -> CommandError:
    if isinstance(error, AuthenticationError):
        reason = "the API refused the token (401): check --token or AELYST_API_TOKEN"
    elif isinstance(error, TransportError):
        reason = unreachable(base_url, error.message)
    else:
        reason = describe_error(error)
    return CommandError(f"stopped: {reason}; no file written")


async def _export(args: argparse.Namespace, fmt: str, on_exit: list[Callable[[], None]]) -> int:
    async with AsyncExitStack() as stack:
        detector = RunWideFailure()
        client = await connect(stack, args, on_retry=lambda event: detector.error(event.error))
        detector.base_url = client.base_url
        try:
            names = []
            if fmt == "csv":
                names = await unless_stopped(_custom_field_names(client, args), detector)
            with AtomicOutput(args.file) as out:
                on_exit.append(out.discard)  # a second Ctrl-C leaves no temporary file
                writer = CsvWriter(out.file, names) if fmt == "csv" else JsonlWriter(out.file)
                progress = _Progress(args.progress)
                fault: AelystError | None = None
                try:
                    await unless_stopped(
                        _write_all(_listing(client, args), writer, progress), detector
                    )
                except AelystError as exc:
                    if not progress.pages or isinstance(exc, AuthenticationError):
                        raise
                    fault = exc  # a later page failed: keep what was received
                finally:
                    progress.close()
                out.commit()
        except RunStopped as exc:
            raise CommandError(f"stopped: {exc}; no file written") from None
        except AelystError as exc:
            raise _run_wide(exc, client.base_url) from None
        except OSError as exc:
            raise CommandError(f"cannot write {args.file!r}: {exc.strerror or exc}") from None
    skipped = progress.skipped
    written = progress.contacts - skipped
    parts = [f"{counted(written, 'contact')} written", counted(progress.pages, "page")]
    if skipped:
        parts.insert(1, f"{skipped} not written (see above)")
    parts.append(f"elapsed {duration(progress.elapsed())}")
    target = "stdout" if args.file == "-" else repr(args.file)
    print(f"export to {target}: " + ", ".join(parts), file=sys.stderr)
    formulas = writer.formula_cells if isinstance(writer, CsvWriter) else 0
    if formulas:
        print(
            f"aelyst export: warning: {target} has {counted(formulas, 'cell')} starting with "
            "= + - or @ (written unchanged): a spreadsheet may run them as formulas; import "
            "the file as text rather than opening it",
            file=sys.stderr,
        )
    if fault is not None:
        print(
            f"aelyst export: stopped after {counted(progress.pages, 'page')}: "
            f"{describe_error(fault)}; the contacts received before are written",
            file=sys.stderr,
        )
    return EXIT_INCOMPLETE if skipped or fault is not None else EXIT_OK


async def _write_all(listing: Any, writer: CsvWriter | JsonlWriter, progress: _Progress) -> None:
    """Write every contact of ``listing``, counting those that could not be in ``progress``."""
    unlisted: set[str] = set()
    async for page in listing.pages():
        record: ContactRecord
        for record in page.items:
            try:
                left_out = writer.write(record)
            except ExportProblem as exc:
                progress.skipped += 1
                print(
                    f"aelyst export: {identifier_of(record)}: not written: {exc}", file=sys.stderr
                )
                continue
            for name in left_out:
                if name not in unlisted:
                    unlisted.add(name)
                    print(
                        f"aelyst export: the custom field {name!r} (of {identifier_of(record)} "
                        "and maybe others) is not in the workspace's field list: left out",
                        file=sys.stderr,
                    )
        progress.page(len(page.items))
