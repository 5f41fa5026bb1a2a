"""Bulk upserts: many items through one client, each with exactly one outcome.

How a run works:

- Items are pulled from the input only while fewer than ``concurrency + buffer`` are held
  (sent, waiting for a request slot, or waiting behind an earlier item of the same
  identifier), so memory follows ``concurrency``, not the input's length.
- At most ``concurrency`` requests are in flight; each item is one ``create_or_update`` call,
  retried only by the client's retry policy (429, 449, 5xx, transport errors), so its outcome is
  final.
- Items of the same identifier never overlap and run in input order. After an item that may
  have created the contact (a success, or an error whose write may have landed: 5xx, 449,
  no usable response), the next item of that identifier starts ``settle_delay`` seconds later,
  as the API asks for a pause after a create. ``id:`` identifiers never create and never wait.
- Items without an identifier, with a malformed one, or failing client-side validation become
  failures at their index without a request.
- Cancelling the run (or closing the outcome stream) cancels the requests in flight; no outcome
  is made up for them, and the client stays usable.

>>> async for outcome in client.contacts.upsert_many(contacts, concurrency=16):
...     print(outcome.index, outcome.ok)
>>> report = await client.contacts.bulk_upsert(contacts, journal="import.journal")
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Sized,
)
from typing import Any, TypeAlias

import attrs

from ._errors import (
    AelystError,
    AuthenticationError,
    BadRequestError,
    ContactValidationError,
    IdentifierError,
    NotFoundError,
    RateLimitError,
    ValidationProblem,
)
from ._journal import JournalWriter, PathLike, ResumeState
from ._models import BulkOutcome, BulkReport, Contact, Identifier

log = logging.getLogger("aelyst_async.bulk")

DEFAULT_CONCURRENCY = 16
DEFAULT_SETTLE_DELAY = 1.0
"""Seconds between an item that may have created a contact and the next item of its identifier."""
DEFAULT_PROGRESS_INTERVAL = 0.1
RATE_WINDOW = 10.0
"""Seconds of recent history the progress rate is measured over."""

BulkItem: TypeAlias = "Contact | tuple[Identifier | str, Contact]"
BulkItems: TypeAlias = "Iterable[Any] | AsyncIterable[Any]"
Clock: TypeAlias = Callable[[], float]
Sleep: TypeAlias = Callable[[float], Awaitable[Any]]


@attrs.frozen
class BulkProgress:
    """Where a bulk upsert stands, as given to its ``on_progress`` callback.

    ``done`` counts the items with an outcome (``succeeded + failed + skipped``); ``total`` is
    the number of items if known (``len()`` of the input, or ``total=``); ``rate`` the items
    finished per second over the last few seconds (0.0 until it can be measured; skipped items
    are not counted); ``eta`` the seconds left at that rate, or None; ``elapsed`` the seconds
    since the run started.
    """

    done: int
    succeeded: int
    failed: int
    skipped: int
    total: int | None
    rate: float
    eta: float | None
    elapsed: float

    @property
    def fraction(self) -> float | None:
        """``done / total``, or None when the total is unknown (or zero)."""
        return self.done / self.total if self.total else None


ProgressCallback: TypeAlias = Callable[[BulkProgress], object]


@attrs.frozen
class RejectedItem:
    """An input item known to be invalid before any request (e.g. a file row that did not parse).

    A bulk run turns it into a failure with ``error`` at its index, without a request.
    """

    identifier: str
    error: AelystError


@attrs.define(slots=True)
class _Entry:
    index: int
    key: str
    identifier: Identifier
    contact: Any
    ready: float = 0.0


def _no_identifier() -> ContactValidationError:
    return ContactValidationError(
        [
            ValidationProblem(
                "email",
                "no email or phone to identify the contact by: "
                "set one, or pass an (identifier, contact) pair",
            )
        ]
    )


def _classify(index: int, item: Any) -> _Entry | BulkOutcome:
    """An item as an entry to send, or its failure outcome when it cannot be sent."""
    if isinstance(item, Contact):
        identifier = item.default_identifier()
        if identifier is None:
            return BulkOutcome(index, "", False, error=_no_identifier())
        return _Entry(index, str(identifier), identifier, item)
    if isinstance(item, RejectedItem):
        return BulkOutcome(index, item.identifier, False, error=item.error)
    if isinstance(item, tuple) and len(item) == 2:
        raw, contact = item
        try:
            identifier = Identifier.parse(raw)
        except IdentifierError as exc:
            return BulkOutcome(index, raw if isinstance(raw, str) else repr(raw), False, error=exc)
        return _Entry(index, str(identifier), identifier, contact)
    problem = f"expected a Contact or an (identifier, Contact) pair, got {type(item).__name__}"
    return BulkOutcome(
        index, "", False, error=ContactValidationError([ValidationProblem("contact", problem)])
    )


_NOT_WRITTEN = (
    ContactValidationError,
    IdentifierError,
    BadRequestError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
)


def may_have_written(outcome: BulkOutcome) -> bool:
    """True if the item's write may have landed: a success, or an error that does not exclude it
    (5xx, 449, no usable response)."""
    return outcome.ok or not isinstance(outcome.error, _NOT_WRITTEN)


class _ProgressTracker:
    def __init__(
        self, callback: ProgressCallback, total: int | None, interval: float, clock: Clock
    ) -> None:
        self._callback = callback
        self._total = total
        self._interval = interval
        self._clock = clock
        self._start = clock()
        self._last_call = -math.inf
        self._samples: deque[tuple[float, int]] = deque([(self._start, 0)])

    def update(self, succeeded: int, failed: int, skipped: int, *, final: bool = False) -> None:
        now = self._clock()
        if not final and now - self._last_call < self._interval:
            return
        self._last_call = now
        processed = succeeded + failed
        samples = self._samples
        if now - samples[-1][0] >= RATE_WINDOW / 50:
            samples.append((now, processed))
        while len(samples) > 2 and samples[1][0] <= now - RATE_WINDOW:
            samples.popleft()
        then, processed_then = samples[0]
        rate = (processed - processed_then) / (now - then) if now > then else 0.0
        done = processed + skipped
        eta = None
        if self._total is not None and rate > 0:
            eta = max(0, self._total - done) / rate
        self._callback(
            BulkProgress(
                done=done,
                succeeded=succeeded,
                failed=failed,
                skipped=skipped,
                total=self._total,
                rate=rate,
                eta=eta,
                elapsed=now - self._start,
            )
        )


async def _next_item(source: AsyncIterator[Any]) -> Any:
    return await anext(source)


class _Run:
    """The state of one bulk run; :meth:`outcomes` drives it."""

    def __init__(
        self,
        client: Any,
        *,
        concurrency: int,
        buffer: int,
        settle_delay: float,
        journal: PathLike | None,
        on_progress: ProgressCallback | None,
        total: int | None,
        progress_interval: float,
        clock: Clock | None,
        sleep: Sleep | None,
    ) -> None:
        self._client = client
        self._concurrency = concurrency
        self._capacity = concurrency + buffer
        self._settle_delay = settle_delay
        self._journal_path = journal
        self._on_progress = on_progress
        self._total = total
        self._progress_interval = progress_interval
        self._clock_option = clock
        self._sleep: Sleep = sleep if sleep is not None else asyncio.sleep
        self._tasks: dict[asyncio.Task[BulkOutcome], _Entry] = {}
        self._waiting: dict[str, deque[_Entry]] = {}
        self._active: set[str] = set()
        self._settling: dict[str, float] = {}
        self._settle_order: deque[tuple[float, str]] = deque()
        self._held = 0
        self._resume: ResumeState | None = None
        self._resent: set[str] = set()
        self._mismatches = 0
        self._journal: JournalWriter | None = None
        self._progress: _ProgressTracker | None = None
        self.succeeded = self.failed = self.skipped = 0

    # -- the coordinator -------------------------------------------------------------------------

    async def outcomes(self, items: BulkItems) -> AsyncGenerator[BulkOutcome, None]:
        """Every item's outcome, as it finishes."""
        self._clock: Clock = self._clock_option or asyncio.get_running_loop().time
        self._semaphore = asyncio.Semaphore(self._concurrency)
        self._finished: deque[asyncio.Future[Any]] = deque()
        self._wake = asyncio.Event()
        pull: asyncio.Task[Any] | None = None
        try:
            if self._journal_path is not None:
                self._resume = ResumeState.load(self._journal_path)
                self._journal = JournalWriter(self._journal_path)
            if self._on_progress is not None:
                self._progress = _ProgressTracker(
                    self._on_progress, self._total, self._progress_interval, self._clock
                )
            index = 0
            exhausted = False
            source: AsyncIterator[Any] | None = None
            sync_source: Iterator[Any] | None = None
            if isinstance(items, AsyncIterable):
                source = aiter(items)
            else:
                sync_source = iter(items)
            while True:
                if sync_source is not None:
                    while not exhausted and self._held < self._capacity:
                        try:
                            item = next(sync_source)
                        except StopIteration:
                            exhausted = True
                            break
                        outcome = self._admit(index, item)
                        index += 1
                        if outcome is not None:
                            yield self._emit(outcome)
                elif pull is None and not exhausted and self._held < self._capacity:
                    assert source is not None
                    pull = asyncio.ensure_future(_next_item(source))
                    pull.add_done_callback(self._on_done)
                if not self._tasks and pull is None:
                    if exhausted:
                        break
                    continue  # room again for the sync source
                while not self._finished:
                    self._wake.clear()
                    await self._wake.wait()
                finished = list(self._finished)
                self._finished.clear()
                if pull is not None and pull in finished:
                    finished.remove(pull)
                    done_pull, pull = pull, None
                    try:
                        item = done_pull.result()
                    except StopAsyncIteration:
                        exhausted = True
                    else:
                        outcome = self._admit(index, item)
                        index += 1
                        if outcome is not None:
                            yield self._emit(outcome)
                finished_tasks = [(self._tasks[t].index, t) for t in finished if t in self._tasks]
                for _, task in sorted(finished_tasks, key=lambda pair: pair[0]):
                    yield self._emit(self._finish(task))
            if self._progress is not None:
                self._progress.update(self.succeeded, self.failed, self.skipped, final=True)
            if self._mismatches:
                log.warning(
                    "journal %s: %d item(s) had a different identifier than recorded at their "
                    "index (the input changed?); they were sent again",
                    self._journal_path,
                    self._mismatches,
                )
        finally:
            if pull is not None:
                pull.cancel()
            await self._cancel_in_flight()
            if self._journal is not None:
                self._journal.close()

    def _on_done(self, future: asyncio.Future[Any]) -> None:
        self._finished.append(future)
        self._wake.set()

    async def _cancel_in_flight(self) -> None:
        """Cancel the tasks still running; journal those that finished without being emitted."""
        tasks = list(self._tasks)
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        for task in tasks:
            if task.cancelled():
                continue
            error = task.exception()
            if error is None and self._journal is not None:
                self._journal.write(task.result())

    # -- admitting items -------------------------------------------------------------------------

    def _admit(self, index: int, item: Any) -> BulkOutcome | None:
        """Start or queue an item; its outcome right away when no request is needed."""
        entry = _classify(index, item)
        if isinstance(entry, BulkOutcome):
            return entry
        if self._resume is not None and index < self._resume.end:
            found = self._resume.lookup(index, entry.key)
            if found is not None:
                same, contact_id = found
                if same and entry.key not in self._resent:
                    return BulkOutcome(index, entry.key, True, contact_id=contact_id, skipped=True)
                if not same:
                    self._mismatches += 1
                    if self._mismatches == 1:
                        log.warning(
                            "journal %s: item %d is %s, not what the journal recorded at that "
                            "index; sending it again",
                            self._journal_path,
                            index,
                            entry.key,
                        )
            # a later item of this identifier recorded as done must be sent again, after this
            # one, to keep input order
            self._resent.add(entry.key)
        self._held += 1
        if entry.key in self._active:
            self._waiting.setdefault(entry.key, deque()).append(entry)
            return None
        self._active.add(entry.key)
        if self._settling:
            now = self._clock()
            order = self._settle_order
            while order and order[0][0] <= now:
                expired, key = order.popleft()
                if self._settling.get(key) == expired:
                    del self._settling[key]
            until = self._settling.pop(entry.key, None)
            if until is not None and until > now:
                entry.ready = until
        self._start(entry)
        return None

    def _start(self, entry: _Entry) -> None:
        task = asyncio.ensure_future(self._send(entry))
        self._tasks[task] = entry
        task.add_done_callback(self._on_done)

    async def _send(self, entry: _Entry) -> BulkOutcome:
        if entry.ready:
            delay = entry.ready - self._clock()
            if delay > 0:
                await self._sleep(delay)
        async with self._semaphore:
            try:
                result, attempts = await self._client._upsert(entry.identifier, entry.contact)
            except AelystError as exc:
                attempts = getattr(exc, "attempts", 0)
                if isinstance(exc, ContactValidationError) or not isinstance(attempts, int):
                    attempts = 0
                return BulkOutcome(entry.index, entry.key, False, error=exc, attempts=attempts)
        return BulkOutcome(
            entry.index, entry.key, True, contact_id=result.contact_id, attempts=attempts
        )

    # -- finishing items -------------------------------------------------------------------------

    def _finish(self, task: asyncio.Task[BulkOutcome]) -> BulkOutcome:
        entry = self._tasks.pop(task)
        outcome = task.result()  # _send turns every AelystError into an outcome
        self._held -= 1
        key = entry.key
        settle = (
            self._settle_delay > 0 and entry.identifier.kind != "id" and may_have_written(outcome)
        )
        queue = self._waiting.get(key)
        if queue:
            following = queue.popleft()
            if not queue:
                del self._waiting[key]
            if settle:
                following.ready = self._clock() + self._settle_delay
            self._start(following)
        else:
            self._active.discard(key)
            if settle:
                until = self._clock() + self._settle_delay
                self._settling[key] = until
                self._settle_order.append((until, key))
        return outcome

    def _emit(self, outcome: BulkOutcome) -> BulkOutcome:
        if outcome.skipped:
            self.skipped += 1
        else:
            if self._journal is not None:
                self._journal.write(outcome)
            if outcome.ok:
                self.succeeded += 1
            else:
                self.failed += 1
        if self._progress is not None:
            self._progress.update(self.succeeded, self.failed, self.skipped)
        return outcome


def _check_options(concurrency: int, buffer: int | None, settle_delay: float) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive integer, not {concurrency!r}")
    if buffer is None:
        buffer = 3 * concurrency
    if isinstance(buffer, bool) or not isinstance(buffer, int) or buffer < 0:
        raise ValueError(f"buffer must be an integer >= 0, not {buffer!r}")
    if not (isinstance(settle_delay, (int, float)) and 0 <= settle_delay < math.inf):
        raise ValueError(f"settle_delay must be a number of seconds >= 0, not {settle_delay!r}")
    return buffer


def upsert_many(
    client: Any,
    items: BulkItems,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    settle_delay: float = DEFAULT_SETTLE_DELAY,
    buffer: int | None = None,
    journal: PathLike | None = None,
    on_progress: ProgressCallback | None = None,
    total: int | None = None,
    progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
) -> AsyncGenerator[BulkOutcome, None]:
    """The outcome of every item, as each finishes (see the module docstring).

    ``buffer``: items read ahead beyond ``concurrency`` (default ``3 * concurrency``), to find
    work while some identifiers are busy. ``journal``: a JSONL file of outcomes; if it already
    exists, items it records as succeeded are skipped (outcomes with ``skipped=True``).
    ``on_progress``: called with a :class:`BulkProgress` at most every ``progress_interval``
    seconds and once at the end. ``clock`` / ``sleep``: the time source (default the event
    loop's) and the sleep used for settle delays, replaceable in tests.
    """
    buffer = _check_options(concurrency, buffer, settle_delay)
    if total is None and isinstance(items, Sized):
        total = len(items)
    run = _Run(
        client,
        concurrency=concurrency,
        buffer=buffer,
        settle_delay=settle_delay,
        journal=journal,
        on_progress=on_progress,
        total=total,
        progress_interval=progress_interval,
        clock=clock,
        sleep=sleep,
    )
    return run.outcomes(items)


async def bulk_upsert(
    client: Any,
    items: BulkItems,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    settle_delay: float = DEFAULT_SETTLE_DELAY,
    buffer: int | None = None,
    journal: PathLike | None = None,
    on_progress: ProgressCallback | None = None,
    total: int | None = None,
    progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
) -> BulkReport:
    """Run :func:`upsert_many` to the end; the report keeps counts and the failures only."""
    outcomes = upsert_many(
        client,
        items,
        concurrency=concurrency,
        settle_delay=settle_delay,
        buffer=buffer,
        journal=journal,
        on_progress=on_progress,
        total=total,
        progress_interval=progress_interval,
        clock=clock,
        sleep=sleep,
    )
    now = clock or asyncio.get_running_loop().time
    start = now()
    report = BulkReport()
    try:
        async for outcome in outcomes:
            report.total += 1
            if outcome.skipped:
                report.skipped += 1
            elif outcome.ok:
                report.succeeded += 1
            else:
                report.failed += 1
                report.failures.append(outcome)
    finally:
        await outcomes.aclose()
    report.elapsed = now() - start
    return report
